"""The one grading pipeline every front end calls: a notebook, its unit and the options in, the graded result out.

    screening ─> subject (sandboxed worker | this process) ─> remembered probes ─> load notes ─> checks

``pytest autograder``, ``autograder grade`` and nbgrader's autograde step differ only in where notebooks come from
and where results go; what happens in between is :func:`grade`.
"""
from __future__ import annotations

import contextlib
import shutil
import tempfile
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
    """Ask the subject every check's questions (each distinct one once) and judge the answers."""
    subject = remembering(subject)
    notes = notebook_notes(subject, list(dict.fromkeys(check.exercise for check in checks)))
    results = [with_load_notes(run_check(check, subject), notes) for check in checks]
    stopped = getattr(subject, "stopped", None)
    if stopped and stopped not in notes:
        notes.append(stopped)
    return Graded(results, notes)


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
