"""The judge processes of one ``nbgrader autograde`` run, which grade the notebooks nbgrader will ask for next
while nbgrader is busy with the current one.

nbgrader autogrades one notebook at a time: its own work first (the gradebook, copying, sanitizing, conversion,
scoring: about 0.4 s a notebook), then the ``Execute`` step, which :class:`~.execute.SandboxedExecute`
replaces. That step's work (the notebook run in the sandbox, its kit test cells judged) is done here by ``jobs``
judge processes, each with a warm sandboxed :class:`~.runner.worker.Worker`, and it is done *ahead*. While
nbgrader works on notebook k, the judges take notebooks k+1, k+2, ... as they lie in ``submitted/``. Each is
sanitized with nbgrader's own sanitizing preprocessors under the run's configuration, given the files
``init_assignment`` will copy next to it, and graded.

A result graded ahead is used only if it was graded from exactly what nbgrader then hands the ``Execute`` step: the
same notebook bytes, files, name, assignment and skip tag (:attr:`Job.key`). If anything differs (a file that an
earlier notebook of the same student wrote, a gradebook that changed in between), the notebook is graded again
there and then. Running ahead changes when a notebook is graded, never what it is graded from.

The first judges are forked from nbgrader's process (while it has no other thread), so they start with what it has
imported; a judge that dies is replaced by a spawned one, like the batch grader's, and a notebook whose judge died
(or whose sandbox ended) is graded again, up to :data:`~autograder.runner.judges.FAULT_BOUND` times. What a judge
sends back is the kit's own data (the sandbox's reply was read from plain frames, as in the batch grader). The
judges end with the run, and with nbgrader if it is killed (their parent-death signal; each judge's zygote dies with
its judge).
"""
from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import itertools
import logging
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import tempfile
import threading
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from pathlib import Path

import nbformat

from ..intake import Unreadable, take
from ..options import Options
from ..pipeline import grade
from ..runner.judges import FAULT_BOUND, IDLE_DEATHS, JudgeProcess, release_memory
from ..runner.worker import SandboxLost, Worker, WorkerError
from ..units import all_units, unit, unit_of_check
from .plan import files_of, notebook_name, plan_of
from .reading import unreadable_reason

#: How many notebooks past the one nbgrader is on may be graded ahead, per judge: enough to keep every judge busy
#: while nbgrader does its own work, few enough that results waiting to be asked for hold little memory.
AHEAD_PER_JUDGE = 2


@dataclass(frozen=True)
class Job:
    """One notebook as the ``Execute`` step grades it: everything its outcome depends on, besides the options."""

    name: str  # the notebook's file name, as the cells see it
    notebook: bytes  # the notebook nbgrader hands the step, as nbformat writes it
    files: tuple[tuple[str, str], ...]  # the autograded folder's other files: (relative path, base64)
    assignment: str | None
    skip_tag: str

    @functools.cached_property
    def key(self) -> str:
        """A digest of every field: two jobs of the same key are graded from the same inputs."""
        digest = hashlib.sha256()
        for part in (self.name, self.assignment or "", self.skip_tag, *itertools.chain(*self.files)):
            digest.update(hashlib.sha256(part.encode()).digest())
        digest.update(hashlib.sha256(self.notebook).digest())
        return digest.hexdigest()


@dataclass
class Outcome:
    """What grading a job gave: the cells' outputs and written files (the sandbox's reply), the kit checks graded,
    and why the notebook was stopped (None: it ran to its end)."""

    key: str
    reply: dict
    graded: object  # pipeline.Graded
    stopped: tuple | None


@dataclass
class Fault:
    """A job the grader failed on (not the notebook's doing): ``lost`` when its judge or its sandbox ended under it
    (grade it again), else the grader's own error."""

    reason: str
    lost: bool = True


