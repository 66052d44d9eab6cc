"""The judge's own reading of an MXNet symbol: a graph's JSON (``Symbol.tojson()``) evaluated in NumPy.

What a block computes once hybridized is the graph its ``hybrid_forward`` builds on symbols. A probe traces that
graph in the student's process (``block(mx.sym.var("data"))``) and sends back only its JSON text; the judge parses
it here and evaluates it on the judge's own input and parameter values. Nothing the student's process computed
enters the result, so an overridden ``hybridize()`` or a lying ``asnumpy()`` gains nothing: the only way to pass is
a graph that computes the right answer.

Only a whitelist of operators is known (the ones the course's layers use, with MXNet 1.x semantics: no implicit
broadcast in element-wise operators, a full reduction gives shape ``(1,)``). Anything else, any graph that is too
large, any shape that does not fit, raises :class:`GraphError` with a message in the student's terms. Pure Python:
no MXNet is imported on the judge's side, and the cost is bounded (:data:`MAX_NODES`, :data:`MAX_ELEMENTS`).
"""
from __future__ import annotations

import ast
import json

import numpy as np

from .nets import ACTIVATIONS

#: The most nodes a graph may have, and the most elements any value in it may hold: far above what any answer
#: of the course builds, far below what could slow the judge down.
MAX_NODES = 500
MAX_ELEMENTS = 4_000_000
MAX_PRODUCTS = 200_000_000  # multiply-adds of one dot or FullyConnected (the course's largest: 64*784*128 = 6.4 M)
MAX_TEXT = 2_000_000


class GraphError(ValueError):
    """The graph cannot be evaluated: malformed, too large, an unknown operator, or shapes that do not fit."""


def _room(op: str, shape, products: int = 0) -> None:
    """Refuse, before computing it, a value too large or a product too costly (a forged graph must not be able to
    make the judge allocate or compute without bound)."""
    size = int(np.prod(shape, dtype=np.float64)) if len(shape) else 1
    if size > MAX_ELEMENTS or products > MAX_PRODUCTS:
        raise GraphError(f"{op} would make a value of shape {tuple(shape)}")


def _flag(attrs: dict, key: str, default: bool = False) -> bool:
    value = attrs.get(key)
    return default if value is None else str(value).strip().lower() in ("true", "1")


def _literal(attrs: dict, key: str, default=None):
    """An attribute as MXNet writes it (``"(0, 1)"``, ``"1"``, ``"None"``), read safely."""
    value = attrs.get(key)
    if value is None:
        return default
    try:
        parsed = ast.literal_eval(str(value))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise GraphError(f"an attribute {key}={value!r} the grader cannot read") from None
    return default if parsed is None else parsed


def _axes(attrs: dict):
    axis = _literal(attrs, "axis", None)
    if axis == ():
        return None
    if isinstance(axis, int):
        return (axis,)
    if isinstance(axis, tuple) and all(isinstance(a, int) for a in axis):
        return axis
    if axis is None:
        return None
    raise GraphError(f"an axis {axis!r} the grader cannot read")


def _reduce(function, numpy: bool = False):
    """A reduction; MXNet's classic operators give shape (1,) for a full reduction, its NumPy-mode ones ()."""
    def run(attrs, x):
        axes = _axes(attrs)
        if axes is not None:
            axes = tuple(a % x.ndim if x.ndim else a for a in axes)
            if any(not 0 <= a < max(x.ndim, 1) for a in axes):
                raise GraphError(f"a reduction over axis {axes} of an input of shape {x.shape}")
        if _flag(attrs, "exclude") and axes is not None:
            axes = tuple(a for a in range(x.ndim) if a not in axes)
        out = np.asarray(function(x, axis=axes, keepdims=_flag(attrs, "keepdims")))
        return out.reshape((1,)) if out.ndim == 0 and not numpy else out
    return run


def _same_shape(name, function):
    def run(attrs, a, b):
        if a.shape != b.shape:
            raise GraphError(f"{name} on shapes {a.shape} and {b.shape}: Incompatible attr in node (symbols do not "
                             "broadcast implicitly)")
        return function(a, b)
    run.broadcasting = _broadcast(name, function)  # what the operator does on NDArrays, for evaluate(broadcast=True)
    return run


