"""The runner's own failure, apart from the modules that raise it (the worker, the slot allocator)."""
from __future__ import annotations


class WorkerError(RuntimeError):
    """The grader's own machinery failed (the zygote would not start or stopped answering, no uid slot was free)."""
