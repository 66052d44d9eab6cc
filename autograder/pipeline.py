"""The one grading pipeline every front end calls: a notebook, its unit and the options in, the graded result out.

    screening ─> subject (sandboxed worker | this process) ─> remembered probes ─> load notes ─> checks

``pytest autograder``, ``autograder grade`` and nbgrader's autograde step differ only in where notebooks come from
and where results go; what happens in between is :func:`grade`.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .judge import failed, notebook_notes, run_check, with_load_notes
from .options import Options
from .results import CheckResult
from .screening import review_note
from .subject.remembering import remembering


@dataclass
class Graded:
    """One notebook graded: a result per check, the notes for the top of the feedback, and why it stopped."""

    results: list[CheckResult]
    notes: list[str] = field(default_factory=list)
    held: bool = False
    #: When (``time.monotonic()``) the hidden checks began, or None when there were none: anything timed after it
    #: is the hidden checks' and is not shown (Gradescope's ``execution_time`` stops there).
    hidden_started: float | None = None

    def by_id(self) -> dict[str, CheckResult]:
        """The results by check id."""
        return {result.check_id: result for result in self.results}


def grade(path: str | Path, unit, options: Options | None = None, *, worker=None, checks=None,
          notebook: bytes | None = None) -> Graded:
    """Grade the notebook at ``path`` (its bytes ``notebook`` where already read) with ``unit``'s ``checks``.

    With a ``worker`` (:class:`~autograder.runner.worker.Worker`) the notebook runs in its sandboxed child; without
    one, in this process (debugging, the kit's own fast tests). Never raises for anything the notebook does.
    """
    options = options or Options()
    checks = unit.checks if checks is None else checks
    note = review_note(path)
    if note:
        return Graded([failed(check, note) for check in checks], [note], held=True)
    if notebook is None:
        notebook = read_bytes(path)
    with subject_of(path, notebook, unit, options, worker) as subject:
        return judge(subject, checks)


def judge(subject, checks) -> Graded:
    """Ask the subject every check's questions (each distinct one once) and judge the answers.

    Hidden checks run last, after every visible check and note is settled, and what their run shows is
    :func:`opaque`: the student's code sees a hidden check's input, so whatever it does then (exit with a code, kill
    itself with a signal, sleep, fail with a message) could carry that input out; nothing visible is computed after
    they start, and their own feedback says only that they failed. The results keep the order of ``checks``.
    """
    subject = remembering(subject)
    notes = notebook_notes(subject, list(dict.fromkeys(check.exercise for check in checks)))
    results = {check.id: with_load_notes(run_check(check, subject), notes)
               for check in checks if not getattr(check, "hidden", False)}
    stopped = getattr(subject, "stopped", None)
    if stopped and stopped not in notes:
        notes.append(stopped)
    hidden = [check for check in checks if getattr(check, "hidden", False)]
    started = time.monotonic() if hidden else None
    for check in hidden:
        results[check.id] = opaque(run_check(check, subject))
    return Graded([results[check.id] for check in checks], notes, hidden_started=started)


#: What a failed hidden check says, whatever went wrong: its input, what the student's code did with it, and how
#: the notebook's process ended while it ran are the hidden check's own.
HIDDEN_FAILED = ("This hidden test did not pass: it tries your `{exercise}` on cases you were not shown, and what "
                 "it found stays hidden too. The visible tests' feedback and the exercise's text say what is "
                 "expected.")


def opaque(result: CheckResult) -> CheckResult:
    """A hidden check's result with nothing of its run in it: its points, and a fixed sentence when it failed."""
    if not result.passed:
        result.feedback = HIDDEN_FAILED.format(exercise=result.exercise)
    return result


@contextlib.contextmanager
def subject_of(path, notebook: bytes, unit, options: Options, worker=None, **job):
    """The notebook, loaded and ready for probes: in ``worker``'s sandbox, or in this process.

    ``job`` is passed on to the worker (``nbgrader=``: run it as nbgrader's autograde would).
    """
    if worker is not None:
        with worker.subject(notebook, unit, Path(path).name, **job) as remote:
            yield remote
        return
    from .subject.local import LocalSubject

    folder = tempfile.mkdtemp(prefix="gluon-grader-notebook-")
    copy = Path(folder) / Path(path).name
    copy.write_bytes(notebook)
    local = LocalSubject.from_notebook(copy, unit, options)
    try:
        yield local
    finally:
        local.close()
        shutil.rmtree(folder, ignore_errors=True)


def read_bytes(path) -> bytes:
    """The notebook's bytes; an unreadable file is graded as an empty one (the checks then say why)."""
    try:
        return Path(path).read_bytes()
    except OSError:
        return b""
