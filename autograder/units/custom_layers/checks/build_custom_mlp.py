"""``build_custom_mlp``: an nn.HybridSequential made in its name_scope(), one MyDense per hidden width, then
nn.Dense(num_outputs); shapes deferred until the first MNIST batch.

The probe runs the student's builder with the kit's own MyDense in place of theirs (same name, same signature,
relu(x W^T + b)), so a mistake in the MyDense exercise costs no points here; what is judged is the net they build.
"""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from .shared import DENSE, HYBRID_SEQUENTIAL, array_of, close, ran_until, relative_name

EXERCISE = "build_custom_mlp"
DEFAULT = {"hidden": (128, 64), "num_outputs": 10}


def custom_mlp(subject, hidden=DEFAULT["hidden"], num_outputs=DEFAULT["num_outputs"], rows: int = 64) -> dict:
    """The probe's reply for ``build_custom_mlp(hidden, num_outputs)``, once its layers are known to be MyDense.

    Every check of the exercise asks this first: hidden layers that are not MyDense do not do the exercise.
    """
    kwargs = {"hidden": list(hidden), "num_outputs": num_outputs}
    reply = subject.probe("custom_mlp", kwargs=kwargs, rows=rows)
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
    return reply


def expected_names(depth: int) -> list[str]:
    """``mydense0_weight, mydense0_bias, ..., dense0_weight, dense0_bias`` relative to the net's prefix."""
    blocks = [f"mydense{i}_" for i in range(depth)] + ["dense0_"]
    return [block + suffix for block in blocks for suffix in ("weight", "bias")]


def judge_shapes(params: list[dict], hidden, num_outputs: int, in_units: int, when: str, what: str) -> None:
    """Weights (and biases) have the shapes of a ``in_units -> hidden -> num_outputs`` net, in order."""
    sizes = [*hidden, num_outputs]
    inputs = [in_units, *hidden] if in_units else [0] * len(sizes)
    expected = [shape for units, fan_in in zip(sizes, inputs, strict=True) for shape in ((units, fan_in), (units,))]
    found = [tuple(p["shape"]) for p in params]
    if found != expected:
        raise CheckFailed(f"parameter shapes {expected} {when}", f"{found}",
                          "leave in_units out everywhere: the first batch fixes the input sizes" if not in_units
                          else "each layer gets the units of the layer before it, the first 784 pixels", where=what)


def judge_forward(data: dict, key: str, hidden, num_outputs: int, what: str) -> None:
    """The output under ``key`` equals the NumPy MLP (relu on MyDense layers, none at the output) over the net's
    own parameters, whose shapes are checked first."""
    judge_shapes(data["after_forward"], hidden, num_outputs, 784, "after a batch of MNIST images", what)
    out = data["input"].reshape(len(data["input"]), -1).astype(np.float64)
    params = data["after_forward"]
    for index in range(len(hidden) + 1):
        weight, bias = params[2 * index]["value"], params[2 * index + 1]["value"]
        out = out @ weight.T.astype(np.float64) + bias
        out = np.maximum(out, 0) if index < len(hidden) else out
    found = array_of(data, key, what)
    if found.shape != out.shape:
        raise CheckFailed(f"an output of shape {out.shape}", f"shape {found.shape}",
                          "the output layer is nn.Dense(num_outputs): one row per image", where=what)
    if not close(found, out):
        hint = ("the output layer applies ReLU: it must be a plain nn.Dense(num_outputs) (raw scores)"
                if close(found, np.maximum(out, 0)) else
                "the hidden layers are your MyDense layers in order, then nn.Dense(num_outputs), nothing else")
        raise CheckFailed("the output to equal the MyDense layers, then the output layer, computed from the net's "
                          "own parameters", f"outputs that differ by up to {np.abs(found - out).max():.3g}", hint,
                          where=what)


@check(EXERCISE, 1, "An nn.HybridSequential of one MyDense per hidden width, then nn.Dense(num_outputs)")
def structure(subject):
    data = ran_until(custom_mlp(subject), "children", EXERCISE)
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


@check(EXERCISE, 1, "Parameters are named under the net's prefix: mydense0_weight, ..., dense0_bias")
def param_names(subject):
    data = ran_until(custom_mlp(subject), "before_init", EXERCISE)
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


@check(EXERCISE, 1, "Shapes are deferred until the first MNIST batch, which gives (batch, num_outputs)")
def deferred_shapes(subject):
    data = ran_until(custom_mlp(subject), "after_forward", EXERCISE)
    judge_shapes(data["before_init"], DEFAULT["hidden"], DEFAULT["num_outputs"], 0, "before the first batch",
                 data["call"])
    judge_shapes(data["after_forward"], DEFAULT["hidden"], DEFAULT["num_outputs"], 784,
                 "after a batch of MNIST images", data["call"])
    output = array_of(data, "output", data["call"])
    if output.shape != (64, DEFAULT["num_outputs"]):
        raise CheckFailed(f"an output of shape (64, {DEFAULT['num_outputs']}) for 64 images", f"{output.shape}",
                          "the last layer is nn.Dense(num_outputs)", where=data["call"])


@check(EXERCISE, 1, "The output matches a NumPy MLP over the net's own parameters, hybridized too")
def forward(subject):
    data = ran_until(custom_mlp(subject), "hybrid_output", EXERCISE)
    what = f"{data['call']} on 64 MNIST images"
    judge_forward(data, "output", DEFAULT["hidden"], DEFAULT["num_outputs"], what)
    judge_forward(data, "hybrid_output", DEFAULT["hidden"], DEFAULT["num_outputs"], f"{what}, hybridized")


@check(EXERCISE, 1, "Any hidden widths and output size")
@for_all(hidden=strategies.hidden_layers(), num_outputs=strategies.widths(12))
def any_widths(subject, hidden, num_outputs):
    data = ran_until(custom_mlp(subject, hidden, num_outputs, rows=8), "hybrid_output", EXERCISE)
    what = f"{data['call']} on 8 MNIST images"
    judge_forward(data, "output", hidden, num_outputs, what)
    judge_forward(data, "hybrid_output", hidden, num_outputs, f"{what}, hybridized")
