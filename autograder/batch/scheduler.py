"""The batch's scheduler: submissions handed one at a time to judge processes, faults of the grader kept apart from
the students' results, each result written as soon as it comes.

A judge process that dies is replaced and the submission it held is graded again, and so is one whose sandbox
(zygote) ended under it; a submission that meets such a fault :data:`~autograder.runner.judges.FAULT_BOUND` times
gets a result that says so (:meth:`Scheduler.settle`). An output folder that cannot be written (full disk,
read-only) stops the batch at once with :class:`OutputUnwritable`.
"""
from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

from ..options import DEFAULT_JOBS, Options
from ..reporting.batch import student_dir, write_student
from ..results import ERROR, GRADED, LOST, NOT_GRADED_YET, SubmissionResult
from ..runner.judges import FAULT_BOUND, IDLE_DEATHS, JudgeProcess, release_memory
from ..runner.sandbox import Isolation
from .errors import OutputUnwritable
from .judging import all_failed, grade_submission, start_worker
from .submissions import Submission


@dataclass
class BatchOptions:
    """How to grade a class: the unit, output folder, parallel jobs, the run's options, whether to regrade, and
    where: ``cluster`` None grades with ``jobs`` judge processes here; ``local:N`` or a Dask scheduler's address
    (``tcp://host:8786``, ``tls://...``) grades on Dask workers (:mod:`.cluster`)."""

    out: Path
    unit: object
    jobs: int = DEFAULT_JOBS
    options: Options = field(default_factory=Options)
    force: bool = False
    quiet: bool = False
    cluster: str | None = None
    #: Compare the class's answers (report.html's "Similar answers", similarity.csv); ``--no-similarity`` skips it.
    similarity: bool = True


#: TEST-ONLY: a judge kills itself when handed this student's submission (see :func:`kill_judge_for_tests`).
KILL_JUDGE_FOR = "GLUON_GRADER_TEST_KILL_JUDGE_FOR"


class Judge(JudgeProcess):
    """One judge process of the batch (spawned, so nothing of the batch's state is shared) and the submission it
    holds. Its student uid is claimed by the judge itself from the host's allocator (:mod:`..runner.slots`), so
    two batches (or a batch and a self-check) on one host never share one; a replacement claims a free one, and
    the claim kills whatever the dead judge's sandbox left running as it."""

    def __init__(self, context, number: int, options: BatchOptions, idle_deaths: int = 0):
        self.number = number
        super().__init__(context, f"gluon-grader-judge-{number}", judge_main, (options.options, options.unit),
                         idle_deaths)

    def give(self, submission: Submission) -> None:
        """Hand ``submission`` over."""
        super().give(submission, submission)


class Scheduler:
    """Hands submissions one at a time to judge processes, knowing which one each judge holds.

    A judge that dies is replaced in its slot and the submission it held is graded again, first in line; so is
    one whose sandbox ended under it (status ``lost``). After :data:`FAULT_BOUND` such faults a submission is put
    aside, and at the end of the batch gets a result that says so (:meth:`settle`).
    """

    def __init__(self, todo: list[Submission], options: BatchOptions, isolation: Isolation):
        self.queue, self.options, self.isolation = deque(todo), options, isolation
        self.faults: dict[Submission, list[str]] = {}
        self.exhausted: list[Submission] = []
        self.graded_cleanly = 0
        self.done = 0
        self.judges: list[Judge] = []

    def run(self, bar) -> None:
        """Grade the whole queue, then settle what could not be; the judges are stopped however it ends."""
        context = multiprocessing.get_context("spawn")
        self.judges = [Judge(context, number, self.options) for number in range(max(1, min(self.options.jobs,
                                                                                             len(self.queue))))]
        try:
            while self.queue or self.busy():
                self.hand_out()
                if not self.busy():
                    self.give_up()
                    break
                ready = wait([judge.connection for judge in self.busy()] + [j.process.sentinel for j in self.judges])
                for judge in list(self.judges):
                    if judge.connection in ready or judge.process.sentinel in ready:
                        self.collect(judge, context, bar)
        finally:
            for judge in self.judges:
                judge.stop()
        self.settle(bar)

    def busy(self) -> list[Judge]:
        """The judges holding a submission."""
        return [judge for judge in self.judges if judge.holding is not None]

    def hand_out(self) -> None:
        """A submission to every idle judge, while there are any."""
        for judge in self.judges:
            if judge.holding is None and self.queue:
                judge.give(self.queue.popleft())

    def collect(self, judge: Judge, context, bar) -> None:
        """Take the judge's answer; or, if its process ended, replace it and grade what it held again."""
        reply = judge.reply()
        if reply is not None:
            submission, judge.holding, judge.idle_deaths = judge.holding, None, 0
            self.answered(submission, reply, bar)
        elif not judge.process.is_alive():
            self.replace(judge, context)

    def answered(self, submission: Submission, reply: dict, bar) -> None:
        """Record a judge's answer, or requeue the submission when its sandbox was lost."""
        if "crashed" in reply:
            result = grader_failed(submission, f"the grader failed on this submission ({reply['crashed']})",
                                   self.isolation, self.options.unit)
        elif reply.get("status") == LOST:
            self.fault(submission, (reply.get("notes") or ["the grader's sandbox ended"])[0])
            return
        else:
            result = SubmissionResult.from_dict(reply)
            self.graded_cleanly += result.is_grade
        self.record(result, bar)

    def replace(self, judge: Judge, context) -> None:
        """A new judge in the dead one's place (unless it keeps dying idle); what it held is graded again."""
        ending = judge.ending()
        judge.stop()
        self.judges.remove(judge)
        idle_deaths = 0
        if judge.holding is not None:
            self.fault(judge.holding, f"its judge process ended ({ending})")
        else:
            idle_deaths = judge.idle_deaths + 1
        if idle_deaths < IDLE_DEATHS:
            self.judges.append(Judge(context, judge.number, self.options, idle_deaths))

    def fault(self, submission: Submission, what: str) -> None:
        """Note a grader fault met by ``submission``: grade it again next, or put it aside at the bound."""
        faults = self.faults.setdefault(submission, [])
        faults.append(what)
        if len(faults) < FAULT_BOUND:
            self.queue.appendleft(submission)
        else:
            self.exhausted.append(submission)

    def give_up(self) -> None:
        """No judge is left (each died before grading anything): what is still queued is the grader's failure."""
        while self.queue:
            submission = self.queue.popleft()
            self.record(grader_failed(submission, "the grader's judge processes kept ending before they could "
                                                  "grade anything", self.isolation, self.options.unit), None)

    def settle(self, bar) -> None:
        """Results for the submissions put aside at the bound, now that the whole batch is known.

        The notebook is named as the likely cause when it ended the grader's processes every time while the
        same batch graded at least ten times as many others without a fault; otherwise it is the grader's
        failure (``error``: not graded yet, rerun).
        """
        blame = self.graded_cleanly >= 10 * len(self.exhausted)
        for submission in self.exhausted:
            faults = self.faults[submission]
            if blame:
                self.record(held_after_faults(submission, faults, self.isolation, self.options.unit), bar)
            else:
                reason = f"the grader failed {len(faults)} times on this submission (" + "; ".join(faults) + ")"
                self.record(grader_failed(submission, reason, self.isolation, self.options.unit), bar)

    def record(self, result: SubmissionResult, bar) -> None:
        """Write the result now (a full disk or read-only folder stops the batch) and count it."""
        save(self.options.out, result)
        self.done += 1
        if bar is not None:
            bar.update(1)

    @property
    def regraded(self) -> dict[str, list[str]]:
        """``{student: faults}`` of the submissions graded again after a grader fault (put aside ones included)."""
        return {submission.student: faults for submission, faults in self.faults.items()}


