"""Helpers for the kit's tests: the reference notebook, copies of it with one answer changed, and grading them.

A typical test::

    nb = with_answer(reference_notebook(), "count_parameters", "def count_parameters(net):\\n    return 0\\n")
    results = grade_notebook(write_notebook(nb, tmp_path))
    assert not results["count_parameters.explicit_net"].passed
"""
from __future__ import annotations

import copy
from pathlib import Path
from textwrap import dedent

import nbformat
import pytest

from autograder import units

ROOT = Path(__file__).resolve().parents[1]
PLUMBING = units.unit("plumbing")


def source_path(unit_name: str = "plumbing") -> Path:
    """The instructor's notebook of a unit: ``solutions/<unit>/<unit>.ipynb``."""
    return ROOT / "solutions" / unit_name / f"{unit_name}.ipynb"


def release_path(unit_name: str = "plumbing") -> Path:
    """The student's notebook of a unit, as nbgrader releases it: ``assignments/<unit>/<unit>.ipynb``."""
    return ROOT / "assignments" / unit_name / f"{unit_name}.ipynb"


REFERENCE = source_path("plumbing")
RELEASE = release_path("plumbing")


def reference_notebook(unit_name: str = "plumbing") -> nbformat.NotebookNode:
    """The instructor's notebook of a unit (default ``solutions/plumbing/plumbing.ipynb``), read afresh as
    nbformat 4."""
    return nbformat.read(source_path(unit_name), as_version=4)


def grade_id_of(cell) -> str | None:
    """The nbgrader ``grade_id`` of a cell, or None for a cell without nbgrader metadata."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def with_answer(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of ``nb`` whose solution cell ``grade_id`` has ``source`` as its whole source.

    ``nb`` itself is left unchanged, so answers can be swapped in one after the other
    (``with_answer(with_answer(nb, a, ...), b, ...)``). Raises KeyError when no solution cell has that id.
    """
    changed = copy.deepcopy(nb)
    for cell in changed.cells:
        if cell.cell_type == "code" and grade_id_of(cell) == grade_id and cell.metadata["nbgrader"].get("solution"):
            cell.source = source
            return changed
    known = [grade_id_of(cell) for cell in nb.cells if cell.get("metadata", {}).get("nbgrader", {}).get("solution")]
    raise KeyError(f"no solution cell {grade_id!r}; solution cells: {', '.join(map(str, known))}")


