"""What each judge process does: grade one submission at a time through its own warm, sandboxed worker."""
from __future__ import annotations

import time
from dataclasses import dataclass

from ..intake import Notebook, Unreadable
from ..judgement import failed
from ..options import Options
from ..pipeline import grade
from ..results import LOST, CheckResult, SubmissionResult
from ..runner.worker import SandboxLost, Worker, WorkerError
from .submissions import Submission, read_submission

_worker: Worker | None = None
_options: Options | None = None


def start_worker(slot: int | None, options: Options) -> Worker:
    """Make this process's worker in ``slot`` (it decides the student uid; None: the worker claims a free one from
    the host's allocator when it starts); return it."""
    global _worker, _options
    _worker, _options = Worker(slot, options=options), options
    return _worker


def stop_worker() -> None:
    """Close this process's worker (its zygote and sandbox), if it has one."""
    global _worker
    if _worker is not None:
        _worker.close()
        _worker = None


def grade_submission(submission: Submission, unit, taken: Notebook | Unreadable | None = None) -> dict:
    """Grade one submission of ``unit`` (None: of the unit its notebook says); the :class:`SubmissionResult` as
    plain data. Never raises for the student's doing.

    ``taken`` is the submission as the intake read it where it was found, when that was another machine (the client
    of a Dask cluster reads it and ships it); else it is read here.
    """
    started = time.monotonic()
    taken = taken if taken is not None else read_submission(submission, unit)
    graded_for = unit if unit is not None else taken.unit  # the batch's unit (with its hidden checks: --hidden)
    try:
        graded = grade(taken, _options, worker=_worker, checks=graded_for.checks if graded_for is not None else None)
        results, notes, status = graded.results, graded.notes, "graded"
    except SandboxLost as error:  # never the student's grade: the batch grades it again (batch/scheduler.py)
        results, notes, status = all_failed(graded_for, f"Not graded: {error}."), [str(error)], LOST
    except WorkerError as error:
        results, notes, status = all_failed(graded_for, f"The grader itself failed: {error}."), [str(error)], "error"
    return SubmissionResult(submission.student, submission.where, results, notes, status,
                            _worker.isolation.describe(), round(time.monotonic() - started, 3), taken.sha256).to_dict()


def all_failed(unit, reason: str) -> list[CheckResult]:
    """Every check of ``unit`` at 0 with the same reason, so the row still has every column (none without a unit)."""
    return [failed(check, reason) for check in unit.checks] if unit is not None else []


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