def judge_main(connection, options: Options, unit) -> None:
    """A judge process: grade each submission the batch hands over, one at a time, until the pipe closes."""
    # Ctrl-C and SIGTERM (`timeout`, a CI cancellation: often sent to the whole process group) are the batch's to
    # handle: it stops the judges itself, and says what to do next.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    start_worker(None, options)
    for number in itertools.count():
        try:
            submission = connection.recv()
        except (EOFError, OSError):
            return
        kill_judge_for_tests(submission)
        try:
            reply = grade_submission(submission, unit)
        except Exception as error:  # noqa: BLE001  (a bug of the grader's must not lose the rest of the class)
            reply = {"crashed": f"{type(error).__name__}: {error}"}
        try:
            connection.send(reply)
        except OSError:  # the batch is gone (killed, or stopping): nobody to answer, and nothing to say about it
            return
        release_memory(freeze=number == 0)


def kill_judge_for_tests(submission: Submission) -> None:
    """TEST-ONLY fault injection: SIGKILL this judge when it is handed the student named in
    ``$GLUON_GRADER_TEST_KILL_JUDGE_FOR`` (tests/test_batch_faults.py: a submission that kills its judge every time)."""
    if submission.student == os.environ.get(KILL_JUDGE_FOR):
        os.kill(os.getpid(), signal.SIGKILL)


def save(out: Path, result: SubmissionResult) -> None:
    """Write one student's files; :class:`OutputUnwritable` when the folder cannot take them."""
    try:
        write_student(out, result)
    except OSError as error:
        raise OutputUnwritable(out, error, student_dir(out, result.student)) from None


def grader_failed(submission: Submission, reason: str, isolation: Isolation, unit) -> SubmissionResult:
    """An ``error`` result: the grader could not grade this submission (not the student's grade; rerun)."""
    note = f"{reason}; {NOT_GRADED_YET} (this is not the notebook's grade)"
    return SubmissionResult(submission.student, submission.where, all_failed(unit, f"Not graded: {note}."),
                            [note],
                            ERROR, isolation.describe(), 0.0, submission.digest())


def held_after_faults(submission: Submission, faults: list[str], isolation: Isolation, unit) -> SubmissionResult:
    """The result of a notebook whose grading ended the grader's processes every time: 0, held for review."""
    note = (f"held for review: grading this notebook ended the grader's processes {len(faults)} times ("
            + "; ".join(faults) + ") while the rest of the class was graded normally, so the notebook itself is "
            "the likely cause; it gets 0 until your instructor has looked at it")
    return SubmissionResult(submission.student, submission.where, all_failed(unit, f"Not graded: {note}."),
                            [note],
                            GRADED, isolation.describe(), 0.0, submission.digest())


def missing(submission: Submission, isolation: Isolation, unit) -> SubmissionResult:
    """A row for a submission that has no readable result (the batch was interrupted before it)."""
    reason = "not graded yet: the batch stopped before this submission; run the same command again"
    return SubmissionResult(submission.student, submission.where, all_failed(unit, reason), [reason], ERROR,
                            isolation.describe(), 0.0, submission.digest())
