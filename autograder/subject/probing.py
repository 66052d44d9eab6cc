"""How a probe request is answered next to the student's code: lookup, stages, limits, plain-data replies.

A probe is a function ``probe(ctx, **args) -> dict`` registered with :func:`probe`. It calls student code only
inside ``ctx.stage("what is being done")``, so that whatever the student's code raises becomes a reply saying
which step failed, instead of an exception in the grader. Every reply is a dict with a ``status``:

- ``ok``: the probe's data;
- ``missing``: the notebook does not define ``name``;
- ``raised``: a stage raised ``error_type`` with ``message`` (or the probe failed on an object that only
  pretends to be what was asked for);
- ``timeout``: a stage ran out of time;
- ``unreadable``: the notebook could not be read at all.

``raised`` and ``timeout`` carry in ``partial`` what the probe had recorded in ``ctx.reply`` before the failure.
"""
from __future__ import annotations

import contextlib
import itertools
import tempfile
from pathlib import Path

from .limits import BoundedText, TimeLimitExceeded, time_limit
from .notebook import LoadReport, first_line_of

PROBES: dict = {}

#: Seconds a probe may run student code before it is stopped.
PROBE_TIMEOUT = 10


def probe(function):
    """Register ``function`` as a probe under its own name."""
    PROBES[function.__name__] = function
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

    def __init__(self, namespace: dict, report: LoadReport, *, scratch: str | Path | None = None, mnist_dir=None,
                 mnist_images=None):
        self.namespace = namespace
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
        return {"status": "unreadable", "reason": ctx.report.unreadable}
    sink = BoundedText(2_000)
    ctx.reply, ctx.looked_up = {}, set()
    try:
        with _fresh_names(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), time_limit(timeout):
            data = PROBES[name](ctx, **args)
    except Missing as missing:
        return {"status": "missing", "name": str(missing)}
    except StageFailed as failed:
        return {"status": "raised", "stage": failed.stage, "error_type": type(failed.error).__name__,
                "message": first_line_of(failed.error), "partial": ctx.reply}
    except TimeLimitExceeded as error:
        ctx.timed_out |= ctx.looked_up
        return {"status": "timeout", "stage": ctx.current_stage, "message": str(error), "partial": ctx.reply}
    except Exception as error:  # noqa: BLE001  (a fake net fails between stages)
        return {"status": "raised", "stage": f"using what your code gave back (after {ctx.current_stage})",
                "error_type": type(error).__name__, "message": first_line_of(error), "partial": ctx.reply}
    return {"status": "ok", **data}


@contextlib.contextmanager
def _fresh_names():
    """Block names restart from 0 for each probe, whatever the notebook created before."""
    import mxnet as mx

    with mx.name.NameManager():
        yield