def _broadcast(name, function):
    def run(attrs, a, b):
        try:
            shape = np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise GraphError(f"{name} on shapes {a.shape} and {b.shape}, which do not broadcast") from None
        _room(name, shape)
        return function(a, b)
    return run


def _scalar(function):
    def run(attrs, x):
        return function(x, float(_literal(attrs, "scalar", 0.0)))
    return run




def _activation(attrs, x):
    kind = str(attrs.get("act_type", ""))
    if kind not in ACTIVATIONS:
        raise GraphError(f"Activation with act_type={kind!r}")
    return ACTIVATIONS[kind](x)


def _fully_connected(attrs, x, weight, bias=None):
    hidden = int(_literal(attrs, "num_hidden", 0))
    data = x.reshape(len(x), -1) if _flag(attrs, "flatten", True) and x.ndim else x
    if weight.ndim != 2 or weight.shape != (hidden, data.shape[-1]):
        raise GraphError(f"FullyConnected(num_hidden={hidden}) on an input of shape {x.shape} with a weight of shape "
                         f"{weight.shape}: Shape inconsistent (the weight must be (num_hidden, input features))")
    _room("FullyConnected", (len(data), hidden), len(data) * hidden * data.shape[-1])
    out = data @ weight.T
    if not _flag(attrs, "no_bias"):
        if bias is None or bias.shape != (hidden,):
            raise GraphError(f"FullyConnected(num_hidden={hidden}) with a bias of shape "
                             f"{None if bias is None else bias.shape}")
        out = out + bias
    return out


def _dot(attrs, a, b):
    a = a.T if _flag(attrs, "transpose_a") else a
    b = b.T if _flag(attrs, "transpose_b") else b
    if a.ndim > 2 or b.ndim > 2 or a.shape[-1:] != b.shape[:1]:
        raise GraphError(f"dot of shapes {a.shape} and {b.shape}")
    _room("dot", a.shape[:-1] + b.shape[1:], a.size * (b.shape[1] if b.ndim == 2 else 1))
    return np.dot(a, b)


def _reshape(attrs, x):
    shape = _literal(attrs, "shape", ())
    if not isinstance(shape, tuple) or any(not isinstance(n, int) or n < -1 for n in shape):
        raise GraphError(f"Reshape to {shape!r} (only sizes, 0 and -1 are followed)")
    target = tuple(x.shape[i] if n == 0 and i < x.ndim else n for i, n in enumerate(shape))
    try:
        return x.reshape(target)
    except ValueError:
        raise GraphError(f"Reshape of shape {x.shape} to {shape}") from None


def _transpose(attrs, x):
    axes = _literal(attrs, "axes", ())
    return np.transpose(x, axes or None)


def _np_reshape(attrs, x):
    shape = _literal(attrs, "newshape", ())
    shape = (shape,) if isinstance(shape, int) else shape
    if not isinstance(shape, tuple) or any(not isinstance(n, int) or n < -1 for n in shape):
        raise GraphError(f"reshape to {shape!r}")
    try:
        return x.reshape(shape)
    except ValueError:
        raise GraphError(f"reshape of shape {x.shape} to {shape}") from None


def _np_dot(attrs, a, b):
    if a.ndim > 2 or b.ndim > 2 or a.shape[-1:] != b.shape[:1]:
        raise GraphError(f"np.dot of shapes {a.shape} and {b.shape}")
    _room("np.dot", a.shape[:-1] + b.shape[1:], a.size * (b.shape[1] if b.ndim == 2 else 1))
    return np.dot(a, b)


def _clip(attrs, x):
    return np.clip(x, float(_literal(attrs, "a_min", -np.inf)), float(_literal(attrs, "a_max", np.inf)))


def _leaky_relu(attrs, x):
    kind, slope = str(attrs.get("act_type", "leaky")), float(_literal(attrs, "slope", 0.25))
    if kind != "leaky":
        raise GraphError(f"LeakyReLU with act_type={kind!r}")
    return np.where(x > 0, x, slope * x)


def _expand_dims(attrs, x):
    axis = _literal(attrs, "axis", 0)
    if not isinstance(axis, int) or not -x.ndim - 1 <= axis <= x.ndim:
        raise GraphError(f"expand_dims at axis {axis!r} of shape {x.shape}")
    return np.expand_dims(x, axis)