def write_notebook(nb: nbformat.NotebookNode, folder, name: str = "submission.ipynb") -> Path:
    """Write ``nb`` as ``folder/name`` (creating ``folder`` if needed) and return that path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    nbformat.write(nb, path)
    return path


def graded_in_process(path, unit=None):
    """Load the notebook at ``path`` in this process and judge it as every front end does (the pipeline's
    :func:`~autograder.pipeline.judged`: notes at the top, every visible check of ``unit``, a Unit or its name,
    default plumbing);
    return ``(Graded, load_report)``. The subject is always closed, so its scratch folder does not outlive the call.
    """
    from autograder.pipeline import judged
    from autograder.subject.local import LocalSubject

    unit = units.unit(unit) if isinstance(unit, str) else unit or PLUMBING
    subject = LocalSubject.from_notebook(path, unit)
    try:
        graded = judged(subject, unit.checks)
        FEEDBACK_SEEN.extend([*graded.notes, *(result.feedback for result in graded.results)])
        return graded, subject.report
    finally:
        subject.close()


def grade_with_report(path, unit=None):
    """``({check_id: CheckResult}, LoadReport)`` of the notebook at ``path``."""
    graded, report = graded_in_process(path, unit)
    return graded.by_id(), report


def grade_with_notes(path, unit=None) -> tuple[dict, list[str]]:
    """``({check_id: CheckResult}, notes for the top)``: exactly what a student reads."""
    graded, _ = graded_in_process(path, unit)
    return graded.by_id(), graded.notes


#: Every feedback and note the helpers above produced in this test session, for the suite-wide guard
#: (tests/conftest.py: no feedback may say "could not check", name a sandbox path or show a traceback).
FEEDBACK_SEEN: list[str] = []

#: What no student may read: the grader's own trouble, its sandbox's folders, a raw traceback.
FORBIDDEN_IN_FEEDBACK = ("could not check", "Traceback", "/box", "/kit", "gluon-grader-", "/data/mnist")


def forbidden_in(text: str) -> list[str]:
    """The forbidden marks :data:`FORBIDDEN_IN_FEEDBACK` that ``text`` contains."""
    return [mark for mark in FORBIDDEN_IN_FEEDBACK if mark in text]


def grade_notebook(path, unit=None) -> dict:
    """Grade the notebook at ``path`` with every visible check of ``unit`` (default: plumbing):
    ``{check_id: CheckResult}``, in course order."""
    return grade_with_report(path, unit)[0]


def ids(exercise: str, *names: str) -> set:
    """Full check ids of ``exercise``, for the mutant tables: ``ids("MLP", "forward")`` is ``{"MLP.forward"}``."""
    return {f"{exercise}.{name}" for name in names}


def every_check(unit_name: str, exercise: str) -> set:
    """Every check id of ``exercise`` in ``unit_name``: what an answer that does not do the exercise loses."""
    return {check.id for check in units.unit(unit_name).checks if check.exercise == exercise}


# --- the mutant tables' one harness (tests/test_mutants.py, test_custom_layers.py, test_hybridize_serialize.py) ---

def mutant(case_id: str, where: str, source: str, failing, phrase: str, *marks):
    """One wrong answer of a mutant table: the solution cell ``where`` (a grade id, or an exercise's name where the
    table says so) becomes ``source``; the checks ``failing`` must fail, one feedback of theirs saying ``phrase``."""
    return pytest.param(where, dedent(source).lstrip(), frozenset(failing), phrase, id=case_id, marks=marks)


def describe(results: dict, check_ids) -> str:
    """The feedback of some checks, for assertion messages."""
    return "\n".join(f"--- {cid}: {results[cid].score}/{results[cid].max_score}\n{results[cid].feedback}"
                     for cid in sorted(check_ids))


def assert_sound_mutants(cases: list, unit_name: str, minimum: int = 15) -> None:
    """A mutant table can fail: enough cases, distinct ids, each failing a non-empty set of one exercise's checks,
    with a phrase to find and code that compiles."""
    exercise_of = {check.id: check.exercise for check in units.unit(unit_name).checks}
    assert len(cases) >= minimum
    assert len({param.id for param in cases}) == len(cases)
    for param in cases:
        _, source, failing, phrase = param.values
        assert failing and failing <= set(exercise_of), (param.id, failing - set(exercise_of))
        assert len({exercise_of[cid] for cid in failing}) == 1, param.id
        assert phrase.strip() and source.strip(), param.id
        compile(source, param.id, "exec")


def assert_fails_exactly(results: dict, failing: set, phrase: str, among=None) -> None:
    """The checks ``failing`` failed (0 points, feedback that checked something) and every other check of
    ``among`` (default: all) passed with full points and no feedback; one failing feedback says ``phrase``."""
    mine = {cid: result for cid, result in results.items() if among is None or cid in among}
    failed = {cid for cid, result in mine.items() if not result.passed}
    assert failed == failing, (f"\nunexpectedly failed: {sorted(failed - failing)}\nunexpectedly passed: "
                               f"{sorted(failing - failed)}\n" + describe(results, failed ^ failing))
    for cid, result in mine.items():
        if cid in failing:
            assert (result.status, result.score) == ("failed", 0) and result.feedback, cid
            assert "could not check" not in result.feedback, describe(results, [cid])
        else:
            assert (result.status, result.score, result.feedback) == ("passed", result.max_score, ""), cid
    assert any(phrase.casefold() in results[cid].feedback.casefold() for cid in failing), (
        f"\nno feedback of a failing check says {phrase!r}:\n" + describe(results, failing))
