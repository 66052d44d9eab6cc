"""``MyDense``: a HybridBlock declaring ``weight`` (units, in_units) and ``bias`` (units,) with ``self.params.get``,
computing relu(x W^T + b) on x flattened to 2-D, with the weight's input size deferred when ``in_units=0``."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder import strategies
from autograder.checks import symbols
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from .shared import (
    HYBRID_BLOCK,
    array_of,
    assigned_inputs,
    close,
    graph_output,
    judge_input,
    judge_own_class,
    judge_values,
    ran_until,
    relative_name,
    seed_of,
)

EXERCISE = "MyDense"
#: MyDense(5, in_units=6) on a (4, 2, 3) batch: the layer must flatten it to (4, 6).
EXPLICIT = {"units": 5, "in_units": 6, "shape": [4, 2, 3]}
DEFERRED = {"units": 5, "in_units": 0, "shape": [4, 2, 3]}


def my_dense(subject, units: int, in_units: int, shape) -> tuple[dict, np.ndarray, tuple]:
    """The probe's reply for MyDense(units, in_units) on the judge's input and with the judge's weight and bias,
    after checking the layer is the student's own; with that input and those values.

    "Own" means: a class deriving from gluon.HybridBlock only, with its own hybrid_forward, that declares
    parameters (registered or not) and holds no layer of MXNet's inside.
    """
    shape = list(shape)
    seed = seed_of("my_dense", units, in_units, shape)
    x = judge_input(shape, seed)
    weight, bias = judge_values([(units, int(np.prod(shape[1:]))), (units,)], seed + 1)
    reply = subject.probe("my_dense", units=units, in_units=in_units, x=x, values={"weight": weight, "bias": bias})
    judge_own_class(subject, EXERCISE, HYBRID_BLOCK, "hybrid_forward", reply)
    data = ran_until(reply, "before_init", EXERCISE)
    if data["children"]:
        raise CheckFailed(f"{data['call']} to declare its weight and bias itself, with no layer inside",
                          f"it holds {', '.join(child['type'].rpartition('.')[2] for child in data['children'])} "
                          f"({data['children'][0]['name']})",
                          "do not use nn.Dense inside MyDense: declare self.weight = self.params.get('weight', ...) "
                          "and self.bias = self.params.get('bias', ...) and compute with F.FullyConnected")
    if not data["before_init"] and not data["loose"]:
        raise CheckFailed(f"{data['call']} to declare a weight and a bias", "it declares no parameter",
                          "in __init__: self.weight = self.params.get('weight', shape=(units, in_units), "
                          "allow_deferred_init=True), and the same for the bias")
    return reply, x, (weight, bias)


def expected_shapes(units: int, in_units: int) -> dict:
    """The declared shapes, relative name to shape."""
    return {"weight": (units, in_units), "bias": (units,)}


def judge_declared(data: dict, units: int, in_units: int, when: str) -> None:
    """``collect_params()`` finds exactly ``<prefix>weight`` and ``<prefix>bias``, of the declared shapes."""
    if data["loose"]:
        raise CheckFailed(f"collect_params() of {data['call']} to find its weight and bias",
                          f"it finds {[p['name'] for p in data['before_init']]}; {data['loose']} were made but never "
                          "registered", "a gluon.Parameter you make yourself is not registered: declare each with "
                          "self.params.get('weight', shape=...), which names it <prefix>weight and registers it")
    names = {relative_name(p["name"], data["prefix"]): p for p in data["before_init"]}
    expected = expected_shapes(units, in_units)
    if set(names) != set(expected):
        raise CheckFailed(f"the parameters {data['prefix']}weight and {data['prefix']}bias",
                          f"{[p['name'] for p in data['before_init']]}",
                          "declare them with self.params.get('weight', ...) and self.params.get('bias', ...): "
                          "the prefix of the layer is added for you")
    for name, shape in expected.items():
        found = tuple(names[name]["shape"])
        if found != shape:
            hint = ("the weight is (units, in_units): one row per output unit, as x W^T needs"
                    if name == "weight" and found == shape[::-1] else f"declare {name} with shape={shape}")
            raise CheckFailed(f"{data['prefix']}{name} of shape {shape} {when}", f"shape {found}", hint,
                              where=data["call"])


def judge_assigned(data: dict, units: int, features: int, what: str) -> None:
    """The judge's weight (units, features) and bias (units,) went into <prefix>weight and <prefix>bias."""
    if all(data["assigned"]):
        return
    by_name = {relative_name(p["name"], data["prefix"]): tuple(p["shape"]) for p in data["after_forward"]}
    raise CheckFailed(f"{what} to have {data['prefix']}weight of shape {(units, features)} and {data['prefix']}bias "
                      f"of shape {(units,)} after a batch of {features} features",
                      f"{by_name.get('weight')} and {by_name.get('bias')}" if by_name else "no parameters",
                      "the weight is (units, in_units), the bias (units,), both declared with self.params.get")


