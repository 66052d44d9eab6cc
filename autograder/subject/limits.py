"""Limits applied to student code while it runs in this process: wall time and output volume."""
from __future__ import annotations

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