@dataclass(frozen=True)
class Ahead:
    """A notebook nbgrader will autograde later in this run, as it lies in ``submitted/``."""

    identity: tuple[str, str, str]  # (student, assignment, notebook), as in nbgrader's resources
    submitted: str  # the notebook's path
    submitted_folder: str  # the submission's folder, whose other files nbgrader copies
    source_folder: str  # the assignment's source folder, whose files nbgrader copies over them
    resources: dict = field(hash=False, compare=False)  # what nbgrader's sanitizing pass is given


@dataclass
class Sanitizing:
    """How this run sanitizes a notebook before ``Execute`` (the converter's exporter, configuration and
    sanitizing preprocessors) and copies the assignment's files (its ignore globs and excluded source files)."""

    exporter_class: type
    config: object
    preprocessors: list
    ignore: list[str]
    exclude: dict[str, list[str]]
    skip_tag: str


# --- nbgrader's side -----------------------------------------------------------------------------------------------

def ahead_of(converter, current: tuple, skip_tag: str) -> tuple[list[Ahead], Sanitizing | None]:
    """The notebooks ``converter`` (nbgrader's ``Autograde``) will hand the ``Execute`` step after ``current``, in
    its order, and how to sanitize them; nothing when the step was not called by an ``Autograde`` run or the run's
    configuration cannot be sent to another process."""
    from nbgrader.converters import Autograde

    if not isinstance(converter, Autograde) or converter.coursedir is None:
        return [], None
    coursedir = converter.coursedir
    sanitizing = Sanitizing(converter.exporter_class, converter.config, list(converter.sanitize_preprocessors),
                            list(coursedir.ignore), dict(converter.exclude_overwriting), skip_tag)
    try:
        pickle.dumps(sanitizing)
    except Exception:  # noqa: BLE001 -- e.g. a class defined in nbgrader_config.py itself: grade in turn instead
        converter.log.debug("The run's configuration cannot reach the judges: no notebook is graded ahead")
        return [], None
    folder = re.compile(coursedir.format_path(coursedir.submitted_directory, "(?P<student>.*)",
                                              "(?P<assignment>.*)", escape=True) + "$")
    everyone = []
    for submission in sorted(converter.assignments):
        found = folder.match(submission)
        if found is None:
            continue
        student, assignment = found["student"], found["assignment"]
        for path in sorted(converter.assignments[submission]):
            notebook = os.path.splitext(os.path.basename(path))[0]
            everyone.append(Ahead((student, assignment, notebook), path, submission,
                                  coursedir.format_path(coursedir.source_directory, ".", assignment),
                                  resources(notebook, student, assignment, coursedir.db_url)))
    identities = [one.identity for one in everyone]
    if current not in identities:
        return [], sanitizing
    later = everyone[identities.index(current) + 1:]
    return [one for one in later if one.identity[:2] == current[:2] or will_autograde(converter, one)], sanitizing