def expected_output(x: np.ndarray, values: tuple, relu: bool = True) -> np.ndarray:
    """relu(flatten(x) W^T + b) (or without the relu) over the judge's own input and values."""
    weight, bias = (value.astype(np.float64) for value in values)
    linear = x.reshape(len(x), -1).astype(np.float64) @ weight.T + bias
    return np.maximum(linear, 0) if relu else linear


def judge_output(data: dict, found: np.ndarray, x: np.ndarray, values: tuple, what: str) -> None:
    """``found`` equals relu(flatten(x) W^T + b) over the judge's input and the judge's weight and bias."""
    units, features = values[0].shape
    judge_assigned(data, units, features, what)
    expected = expected_output(x, values)
    if found.shape != expected.shape:
        raise CheckFailed(f"{what} to give an output of shape {expected.shape}", f"shape {found.shape}",
                          "flatten x to (batch, features) and return one value per unit: F.FullyConnected does both")
    if not close(found, expected):
        if close(found, expected_output(x, values, relu=False)):
            hint = "the relu is missing: return F.relu(F.FullyConnected(x, weight, bias, num_hidden=units))"
        else:
            hint = "recompute it by hand: relu(x @ W.T + b), with x flattened to (batch, features)"
        raise CheckFailed(f"{what} to return relu(x W^T + b) computed from its own weight and bias",
                          f"outputs that differ by up to {np.abs(found - expected).max():.3g}", hint)


def judge_uses_params(data: dict, x: np.ndarray, values: tuple, what: str) -> None:
    """The declared weight and bias are the ones the layer computes with: with the judge's values in them, its
    output is x W^T + b, with or without the relu (a missing relu is judged by the checks of the forward pass)."""
    units, features = values[0].shape
    judge_assigned(data, units, features, what)
    found = array_of(data, "output", what)
    if not any(close(found, expected_output(x, values, relu)) for relu in (True, False)):
        raise CheckFailed(f"{what} to compute with its declared weight and bias: with values set into them (set_data), "
                          "the output to be relu(x W^T + b)",
                          "an output that does not follow them" if found.shape == (len(x), units) else
                          f"an output of shape {found.shape}",
                          "compute with the weight and bias hybrid_forward receives: "
                          "F.relu(F.FullyConnected(x, weight, bias, num_hidden=units))")


def graph_follows(data: dict, x: np.ndarray, values: tuple, linear: list) -> bool:
    """Whether the graph hybrid_forward builds computes one of ``linear`` from the judge's input and values, evaluated
    as the layer runs imperatively (element-wise operators broadcast), on x as sent or flattened, with the weight as
    declared or transposed: d2l's MyDense declares (in_units, units), computes x W + b and takes 2-D input, and is
    still a layer computing with its own parameters (its shapes and hybridizing are judged by their own checks)."""
    traced = data.get("symbol") or {}
    if traced.get("kind") != "Symbol" or not isinstance(traced.get("value"), str):
        return False
    try:
        graph = symbols.parse(traced["value"])
    except symbols.GraphError:
        return False
    for data_in in (x, x.reshape(len(x), -1)):
        for weight in (values[0], values[0].T):
            inputs = {"data": data_in, f"{data['prefix']}weight": weight, f"{data['prefix']}bias": values[1]}
            try:
                found = symbols.evaluate(graph, inputs, broadcast=True)
            except symbols.GraphError:
                continue
            if any(close(found, expected) for expected in linear):
                return True
    return False


def judge_computes_somehow(data: dict, x: np.ndarray, values: tuple) -> None:
    """Evidence that the layer computes with the weight and bias it declares, on the judge's input and values:
    its output once they are set, or else the graph its hybrid_forward builds, evaluated by the judge with them
    under the declared names (a weight of the wrong shape fails the forward pass but not the graph)."""
    linear = [expected_output(x, values, relu) for relu in (True, False)]
    if "output" in data and data["output"]["kind"] == "NDArray" and all(data.get("assigned") or [None]) \
            and any(close(data["output"]["value"], expected) for expected in linear):
        return
    if not graph_follows(data, x, values, linear):
        raise CheckFailed(f"{data['call']} to compute with the weight and bias it declares: with values set into them, "
                          "relu(x W^T + b)", "neither its output nor the graph of its hybrid_forward follows them" +
                          (f"; {data['loose']} were made but never registered" if data.get("loose") else ""),
                          "declare each with self.params.get('weight', ...), which registers it and hands it to "
                          "hybrid_forward" if data.get("loose") else
                          "compute with the weight and bias hybrid_forward receives: "
                          "F.relu(F.FullyConnected(x, weight, bias, num_hidden=units))")


def judge_hybridized(reply: dict, x: np.ndarray, values: tuple, what: str) -> None:
    """Hybridized means the graph hybrid_forward builds on symbols: the judge evaluates it on its own input and
    values first (its operators name what went wrong); the output of the layer once hybridized must be right too."""
    units, features = values[0].shape
    data = ran_until(reply, "output", EXERCISE)
    judge_assigned(data, units, features, what)
    graph = graph_output(data, assigned_inputs(data, values, x), what, EXERCISE)
    judge_output(data, graph, x, values, f"{what}, its graph (what hybridize() runs)")
    data = ran_until(reply, "hybrid_output", EXERCISE)
    judge_output(data, array_of(data, "hybrid_output", what), x, values, f"{what} once hybridized")


