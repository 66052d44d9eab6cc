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
from .notebook import LoadReport, first_line_of, students_warnings

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
                 mnist_dir=None, mnist_images=None, on_student: Callable[[str], None] | None = None,
                 mnist_labels=None):
        self.namespace = namespace
        self.probes = {**PROBES.get(probes, {}), **PROBES[__name__]}
        self.on_student = on_student
        self.report = report
        self.scratch = Path(scratch or tempfile.mkdtemp(prefix="gluon-grader-"))
        self.mnist_dir = mnist_dir
        self.current_stage: str | None = "loading the notebook"
        self.finished_stage: str | None = None
        self.numpy_mode = False
        self.reply: dict = {}
        self.looked_up: set[str] = set()
        self.timed_out: set[str] = set()
        self._files = itertools.count()
        self._mnist = mnist_images
        self._mnist_labels = mnist_labels

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
        # Past this point the stage has run: a later failure outside any stage must not be blamed on it.
        self.current_stage = None
        self.finished_stage = description

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

    def mnist_labels(self, rows: int):
        """The labels of the first ``rows`` MNIST test images (those of :meth:`mnist_images`), as int32."""
        if self._mnist_labels is None:
            from .. import mnist

            _, labels = mnist.load_mnist("test", self.mnist_dir)
            self._mnist_labels = labels[:256].astype("int32")
        return self._mnist_labels[:rows]


def answer(ctx: ProbeContext, name: str, args: dict, *, timeout: float | None = PROBE_TIMEOUT) -> dict:
    """Run probe ``name`` with ``args`` and return its reply dict (never raises for student misbehaviour).

    The probe runs in MXNet's classic array mode, the mode the exercises are written for, whatever mode the
    notebook switched on (``npx.set_np()``); the notebook's mode is restored afterwards. Student code written
    with the ``mxnet.np`` API fails on classic arrays, so such a probe is asked once more in NumPy mode. So is a
    probe that failed in classic mode for a notebook that left NumPy mode on: code written for that mode can fail
    in the classic one without any sign of the ``mxnet.np`` API (``x - x.mean()`` broadcasts on NumPy-mode symbols,
    not on classic ones); its NumPy-mode answer counts when it runs to the end, else the classic one does (its error
    names the classic mistake, such as ``nd.relu`` inside ``hybrid_forward``).
    """
    if ctx.report.unreadable:
        return reply(Status.UNREADABLE, reason=ctx.report.unreadable)
    with _array_mode(numpy=False) as notebook_mode:
        ctx.numpy_mode = notebook_mode
        answered = _answer_once(ctx, name, args, timeout)
    numpy_api = written_for_numpy(answered)
    if numpy_api or (notebook_mode and failed(answered)):
        with _array_mode(numpy=True):
            again = _answer_once(ctx, name, args, timeout)
        if numpy_api or again.get("status") == Status.OK:
            answered = again
    return answered


def failed(reply: dict) -> bool:
    """Whether the student's code raised (a stub still raising NotImplementedError is no failure of a mode)."""
    return reply.get("status") == Status.RAISED and reply.get("error_type") != "NotImplementedError"


def _answer_once(ctx: ProbeContext, name: str, args: dict, timeout: float | None) -> dict:
    """One run of probe ``name`` in the current array mode."""
    sink = BoundedText(2_000)
    ctx.reply, ctx.looked_up = {}, set()
    ctx.current_stage, ctx.finished_stage = None, None
    try:
        with _fresh_names(), contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), \
                students_warnings(), time_limit(timeout):
            data = ctx.probes[name](ctx, **args)
    except Missing as missing:
        return reply(Status.MISSING, name=str(missing))
    except StageFailed as failed:
        return reply(Status.RAISED, stage=failed.stage, error_type=type(failed.error).__name__,
                     message=first_line_of(failed.error), partial=ctx.reply)
    except TimeLimitExceeded as error:
        ctx.timed_out |= ctx.looked_up
        return reply(Status.TIMEOUT, stage=ctx.current_stage or between_stages(ctx), message=str(error),
                     partial=ctx.reply)
    except Exception as error:  # noqa: BLE001  (a fake net fails between stages)
        return reply(Status.RAISED, stage=between_stages(ctx), error_type=type(error).__name__,
                     message=first_line_of(error), partial=ctx.reply)
    return {"status": Status.OK.value, **data}


def between_stages(ctx: ProbeContext) -> str:
    """The step a failure outside any stage belongs to: using what the last step that ran gave back."""
    if ctx.current_stage:
        return ctx.current_stage
    if ctx.finished_stage:
        return f"using what your code gave back (after {ctx.finished_stage})"
    return "preparing the check, before any of your code ran"


#: What MXNet says when ``mxnet.np`` code meets classic arrays (the notebook's code is written for NumPy mode).
NUMPY_API_SIGNS = ("received a legacy ndarray", "does not support assignment with non-array-like object",
                   "mxnet.numpy.ndarray", "as_np_ndarray")


def written_for_numpy(reply: dict) -> bool:
    """Whether a classic-mode reply failed only because the student's code uses the ``mxnet.np`` API."""
    return reply.get("status") == Status.RAISED and any(sign in reply.get("message", "") for sign in NUMPY_API_SIGNS)


@contextlib.contextmanager
def _array_mode(*, numpy: bool):
    """Run in MXNet's NumPy (``numpy=True``) or classic array mode; yield whether the mode before was NumPy's."""
    from mxnet import util

    try:
        before = bool(util.is_np_shape()), bool(util.is_np_array())
        util.set_np(shape=numpy, array=numpy)
    except Exception:  # noqa: BLE001  (a notebook that broke MXNet's mode switch: probe in the mode it left)
        before = None
    try:
        yield bool(before and any(before))
    finally:
        if before is not None:
            with contextlib.suppress(Exception):
                util.set_np(shape=before[0], array=before[1])


@contextlib.contextmanager
def _fresh_names():
    """Block names restart from 0 for each probe, whatever the notebook created before."""
    import mxnet as mx

    with mx.name.NameManager():
        yield


@probe
def load_report(ctx: ProbeContext, names: list | None = None) -> dict:
    """What happened while the notebook was loaded (every unit's first question): its report, whether it left
    MXNet's NumPy mode on, and which of ``names`` (the exercises) it does not define."""
    undefined = [name for name in names or [] if name not in ctx.namespace]
    return {"report": ctx.report.to_plain(), "numpy_mode": ctx.numpy_mode, "undefined": undefined}
