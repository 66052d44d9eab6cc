"""Grade a class on Dask workers: ``autograder grade SUBMISSIONS --out OUT --scheduler ADDRESS`` (or
``--cluster local:N``, a cluster of N worker processes started for the run).

Each Dask worker holds one warm, sandboxed :class:`~autograder.runner.worker.Worker` for its lifetime
(:class:`JudgePlugin`). A task is one submission: what the intake read on the client (the notebook's bytes as
graded, or why it cannot be), the unit and the options in, the judge's result as plain data out
(:func:`grade_on_worker`, through the same :func:`~.judging.grade_submission` as a judge process).
The client keeps the single-machine batch's bookkeeping (:class:`ClusterScheduler` is a
:class:`~.scheduler.Scheduler`): it writes each result atomically as it arrives, grades again a submission whose
sandbox was lost, and settles those that met :data:`~autograder.runner.judges.FAULT_BOUND` faults by the same rule.

A worker that dies mid-task is Dask's to notice: the scheduler gives the task to another worker and, after
``distributed.scheduler.allowed-failures`` deaths, marks it erred with ``KilledWorker``. :data:`CLUSTER_CONFIG`
makes that bound FAULT_BOUND (on a cluster this run starts; an existing scheduler needs the same settings, see the
README); the client follows the scheduler's ``remove-worker`` events to name each death in the summary.
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading
import time
import uuid
from asyncio import CancelledError
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path

import dask
from distributed import Client, LocalCluster, as_completed
from distributed.diagnostics.plugin import WorkerPlugin
from distributed.scheduler import KilledWorker

from .. import mnist
from ..intake import Notebook, Unreadable
from ..options import Options
from ..runner.judges import FAULT_BOUND, release_memory
from ..runner.slots import SLOT_FOLDER, claim_slot
from ..runner.worker import WorkerError
from .errors import ClusterUnreachable
from .judging import grade_submission, start_worker, stop_worker
from .scheduler import Scheduler, grader_failed, kill_judge_for_tests
from .submissions import Submission, read_submission

#: ``--cluster local:N``.
LOCAL = "local:"
#: Scheduler settings of a cluster the run starts (an existing scheduler should have the same, README): a task may
#: see FAULT_BOUND workers die under it before it is erred (KilledWorker), as a submission may meet FAULT_BOUND
#: faults on one machine; and a worker holds one task at a time, so a worker's death is counted against the
#: submission it was grading only (by default a second task waits on each worker and would be counted too).
CLUSTER_CONFIG = {"distributed.scheduler.allowed-failures": FAULT_BOUND - 1,
                  "distributed.scheduler.worker-saturation": 1.0}
#: Submissions handed to the scheduler at once, per worker thread (at least MIN_IN_FLIGHT): enough to keep every
#: worker busy; the rest wait in the client, so a large class's bytes never sit in the scheduler's memory.
PER_THREAD, MIN_IN_FLIGHT = 2, 8
#: How often the client asks the scheduler how many worker threads there are (workers come and go).
RECOUNT_S = 2.0
#: The name of each fault a worker's death gives the submission it was grading.
WORKER_DIED = "its Dask worker ended"

#: One submission at a time per worker process, however many threads it was started with (one warm zygote).
GRADING = threading.Lock()
_graded = 0


# --- the worker's side ---------------------------------------------------------------------------------------

class JudgePlugin(WorkerPlugin):
    """A warm sandboxed grading worker in each Dask worker, from the Dask worker's start to its end."""

    name = "gluon-grader-judge"

    def __init__(self, options: Options):
        self.options = options

    async def setup(self, worker) -> None:
        """Claim this host's next free uid slot, make the judge and start its zygote (off the event loop)."""
        self.slot, self.slot_lock = claim_slot(SLOT_FOLDER)
        judge = start_worker(self.slot, options_here(self.options))
        await asyncio.get_running_loop().run_in_executor(None, warm, judge)

    def teardown(self, worker) -> None:
        """Stop the zygote (a task still running gets a lost sandbox: the client grades it again); free the slot."""
        stop_worker()
        os.close(self.slot_lock)


def options_here(options: Options) -> Options:
    """The run's options with MNIST's folder as this machine has it: the client's where it exists here, else what
    this worker finds (its ``GLUON_GRADER_MNIST``, then MXNet's cache); else unchanged (the checks say so)."""
    if options.mnist_dir and Path(options.mnist_dir).is_dir():
        return options
    try:
        return replace(options, mnist_dir=None).with_mnist_found()
    except mnist.MnistNotFound:
        return options


def warm(judge) -> None:
    """Start the judge's zygote now rather than on the first submission; a failure is retried by that one, whose
    result then says what went wrong."""
    with GRADING, suppress(WorkerError):
        judge.start()


@dataclass(frozen=True)
class Shipment:
    """One submission as its task carries it: where it was found and what the intake read there (the notebook's
    bytes as graded, or why it cannot be graded), with the SHA-256 the client computed (what a rerun compares)."""

    submission: Submission
    taken: Notebook | Unreadable


def ship(submission: Submission, unit) -> Shipment:
    """Read a submission for its task, on the client, through the intake (every front end's reading rules)."""
    return Shipment(submission, read_submission(submission, unit))


