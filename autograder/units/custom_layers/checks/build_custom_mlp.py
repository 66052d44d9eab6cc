"""``build_custom_mlp``: an nn.HybridSequential made in its name_scope(), one MyDense per hidden width, then
nn.Dense(num_outputs); shapes deferred until the first batch of images.

The probe runs the student's builder with the kit's own MyDense in place of theirs (same name, same signature,
relu(x W^T + b)), so a mistake in the MyDense exercise costs no points here; what is judged is the net they build.
"""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from .shared import (
    DENSE,
    HYBRID_SEQUENTIAL,
    array_of,
    assigned_inputs,
    close,
    graph_output,
    judge_images,
    judge_values,
    ran_until,
    relative_name,
    seed_of,
    unassigned,
)

EXERCISE = "build_custom_mlp"
DEFAULT = {"hidden": (128, 64), "num_outputs": 10}


def custom_mlp(subject, hidden=DEFAULT["hidden"], num_outputs=DEFAULT["num_outputs"], rows: int = 64):
    """The probe's reply for ``build_custom_mlp(hidden, num_outputs)`` on the judge's images, its parameters set to
    the judge's values in collect_params() order, once its layers are known to be MyDense; with those images and
    values.

    Every check of the exercise asks this first: hidden layers that are not MyDense do not do the exercise.
    """
    kwargs = {"hidden": list(hidden), "num_outputs": num_outputs}
    x = judge_images(rows, seed_of("custom_mlp images", rows))
    values = judge_values(param_shapes(hidden, num_outputs), seed_of("custom_mlp", list(hidden), num_outputs))
    reply = subject.probe("custom_mlp", kwargs=kwargs, x=x, values=values)
    data = ran_until(reply, "types", EXERCISE)
    if "mxnet.gluon.block.Block" not in data["types"]:
        raise CheckFailed(f"{data['call']} to return a gluon Block (an nn.HybridSequential)",
                          f"it returned {data['types'][0]}", "return the net you built")
    data = ran_until(reply, "children", EXERCISE)
    mine = [child for child in data["children"] if child["kit_dense"]]
    if len(mine) != len(hidden):
        built_in = [child["type"].rpartition(".")[2] for child in data["children"] if not child["kit_dense"]]
        raise CheckFailed(f"{data['call']} to hold {len(hidden)} MyDense layers, one per hidden width",
                          f"{len(mine)} MyDense layers" + (f", and {', '.join(built_in)}" if built_in else ""),
                          "use your own MyDense(units) for every hidden layer (not nn.Dense), then one "
                          "nn.Dense(num_outputs)")
    return reply, x, values


def param_shapes(hidden, num_outputs: int, in_units: int = 784) -> list[tuple]:
    """Weight and bias shapes of an ``in_units -> hidden -> num_outputs`` net, in order (0 inputs while deferred)."""
    sizes = [*hidden, num_outputs]
    inputs = [in_units, *hidden] if in_units else [0] * len(sizes)
    return [shape for units, fan_in in zip(sizes, inputs, strict=True) for shape in ((units, fan_in), (units,))]


def expected_names(depth: int) -> list[str]:
    """``mydense0_weight, mydense0_bias, ..., dense0_weight, dense0_bias`` relative to the net's prefix."""
    blocks = [f"mydense{i}_" for i in range(depth)] + ["dense0_"]
    return [block + suffix for block in blocks for suffix in ("weight", "bias")]


def judge_shapes(params: list[dict], hidden, num_outputs: int, in_units: int, when: str, what: str) -> None:
    """Weights (and biases) have the shapes of a ``in_units -> hidden -> num_outputs`` net, in order."""
    expected = param_shapes(hidden, num_outputs, in_units)
    found = [tuple(p["shape"]) for p in params]
    if found != expected:
        raise CheckFailed(f"parameter shapes {expected} {when}", f"{found}",
                          "leave in_units out everywhere: the first batch fixes the input sizes" if not in_units
                          else "each layer gets the units of the layer before it, the first 784 pixels", where=what)


def mlp_output(x: np.ndarray, values: list, depth: int, relu_out: bool = False) -> np.ndarray:
    """The judge's MLP over its own values: relu on the MyDense layers, none at the output (or relu with
    ``relu_out``)."""
    out = x.reshape(len(x), -1).astype(np.float64)
    for index in range(depth + 1):
        weight, bias = values[2 * index].astype(np.float64), values[2 * index + 1].astype(np.float64)
        out = out @ weight.T + bias
        out = np.maximum(out, 0) if index < depth or relu_out else out
    return out


def judge_output(data: dict, found: np.ndarray, x: np.ndarray, values: list, hidden, what: str) -> None:
    """``found`` equals the judge's MLP over the judge's images and values, which went into the net's
    parameters (whose shapes are checked first)."""
    judge_shapes(data["after_forward"], hidden, len(values[-1]), 784, "after a batch of images", what)
    unassigned(data, [v.shape for v in values], what, "the MyDense layers in order, then nn.Dense(num_outputs)")
    expected = mlp_output(x, values, len(hidden))
    if found.shape != expected.shape:
        raise CheckFailed(f"an output of shape {expected.shape}", f"shape {found.shape}",
                          "the output layer is nn.Dense(num_outputs): one row per image", where=what)
    if not close(found, expected):
        hint = ("the output layer applies ReLU: it must be a plain nn.Dense(num_outputs) (raw scores)"
                if close(found, mlp_output(x, values, len(hidden), relu_out=True)) else
                "the hidden layers are your MyDense layers in order, then nn.Dense(num_outputs), nothing else")
        raise CheckFailed("the output to equal the MyDense layers, then the output layer, computed from the net's "
                          "own parameters", f"outputs that differ by up to {np.abs(found - expected).max():.3g}", hint,
                          where=what)


