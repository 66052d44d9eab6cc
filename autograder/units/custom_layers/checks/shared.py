"""What several custom_layers exercises judge alike: a layer class of the student's own, replies that stop at some
step, MXNet's errors turned into the mistake behind them, outputs compared with a NumPy recomputation.

Kept here, not in one exercise's module, so that no exercise's checks depend on another exercise's module.
"""
from __future__ import annotations

import re
import zlib

import numpy as np

from autograder.checks import symbols
from autograder.checks.base import CheckFailed, expect_implemented, expect_ok
from autograder.contract import Status

HYBRID_BLOCK = "mxnet.gluon.block.HybridBlock"
DENSE = "mxnet.gluon.nn.basic_layers.Dense"
SEQUENTIAL = "mxnet.gluon.nn.basic_layers.Sequential"
HYBRID_SEQUENTIAL = "mxnet.gluon.nn.basic_layers.HybridSequential"

#: What each hint tells, once: the mistake it names and what to write instead.
ND_IN_HYBRID_FORWARD = (
    "hybrid_forward called an nd.* function: it also runs on symbols (for deferred shapes and once hybridized), "
    "where F is mx.sym. Call every operator through F: F.relu, F.FullyConnected, F.mean")
CENTER_BROADCAST = (
    "symbols do not broadcast implicitly: x - x.mean() works on NDArrays but not once hybridized. Write "
    "F.broadcast_sub(x, F.mean(x))")
BIAS_BROADCAST = (
    "symbols do not broadcast implicitly: a + b on arrays of different shapes (such as F.dot(x, weight, "
    "transpose_b=True) + bias) works on NDArrays but not once hybridized. Write F.broadcast_add(..., bias), or "
    "compute the layer with F.FullyConnected(x, weight, bias, num_hidden=units)")
DOT_DEFERRED = (
    "F.dot cannot infer the weight's missing input size, so a deferred weight (in_units=0) cannot get its shape "
    "from the first batch. Use F.FullyConnected(x, weight, bias, num_hidden=units), which infers it")
WEIGHT_SHAPE = "the weight must have shape (units, in_units): one row per output unit"
GENERAL_HINT = "run the cell that defines this exercise and try the same call yourself: the error names the step"

#: MXNet's errors that name a mistake of this unit: the exercises where it is that mistake, the marks that must all
#: appear in the evidence (the step that failed, then MXNet's message), and the hint. The exercise and the step
#: choose a hint as much as the message does: the same words in another exercise are another mistake.
ERROR_HINTS = (
    (("CenteredLayer", "MyDense", "build_custom_mlp"), ("must have NDArray type, but got <Symbol",),
     ND_IN_HYBRID_FORWARD),
    (("CenteredLayer",), ("Incompatible attr in node", "_minus"), CENTER_BROADCAST),
    (("MyDense",), ("Incompatible attr in node", "_plus"), BIAS_BROADCAST),
    (("MyDense",), ("in_units=0", "_dot"), DOT_DEFERRED),
    (("MyDense",), ("because it has invalid shape",),
     "a deferred parameter needs allow_deferred_init=True in self.params.get(...), so that initialize() waits for "
     "the first batch"),
    (("MyDense",), ("has not been initialized",),
     "a parameter is not registered: a gluon.Parameter(...) you make yourself is not in collect_params(), so "
     "initialize() never reaches it. Declare each with self.params.get('weight', ...)"),
    (("MyDense",), ("Shape inconsistent",), WEIGHT_SHAPE),
    (("MyDense",), ("in_units=0", "shape cannot be inferred"),
     "the first batch could not fix the deferred shapes: use F.FullyConnected, which infers the weight's input "
     "size, and call every operator through F"),
    (("MyDense",), ("dot shape error",), lambda evidence: dot_shape_hint(evidence)),
    (("CenteredLayer",), ("Reduction axis",),
     "a mean along an axis needs an input with that axis, and the layer takes any shape: subtract the mean of all "
     "elements, F.broadcast_sub(x, F.mean(x)), with no axis"),
)


def error_hint(message: str, exercise: str, stage: str = "") -> str:
    """The hint for an error MXNet gave in ``stage`` of ``exercise``, or the general one."""
    evidence = f"{stage}\n{message}"
    for exercises, marks, hint in ERROR_HINTS:
        if exercise in exercises and all(mark in evidence for mark in marks):
            return hint(evidence) if callable(hint) else hint
    return GENERAL_HINT


