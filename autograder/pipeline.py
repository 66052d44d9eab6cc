"""The one grading pipeline every front end calls: what the intake read, the options in, the graded result out.

    intake (autograder/intake.py) ─> screening ─> subject (sandboxed worker | this process) ─> remembered probes
        ─> load notes ─> checks

``pytest autograder``, ``autograder grade`` (and its Dask tasks), nbgrader's autograde step and Gradescope's
``run_autograder`` differ only in where notebooks come from and where results go; what happens in between is
:func:`grade`, fed by :func:`autograder.intake.take`.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

from .intake import Notebook, Unreadable
from .judgement import failed, notebook_notes, run_check, with_load_notes
from .options import Options
from .results import CheckResult
from .screening import review_note
from .subject.executing import OUTPUTS_PROBE
from .subject.remembering import remembering

#: The probes of a notebook of no unit (nbgrader's own test notebooks): none, only its cells run.
NO_UNIT = types.SimpleNamespace(probes_module="")


@dataclass
class Graded:
    """One notebook graded: a result per check, the notes for the top of the feedback, whether it was held for
    review; for nbgrader's run also the cells' outputs (``ran``) and why the notebook stopped with the cell it was
    in (``stopped``, None when it ran to its end)."""

    results: list[CheckResult]
    notes: list[str] = field(default_factory=list)
    held: bool = False
    ran: dict = field(default_factory=dict)
    stopped: tuple | None = None
    #: When (``time.monotonic()``) the hidden checks began, or None when there were none: anything timed after it
    #: is the hidden checks' and is not shown (Gradescope's ``execution_time`` stops there).
    hidden_started: float | None = None

    def by_id(self) -> dict[str, CheckResult]:
        """The results by check id."""
        return {result.check_id: result for result in self.results}


def grade(taken: Notebook | Unreadable, options: Options | None = None, *, worker=None, checks=None,
          nbgrader: dict | None = None) -> Graded:
    """Grade what the intake read with its unit's ``checks`` (default: the visible ones).

    An :class:`~autograder.intake.Unreadable` submission scores 0 on every check with its reason. With a ``worker``
    (:class:`~autograder.runner.worker.Worker`) the notebook runs in its sandboxed child; without one, in this
    process (debugging, the kit's own fast tests). ``nbgrader`` (the cells to run and the assignment's files) runs
    it as nbgrader's autograde would, every cell even when it is held for review, and keeps the cells' outputs.
    Never raises for anything the notebook does.
    """
    unit = taken.unit
    checks = (unit.checks if unit is not None else []) if checks is None else checks
    if isinstance(taken, Unreadable):  # nothing of it runs; for nbgrader, every cell that would have gets the reason
        return Graded([failed(check, taken.reason) for check in checks], [taken.reason],
                      stopped=(taken.reason, None) if nbgrader is not None else None)
    note = review_note(taken.data) if checks else None
    held = Graded([failed(check, note) for check in checks], [note], held=True) if note else None
    if held and nbgrader is None:
        return held
    job = {"nbgrader": nbgrader} if nbgrader is not None else {}
    with subject_of(taken.name, taken.data, unit or NO_UNIT, options or Options(), worker, **job) as subject:
        ran = subject.probe(OUTPUTS_PROBE) if nbgrader is not None else {}
        graded = held or (judged(subject, checks) if checks else Graded([]))
        graded.ran = ran
        stopped = getattr(subject, "stopped", None)
        graded.stopped = (stopped, (getattr(subject, "cell", None) or {}).get("number")) if stopped else None
    return graded


def judged(subject, checks) -> Graded:
    """Ask the subject every check's questions (each distinct one once) and judge the answers.

    Hidden checks run last, after every visible check and note is settled, and what their run shows is
    :func:`opaque`: the student's code sees a hidden check's input, so whatever it does then (exit with a code, kill
    itself with a signal, sleep, fail with a message) could carry that input out; nothing visible is computed after
    they start, and their own feedback says only that they failed. The results keep the order of ``checks``.
    """
    subject = remembering(subject)
    notes = notebook_notes(subject, list(dict.fromkeys(check.exercise for check in checks)))
    hidden = [check for check in checks if getattr(check, "hidden", False)]
    with scratch_hypothesis():
        results = {check.id: with_load_notes(run_check(check, subject), notes)
                   for check in checks if check not in hidden}
        stopped = getattr(subject, "stopped", None)
        if stopped and stopped not in notes:
            notes.append(stopped)
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
def scratch_hypothesis():
    """Hypothesis's folder in a temporary folder while checks run (removed after): it would otherwise write
    ``.hypothesis/`` into the current folder (the course, the student's folder, Gradescope's). A folder already
    set elsewhere than the current folder (pytest's run sets one for the session) is kept."""
    from hypothesis import configuration

    previous = getattr(configuration, "__hypothesis_home_directory", None)
    if previous is not None and not Path(previous).resolve().is_relative_to(Path.cwd().resolve()):
        yield
        return
    folder = tempfile.mkdtemp(prefix="gluon-grader-hypothesis-")
    configuration.set_hypothesis_home_dir(folder)
    try:
        yield
    finally:
        configuration.set_hypothesis_home_dir(previous)
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def subject_of(name: str, notebook: bytes, unit, options: Options, worker=None, **job):
    """The notebook ``name`` (its bytes ``notebook``), loaded and ready for probes: in ``worker``'s sandbox, or in
    this process. ``job`` is passed on to the worker (``nbgrader=``: run it as nbgrader's autograde would)."""
    if worker is not None:
        with worker.subject(notebook, unit, name, **job) as remote:
            yield remote
        return
    from .subject.local import LocalSubject

    folder = tempfile.mkdtemp(prefix="gluon-grader-notebook-")
    copy = Path(folder) / name
    copy.write_bytes(notebook)
    local = LocalSubject.from_notebook(copy, unit, options)
    try:
        yield local
    finally:
        local.close()
        shutil.rmtree(folder, ignore_errors=True)
