"""What several custom_layers exercises judge alike: a layer class of the student's own, replies that stop at some
step, MXNet's errors turned into the mistake behind them, outputs compared with a NumPy recomputation.

Kept here, not in one exercise's module, so that no exercise's checks depend on another exercise's module.
"""
from __future__ import annotations

import zlib

import numpy as np

from autograder.checks import symbols
from autograder.checks.base import CheckFailed, expect_implemented, expect_ok
from autograder.contract import Status

HYBRID_BLOCK = "mxnet.gluon.block.HybridBlock"
DENSE = "mxnet.gluon.nn.basic_layers.Dense"
SEQUENTIAL = "mxnet.gluon.nn.basic_layers.Sequential"
HYBRID_SEQUENTIAL = "mxnet.gluon.nn.basic_layers.HybridSequential"

#: MXNet's error messages, the mistake that causes them in this unit, and what to do instead.
ERROR_HINTS = (
    ("must have NDArray type, but got <Symbol",
     ("hybrid_forward called an nd.* function: it also runs on symbols (for deferred shapes and once hybridized), "
      "where F is mx.sym. Call every operator through F: F.relu, F.FullyConnected, F.mean")),
    ("Incompatible attr in node",
     ("symbols do not broadcast implicitly: x - x.mean() works on NDArrays but not once hybridized. Write "
      "F.broadcast_sub(x, F.mean(x))")),
    ("_dot",
     ("F.dot cannot infer the weight's missing input size, so a deferred weight (in_units=0) cannot get its shape "
      "from the first batch. Use F.FullyConnected(x, weight, bias, num_hidden=units), which infers it")),
    ("because it has invalid shape",
     ("a deferred parameter needs allow_deferred_init=True in self.params.get(...), so that initialize() waits for "
      "the first batch")),
    ("has not been initialized",
     ("a parameter is not registered: a gluon.Parameter(...) you make yourself is not in collect_params(), so "
      "initialize() never reaches it. Declare each with self.params.get('weight', ...)")),
    ("Shape inconsistent", "the weight must have shape (units, in_units): one row per output unit"),
    ("shape cannot be inferred",
     ("the first batch could not fix the deferred shapes: use F.FullyConnected, which infers the weight's input "
      "size, and call every operator through F")),
)


def error_hint(message: str) -> str:
    """The hint for an MXNet error message, or the general one."""
    for marker, hint in ERROR_HINTS:
        if marker in message:
            return hint
    return "read the error above; run the cell that defines this exercise and try the same call yourself."


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
                          f"it raised {reply['error_type']}: {reply['message']}", error_hint(reply["message"]))
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
        raise CheckFailed(f"`{name}` to derive from gluon.{short}", f"bases {info['bases'][:3]}",
                          f"write `class {name}(gluon.{short}):` so that it can be hybridized")
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


#: Element-wise operators on symbols (which do not broadcast), and what the student wrote to get each.
NO_BROADCAST = (
    (("elemwise_add", "_plus", "_Plus"),
     "symbols do not broadcast implicitly: a + b on arrays of different shapes (such as F.dot(x, weight, "
     "transpose_b=True) + bias) works on NDArrays but not once hybridized. Write F.broadcast_add(..., bias), or "
     "compute the layer with F.FullyConnected(x, weight, bias, num_hidden=units)"),
    (("elemwise_sub", "_minus", "_Minus"), error_hint("Incompatible attr in node")),
    (("elemwise_mul", "_mul", "elemwise_div", "_div"),
     "symbols do not broadcast implicitly: a * b or a / b on arrays of different shapes works on NDArrays but not "
     "once hybridized. Write F.broadcast_mul or F.broadcast_div"),
)


def graph_hint(message: str) -> str:
    """The hint for what stopped the judge from evaluating the traced graph: chosen by the operator the graph
    itself used, so that the hint names what the student wrote."""
    if "broadcast implicitly" in message:
        operator = message.split(" ", 1)[0]
        return next(hint for names, hint in NO_BROADCAST if operator in names)
    if "Shape inconsistent" in message:
        return error_hint("Shape inconsistent")
    if "the operator" in message:
        return ("write hybrid_forward with the operators of the course, called through F: F.broadcast_sub, F.mean, "
                "F.FullyConnected, F.relu, F.Activation, F.flatten, F.dot, F.broadcast_add")
    return "hybrid_forward must build the same computation on symbols (F = mx.sym) as on arrays"


def graph_output(data: dict, inputs: dict, what: str) -> np.ndarray:
    """What the graph ``hybrid_forward`` built on a symbol computes on the judge's ``inputs``, evaluated here."""
    traced = data["symbol"]
    if traced["kind"] == "error":
        raise CheckFailed(f"{what}, called on a symbol as hybridize() does, to run without an error",
                          f"it raised {traced['error_type']}: {traced['message']}", error_hint(traced["message"]))
    if traced["kind"] != "Symbol" or not isinstance(traced["value"], str):
        raise CheckFailed(f"{what}, called on a symbol as hybridize() does, to return a Symbol",
                          f"it returned a {traced['kind']}",
                          "hybrid_forward must return the result of F operators: a Symbol when F is mx.sym")
    try:
        return symbols.evaluate(symbols.parse(traced["value"]), inputs)
    except symbols.GraphError as error:
        raise CheckFailed(f"the graph of {what} (what hybridize() runs) to compute its output",
                          f"the grader could not evaluate it: {error}", graph_hint(str(error))) from None


def assigned_inputs(data: dict, values, x: np.ndarray) -> dict:
    """The traced graph's inputs: the judge's ``x`` as ``data`` and the judge's values under the names of the
    parameters the probe put them in."""
    inputs = {"data": x}
    inputs.update({name: value for name, value in zip(data.get("assigned") or [], values, strict=False) if name})
    return inputs
