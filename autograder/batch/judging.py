"""What each judge process does: grade one submission at a time through its own warm, sandboxed worker."""
from __future__ import annotations

import time

from ..checks import REGISTRY
from ..judge import failed, grade, load_notes, with_load_notes
from ..results import LOST, CheckResult, SubmissionResult
from ..runner.sandbox import Limits
from ..runner.worker import MAX_NOTEBOOK_BYTES, SandboxLost, Worker, WorkerError
from ..screening import review_note
from .submissions import Submission

_worker: Worker | None = None


def start_judge(slots, limits: Limits, mnist_dir: str | None, cell_timeout: float) -> None:
    """Process initializer: take a worker slot (it decides the student uid) and make the worker."""
    global _worker
    _worker = Worker(slots.get(), limits=limits, mnist_dir=mnist_dir, cell_timeout=cell_timeout)


def grade_submission(submission: Submission) -> dict:
    """Grade one submission; the :class:`SubmissionResult` as plain data. Never raises for the student's doing."""
    started = time.monotonic()
    digest = submission.digest()
    try:
        notebook = read_notebook(submission)
        screen(submission)
        results, notes = run_checks(notebook, submission)
        status = "graded"
    except NotGradable as reason:
        results, notes, status = all_failed(str(reason)), [str(reason)], "graded"
    except SandboxLost as error:  # never the student's grade: the batch grades it again (batch/grade.py)
        results, notes, status = all_failed(f"Not graded: {error}."), [str(error)], LOST
    except WorkerError as error:
        results, notes, status = all_failed(f"The grader itself failed: {error}."), [str(error)], "error"
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


def screen(submission: Submission) -> None:
    """:class:`NotGradable` (held for review) when the notebook's code reaches into the grader."""
    note = review_note(submission.path)
    if note:
        raise NotGradable(note)


def run_checks(notebook: bytes, submission: Submission) -> tuple[list[CheckResult], list[str]]:
    """Every check against the notebook, run in the sandbox; the notes say what went wrong while it ran."""
    with _worker.subject(notebook, submission.path.name) as subject:
        notes = load_notes(subject)
        results = [with_load_notes(result, notes) for result in grade(subject)]
    if subject.stopped and subject.stopped not in notes:
        notes.append(subject.stopped)
    return results, notes


def all_failed(reason: str) -> list[CheckResult]:
    """Every check at 0 with the same reason, so the row still has every column."""
    return [failed(check, reason) for check in REGISTRY if not check.hidden]