@check(EXERCISE, 1, "MyDense is a HybridBlock of your own that declares parameters, with no nn.Dense inside")
def own_layer(subject):
    # What a class is can only be reported by the student's process; what it computes the judge sees itself. So
    # being a layer of one's own also takes computing with the declared weight and bias (imperatively, or in the
    # graph hybrid_forward builds, even when a wrong shape stops the forward pass).
    reply, x, values = my_dense(subject, **EXPLICIT)
    judge_computes_somehow(ran_until(reply, "symbol", EXERCISE), x, values)


@check(EXERCISE, 2, "Its parameters are <prefix>weight (units, in_units) and <prefix>bias (units,)")
def declared_params(subject):
    reply, x, values = my_dense(subject, **EXPLICIT)
    judge_declared(ran_until(reply, "before_init", EXERCISE), EXPLICIT["units"], EXPLICIT["in_units"], "as declared")
    data = ran_until(reply, "symbol", EXERCISE)
    if "output" in data:
        judge_uses_params(data, x, values, reply.get("call") or EXERCISE)
    else:  # the forward pass failed (its checks say why): the graph hybrid_forward builds shows what it computes with
        judge_computes_somehow(data, x, values)


@check(EXERCISE, 1, "With in_units given, initialize() allocates the parameters at once")
def explicit_init(subject):
    reply, x, values = my_dense(subject, **EXPLICIT)
    data = ran_until(reply, "after_init", EXERCISE)
    if not data["after_init"]:
        raise CheckFailed(f"{data['call']}.initialize() to allocate a weight and a bias",
                          f"collect_params() finds nothing; {data['loose']} were never registered",
                          "declare the parameters with self.params.get so that initialize() reaches them")
    for param in data["after_init"]:
        if param["data_error"] is not None:
            raise CheckFailed(f"{param['name']}.data() to work right after initialize(), since in_units is given",
                              f"it raised {param['data_error']}",
                              "declare the weight with shape=(units, in_units): with in_units known, nothing waits "
                              "for data", where=data["call"])
    judge_computes_somehow(data, x, values)


@check(EXERCISE, 2, "With in_units=0 the weight is (units, 0) until the first batch, which fixes it")
def deferred_shapes(subject):
    reply, x, values = my_dense(subject, **DEFERRED)
    data = ran_until(reply, "before_init", EXERCISE)
    judge_declared(data, DEFERRED["units"], 0, "before the first batch")
    data = ran_until(reply, "output", EXERCISE)
    for param in data["after_init"]:
        if param["shape"].count(0) and param["data_error"] != "DeferredInitializationError":
            raise CheckFailed(f"initialize() only to record the initializer of {param['name']} (data() raises "
                              "DeferredInitializationError until the first batch)", f"data() raised "
                              f"{param['data_error']}", "declare it with allow_deferred_init=True", where=data["call"])
    features = int(np.prod(DEFERRED["shape"][1:]))
    weight = next((p for p in data["after_forward"] if relative_name(p["name"], data["prefix"]) == "weight"), None)
    if weight is None or tuple(weight["shape"]) != (DEFERRED["units"], features):
        raise CheckFailed(f"the weight of shape {(DEFERRED['units'], features)} after a batch of shape "
                          f"{tuple(DEFERRED['shape'])}", f"shape {tuple(weight['shape']) if weight else None}",
                          "the first batch, flattened, fixes in_units: let F.FullyConnected infer it",
                          where=data["call"])
    judge_uses_params(data, x, values, f"{data['call']} after a batch of shape {tuple(DEFERRED['shape'])}")


@check(EXERCISE, 1, "The output is relu(x W^T + b) on x flattened, from its own parameters")
def forward(subject):
    reply, x, values = my_dense(subject, **EXPLICIT)
    data = ran_until(reply, "output", EXERCISE)
    what = f"{data['call']} on x of shape {tuple(EXPLICIT['shape'])}"
    judge_output(data, array_of(data, "output", what), x, values, what)


@check(EXERCISE, 1, "Hybridized, it gives the same output")
def hybridized(subject):
    reply, x, values = my_dense(subject, **EXPLICIT)
    judge_hybridized(reply, x, values, ran_until(reply, "call", EXERCISE)["call"])


@check(EXERCISE, 1, "Any units, input shape and in_units (given or deferred), imperative and hybridized")
@for_all(units=strategies.widths(12), shape=st.lists(st.integers(min_value=1, max_value=5), min_size=2, max_size=4),
         deferred=st.booleans())
def any_shape(subject, units, shape, deferred):
    features = int(np.prod(shape[1:]))
    in_units = 0 if deferred else features
    reply, x, values = my_dense(subject, units, in_units, shape)
    data = ran_until(reply, "output", EXERCISE)
    what = f"{data['call']} on x of shape {tuple(shape)}"
    judge_declared(data, units, in_units, "before the first batch")
    judge_output(data, array_of(data, "output", what), x, values, what)
    judge_hybridized(reply, x, values, what)
