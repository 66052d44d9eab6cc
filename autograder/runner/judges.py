"""The judge processes that grade submissions beside a front end's own process: the batch grader's and the judges
of an ``nbgrader autograde`` run. Each holds one task at a time; one that dies is replaced, and what it held is
graded again, at most :data:`FAULT_BOUND` times."""
from __future__ import annotations

import contextlib
import ctypes
import gc
import signal

#: Grader faults (its judge process, or its sandbox, ended under it) a submission may meet: it is graded again
#: after each, and after this many it gets a result that says so instead.
FAULT_BOUND = 2
#: A judge slot whose process ends this many times in a row while holding nothing is not restarted.
IDLE_DEATHS = 3
#: glibc's malloc_trim (returns freed heap pages to the system), or None where the C library has none.
_malloc_trim = getattr(ctypes.CDLL(None), "malloc_trim", None)


class JudgeProcess:
    """A judge process, its pipe, and what it holds (None when idle): the batch's judges and nbgrader's."""

    def __init__(self, context, name: str, target, args: tuple, idle_deaths: int = 0):
        self.idle_deaths = idle_deaths
        self.holding = None
        self.connection, theirs = context.Pipe()
        self.process = context.Process(target=target, name=name, daemon=True, args=(theirs, *args))
        self.process.start()
        theirs.close()

    def give(self, holding, message) -> None:
        """Hand ``message`` over, holding ``holding`` (a judge that is already dead is noticed by the next wait)."""
        self.holding = holding
        with contextlib.suppress(OSError):
            self.connection.send(message)

    def reply(self):
        """The judge's answer if one has arrived, else None (nothing yet, or the process ended)."""
        try:
            return self.connection.recv() if self.connection.poll() else None
        except (EOFError, OSError):
            return None

    def ending(self) -> str:
        """How the (ended) process ended, e.g. ``killed by SIGKILL`` or ``exit code 1``."""
        self.process.join()
        code = self.process.exitcode
        if code is not None and code < 0:
            return f"killed by {signal.Signals(-code).name}" if -code in signal.Signals._value2member_map_ \
                else f"killed by signal {-code}"
        return f"exit code {code}"

    def stop(self) -> None:
        """Kill the process (its sandbox dies with it: bubblewrap's --die-with-parent, the zygote's death signal)."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.connection.close()


def release_memory(freeze: bool) -> None:
    """Give back what a submission left behind, so a judge's memory stays flat over a long batch.

    Hypothesis leaves reference cycles (frames, tracebacks) that only a full collection frees, and glibc keeps
    freed heap pages: without this a judge's RSS climbs from ~80 MB to ~180 MB over a few hundred submissions
    (benchmarks/long_batch.py). After the first submission, what is alive (imports, Hypothesis's internals) is
    frozen out of the collector's sight, so each full collection walks only new objects: about 1 ms.
    """
    gc.collect()
    if freeze:
        gc.freeze()
    if _malloc_trim is not None:
        _malloc_trim(0)
