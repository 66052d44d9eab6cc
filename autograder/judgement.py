"""Judgement: run checks against a subject and turn every outcome, including grader trouble, into a CheckResult.

(The *judge process* is the process this runs in, outside the student's: :mod:`autograder.runner.judges`.)
"""
from __future__ import annotations

import time

from .checks import Check, CheckFailed, Unanswered
from .contract import Status
from .results import CheckResult


def run_check(check: Check, subject) -> CheckResult:
    """Run one check; it passes with full points or fails with 0 and feedback. Never raises for a submission.

    The result says how long the check took (junit.xml's per-case time)."""
    started = time.monotonic()
    result = _run(check, subject)
    result.seconds = round(time.monotonic() - started, 3)
    return result


def _run(check: Check, subject) -> CheckResult:
    try:
        check.run(subject)
    except (CheckFailed, Unanswered) as failure:
        return failed(check, failure.feedback)
    except KeyboardInterrupt:
        raise
    except Exception as error:  # noqa: BLE001  (an unforeseen reply: 0 and a clear reason)
        return failed(check, f"The grader could not check this ({type(error).__name__}: {error}). "
                             "Ask your teaching assistant to look at it.")
    return CheckResult(check.id, check.exercise, check.title, check.points, check.points, "passed", "")


def failed(check: Check, feedback: str) -> CheckResult:
    """``check`` failed: 0 points, and ``feedback`` says why."""
    return CheckResult(check.id, check.exercise, check.title, 0.0, check.points, "failed", feedback)


def cell_notes(reply: dict) -> list[str]:
    """The lines of a ``load_report`` reply: one per cell that failed, or why the notebook could not be read."""
    from .subject.notebook import LoadReport

    if reply.get("status") != Status.OK:
        return [reply.get("reason", "the notebook could not be read")]
    try:
        return [problem.describe() for problem in LoadReport.from_plain(reply["report"]).problems]
    except (KeyError, TypeError, ValueError, AttributeError):  # a reply forged or mangled by student code
        return ["the notebook's process sent a load report the grader cannot read"]


def notebook_notes(subject, exercises: list[str]) -> list[str]:
    """Every note for the top of the feedback: the cells that failed (:func:`cell_notes`), then the ``exercises``
    the notebook does not define (said once here, so each of their checks can say it briefly) and the array mode
    the checks ran in; one ``load_report`` question answers all of it."""
    reply = subject.probe("load_report", names=exercises)
    notes = cell_notes(reply)
    if reply.get("status") != Status.OK:
        return notes
    undefined = [name for name in reply.get("undefined") or [] if isinstance(name, str)]
    if undefined:
        notes.append(f"{UNDEFINED_NOTE} {', '.join(f'`{name}`' for name in undefined)}: define each in its exercise "
                     "cell, spelled exactly so, and check that the cell runs without an error")
    if reply.get("numpy_mode") is True:
        notes.append("your notebook turns on MXNet's NumPy mode (npx.set_np()); the exercises are written for the "
                     "classic mode (mx.nd), so every check ran your code in classic mode, and once more in NumPy "
                     "mode where your code failed in classic mode")
    return notes


#: How the note that lists the exercises a notebook does not define begins.
UNDEFINED_NOTE = "your notebook does not define"


def with_load_notes(result: CheckResult, notes: list[str]) -> CheckResult:
    """Point a "not defined" failure at the cells that failed to run, the usual reason a name is missing."""
    if any(note.startswith(UNDEFINED_NOTE) for note in notes) and "is not defined in your notebook" in result.feedback:
        # The note at the top already lists every undefined name and the cells that failed: one line here.
        result.feedback = result.feedback.split("\n", 1)[0].rstrip(".") + " (see the notes at the top)."
    elif notes and "is not defined in your notebook" in result.feedback:
        result.feedback += "\nThese cells did not run to the end:\n" + "\n".join(f"  - {note}" for note in notes)
    return result