def resources(notebook: str, student: str, assignment: str, db_url: str) -> dict:
    """The resources nbgrader's converter starts a notebook's conversion with (``init_single_notebook_resources``)."""
    return {"unique_key": notebook, "output_files_dir": f"{notebook}_files",
            "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook, "db_url": db_url}}


def will_autograde(converter, ahead: Ahead) -> bool:
    """Whether nbgrader's ``init_destination`` will process this submission, decided the same way (without its
    side effects): a submission it skips is not graded ahead."""
    coursedir = converter.coursedir
    student, assignment, _ = ahead.identity
    if coursedir.student_id_exclude and student in coursedir.student_id_exclude.split(","):
        return False
    dest = os.path.normpath(coursedir.format_path(coursedir.autograded_directory, student, assignment))
    notebooks = converter.assignments.get(ahead.submitted_folder, [])
    if coursedir.notebook_id == "*" and not os.path.exists(dest):
        return True
    if coursedir.notebook_id != "*" and any(not os.path.exists(os.path.join(dest, os.path.basename(path)))
                                            for path in notebooks):
        return True
    if converter.force:
        return True
    new, old = coursedir.get_existing_timestamp(ahead.submitted_folder), coursedir.get_existing_timestamp(dest)
    return new is not None and old is not None and new > old


class Pool:
    """``jobs`` judge processes and the notebooks they grade, ahead or on demand, for one run's options.

    A thread of nbgrader's process hands tasks to idle judges and collects their answers; nbgrader's own thread
    only asks (:meth:`outcome`). Tasks go out in order: a notebook nbgrader is waiting for first, then the
    notebooks ahead, at most :data:`AHEAD_PER_JUDGE` per judge past the one nbgrader is on.
    """

    def __init__(self, options: Options, jobs: int, ahead: list[Ahead], sanitizing: Sanitizing | None, log):
        self.options, self.jobs, self.log = options, max(1, jobs), log
        self.sanitizing = sanitizing
        # Each notebook ahead is numbered by its place in nbgrader's order (none is queued without a way to
        # sanitize it); nbgrader asks for them in that order, each once, and ``position`` is the last one asked.
        self.order = {one.identity: number for number, one in enumerate(ahead, start=1)} if sanitizing else {}
        self.position = 0
        self.queue: deque = deque(enumerate(ahead, start=1) if sanitizing else ())
        self.answers: dict[int, Outcome | Fault] = {}
        self.numbers = itertools.count(len(ahead) + 1)
        self.changed = threading.Condition()
        self.wake_r, self.wake_w = os.pipe()
        self.broken: str | None = None
        self.closed = False
        # The first judges are forked from nbgrader's thread while it is the only one, so they start with what it
        # has imported (nbformat, nbgrader, the checks: about 3 s a process to import again); judges that replace
        # a dead one later are spawned by the dispatching thread, fresh, as the batch grader's are.
        fork = multiprocessing.get_context("fork") if threading.active_count() == 1 else None
        self.judges = [Judge(fork, options, sanitizing) for _ in range(self.jobs)] if fork else []
        self.thread = threading.Thread(target=self.dispatch, name="gluon-grader-nbgrader-judges", daemon=True)
        self.thread.start()

    # nbgrader's thread

    def outcome(self, job: Job, identity: tuple | None) -> Outcome:
        """The outcome of ``job``: the one graded ahead for this notebook when it was graded from the same inputs,
        else one graded now. Raises :class:`WorkerError` when the grader failed on it :data:`FAULT_BOUND` times."""
        with self.changed:
            number = self.order.get(identity)
            number = number if number is not None and number > self.position else None
            self.position = number or self.position
            for passed in [one for one in self.answers if one < self.position]:
                del self.answers[passed]  # a notebook ahead that nbgrader passed by (it failed on it, say)
        self.wake()
        if number is not None:
            answer = self.wait(number)
            if isinstance(answer, Outcome) and answer.key == job.key:
                self.log.debug("Graded ahead: %s", job.name)
                return answer
            self.log.debug("Graded again (%s): %s", "the notebook or its files changed since it was graded ahead"
                           if isinstance(answer, Outcome) else answer.reason, job.name)
        faults = []
        while len(faults) < FAULT_BOUND:
            number = next(self.numbers)
            with self.changed:
                self.queue.appendleft((number, job))
            self.wake()
            answer = self.wait(number)
            if isinstance(answer, Outcome):
                return answer
            if not answer.lost:
                raise WorkerError(answer.reason)
            faults.append(answer.reason)
        raise WorkerError(f"the grader failed {len(faults)} times on this notebook ({'; '.join(faults)})")

    def wait(self, number: int) -> Outcome | Fault:
        """The answer to task ``number``, once there is one."""
        with self.changed:
            while number not in self.answers:
                if self.broken:
                    return Fault(self.broken, lost=False)
                self.changed.wait()
            return self.answers.pop(number)

    def wake(self) -> None:
        with contextlib.suppress(OSError):
            os.write(self.wake_w, b".")

    def close(self) -> None:
        """Stop the judges (and their sandboxes) and the thread; nothing is left running."""
        with self.changed:
            self.closed = True
        self.wake()
        self.thread.join(timeout=30)
        for fd in (self.wake_r, self.wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)

    # the dispatching thread (it spawns the judges that replace dead ones, and the first ones where nbgrader's process
    # had other threads, so their parent-death signal follows it: it lives for the run)

    def dispatch(self) -> None:
        context = multiprocessing.get_context("spawn")
        try:
            self.judges = self.judges or [Judge(context, self.options, self.sanitizing) for _ in range(self.jobs)]
            while True:
                with self.changed:
                    if self.closed:
                        return
                    self.hand_out()
                ready = wait([judge.connection for judge in self.judges if judge.holding is not None]
                             + [judge.process.sentinel for judge in self.judges] + [self.wake_r])
                if self.wake_r in ready:
                    os.read(self.wake_r, 4096)
                for judge in list(self.judges):
                    if judge.connection in ready or judge.process.sentinel in ready:
                        self.collect(judge, context)
        except Exception as error:  # noqa: BLE001 -- a bug here must fail the notebooks waiting, not hang nbgrader
            with self.changed:
                self.broken = f"the grader's judge processes failed ({type(error).__name__}: {error})"
                self.changed.notify_all()
        finally:
            for judge in self.judges:
                judge.stop()

    def hand_out(self) -> None:
        """A task to each idle judge: what nbgrader waits for first, then notebooks ahead within reach."""
        for judge in self.judges:
            while judge.holding is None and self.queue:
                number, task = self.queue[0]
                if isinstance(task, Ahead):
                    place = self.order[task.identity]
                    if place > self.position + AHEAD_PER_JUDGE * self.jobs:
                        return
                    if place < self.position:  # passed by: nbgrader skipped it (it failed, say); never asked for
                        self.queue.popleft()
                        self.answers[number] = Fault("nbgrader passed it by", lost=True)
                        continue
                self.queue.popleft()
                judge.give(number, (number, task))

    def collect(self, judge: Judge, context) -> None:
        """The judge's answer; or, if it ended, a fault for what it held and a judge in its place."""
        answer = judge.answer()
        if answer is None and judge.process.is_alive():
            return
        number, judge.holding = judge.holding, None
        if answer is None:
            ending = judge.ending()
            judge.stop()
            self.judges.remove(judge)
            answer = Fault(f"its judge process ended ({ending})")
            idle_deaths = 0 if number is not None else judge.idle_deaths + 1
            if idle_deaths < IDLE_DEATHS:
                self.judges.append(Judge(context, self.options, self.sanitizing, idle_deaths))
            elif not self.judges:
                raise WorkerError("the grader's judge processes kept ending before they could grade anything")
        else:
            judge.idle_deaths = 0
        if number is not None:
            with self.changed:
                self.answers[number] = answer
                self.changed.notify_all()


class Judge(JudgeProcess):
    """One judge process of the run, holding the number of its task (None when idle)."""

    def __init__(self, context, options: Options, sanitizing: Sanitizing | None, idle_deaths: int = 0):
        super().__init__(context, "gluon-grader-nbgrader-judge", judge_main, (options, sanitizing, os.getpid()),
                         idle_deaths)

    def answer(self) -> Outcome | Fault | None:
        """The answer to the task it holds, if one has arrived."""
        reply = self.reply()
        return None if reply is None else reply[1]


# --- the judge's side ----------------------------------------------------------------------------------------------

def judge_main(connection, options: Options, sanitizing: Sanitizing | None, nbgrader: int) -> None:
    """A judge process: grade each task handed over, one at a time, until the pipe closes or nbgrader ends."""
    from ..runner.slots import claim_slot
    from ..runner.zygote import PR_SET_PDEATHSIG, prctl

    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != nbgrader:  # nbgrader ended before the signal was armed
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is nbgrader's: it ends the run, and the run ends us
    # A judge's sanitizing repeats nbgrader's, and nbgrader logs what it finds when it sanitizes (a forked judge
    # even has its handlers): said once, by nbgrader, not again from here.
    logging.disable(logging.CRITICAL)
    slot, _lock = claim_slot()
    worker = Worker(slot, options=options)
    with contextlib.suppress(WorkerError):
        worker.start()  # warm before the first task arrives (a failure to start is met again, and said, then)
    try:
        for number in itertools.count():
            try:
                task_number, task = connection.recv()
            except (EOFError, OSError):
                return
            connection.send((task_number, answer(task, worker, sanitizing)))
            release_memory(freeze=number == 0)
    finally:
        worker.close()


def answer(task: Job | Ahead, worker: Worker, sanitizing: Sanitizing | None) -> Outcome | Fault:
    """Grade one task (sanitizing it first when it is a notebook ahead); a fault of the grader's as a :class:`Fault`."""
    try:
        return graded(sanitized(task, sanitizing) if isinstance(task, Ahead) else task, worker)
    except SandboxLost as error:
        return Fault(str(error))
    except Exception as error:  # noqa: BLE001 -- the grader's bug (or a notebook nbgrader cannot sanitize either)
        return Fault(f"{type(error).__name__}: {error}", lost=False)


def graded(job: Job, worker: Worker) -> Outcome:
    """Run ``job``'s notebook in ``worker``'s sandbox as ``Execute`` would, and judge its kit test cells: read by the
    intake as every front end reads a submission, graded by the one pipeline."""
    nb = nbformat.v4.reads(job.notebook.decode())  # lines joined, not validated (nbformat validated it as it wrote)
    plan = plan_of(nb, job.skip_tag)
    reason = unreadable_reason(nb)  # a stand-in for a file the intake refused as nbgrader read it (.reading)
    # The unit graded: the assignment's, else its kit cells' checks' (cells nbgrader restored from the source), and
    # only then the notebook's metadata, which the student can edit (the intake reads it).
    unit_name = (job.assignment if job.assignment in all_units()
                 else unit_of_check(plan.checks[0]).name if plan.checks else None)
    taken = (Unreadable(job.name, reason, unit(unit_name) if unit_name else None) if reason is not None
             else take(data=job.notebook, name=job.name, unit_required=False, unit_name=unit_name))
    result = grade(taken, worker=worker, checks=plan.checks, nbgrader={"run": plan.run, "files": dict(job.files)})
    return Outcome(job.key, result.ran, result, result.stopped)


def sanitized(ahead: Ahead, sanitizing: Sanitizing) -> Job:
    """The job nbgrader will hand the ``Execute`` step for ``ahead``, predicted: its sanitizing pass run here on
    the submitted notebook (nbgrader's preprocessors, the run's configuration), read back as nbgrader reads the
    file it writes, beside the files ``init_assignment`` will copy."""
    exporter = sanitizing.exporter_class(config=sanitizing.config)
    for preprocessor in sanitizing.preprocessors:
        exporter.register_preprocessor(preprocessor)  # as nbgrader registers them: their own `enabled` holds
    output, _ = exporter.from_filename(ahead.submitted, resources=copy.deepcopy(ahead.resources))
    notebook = nbformat.writes(nbformat.reads(output, as_version=4)).encode()
    return Job(notebook_name(ahead.resources), notebook, tuple(copied_files(ahead, sanitizing).items()),
               ahead.identity[1], sanitizing.skip_tag)


def copied_files(ahead: Ahead, sanitizing: Sanitizing) -> dict:
    """The files of the autograded folder as ``Execute`` will find them: the submission's other files, then the
    assignment's source files over them (nbgrader's ``init_assignment``), read as the step reads that folder."""
    from nbgrader.utils import find_all_files

    assignment = ahead.identity[1]
    exclude = {os.path.join(ahead.source_folder, name) for name in sanitizing.exclude.get(assignment, [])}
    with tempfile.TemporaryDirectory(prefix="gluon-grader-ahead-") as folder:
        for root, skip in ((ahead.submitted_folder, set()), (ahead.source_folder, exclude)):
            for filename in find_all_files(root, [*sanitizing.ignore, "*.ipynb"]):
                if filename in skip:
                    continue
                target = os.path.join(folder, os.path.relpath(filename, root))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                if os.path.exists(target):
                    os.remove(target)
                shutil.copy(filename, target)
        return files_of(Path(folder))
