"""Loading a notebook skips nbgrader's autograded test cells but keeps numbering every code cell."""
import json
from pathlib import Path

from autograder.subject.notebook import load_notebook, read_code_cells

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "assignments" / "plumbing" / "plumbing.ipynb"


def code_cell(source, **nbgrader):
    metadata = {"nbgrader": {"schema_version": 3, "locked": False, "solution": False, "grade": False, **nbgrader}}
    return {"cell_type": "code", "metadata": metadata, "outputs": [], "execution_count": None, "source": source}


def write(tmp_path, cells):
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    return path


def test_test_cells_are_skipped_and_numbers_count_all_code_cells(tmp_path):
    path = write(tmp_path, [
        {"cell_type": "markdown", "metadata": {}, "source": "# title"},
        code_cell("x = 1"),
        code_cell("assert False, 'autograded test'", grade=True, grade_id="test_x", points=1, locked=True),
        code_cell("y = x + 1", solution=True, grade_id="answer"),
        code_cell("z = 1 / 0"),
        {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": "w = 3"},
    ])
    assert [(c.number, c.source) for c in read_code_cells(path)] == [
        (1, "x = 1"), (3, "y = x + 1"), (4, "z = 1 / 0"), (5, "w = 3")]
    namespace, report = load_notebook(path)
    assert namespace["y"] == 2 and namespace["w"] == 3
    # The failing test cell is not run; the broken cell keeps its number.
    assert [p.cell for p in report.problems] == [4]


def test_graded_solution_cells_still_run(tmp_path):
    path = write(tmp_path, [code_cell("v = 5", grade=True, solution=True, grade_id="manual", points=2)])
    assert [c.source for c in read_code_cells(path)] == ["v = 5"]


def test_released_notebook_test_cells_are_not_load_problems():
    _, report = load_notebook(RELEASE)
    assert not [p for p in report.problems if "autograder.nbgrader_cells" in p.first_line], report.problems
