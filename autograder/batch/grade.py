"""Grade a class: resume where a previous run stopped, grade the rest in parallel, write every result at once.

A student is done when ``OUT/<student>/results.json`` exists for the same notebook (same SHA-256) and says
``graded``; a rerun grades only the others (all of them with ``force``). Each result is written atomically by
the main process as soon as its judge returns it (:mod:`.scheduler`), so an interrupted batch loses at most the
submissions being graded right then.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..reporting.batch import read_student, write_outputs
from ..reporting.files import write_text
from ..results import SubmissionResult
from ..runner.judges import FAULT_BOUND
from ..runner.sandbox import Isolation, detect
from ..similarity import class_similarity
from .errors import OutputLocked, OutputUnwritable
from .scheduler import BatchOptions, Scheduler, missing
from .submissions import Submission, discover

#: The file written (then removed) in OUT before grading, to learn at once whether OUT can be written.
PROBE_FILE = ".gluon-grader-write-check"
#: The lock file of the run grading into OUT (``flock``ed while it runs; says which run it is).
LOCK_FILE = ".gluon-grader.lock"


@dataclass
class BatchSummary:
    """What a batch did: every submission's result, how many were graded now, and which the grader failed."""

    results: list[SubmissionResult]
    graded_now: int
    isolation: Isolation
    seconds: float
    regraded: dict[str, list[str]] = field(default_factory=dict)

    @property
    def failed(self) -> list[SubmissionResult]:
        """Submissions the grader itself could not grade (not graded yet: the batch is incomplete)."""
        return [result for result in self.results if not result.is_grade]

    def fault_lines(self) -> list[str]:
        """What staff should know about the grader's own faults in this run (nothing when there were none)."""
        if not self.regraded:
            return []
        return [f"grader faults (the submission was graded again after each, up to {FAULT_BOUND}): " + ", ".join(
            f"{student} ({'; '.join(faults)})" for student, faults in sorted(self.regraded.items()))]


def grade_class(submissions: str | Path, options: BatchOptions) -> BatchSummary:
    """Grade every submission under ``submissions`` into ``options.out``; write the class files at the end."""
    started = time.monotonic()
    isolation = detect()
    everyone = discover(submissions, options.unit.name if options.unit is not None else None)
    check_writable(options.out)
    with output_lock(options.out):
        todo = everyone if options.force else [s for s in everyone if not already_graded(options.out, s)]
        scheduler = run_all(todo, options, isolation)
        results = [read_student(options.out, s.student) or missing(s, isolation, options.unit) for s in everyone]
        # Judge side: nothing runs. A class of several units' notebooks has no one release to compare against.
        similar = class_similarity(everyone, options.unit) if options.similarity and options.unit else None
        try:
            write_outputs(options.out, results, options.unit, similar)
        except OSError as error:
            raise OutputUnwritable(options.out, error) from None
    return BatchSummary(results, scheduler.done, isolation, time.monotonic() - started, scheduler.regraded)


@contextlib.contextmanager
def output_lock(out: Path):
    """Hold ``OUT/.gluon-grader.lock`` while grading into ``out``, and remove it at the end; :class:`OutputLocked`,
    naming the other run (pid, host, start time, command), when another run holds it. The kernel lets the lock go
    however a run ends (a file left by a killed run is simply taken over)."""
    path = Path(out) / LOCK_FILE
    while True:
        descriptor = os.open(path, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(descriptor, 4096, 0).decode("utf-8", "replace").strip()
            os.close(descriptor)
            raise OutputLocked(Path(out), holder) from None
        try:  # the run before may have removed the file between our open and our lock: lock the one at the path
            same = os.stat(path).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(descriptor)
    try:
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, (f"pid {os.getpid()} on {socket.gethostname()}, started "
                               f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}: {' '.join(sys.argv)[:300]}\n").encode(), 0)
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # while still locked: a run waiting on this file retries on the path
        os.close(descriptor)


def already_graded(out: Path, submission: Submission) -> bool:
    """Whether a result exists for this very notebook."""
    previous = read_student(out, submission.student)
    return previous is not None and previous.is_grade and previous.sha256 == submission.digest()


def run_all(todo: list[Submission], options: BatchOptions, isolation: Isolation | None = None) -> Scheduler:
    """Grade ``todo`` with ``options.jobs`` judge processes (or on the Dask cluster ``options.cluster``), writing
    each result as it comes; return what happened.

    Raises :class:`OutputUnwritable` (after stopping the judges) when a result cannot be written.
    """
    if options.cluster is None:
        kind = Scheduler
    else:
        from .cluster import ClusterScheduler  # dask is imported only by runs that use it (~1 s)

        kind = ClusterScheduler
    scheduler = kind(todo, options, isolation or detect())
    if todo:
        with progress_bar(len(todo), options.quiet) as bar:
            scheduler.run(bar)
    return scheduler


def check_writable(out: Path) -> None:
    """:class:`OutputUnwritable` unless a file can be written (and renamed) in ``out``, before grading anything."""
    probe = Path(out) / PROBE_FILE
    try:
        write_text(probe, "gluon-grader: checking the output folder can be written\n")
        probe.unlink()
    except OSError as error:
        raise OutputUnwritable(out, error) from None


def progress_bar(total: int, quiet: bool):
    """A tqdm bar of graded/total with rate and time left, on stderr; a silent one with ``quiet``, or where tqdm is
    not installed (it comes with the course's extra, not with the student kit's wheel)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return NoBar()
    return tqdm(total=total, unit="notebook", desc="grading", disable=quiet, smoothing=0.1)


class NoBar:
    """What the scheduler updates when there is no progress bar."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, count: int = 1) -> None:
        return None