#: MXNet operator name -> what it computes on NumPy arrays (``run(attrs, *inputs)``).
OPERATORS = {
    "mean": _reduce(np.mean), "sum": _reduce(np.sum), "max": _reduce(np.max), "min": _reduce(np.min),
    "broadcast_sub": _broadcast("broadcast_sub", np.subtract), "broadcast_minus": _broadcast("broadcast_minus",
                                                                                          np.subtract),
    "broadcast_add": _broadcast("broadcast_add", np.add), "broadcast_plus": _broadcast("broadcast_plus", np.add),
    "broadcast_mul": _broadcast("broadcast_mul", np.multiply), "broadcast_div": _broadcast("broadcast_div",
                                                                                          np.divide),
    "elemwise_add": _same_shape("elemwise_add", np.add), "_plus": _same_shape("_plus", np.add),
    "_Plus": _same_shape("_Plus", np.add),
    "elemwise_sub": _same_shape("elemwise_sub", np.subtract), "_minus": _same_shape("_minus", np.subtract),
    "_Minus": _same_shape("_Minus", np.subtract),
    "elemwise_mul": _same_shape("elemwise_mul", np.multiply), "_mul": _same_shape("_mul", np.multiply),
    "elemwise_div": _same_shape("elemwise_div", np.divide), "_div": _same_shape("_div", np.divide),
    "_plus_scalar": _scalar(np.add), "_minus_scalar": _scalar(np.subtract),
    "_rminus_scalar": _scalar(lambda x, s: s - x), "_mul_scalar": _scalar(np.multiply),
    "_div_scalar": _scalar(np.divide), "_rdiv_scalar": _scalar(lambda x, s: s / x),
    "FullyConnected": _fully_connected, "Activation": _activation, "dot": _dot,
    "relu": lambda attrs, x: ACTIVATIONS["relu"](x), "sigmoid": lambda attrs, x: ACTIVATIONS["sigmoid"](x),
    "tanh": lambda attrs, x: np.tanh(x), "negative": lambda attrs, x: -x,
    "Flatten": lambda attrs, x: x.reshape(len(x), -1), "flatten": lambda attrs, x: x.reshape(len(x), -1),
    "Reshape": _reshape, "reshape": _reshape, "transpose": _transpose, "expand_dims": _expand_dims,
    "_copy": lambda attrs, x: x, "identity": lambda attrs, x: x,
    "sum_axis": _reduce(np.sum), "broadcast_maximum": _broadcast("broadcast_maximum", np.maximum),
    "broadcast_minimum": _broadcast("broadcast_minimum", np.minimum),
    "_maximum": _same_shape("_maximum", np.maximum), "_minimum": _same_shape("_minimum", np.minimum),
    "_power_scalar": _scalar(np.power), "clip": _clip, "LeakyReLU": _leaky_relu,
    "exp": lambda attrs, x: np.exp(x), "log": lambda attrs, x: np.log(x), "square": lambda attrs, x: np.square(x),
    "sqrt": lambda attrs, x: np.sqrt(x), "abs": lambda attrs, x: np.abs(x),
    # NumPy mode (npx.set_np()): mxnet.np / npx operators, with NumPy's broadcasting and full reductions to ()
    "_npi_add": _broadcast("np.add", np.add), "_npi_subtract": _broadcast("np.subtract", np.subtract),
    "_npi_multiply": _broadcast("np.multiply", np.multiply),
    "_npi_true_divide": _broadcast("np.true_divide", np.divide),
    "_npi_maximum": _broadcast("np.maximum", np.maximum), "_npi_minimum": _broadcast("np.minimum", np.minimum),
    "_npi_add_scalar": _scalar(np.add), "_npi_subtract_scalar": _scalar(np.subtract),
    "_npi_rsubtract_scalar": _scalar(lambda x, s: s - x), "_npi_multiply_scalar": _scalar(np.multiply),
    "_npi_true_divide_scalar": _scalar(np.divide), "_npi_rtrue_divide_scalar": _scalar(lambda x, s: s / x),
    "_maximum_scalar": _scalar(np.maximum), "_minimum_scalar": _scalar(np.minimum),
    "_np_sum": _reduce(np.sum, numpy=True), "_npi_mean": _reduce(np.mean, numpy=True),
    "_np_max": _reduce(np.max, numpy=True), "_np_min": _reduce(np.min, numpy=True),
    "_np_dot": _np_dot, "_np_transpose": _transpose, "_np_reshape": _np_reshape, "_np_copy": lambda attrs, x: x,
    "_npx_relu": lambda attrs, x: ACTIVATIONS["relu"](x), "_npx_sigmoid": lambda attrs, x: ACTIVATIONS["sigmoid"](x),
    "_npi_tanh": lambda attrs, x: np.tanh(x), "_npi_negative": lambda attrs, x: -x,
}