def dot_shape_hint(evidence: str) -> str:
    """What F.dot's "dot shape error: [4,2,3] X [5,6]" says: x not flattened, or the weight not transposed."""
    shapes = re.search(r"dot shape error: \[([\d,]*)\] X \[([\d,]*)\]", evidence)
    if shapes and shapes.group(1).count(",") >= 2:
        return ("F.dot takes x as it comes, here with more than two axes: flatten it first, F.dot(F.flatten(x), "
                "weight, transpose_b=True), or use F.FullyConnected(x, weight, bias, num_hidden=units), which flattens "
                "it")
    return ("the weight is (units, in_units), so x times the weight needs it transposed: F.dot(x, weight, "
            "transpose_b=True), or F.FullyConnected(x, weight, bias, num_hidden=units)")


def ran_until(reply: dict, key: str, name: str) -> dict:
    """The probe's data as far as ``key``, or feedback on the step that failed before it (with this unit's hints).

    A check about the shapes before the first batch keeps its points when only the hybridized pass fails: that
    failure belongs to the checks about hybridizing.
    """
    data = reply if reply.get("status") == Status.OK else reply.get("partial") or {}
    if key in data:
        return data
    if reply.get("status") == Status.RAISED and reply.get("error_type") != "NotImplementedError":
        raise CheckFailed(f"{reply['stage']} to run without an error",
                          f"it raised {reply['error_type']}: {reply['message']}",
                          error_hint(reply["message"], name, reply["stage"]))
    expect_ok(reply, name)
    raise CheckFailed("an answer the grader can read", f"a reply without {key!r}")


def judge_own_class(subject, name: str, base: str, method: str, attempt: dict) -> dict:
    """``name`` must be a class of the student's own deriving from ``base`` and writing ``method`` itself.

    ``attempt`` is a probe reply that used the class: a stub still raising NotImplementedError is "not implemented
    yet" before anything else is said about it. Returns the class information.
    """
    expect_implemented(attempt, name)
    info = expect_ok(subject.probe("class_info", name=name), name)
    short = base.rpartition(".")[2]
    if not info["is_class"]:
        raise CheckFailed(f"`{name}` to be a class deriving from gluon.{short}", f"a {info['type']}",
                          f"write `class {name}(gluon.{short}):`")
    if info["builtin"]:
        raise CheckFailed(f"`{name}` to be a layer of your own, deriving from gluon.{short} only",
                          f"it is (or derives from) the built-in {info['builtin'][0]}",
                          f"the exercise is to write the layer yourself: `class {name}(gluon.{short}):` with its "
                          f"own {method}")
    if base not in info["bases"]:
        rename = (f", and rename forward to {method}(self, F, x, ...), calling every operator through F"
                  if "forward" in info["own"] and method not in info["own"] else "")
        raise CheckFailed(f"`{name}` to derive from gluon.{short}", f"bases {info['bases'][:3]}",
                          f"write `class {name}(gluon.{short}):` so that it can be hybridized{rename}")
    if method not in info["own"]:
        raise CheckFailed(f"`{name}` to define {method} itself", f"it defines {info['own']}",
                          f"write the {method} method in the class")
    return info


def array_of(data: dict, key: str, what: str) -> np.ndarray:
    """An NDArray the student's code returned, as NumPy, or CheckFailed when it returned something else."""
    value = data[key]
    if value["kind"] != "NDArray":
        raise CheckFailed(f"{what} to return an NDArray", f"it returned a {value['kind']}",
                          "return the result of the computation (an NDArray, or a Symbol once hybridized)")
    return value["value"]


def close(found: np.ndarray, expected: np.ndarray, tolerance: float = 1e-4) -> bool:
    """Whether two arrays of the same shape agree to float32 precision."""
    return found.shape == expected.shape and bool(np.allclose(found, expected, rtol=tolerance, atol=tolerance))


def relative_name(name: str, prefix: str) -> str | None:
    """``name`` without the block's prefix, or None when it is not under the prefix."""
    return name[len(prefix):] if name.startswith(prefix) else None



# --- what the judge sends, and what it recomputes ----------------------------------------------------------

def judge_input(shape, seed: int, low: float = -1.0, high: float = 1.0) -> np.ndarray:
    """The judge's input: seeded uniform float32 values of ``shape``, drawn here, never in the student's process."""
    return np.random.RandomState(seed).uniform(low, high, size=tuple(shape)).astype(np.float32)


def judge_images(rows: int, seed: int = 7) -> np.ndarray:
    """``rows`` images of 1x28x28 pixels in [0, 1], as an MNIST batch is shaped (the values are the judge's)."""
    return judge_input((rows, 1, 28, 28), seed, 0.0, 1.0)


