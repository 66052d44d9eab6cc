"""How a probe request is answered next to the student's code: lookup, stages, limits, plain-data replies.

A probe is a function ``probe(ctx, **args) -> dict`` registered with :func:`probe` in its unit's ``probes`` module
(a unit's probes are found by that module's name; :func:`load_report` serves every unit). It calls student code
only inside ``ctx.stage("what is being done")``, so that whatever the student's code raises becomes a reply saying
which step failed, instead of an exception in the grader. Replies keep :mod:`autograder.contract`: ``ok`` with the
probe's data, or ``missing``, ``raised``, ``timeout``, ``unreadable``; ``raised`` and ``timeout`` carry in
``partial`` what the probe had recorded in ``ctx.reply`` before the failure.
"""
from __future__ import annotations

import contextlib
import itertools
import tempfile
from collections.abc import Callable
from pathlib import Path

from ..contract import Status, reply
from ..options import BY_NAME
from .limits import BoundedText, TimeLimitExceeded, time_limit
from .notebook import LoadReport, first_line_of

#: Every probe, by the module that registered it, then by name.
PROBES: dict[str, dict[str, Callable]] = {}

#: Seconds a probe may run student code before it is stopped (the default of the ``probe_timeout`` setting).
PROBE_TIMEOUT = BY_NAME["probe_timeout"].default


def probe(function):
    """Register ``function`` as a probe of its module's unit, under its own name."""
    PROBES.setdefault(function.__module__, {})[function.__name__] = function
    return function


class Missing(Exception):
    """The student's notebook does not define a name the probe needs."""


class StageFailed(Exception):
    """Student code (or MXNet working on the student's objects) raised during a stage."""

    def __init__(self, stage: str, error: BaseException):
        super().__init__(stage)
        self.stage, self.error = stage, error


class ProbeContext:
    """What a probe may use: the student's namespace, a scratch folder, MNIST, and stages."""

    def __init__(self, namespace: dict, report: LoadReport, *, probes: str = "", scratch: str | Path | None = None,
                 mnist_dir=None, mnist_images=None, on_student: Callable[[str], None] | None = None):
        self.namespace = namespace
        self.probes = {**PROBES.get(probes, {}), **PROBES[__name__]}
        self.on_student = on_student
        self.report = report
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="gluon-grader-"))
        self.mnist_dir = mnist_dir
        self.current_stage = "loading the notebook"
        self.reply: dict = {}
        self.looked_up: set[str] = set()
        self.timed_out: set[str] = set()
        self._files = itertools.count()
        self._mnist = mnist_images

    def student(self, name: str):
        """The object the notebook defines as ``name``, or :class:`Missing`.

        A name whose code once ran out of time is not run again: the probe stops at once, so a student's
        endless loop costs one time limit, not one per check.
        """
        if name not in self.namespace:
            raise Missing(name)
        if name in self.timed_out:
            self.current_stage = f"using {name}"
            raise TimeLimitExceeded(f"stopped earlier by the time limit, so `{name}` was not run again")
        self.looked_up.add(name)
        if self.on_student:
            self.on_student(name)  # so that a stop while it runs names it, not the probe
        return self.namespace[name]

    @contextlib.contextmanager
    def stage(self, description: str):
        """Attribute anything raised inside the block to ``description``."""
        self.current_stage = description
        try:
            yield
        except (TimeLimitExceeded, StageFailed, Missing):
            raise
        except BaseException as error:  # noqa: BLE001  (student code may raise anything)
            raise StageFailed(description, error) from None

    def scratch_file(self, suffix: str) -> Path:
        """A fresh path in the scratch folder."""
        return self.scratch / f"probe-{next(self._files)}{suffix}"

    def mnist_images(self, rows: int):
        """The first ``rows`` MNIST test images as float32 (rows, 1, 28, 28) in [0, 1]."""
        if self._mnist is None:
            from .. import mnist

            images, _ = mnist.load_mnist("test", self.mnist_dir)
            self._mnist = mnist.to_batch_array(images[:256])
        return self._mnist[:rows]


def answer(ctx: ProbeContext, name: str, args: dict, *, timeout: float | None = PROBE_TIMEOUT) -> dict:
    """Run probe ``name`` with ``args`` and return its reply dict (never raises for student misbehaviour)."""
    if ctx.report.unreadable:
        return reply(Status.UNREADABLE, reason=ctx.report.unreadable)
    sink = BoundedText(2_000)
    ctx.reply, ctx.looked_up = {}, set()
    try:
        with _fresh_names(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), time_limit(timeout):
            data = ctx.probes[name](ctx, **args)
    except Missing as missing:
        return reply(Status.MISSING, name=str(missing))
    except StageFailed as failed:
        return reply(Status.RAISED, stage=failed.stage, error_type=type(failed.error).__name__,
                     message=first_line_of(failed.error), partial=ctx.reply)
    except TimeLimitExceeded as error:
        ctx.timed_out |= ctx.looked_up
        return reply(Status.TIMEOUT, stage=ctx.current_stage, message=str(error), partial=ctx.reply)
    except Exception as error:  # noqa: BLE001  (a fake net fails between stages)
        return reply(Status.RAISED, stage=f"using what your code gave back (after {ctx.current_stage})",
                     error_type=type(error).__name__, message=first_line_of(error), partial=ctx.reply)
    return {"status": Status.OK.value, **data}


@probe
def load_report(ctx: ProbeContext) -> dict:
    """What happened while the notebook was loaded (every unit's first question)."""
    return {"report": ctx.report.to_plain()}


@contextlib.contextmanager
def _fresh_names():
    """Block names restart from 0 for each probe, whatever the notebook created before."""
    import mxnet as mx

    with mx.name.NameManager():
        yield
