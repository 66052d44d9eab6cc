"""Helpers for the kit's tests: the reference notebook, copies of it with one answer changed, and grading them.

A typical test::

    nb = with_answer(reference_notebook(), "count_parameters", "def count_parameters(net):\\n    return 0\\n")
    results = grade_notebook(write_notebook(nb, tmp_path))
    assert not results["count_parameters.explicit_net"].passed
"""
from __future__ import annotations

import copy
from pathlib import Path

import nbformat

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
