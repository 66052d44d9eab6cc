"""The course's ``CheckCellMetadataOnce`` passes and fails exactly the notebooks nbgrader's ``CheckCellMetadata``
passes and fails, with the same error and message: it only checks nbgrader's schema once instead of once per cell."""
import copy
import logging
from pathlib import Path

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata

from autograder.nbgrader.metadata import CheckCellMetadataOnce, MetadataValidatorOnce

ROOT = Path(__file__).resolve().parents[1]
SOURCE = nbformat.read(ROOT / "solutions" / "plumbing" / "plumbing.ipynb", as_version=4)


def graded(cell_type="code", **meta):
    cell = (nbformat.v4.new_markdown_cell if cell_type == "markdown" else nbformat.v4.new_code_cell)("x = 1")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "grade_id": "a", "points": 1,
                                 "schema_version": 3, **meta}
    return cell


def without(key, **meta):
    cell = graded(**meta)
    del cell.metadata.nbgrader[key]
    return cell


#: name -> the cells of a notebook; each is validated by both steps.
CASES = {
    "the course's source notebook": SOURCE.cells,
    "valid": [graded(), nbformat.v4.new_code_cell("y = 2")],
    "points of the wrong type": [graded(points="one")],
    "an unknown key": [graded(colour="red")],
    "no grade_id": [without("grade_id")],
    "an empty grade_id": [graded(grade_id="")],
    "no points": [without("points")],
    "no schema version": [without("schema_version")],
    "an old schema version": [graded(schema_version=1)],
    "a newer schema version": [graded(schema_version=4)],
    "a markdown grade cell that is no solution": [graded("markdown")],
    "a duplicate grade id": [graded(), graded()],
    "a task cell of code": [graded(task=True)],
    "no locked flag": [without("locked")],
}


def outcome(step, cells):
    nb = nbformat.v4.new_notebook(cells=copy.deepcopy(cells))
    try:
        step(log=logging.getLogger("test")).preprocess(nb, {})
    except Exception as error:  # noqa: BLE001 -- the outcome compared is which error, with which message
        return type(error), str(error), getattr(error, "__context__", None) and str(error.__context__)
    return None


@pytest.mark.parametrize("case", CASES)
def test_the_same_notebooks_pass_and_fail_with_the_same_error(case):
    assert outcome(CheckCellMetadataOnce, CASES[case]) == outcome(CheckCellMetadata, CASES[case])


def test_the_cases_cover_passing_and_every_kind_of_failure():
    kinds = {case: outcome(CheckCellMetadata, cells) for case, cells in CASES.items()}
    assert kinds["valid"] is None and kinds["the course's source notebook"] is None
    assert {kind[0].__name__ for kind in kinds.values() if kind} == {"ValidationError", "SchemaTooOldError",
                                                                     "SchemaTooNewError"}


def test_the_schema_is_checked_once_then_each_cell_with_the_same_validator(monkeypatch):
    import jsonschema

    checked = []
    real = jsonschema.validators.Draft4Validator.check_schema
    monkeypatch.setattr(jsonschema.validators.Draft4Validator, "check_schema",
                        classmethod(lambda cls, schema, **kw: checked.append(1) or real(schema, **kw)))
    monkeypatch.setattr("autograder.nbgrader.metadata._validators", {})
    for _ in range(3):
        MetadataValidatorOnce().validate_nb(SOURCE)
    assert len(checked) == 1
