"""What each judge process does: grade one submission at a time through its own warm, sandboxed worker."""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..judge import failed
from ..options import Options
from ..pipeline import grade
from ..results import LOST, CheckResult, SubmissionResult
from ..runner.worker import MAX_NOTEBOOK_BYTES, SandboxLost, Worker, WorkerError
from .submissions import Submission

_worker: Worker | None = None
_options: Options | None = None


def start_judge(slot: int, options: Options) -> Worker:
    """Make this process's worker in ``slot`` (it decides the student uid); return it."""
    global _worker, _options
    _worker, _options = Worker(slot, options=options), options
    return _worker


def stop_judge() -> None:
    """Close this process's worker (its zygote and sandbox), if it has one."""
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def grade_submission(submission: Submission, unit, unreadable: str | None = None) -> dict:
    """Grade one submission of ``unit``; the :class:`SubmissionResult` as plain data. Never raises for the student's
    doing.

    ``unreadable`` is why the notebook could not be read where it was found, when that was another machine (the
    client of a Dask cluster reads it and ships its bytes): graded here as :func:`read_notebook` would have.
    """
    started = time.monotonic()
    digest = submission.digest()
    try:
        if unreadable is not None:
            raise NotGradable(unreadable)
        notebook = read_notebook(submission)
        graded = grade(submission.path, unit, _options, worker=_worker, notebook=notebook)
        results, notes, status = graded.results, graded.notes, "graded"
    except NotGradable as reason:
        results, notes, status = all_failed(unit, str(reason)), [str(reason)], "graded"
    except SandboxLost as error:  # never the student's grade: the batch grades it again (batch/grade.py)
        results, notes, status = all_failed(unit, f"Not graded: {error}."), [str(error)], LOST
    except WorkerError as error:
        results, notes, status = all_failed(unit, f"The grader itself failed: {error}."), [str(error)], "error"
    return SubmissionResult(submission.student, submission.where, results, notes, status,
                            _worker.isolation.describe(), round(time.monotonic() - started, 3), digest).to_dict()


class NotGradable(Exception):
    """The submission cannot be run at all (no notebook, unreadable, too large); the message says why."""


def read_notebook(submission: Submission) -> bytes:
    """The notebook's bytes, or :class:`NotGradable` saying what is wrong with the file."""
    if submission.path is None:
        raise NotGradable(f"no notebook was found in {submission.where}")
    try:
        size = submission.path.stat().st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise NotGradable(f"{submission.where} is {size // 2**20} MB, larger than the "
                              f"{MAX_NOTEBOOK_BYTES // 2**20} MB a notebook may be")
        return submission.path.read_bytes()
    except OSError as error:
        raise NotGradable(f"{submission.where} could not be read ({error.strerror})") from None


def all_failed(unit, reason: str) -> list[CheckResult]:
    """Every check of ``unit`` at 0 with the same reason, so the row still has every column."""
    return [failed(check, reason) for check in unit.checks]


class HiddenChecksMissing(Exception):
    """``autograder grade --hidden`` where the unit's hidden checks (``instructor/<unit>.py``) cannot be imported."""


@dataclass(frozen=True)
class WithHidden:
    """``unit`` graded with its hidden checks too (``autograder grade --hidden``): what nbgrader's autograde and the
    Gradescope autograder grade, so the totals agree. Everything else is the unit's.

    The hidden checks are imported wherever the checks are asked for (each judge process); where
    ``instructor/<unit>.py`` is not importable this says so instead of grading without them.
    """

    unit: object

    def __getattr__(self, name: str):
        if name == "unit" or name.startswith("__"):  # unpickling asks before ``unit`` is set
            raise AttributeError(name)
        return getattr(self.unit, name)

    @property
    def checks(self) -> list:
        hidden = self.unit.hidden_checks
        if not hidden:
            raise HiddenChecksMissing(
                f"--hidden: the hidden checks of unit {self.unit.name!r} (instructor/{self.unit.name}.py) cannot be "
                "imported here; run autograder grade from the course's folder (or put it on PYTHONPATH)")
        return [*self.unit.checks, *hidden]

    @property
    def points(self) -> float:
        return sum(check.points for check in self.checks)