def judge_computes(data: dict, x: np.ndarray, values: list, hidden, what: str) -> None:
    """The net computes with the parameters it lists: with the judge's values in them its output is the MLP's,
    with or without a relu at the output (that mistake is judged by the checks of the forward pass)."""
    unassigned(data, [v.shape for v in values], what, "the MyDense layers in order, then nn.Dense(num_outputs)")
    found = array_of(data, "output", what)
    if not any(close(found, mlp_output(x, values, len(hidden), relu)) for relu in (False, True)):
        raise CheckFailed(f"{what} to compute with the parameters collect_params() lists: with values set into them "
                          "(set_data), the output of MyDense layers then nn.Dense", "an output that does not follow "
                          "them", "add the layers to the net in order and return it: nothing else computes")


def judge_forward(data: dict, x: np.ndarray, values: list, hidden, what: str) -> None:
    """Imperatively, and as the graph hybrid_forward builds on symbols (evaluated by the judge), then hybridized."""
    judge_output(data, array_of(data, "output", what), x, values, hidden, what)
    graph = graph_output(data, assigned_inputs(data, values, x), what, EXERCISE)
    judge_output(data, graph, x, values, hidden, f"{what}, its graph (what hybridize() runs)")
    judge_output(data, array_of(data, "hybrid_output", what), x, values, hidden, f"{what}, hybridized")


@check(EXERCISE, 1, "An nn.HybridSequential of one MyDense per hidden width, then nn.Dense(num_outputs)")
def structure(subject):
    reply, x, values = custom_mlp(subject)
    data = ran_until(reply, "children", EXERCISE)
    if HYBRID_SEQUENTIAL not in data["types"]:
        raise CheckFailed("an nn.HybridSequential", data["types"][0].rpartition(".")[2],
                          "start from net = nn.HybridSequential(): MyDense and nn.Dense are hybrid blocks, so the "
                          "whole net can be hybridized")
    found = [(child["type"].rpartition(".")[2] if not child["kit_dense"] else "MyDense", child.get("units"),
              child.get("activation")) for child in data["children"]]
    expected = [("MyDense", units, "relu") for units in DEFAULT["hidden"]] + [("Dense", DEFAULT["num_outputs"], None)]
    if found != expected or data["children"][-1]["type"] != DENSE:
        raise CheckFailed(f"the layers (class, units, activation) {expected}", f"{found}",
                          "MyDense(h) for each h in hidden, then nn.Dense(num_outputs) with no activation")
    judge_computes(ran_until(reply, "output", EXERCISE), x, values, DEFAULT["hidden"], data["call"])


@check(EXERCISE, 1, "Parameters are named under the net's prefix: mydense0_weight, ..., dense0_bias")
def param_names(subject):
    reply, x, values = custom_mlp(subject)
    data = ran_until(reply, "before_init", EXERCISE)
    names = [p["name"] for p in data["before_init"]]
    relative = [relative_name(name, data["prefix"]) for name in names]
    if None in relative:
        raise CheckFailed(f"every parameter name to start with the net's prefix {data['prefix']!r}",
                          repr(names[relative.index(None)]),
                          "create the layers inside `with net.name_scope():` so they are named under the net")
    expected = expected_names(len(DEFAULT["hidden"]))
    if relative != expected:
        raise CheckFailed(f"names {expected} after the prefix", f"{relative}",
                          "one MyDense per hidden width, then nn.Dense(num_outputs), all inside name_scope()")
    judge_computes(ran_until(reply, "output", EXERCISE), x, values, DEFAULT["hidden"], data["call"])


@check(EXERCISE, 1, "Shapes are deferred until the first batch of images, which gives (batch, num_outputs)")
def deferred_shapes(subject):
    reply, x, values = custom_mlp(subject)
    data = ran_until(reply, "output", EXERCISE)
    judge_shapes(data["before_init"], DEFAULT["hidden"], DEFAULT["num_outputs"], 0, "before the first batch",
                 data["call"])
    judge_shapes(data["after_forward"], DEFAULT["hidden"], DEFAULT["num_outputs"], 784,
                 "after a batch of images", data["call"])
    output = array_of(data, "output", data["call"])
    if output.shape != (64, DEFAULT["num_outputs"]):
        raise CheckFailed(f"an output of shape (64, {DEFAULT['num_outputs']}) for 64 images", f"{output.shape}",
                          "the last layer is nn.Dense(num_outputs)", where=data["call"])
    judge_computes(data, x, values, DEFAULT["hidden"], data["call"])


@check(EXERCISE, 1, "The output matches a NumPy MLP over the net's own parameters, hybridized too")
def forward(subject):
    reply, x, values = custom_mlp(subject)
    data = ran_until(reply, "hybrid_output", EXERCISE)
    judge_forward(data, x, values, DEFAULT["hidden"], f"{data['call']} on 64 images")


@check(EXERCISE, 1, "Any hidden widths and output size")
@for_all(hidden=strategies.hidden_layers(), num_outputs=strategies.widths(12))
def any_widths(subject, hidden, num_outputs):
    reply, x, values = custom_mlp(subject, hidden, num_outputs, rows=8)
    data = ran_until(reply, "hybrid_output", EXERCISE)
    judge_forward(data, x, values, hidden, f"{data['call']} on 8 images")
