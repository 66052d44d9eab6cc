"""Limits applied to student code while it runs in this process: wall time and output volume; and the limits the
runner applied from outside (memory, processes), named in the messages of the errors that hit them."""
from __future__ import annotations

import errno
import io
import signal
import threading
from contextlib import contextmanager


class TimeLimitExceeded(BaseException):
    """Raised inside student code when its time is up (a BaseException, so ``except Exception`` lets it pass)."""


@contextmanager
def time_limit(seconds: float | None):
    """Interrupt the block with :class:`TimeLimitExceeded` after ``seconds`` of wall time (main thread only).

    Outside the main thread, or with no limit, the block runs unlimited: the sandboxed runner enforces hard
    limits from outside the process in any case.
    """
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _expire(signum, frame):
        raise TimeLimitExceeded(f"stopped after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class BoundedText(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters written to it and counts the rest."""

    def __init__(self, limit: int = 20_000):
        self.limit = limit
        self.kept: list[str] = []
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self.limit - self.size
        if room > 0:
            self.kept.append(text[:room])
        self.size += len(text)
        return len(text)

    def getvalue(self) -> str:
        """What was kept, with a note when output was dropped."""
        kept = "".join(self.kept)
        dropped = self.size - len(kept)
        return kept + (f"\n[... {dropped} more characters not kept]" if dropped > 0 else "")


#: The limits the runner set on this process (``memory_mb``, ``processes``), when it set some: the sandboxed
#: worker's child sets them before running the notebook (:func:`set_limits`); in-process runs have none.
LIMITS: dict = {}


def set_limits(limits: dict | None) -> None:
    """Remember the limits this process runs under, to name them in messages (see :func:`limit_hint`)."""
    LIMITS.clear()
    LIMITS.update({key: value for key, value in (limits or {}).items() if key in ("memory_mb", "processes")})


def limit_hint(error: BaseException) -> str:
    """What to add to an error's message when it is the grader's limits that the student's code hit: a
    ``MemoryError`` names the memory limit; a refused process or shared semaphore (``DataLoader(num_workers=2)``,
    ``multiprocessing``: ``PermissionError: [Errno 13]`` without shared memory, ``[Errno 11]`` at the process
    limit) says that graded notebooks run without worker processes. "" for any other error."""
    if isinstance(error, MemoryError):
        limit = f"the {LIMITS['memory_mb']} MB of memory" if "memory_mb" in LIMITS else "the memory"
        return (f" (more than {limit} a notebook may use when it is graded: work on smaller arrays or batches, and "
                "free what you no longer need)")
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EAGAIN, errno.EPERM) and _from_processes(
            error):
        most = f"at most {LIMITS['processes']} processes, " if "processes" in LIMITS else ""
        return (f" (a graded notebook runs without worker processes: {most}no shared memory; use "
                "DataLoader(..., num_workers=0), the default, and no multiprocessing)")
    return ""


def _from_processes(error: BaseException) -> bool:
    """Whether ``error`` was raised while starting a process or a shared semaphore (multiprocessing, os.fork, a
    Gluon DataLoader's workers)."""
    traceback = error.__traceback__
    while traceback is not None:
        name = traceback.tb_frame.f_code.co_filename.replace("\\", "/")
        if "/multiprocessing/" in name or name.endswith("gluon/data/dataloader.py") or name.endswith("/subprocess.py"):
            return True
        traceback = traceback.tb_next
    return False
