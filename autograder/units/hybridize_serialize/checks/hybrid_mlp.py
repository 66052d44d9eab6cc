"""``HybridMLP``: the MLP as a gluon.HybridBlock whose hybrid_forward uses F, the same before and after hybridize().

The judge sends the batch and, once it knows the block's parameter shapes, the parameters' values; it recomputes
the MLP in NumPy from those values, and runs the Symbol the block gives on ``mx.sym.var('data')`` with its own
MXNet (:mod:`.replay`), so a ``hybridize()`` that does nothing, or outputs that lie, earn nothing.
"""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import close, judge_chain, judge_forward, mlp_forward, weight_bias_pairs, weights_of

from .inputs import digest, mnist_rows, xavier_values
from .replay import BadSymbol, evaluate_symbol, symbol_structure
from .shared import answer, finished

EXERCISE = "HybridMLP"
HYBRID_BLOCK = "mxnet.gluon.block.HybridBlock"
SYMBOL_HINT = "hybrid_forward must compute the same thing whether F is mx.nd or mx.sym"


def probe_net(subject, needs: str, kwargs: dict | None = None, rows: int = 64, seed: int = 3) -> dict:
    """The student's HybridMLP on the judge's batch, with the judge's parameter values, as far as ``needs``.

    Asked twice: first for the parameters' shapes after one batch, then with values of those shapes. The reply
    carries the judge's own ``x`` and ``values`` (under ``judge``) for the judgements. A later step's failure
    belongs to the checks about that step, so it is left out unless ``needs`` is past it."""
    kwargs = kwargs or {}
    x = mnist_rows(subject, rows, seed)
    first = subject.probe("hybrid_mlp", kwargs=kwargs, x=x, key=digest(x))
    judge_attempted(first)
    judge_numpy_operator(first)
    data = answer(first, EXERCISE, "shapes")
    if "shapes" not in data:
        raise CheckFailed("HybridMLP(...) to make a gluon.HybridBlock", f"a {(data.get('types') or ['?'])[0]}",
                          "write `class HybridMLP(gluon.HybridBlock):` and build the layers in its __init__")
    shapes = data["shapes"]
    judge_size(shapes)
    what = f"{first.get('call') or (first.get('partial') or {}).get('call', 'HybridMLP()')} on a batch of {rows} " \
           "MNIST images"
    judge_shapes_usable(shapes, x, what)
    values = xavier_values([tuple(state["shape"]) for state in shapes], seed)
    reply = subject.probe("hybrid_mlp", kwargs=kwargs, x=x, values=values, key=digest(x, *values))
    judge_numpy_operator(reply)
    data = answer(reply, EXERCISE, needs)
    if needs != "params":
        data = {key: value for key, value in data.items() if key != "failure"}
    if data.get("assigned") is False:
        raise CheckFailed("the same parameter shapes each time HybridMLP is built with the same arguments",
                          "other shapes on the second build", "build the layers from the arguments alone")
    states = [{**state, "value": value} for state, value in zip(shapes, values, strict=True)]
    return {**data, "judge": {"x": x, "states": states, "what": what}}


#: What MXNet says when an ``mxnet.np``/``npx`` operator meets a classic array (MXNet names its own operator, often
#: a layer's, not the student's call), and the hint that names the student's call instead (issue 26).
NUMPY_OPERATOR = "This is a numpy operator which can only accept MXNet numpy ndarrays"
NUMPY_OPERATOR_HINT = ("hybrid_forward calls an mxnet.np / npx operator (F.npx.relu, F.np...): in this exercise F is "
                       "mx.nd, or mx.sym once hybridized, on classic arrays, which npx operators do not take. Call "
                       "F.relu(x) (or F.Activation(x, act_type='relu')) instead")


def judge_numpy_operator(reply: dict) -> None:
    """A forward pass of the student's block that failed on an ``mxnet.np``/``npx`` operator: name that call."""
    if reply.get("status") == "raised" and NUMPY_OPERATOR in reply.get("message", "") \
            and reply.get("stage", "").startswith(("the forward pass", "net(mx.sym.var")):
        raise CheckFailed(f"{reply['stage']} to run without an error",
                          f"it raised {reply['error_type']}: an mxnet.np operator was given a classic array",
                          NUMPY_OPERATOR_HINT)


