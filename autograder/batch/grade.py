"""Grade a class: resume where a previous run stopped, grade the rest in parallel, write every result at once.

A student is done when ``OUT/<student>/results.json`` exists for the same notebook (same SHA-256); a rerun
grades only the others (all of them with ``force``). Each result is written atomically by the main process as
soon as its judge returns it, so an interrupted batch loses at most the submissions being graded right then.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from ..options import Options
from ..reporting.batch import read_student, write_outputs, write_student
from ..results import SubmissionResult
from ..runner.sandbox import Isolation, detect
from .judging import all_failed, grade_submission, start_judge
from .submissions import Submission, discover


@dataclass
class BatchOptions:
    """How to grade a class: the unit, output folder, parallel jobs, the run's options, whether to regrade."""

    out: Path
    unit: object
    jobs: int = os.cpu_count() or 1
    options: Options = field(default_factory=Options)
    force: bool = False
    quiet: bool = False


@dataclass
class BatchSummary:
    """What a batch did: every submission's result, how many were graded now, and which the grader failed."""

    results: list[SubmissionResult]
    graded_now: int
    isolation: Isolation
    seconds: float

    @property
    def failed(self) -> list[SubmissionResult]:
        """Submissions the grader itself could not grade."""
        return [result for result in self.results if result.status != "graded"]


def grade_class(submissions: str | Path, options: BatchOptions) -> BatchSummary:
    """Grade every submission under ``submissions`` into ``options.out``; write the class files at the end."""
    started = time.monotonic()
    isolation = detect()
    everyone = discover(submissions, options.unit.name)
    todo = everyone if options.force else [s for s in everyone if not already_graded(options.out, s)]
    graded_now = run_all(todo, options)
    results = [read_student(options.out, s.student) or missing(s, options.unit, isolation) for s in everyone]
    write_outputs(options.out, results)
    return BatchSummary(results, graded_now, isolation, time.monotonic() - started)


def already_graded(out: Path, submission: Submission) -> bool:
    """Whether a result exists for this very notebook."""
    previous = read_student(out, submission.student)
    return previous is not None and previous.status == "graded" and previous.sha256 == submission.digest()


def run_all(todo: list[Submission], options: BatchOptions) -> int:
    """Grade ``todo`` with ``options.jobs`` judge processes, writing each result as it comes; return how many."""
    if not todo:
        return 0
    context = multiprocessing.get_context("spawn")
    slots = context.Queue()
    jobs = max(1, min(options.jobs, len(todo)))
    for slot in range(jobs):
        slots.put(slot)
    done = 0
    with progress_bar(len(todo), options.quiet) as bar, ProcessPoolExecutor(
            jobs, mp_context=context, initializer=start_judge,
            initargs=(slots, options.options)) as pool:
        futures = {pool.submit(grade_submission, submission, options.unit): submission for submission in todo}
        try:
            for future in as_completed(futures):
                write_student(options.out, outcome(future, futures[future], options.unit))
                done += 1
                bar.update(1)
        except BaseException:
            stop_pool(pool)
            raise
    return done


def outcome(future, submission: Submission, unit) -> SubmissionResult:
    """The judge's result, or an ``error`` result saying how the grader failed."""
    try:
        return SubmissionResult.from_dict(future.result())
    except Exception as error:  # noqa: BLE001  (a broken judge must not lose the rest of the class)
        reason = f"the grader failed on this submission ({type(error).__name__}: {error})"
        return SubmissionResult(submission.student, submission.where, all_failed(unit, f"Not graded: {reason}."),
                                [reason], "error", "", 0.0, submission.digest())


def missing(submission: Submission, unit, isolation: Isolation) -> SubmissionResult:
    """A row for a submission that has no readable result (the batch was interrupted before it)."""
    reason = "not graded yet: the batch stopped before this submission; run the same command again"
    return SubmissionResult(submission.student, submission.where, all_failed(unit, reason), [reason], "error",
                            isolation.describe(), 0.0, submission.digest())


def stop_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and kill the judges (their sandboxes die with them)."""
    pool.shutdown(wait=False, cancel_futures=True)
    for process in list((pool._processes or {}).values()):
        process.kill()


def progress_bar(total: int, quiet: bool):
    """A tqdm bar of graded/total with rate and time left, on stderr; a silent one with ``quiet``."""
    from tqdm import tqdm

    return tqdm(total=total, unit="notebook", desc="grading", disable=quiet, smoothing=0.1)
