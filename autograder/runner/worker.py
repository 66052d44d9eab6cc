"""The judge's side of the runner: a warm sandboxed zygote per worker, and the subject it gives per submission."""
from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager, suppress

from .. import protocol
from ..contract import Event, ProbeRequest, Status, checked_reply, reply
from ..options import MAX_NOTEBOOK_BYTES, Options
from . import channel
from .errors import WorkerError
from .sandbox import MNIST, Isolation, Limits, detect, plain_environment, scratch_root, zygote_argv, zygote_settings
from .slots import claim_slot, release_slot, sweep_slot
from .zygote import GRADER_FAILED, OUT_OF_MEMORY

__all__ = ["RemoteSubject", "SandboxLost", "Worker", "WorkerError"]
#: What the grader is doing during probes that run no code of the student's, in the student's words.
PROBE_DOING = {"load_report": "collecting which cells of your notebook ran"}
START_TIMEOUT = 120.0
FINISH_GRACE = 10.0


class SandboxLost(WorkerError):
    """The zygote ended while a submission was in flight: what the checks saw after that is not the notebook's
    doing, so the submission must be graded again (on a fresh zygote), never recorded from the half that ran."""


class Worker:
    """One warm zygote (MXNet imported, sandboxed when possible), started on first use and after a crash.

    ``slot`` decides the student uid; None (the default) claims a free one from the host's allocator
    (:mod:`.slots`) when the zygote starts, and lets it go when it is closed (as root: otherwise there is no uid
    to switch to).
    """

    def __init__(self, slot: int | None = None, *, options: Options | None = None,
                 isolation: Isolation | None = None):
        options = options or Options()
        self.slot, self.limits, self.mnist_dir = slot, options.limits, options.mnist_dir
        self._slot_lock: int | None = None
        self.isolation = isolation or detect()
        self.cell_timeout, self.probe_timeout = min(options.cell_timeout, options.timeout), options.probe_timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the zygote and wait until it has MXNet loaded."""
        if self.slot is None and os.geteuid() == 0:
            self.slot, self._slot_lock = claim_slot()
        elif self.slot is None:  # no uid to switch to: every submission runs as the grader's user anyway
            self.slot = 0
        to_zygote_r, self._to_zygote = channel.pipe()
        self._from_zygote, from_zygote_w = channel.pipe()
        root, self._host_scratch = scratch_root(self.isolation)
        settings = zygote_settings(self.slot, self.isolation, to_zygote_r, from_zygote_w, root, MAX_NOTEBOOK_BYTES)
        self.process = subprocess.Popen(
            zygote_argv(settings, self.isolation, self.limits, self.mnist_dir),
            pass_fds=(to_zygote_r, from_zygote_w), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("GLUON_GRADER_DEBUG") else subprocess.DEVNULL, start_new_session=True,
            env=None if self.isolation.sandboxed else plain_environment(self.mnist_dir))
        os.close(to_zygote_r)
        os.close(from_zygote_w)
        self._frames = channel.FrameReader(self._from_zygote)
        try:
            tag, message = self._frames.read(time.monotonic() + START_TIMEOUT)
        except (channel.ChannelClosed, channel.ChannelTimeout, protocol.ProtocolError) as error:
            self.close()
            raise WorkerError(f"the grading worker did not start ({type(error).__name__})") from None
        if tag != channel.ZYGOTE or message.get("event") != "ready":
            self.close()
            raise WorkerError("the grading worker sent something unexpected at start")

    @property
    def alive(self) -> bool:
        """Whether the zygote is running."""
        return self.process is not None and self.process.poll() is None

    @contextmanager
    def subject(self, notebook: bytes, unit, name: str = "submission.ipynb", *, nbgrader: dict | None = None):
        """Run ``notebook`` in a fresh child, with ``unit``'s probes; yield its :class:`RemoteSubject`; always clean
        up after it. ``nbgrader`` (cells to run, the assignment's files) runs it as nbgrader's autograde would.

        Raises :class:`SandboxLost` at the end when the zygote ended under the submission (the worker restarts it
        on next use).
        """
        if not self.alive:
            self.start()
        remote = RemoteSubject(self, time.monotonic() + self.limits.wall_s)
        self.send(channel.ZYGOTE, {"op": "job", "name": name, "notebook": base64.b64encode(notebook).decode(),
                                   "limits": self.limits.plain(),
                                   "settings": {"cell_timeout": self.cell_timeout, "probe_timeout": self.probe_timeout,
                                                "mnist_dir": MNIST if self.isolation.sandboxed and
                                                self.mnist_dir else self.mnist_dir,
                                                "probes": unit.probes_module, "sealed": sealed_packages(),
                                                "limits": {"memory_mb": self.limits.memory_mb,
                                                           "processes": self.limits.processes},
                                                **({"nbgrader": nbgrader} if nbgrader else {})}})
        try:
            remote.wait_loaded()
            yield remote
        finally:
            remote.finish()
        if remote.lost:
            raise SandboxLost(remote.lost)

    def send(self, tag: int, message) -> None:
        """A frame to the zygote (or, tagged ``C``, through it to the child)."""
        with contextlib.suppress(OSError):  # the zygote is gone: the next read says so
            channel.send(self._to_zygote, tag, message)

    def read(self, deadline: float):
        """The next frame from the zygote."""
        return self._frames.read(deadline)

    def close(self) -> None:
        """Stop the zygote and everything in its sandbox."""
        if self.process is not None:
            kill_group(self.process)
            self.process = None
            if self._slot_lock is None and self.slot is not None:  # a slot its owner holds: left clean for it
                sweep_slot(self.slot)
            for fd in (self._to_zygote, self._from_zygote):
                with suppress(OSError):
                    os.close(fd)
        if getattr(self, "_host_scratch", None):
            shutil.rmtree(self._host_scratch, ignore_errors=True)
            self._host_scratch = None
        if self._slot_lock is not None:  # nothing of ours may run as the uid once the slot is someone else's
            release_slot(self.slot, self._slot_lock)
            self.slot, self._slot_lock = None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def sealed_packages() -> list[str]:
    """Top-level packages of units outside the kit: hidden from the notebook like the kit itself."""
    from .sandbox import unit_packages_outside

    return list(unit_packages_outside())


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL a process started in its own session, with its whole group, and reap it."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class RemoteSubject:
    """The subject of one submission, across the sandbox: :meth:`probe` answers with decoded plain data.

    After the submission is stopped (time limit, its process ended, a reply too large) every probe answers
    ``{"status": "stopped", "reason": ...}`` and :attr:`stopped` holds that reason. A stop names what was running:
    the notebook's cell, or the student's function a probe was calling (the child says which, as it calls it).
    :attr:`lost` is set too when the cause was the zygote itself ending: a fault of the grader, not of the notebook.
    """

    def __init__(self, worker: Worker, deadline: float):
        self.worker, self.deadline = worker, deadline
        self.started = time.monotonic()
        self.cell: dict | None = None
        self.calling: str | None = None
        self.stopped: str | None = None
        self.lost: str | None = None
        self.finished: dict | None = None

    def wait_loaded(self) -> None:
        """Follow the notebook's cells until it is loaded or stopped."""
        while not self.stopped:
            message = self._next("running")
            if message is None or message.get("kind") == Event.LOADED:
                return
            if message.get("kind") == Event.CELL:
                self.cell = message

    def probe(self, name: str, /, **args) -> dict:
        """Ask the child to run probe ``name``; a stopped subject answers ``stopped``."""
        if self.stopped:
            return reply(Status.STOPPED, reason=self.stopped)
        self.worker.send(channel.CHILD, ProbeRequest(name, args).to_plain())
        self.calling = None
        while not self.stopped:
            message = self._next(PROBE_DOING.get(name) or "probing")
            if message is None:
                break
            if message.get("kind") == Event.STUDENT and isinstance(message.get("name"), str):
                self.calling = message["name"][:80]
            elif message.get("kind") == Event.REPLY:
                return checked_reply(message.get("data"))
        return reply(Status.STOPPED, reason=self.stopped)

    def _next(self, doing: str) -> dict | None:
        """The child's next message, or None once stopped (and :attr:`stopped` says why)."""
        try:
            tag, message = self.worker.read(self.deadline)
        except channel.ChannelTimeout:
            self._stop(f"stopped after {self.worker.limits.wall_s:g} s, the time limit for a submission, "
                       f"while {self._where(doing)}")
            return None
        except channel.ChannelClosed:  # the zygote is gone (killed from outside, out of memory): the grader's fault
            self.stopped = f"the grading worker ended while {self._where(doing)}"
            self.lost = f"the grader's sandbox ended while {self._where(doing)}"
            self.worker.close()
            return None
        except protocol.ProtocolError as error:
            self._stop(f"the notebook's process sent something the grader cannot read ({error}) while "
                       f"{self._where(doing)}")
            return None
        if tag == channel.ZYGOTE:
            self.finished = message
            self.stopped = self._ended(message, doing)
            return None
        return message if isinstance(message, dict) else {}

    def _where(self, doing: str) -> str:
        if doing == "running" and self.cell:
            return f"running cell {self.cell['number']} (`{self.cell['first_line']}`)"
        if doing == "running":
            return "loading the notebook"
        if doing == "probing":
            return (f"the grader was running your `{self.calling}`" if self.calling
                    else "the grader was checking your answers")
        return f"the grader was {doing}"

    def _ended(self, finished: dict, doing: str) -> str:
        """Why the child ended, in a student's words."""
        where = self._where(doing)
        if finished.get("reason") == "oversized":
            return f"the notebook's process sent a reply larger than the grader accepts while {where}"
        return f"the process running your notebook ended ({describe_end(finished, self.worker.limits)}) while {where}"

    def _stop(self, reason: str) -> None:
        """Ask the zygote to kill this submission; wait for its report, or restart the worker."""
        self.stopped = reason
        self.worker.send(channel.ZYGOTE, {"op": "stop"})
        self._await_finished()

    def _await_finished(self) -> None:
        deadline = time.monotonic() + FINISH_GRACE
        while self.finished is None:
            try:
                tag, message = self.worker.read(deadline)
            except (channel.ChannelTimeout, channel.ChannelClosed, protocol.ProtocolError):
                self.worker.close()  # the zygote itself is stuck or gone: a fresh one for the next submission
                return
            if tag == channel.ZYGOTE:
                self.finished = message

    def finish(self) -> None:
        """Tell the child to close and wait until the zygote has cleaned up after it."""
        if self.finished is None and self.worker.alive:
            self.worker.send(channel.CHILD, {"op": "close"})
            self._await_finished()

    @property
    def seconds(self) -> float:
        """Wall time since the submission started."""
        return time.monotonic() - self.started


def describe_end(finished: dict, limits: Limits) -> str:
    """``exit code 3``, ``killed by SIGSEGV; ...`` with the likely cause for the signals limits send."""
    number = finished.get("signal")
    if number is None:
        code = finished.get("exit")
        endings = {OUT_OF_MEMORY: f"exit code {code}: out of memory, the notebook holds nearly all of the "
                                  f"{limits.memory_mb} MB a submission may use",
                   GRADER_FAILED: f"exit code {code}: the grader's side of the process failed on what the notebook "
                                  "left behind"}
        return endings.get(code, f"exit code {code}")
    name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else f"signal {number}"
    causes = {"SIGXCPU": f"it used more than {limits.plain()['cpu_s']:g} s of CPU time",
              "SIGKILL": "killed, e.g. for using too much memory or CPU time",
              "SIGSEGV": "the Python interpreter crashed (a segmentation fault), e.g. from ctypes, a native library"
                         f" or running out of memory (limit {limits.memory_mb} MB)",
              "SIGABRT": "the interpreter or a native library aborted, e.g. when it could not start a thread or"
                         f" process (limit {limits.processes} processes) or ran out of memory"}
    return f"killed by {name}" + (f": {causes[name]}" if name in causes else "")