#: The most parameter values the judge draws and sends for one HybridMLP: the exercise's default net (128, 64) has
#: about 110,000; a request to the probe must stay under a mebibyte, and the judge draws nothing it cannot afford.
MAX_VALUES = 160_000


def judge_size(shapes: list[dict]) -> None:
    """The parameters' shapes, as the student's process reports them, are few and small enough to draw values for
    (a forged shape of 10**12 entries must cost the judge nothing)."""
    dims = [state.get("shape") if isinstance(state, dict) else None for state in shapes] \
        if isinstance(shapes, list) else [None]
    if not all(isinstance(shape, list) and len(shape) <= 4 and all(type(n) is int and 0 <= n < 2**31 for n in shape)
               for shape in dims) or sum(int(np.prod(shape, dtype=np.float64)) for shape in dims) > MAX_VALUES:
        raise CheckFailed("the parameters of an MLP of the exercise's size (the defaults hidden=(128, 64), "
                          f"num_outputs=10 make about 110,000 values; at most {MAX_VALUES:,})",
                          f"{len(dims)} parameters, the first of shapes "
                          f"{[tuple(d) if isinstance(d, list) else d for d in dims][:4]}",
                          "keep the exercise's defaults, hidden=(128, 64) and num_outputs=10, and build only the "
                          "Dense layers they ask for")


def judge_shapes_usable(shapes: list[dict], x: np.ndarray, what: str) -> None:
    """The parameters after one batch must be those of Dense layers chained in order (the shapes alone)."""
    states = [{**state, "value": np.zeros(state["shape"]) if not state.get("data_error") else None}
              for state in shapes]
    layers = weight_bias_pairs(states)
    judge_chain(weights_of(states), layers, x, what)


def judge_attempted(reply: dict) -> None:
    """HybridMLP must be the student's own HybridBlock with hybrid_forward written in the notebook; else no check
    about it gives points (a built-in HybridSequential in its place runs MXNet's hybrid_forward, not theirs)."""
    facts = (reply.get("partial") or reply).get("class")
    if not facts:
        return  # not defined, or not reached: the reply itself says why
    if not facts["is_class"]:
        raise CheckFailed("`HybridMLP` to be your own class, written in the notebook", f"a {facts['type']}",
                          "write `class HybridMLP(gluon.HybridBlock):` with its own __init__ and hybrid_forward")
    if HYBRID_BLOCK not in facts["bases"]:
        raise CheckFailed("`HybridMLP` to derive from gluon.HybridBlock", f"bases {facts['bases'][:3]}",
                          "write `class HybridMLP(gluon.HybridBlock):`: a plain Block cannot be hybridized")
    if "hybrid_forward" not in facts["written"]:
        builtin = next((base for base in facts["bases"] if base.startswith("mxnet.")), "").rsplit(".", 1)[-1]
        raise CheckFailed("`HybridMLP` to have a hybrid_forward(self, F, x) written in the notebook",
                          f"its forward comes from MXNet's {builtin}",
                          "write `def hybrid_forward(self, F, x):` that runs your layers with F.relu between them")


def model(data: dict, output: dict) -> dict:
    """What :func:`judge_forward` reads: the judge's batch and values, and the output to judge."""
    return {"input": data["judge"]["x"], "output": output, "after_forward": data["judge"]["states"]}


def depth_of(data: dict) -> int:
    """The number of hidden layers the block's parameters make."""
    return len(weight_bias_pairs(data["judge"]["states"])) - 1


def symbol_json(data: dict) -> str:
    """The JSON text of the Symbol ``net(mx.sym.var('data'))`` gave, or CheckFailed when it gave none."""
    found = data["symbol"]
    if not found["is_symbol"] or not isinstance(found.get("json"), str):
        raise CheckFailed("net(mx.sym.var('data')) to return a Symbol", f"a {found['type']}",
                          "hybrid_forward must return what F's operators give, without converting it")
    return found["json"]