def judge_values(shapes, seed: int) -> list[np.ndarray]:
    """The judge's parameter values, one float32 array per shape, all different, in [-0.5, 0.5]."""
    rng = np.random.RandomState(seed)
    return [rng.uniform(-0.5, 0.5, size=tuple(shape)).astype(np.float32) for shape in shapes]


def seed_of(*parts) -> int:
    """A seed fixed by what is asked, so that the same question always carries the same input."""
    return zlib.crc32(repr(parts).encode()) % (2**31)


def unassigned(data: dict, shapes, what: str, hint: str) -> None:
    """CheckFailed unless every value the judge sent went into a parameter of the expected shape."""
    missing = [index for index, name in enumerate(data.get("assigned") or []) if name is None]
    if len(data.get("assigned") or []) != len(shapes) or missing:
        index = missing[0] if missing else len(data.get("assigned") or [])
        found = [tuple(p["shape"]) for p in data.get("after_forward") or data.get("after_backward") or []]
        raise CheckFailed(f"{what} to have a parameter of shape {tuple(shapes[index])} (parameter {index + 1} in "
                          f"collect_params() order) after a batch", f"parameter shapes {found}", hint)


#: Element-wise operators on symbols (which do not broadcast), what the student wrote to get each, and the hint;
#: an exercise's own classic mistake first (x - x.mean() in CenteredLayer, F.dot(...) + bias in MyDense).
NO_BROADCAST = (
    (("elemwise_sub", "_minus", "_Minus"), ("CenteredLayer",), CENTER_BROADCAST),
    (("elemwise_add", "_plus", "_Plus"), ("MyDense",), BIAS_BROADCAST),
    (("elemwise_add", "_plus", "_Plus"), (),
     "symbols do not broadcast implicitly: a + b on arrays of different shapes works on NDArrays but not once "
     "hybridized. Write F.broadcast_add(a, b)"),
    (("elemwise_sub", "_minus", "_Minus"), (),
     "symbols do not broadcast implicitly: a - b on arrays of different shapes works on NDArrays but not once "
     "hybridized. Write F.broadcast_sub(a, b)"),
    (("elemwise_mul", "_mul", "elemwise_div", "_div"), (),
     "symbols do not broadcast implicitly: a * b or a / b on arrays of different shapes works on NDArrays but not "
     "once hybridized. Write F.broadcast_mul or F.broadcast_div"),
)


def graph_hint(message: str, exercise: str) -> str:
    """The hint for what stopped the judge from evaluating the traced graph of ``exercise``: chosen by the operator
    the graph itself used, so that the hint names what the student wrote."""
    if "broadcast implicitly" in message:
        operator = message.split(" ", 1)[0]
        return next((hint for names, exercises, hint in NO_BROADCAST
                     if operator in names and (not exercises or exercise in exercises)),
                    "symbols do not broadcast implicitly: use the F.broadcast_* operators")
    if "Shape inconsistent" in message:
        return error_hint(message, exercise)
    if "the operator" in message:
        return ("write hybrid_forward with the operators of the course, called through F: F.broadcast_sub, F.mean, "
                "F.FullyConnected, F.relu, F.Activation, F.flatten, F.dot, F.broadcast_add")
    return "hybrid_forward must build the same computation on symbols (F = mx.sym) as on arrays"


def graph_output(data: dict, inputs: dict, what: str, exercise: str) -> np.ndarray:
    """What the graph ``hybrid_forward`` built on a symbol computes on the judge's ``inputs``, evaluated here
    (feedback with the hints of ``exercise``)."""
    traced = data["symbol"]
    if traced["kind"] == "error":
        raise CheckFailed(f"{what}, called on a symbol as hybridize() does, to run without an error",
                          f"it raised {traced['error_type']}: {traced['message']}",
                          error_hint(traced["message"], exercise, what))
    if traced["kind"] != "Symbol" or not isinstance(traced["value"], str):
        raise CheckFailed(f"{what}, called on a symbol as hybridize() does, to return a Symbol",
                          f"it returned a {traced['kind']}",
                          "hybrid_forward must return the result of F operators: a Symbol when F is mx.sym")
    try:
        return symbols.evaluate(symbols.parse(traced["value"]), inputs)
    except symbols.GraphError as error:
        raise CheckFailed(f"the graph of {what} (what hybridize() runs) to compute its output",
                          f"the grader could not evaluate it: {error}", graph_hint(str(error), exercise)) from None


def assigned_inputs(data: dict, values, x: np.ndarray) -> dict:
    """The traced graph's inputs: the judge's ``x`` as ``data`` and the judge's values under the names of the
    parameters the probe put them in."""
    inputs = {"data": x}
    inputs.update({name: value for name, value in zip(data.get("assigned") or [], values, strict=False) if name})
    return inputs