def parse(text) -> dict:
    """The graph's JSON as a dict, checked for the fields :func:`evaluate` reads."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise GraphError("not the JSON text of a symbol (Symbol.tojson())")
    try:
        graph = json.loads(text)
    except (ValueError, RecursionError):
        raise GraphError("not the JSON text of a symbol (Symbol.tojson())") from None
    nodes = graph.get("nodes") if isinstance(graph, dict) else None
    heads = graph.get("heads") if isinstance(graph, dict) else None
    if not isinstance(nodes, list) or not isinstance(heads, list) or not nodes or not heads:
        raise GraphError("a symbol without nodes or outputs")
    if len(nodes) > MAX_NODES:
        raise GraphError(f"a graph of {len(nodes)} nodes (at most {MAX_NODES})")
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("op"), str) or not isinstance(node.get("name"), str):
            raise GraphError("a malformed node")
        inputs = node.get("inputs", [])
        if not isinstance(inputs, list) or not all(_entry(entry, index) for entry in inputs):
            raise GraphError(f"node {node['name']} reads inputs that do not come before it")
        if not isinstance(node.get("attrs", node.get("param", {})), dict):
            raise GraphError(f"node {node['name']} has malformed attributes")
    if not all(_entry(entry, len(nodes)) for entry in heads):
        raise GraphError("outputs that are not nodes of the graph")
    return graph


def _entry(entry, before: int) -> bool:
    """An input reference ``[node, output, version]`` to an earlier node's first output."""
    return (isinstance(entry, list) and len(entry) >= 2 and all(isinstance(n, int) and not isinstance(n, bool)
                                                                 for n in entry)
            and 0 <= entry[0] < before and entry[1] == 0)


def variables(graph: dict) -> list[str]:
    """The names of the graph's inputs (its ``null`` nodes), in order."""
    return [node["name"] for node in graph["nodes"] if node["op"] == "null"]


def operators(graph: dict) -> list[str]:
    """The operators the graph uses, in order, each once."""
    return list(dict.fromkeys(node["op"] for node in graph["nodes"] if node["op"] != "null"))


def evaluate(graph: dict, inputs: dict[str, np.ndarray], *, broadcast: bool = False) -> np.ndarray:
    """The graph's single output on ``inputs`` (variable name -> array), computed in float64 NumPy.

    With ``broadcast``, element-wise operators broadcast as they do on NDArrays: what the block computes when run
    imperatively (which values it computes with), apart from whether it can be hybridized.
    """
    operators = {op: getattr(run, "broadcasting", run) for op, run in OPERATORS.items()} if broadcast else OPERATORS
    if len(graph["heads"]) != 1:
        raise GraphError(f"a graph with {len(graph['heads'])} outputs instead of one")
    values: list = []
    for node in graph["nodes"]:
        name, op = node["name"], node["op"]
        if op == "null":
            if name not in inputs:
                raise GraphError(f"the graph reads an input {name!r} that is neither the data nor a parameter of "
                                 "the block")
            values.append(np.asarray(inputs[name], dtype=np.float64))
            continue
        if op not in operators:
            raise GraphError(f"the operator {op} (the grader follows: {', '.join(sorted(operators))})")
        args = [values[entry[0]] for entry in node.get("inputs", [])]
        attrs = {str(k): v for k, v in node.get("attrs", node.get("param", {})).items()}
        try:
            with np.errstate(all="ignore"):
                out = operators[op](attrs, *args)
        except GraphError:
            raise
        except (TypeError, ValueError, IndexError, np.AxisError, MemoryError, OverflowError) as error:
            raise GraphError(f"{op} on inputs of shapes {[a.shape for a in args]}: {error}") from None
        out = np.asarray(out, dtype=np.float64)
        if out.size > MAX_ELEMENTS:
            raise GraphError(f"{op} makes a value of {out.size} elements")
        values.append(out)
    return values[graph["heads"][0][0]]