def grade_on_worker(shipment: Shipment, unit) -> dict:
    """The task: grade one shipped submission with this worker's judge. The judge's plain result, or
    ``{"crashed": ...}`` for a bug of the grader's, as a judge process answers."""
    global _graded
    with GRADING:
        kill_judge_for_tests(shipment.submission)
        try:
            reply = grade_submission(shipment.submission, unit, shipment.taken)
        except Exception as error:  # noqa: BLE001  (a bug of the grader's must not lose the rest of the class)
            reply = {"crashed": f"{type(error).__name__}: {error}"}
        release_memory(freeze=_graded == 0)
        _graded += 1
    return reply


# --- the client's side -------------------------------------------------------------------------------------------

@contextmanager
def connected(where: str):
    """A Dask client of the scheduler at ``where``, or of a cluster of N local worker processes for ``local:N``
    (one thread each); closed, and the local cluster stopped, however the batch ends (tasks not yet run are
    cancelled with the client)."""
    if where.startswith(LOCAL):
        with dask.config.set(CLUSTER_CONFIG), LocalCluster(
                n_workers=int(where[len(LOCAL):]), threads_per_worker=1, processes=True,
                dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(where)
    except (OSError, TimeoutError, ValueError) as error:
        raise ClusterUnreachable(where, error) from None
    with client:
        yield client


class ClusterScheduler(Scheduler):
    """The batch's bookkeeping (:class:`~.scheduler.Scheduler`) with Dask workers in place of judge processes."""

    def run(self, bar) -> None:
        """Grade the whole queue on the cluster, then settle what could not be graded."""
        with connected(self.options.cluster) as client:
            client.register_plugin(JudgePlugin(self.options.options))
            events = queue.SimpleQueue()
            client.subscribe_topic("all", events.put)  # the scheduler's events, among them each worker's removal
            try:
                self.grade_all(client, events, bar)
            finally:  # else the scheduler logs a CRITICAL error sending the client's own removal to it
                client.unsubscribe_topic("all")
        self.settle(bar)

    def grade_all(self, client, events: queue.SimpleQueue, bar) -> None:
        """Keep a window of submissions on the cluster and handle each result as it arrives."""
        in_flight: dict[str, Submission] = {}
        self.threads, self.counted = 0, float("-inf")
        # with_results: each result is fetched as soon as it is done, so a worker that dies right after a task
        # rarely takes a finished result with it (Dask would grade it again; the client still writes it once)
        pending = as_completed(with_results=True, raise_errors=False)
        self.submit_more(client, pending, in_flight)
        for future, outcome in pending:
            self.note_deaths(events, in_flight)
            self.arrived(in_flight.pop(future.key), outcome, bar)
            self.submit_more(client, pending, in_flight)

    def submit_more(self, client, pending, in_flight: dict[str, Submission]) -> None:
        """Hand queued submissions to the scheduler while fewer than the window are on the cluster."""
        while self.queue and len(in_flight) < self.window(client):
            submission = self.queue.popleft()
            key = f"grade-{submission.student}-{uuid.uuid4().hex[:8]}"  # the student's name on the dashboard
            future = client.submit(grade_on_worker, ship(submission, self.options.unit), self.options.unit, key=key,
                                   pure=False)
            in_flight[future.key] = submission
            pending.add(future)

    def window(self, client) -> int:
        """How many submissions may be on the cluster: :data:`PER_THREAD` per worker thread, recounted now and
        then."""
        if time.monotonic() - self.counted >= RECOUNT_S:
            self.threads, self.counted = sum(client.nthreads().values()), time.monotonic()
        return max(MIN_IN_FLIGHT, PER_THREAD * self.threads)

    def note_deaths(self, events: queue.SimpleQueue, in_flight: dict[str, Submission]) -> None:
        """Note a fault against each submission whose worker died under it (Dask grades it again by itself)."""
        while True:
            try:
                _, event = events.get_nowait()
            except queue.Empty:
                return
            if not isinstance(event, dict) or event.get("action") != "remove-worker" or event.get("expected"):
                continue  # a worker closed on purpose hands its tasks on without fault
            for key in event.get("processing-tasks", ()):
                if key in in_flight:
                    self.faults.setdefault(in_flight[key], []).append(f"{WORKER_DIED} ({event.get('worker')})")

    def arrived(self, submission: Submission, outcome, bar) -> None:
        """Record a task's answer; a task Dask gave up on, cancelled, or that failed otherwise, as such."""
        if isinstance(outcome, tuple):  # an erred task's (type, exception, traceback), as as_completed yields it
            outcome = outcome[1]
        if isinstance(outcome, KilledWorker):
            self.killed(submission, outcome)
        elif isinstance(outcome, CancelledError):
            self.fault(submission, "its Dask task was cancelled")
        elif isinstance(outcome, BaseException):
            self.record(grader_failed(submission, f"the Dask task failed ({type(outcome).__name__}: {outcome})",
                                      self.isolation, self.options.unit), bar)
        else:
            self.answered(submission, outcome, bar)

    def killed(self, submission: Submission, error: KilledWorker) -> None:
        """Put aside a submission whose workers kept dying under it (settled at the end, as at the fault bound).

        Every death is named, those whose event has not arrived yet too.
        """
        faults = self.faults.setdefault(submission, [])
        seen = sum(fault.startswith(WORKER_DIED) for fault in faults)
        faults += [f"{WORKER_DIED} ({error.last_worker.address})"] * max(0, error.allowed_failures + 1 - seen)
        self.exhausted.append(submission)