def judge_hybridized(data: dict, depth: int, what: str) -> None:
    """The Symbol the block gives, run by the judge's MXNet with the judge's values, is the NumPy MLP."""
    text = symbol_json(data)
    states, names = data["judge"]["states"], data["params"]
    if len(names) != len(states):
        raise CheckFailed("the same parameters after hybridize() as before", f"{len(names)} instead of {len(states)}",
                          SYMBOL_HINT, where=what)
    inputs = {"data": data["judge"]["x"], **{name: state["value"] for name, state in zip(names, states, strict=True)}}
    try:
        found = evaluate_symbol(text, inputs)
    except BadSymbol as error:
        raise CheckFailed("the Symbol hybrid_forward builds to run on the batch", str(error), SYMBOL_HINT,
                          where=what) from None
    judge_forward(model(data, {"kind": "NDArray", "value": found}), depth, what)


def judge_built_from_layers(data: dict) -> None:
    """The Symbol, run by the judge with its values, is a chain of the block's Dense layers (a graph that merely
    names the parameters, and computes something else, is no Symbol of the net). Which activations it applies
    is the forward checks' question, so a ReLU too many or too few does not count here."""
    states = data["judge"]["states"]
    inputs = {"data": data["judge"]["x"], **{name: state["value"] for name, state in zip(data["params"], states,
                                                                                         strict=False)}}
    try:
        found = evaluate_symbol(symbol_json(data), inputs)
    except BadSymbol as error:
        raise CheckFailed("the Symbol hybrid_forward builds to run on the batch", str(error), SYMBOL_HINT) from None
    layers = weight_bias_pairs(states)
    depth = len(layers) - 1
    chains = ([*["relu"] * depth, None], ["relu"] * (depth + 1), [None] * (depth + 1))
    if not any(close(found, mlp_forward(data["judge"]["x"], layers, chain)) for chain in chains):
        raise CheckFailed("the Symbol to run `data` through the net's Dense layers, in order",
                          "a Symbol that computes something else from them",
                          "run the input through the layers registered in __init__, nothing else")


@check(EXERCISE, 2, "Imperative forward matches a NumPy MLP over the block's own parameters")
def forward(subject):
    data = probe_net(subject, "output")
    judge_forward(model(data, data["output"]), 2, data["judge"]["what"] + ", before hybridize()")


@check(EXERCISE, 2, "After hybridize(), the same outputs as before")
def hybridized(subject):
    data = finished(probe_net(subject, "params"), EXERCISE)
    judge_hybridized(data, 2, data["judge"]["what"] + ", hybridized (the Symbol hybrid_forward builds)")


@check(EXERCISE, 1, "Called on mx.sym.var('data'), a Symbol over data and the net's parameters")
def symbol(subject):
    data = finished(probe_net(subject, "params"), EXERCISE)
    try:
        arguments = symbol_structure(symbol_json(data))["arguments"]
    except BadSymbol as error:
        raise CheckFailed("net(mx.sym.var('data')) to return a Symbol MXNet can read", str(error),
                          SYMBOL_HINT) from None
    params = data["params"]
    if arguments[:1] != ["data"] or sorted(arguments[1:]) != sorted(params):
        extra = sorted(set(arguments) - {"data", *params})
        raise CheckFailed("the Symbol's arguments to be `data`, then the net's parameters",
                          f"arguments {arguments[:4]}{' ...' if len(arguments) > 4 else ''}"
                          + (f" ({extra[0]} is not a parameter of the net)" if extra else ""),
                          "run the input through the layers registered in __init__, nothing else")
    judge_built_from_layers(data)
    outside = [name for name in params if not name.startswith(data["prefix"])]
    if outside:
        raise CheckFailed(f"every parameter under the block's prefix {data['prefix']!r}", repr(outside[0]),
                          "create the layers inside `with self.name_scope():` in __init__, so that the exported "
                          "symbol's parameters carry the net's name")


@check(EXERCISE, 1, "Any hidden widths and output size, hybridized")
@for_all(hidden=strategies.hidden_layers(max_depth=3, max_width=16), num_outputs=strategies.widths(12))
def any_widths(subject, hidden, num_outputs):
    data = finished(probe_net(subject, "params", {"hidden": hidden, "num_outputs": num_outputs}, rows=8), EXERCISE)
    judge_hybridized(data, len(hidden), f"{data['call']}, hybridized")
