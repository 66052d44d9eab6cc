"""``build_tied_mlp``: an nn.Sequential of four Dense layers whose second and third share one weight and bias."""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from .shared import SEQUENTIAL, array_of, close, ran_until

EXERCISE = "build_tied_mlp"
DEFAULT = {"width": 64, "num_outputs": 10}
ACTIVATIONS = {
    None: (lambda z: z, lambda z: np.ones_like(z)),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(np.float64)),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
}


def tied(subject, width: int = DEFAULT["width"], num_outputs: int = DEFAULT["num_outputs"]) -> dict:
    """The probe's reply, once the net is four Dense layers whose second and third hold the very same parameters.

    Every check of the exercise asks this first: layers that copy instead of share do not do the exercise.
    """
    reply = subject.probe("tied_mlp", width=width, num_outputs=num_outputs)
    data = ran_until(reply, "children", EXERCISE)
    if "mxnet.gluon.block.Block" not in data["types"]:
        raise CheckFailed(f"{data['call']} to return a gluon Block (an nn.Sequential)",
                          f"it returned {data['types'][0]}", "return the net you built")
    dense = [child for child in data["children"] if "units" in child]
    if len(dense) != 4 or len(data["children"]) != 4:
        raise CheckFailed(f"{data['call']} to be four Dense layers",
                          f"the children {[c['name'] for c in data['children']]}",
                          "net.add four nn.Dense layers: the second and third share their parameters")
    if (dense[2]["weight_of"], dense[2]["bias_of"]) != (1, 1):
        raise CheckFailed("the third Dense layer to use the very weight and bias of the second",
                          f"it has parameters of its own ({dense[2]['weight']}, {dense[2]['bias']}) beside the "
                          f"second's ({dense[1]['weight']}, {dense[1]['bias']})",
                          "a copy is not a share: copied values (set_data, the same initializer) drift apart as soon "
                          "as they are trained. Create the third layer with params=second.params", where=data["call"])
    return reply


def layers_of(data: dict, width: int, num_outputs: int, key: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) of each of the four layers, in order (the shared ones twice), with their shapes checked."""
    by_name = {p["name"]: p for p in data[key]}
    dense = [child for child in data["children"] if "units" in child]
    inputs = [784, width, width, width]
    layers = []
    for index, (child, fan_in) in enumerate(zip(dense, inputs, strict=False)):  # four of each: checked above
        weight, bias = by_name.get(child["weight"]), by_name.get(child["bias"])
        units = num_outputs if index == 3 else width
        if weight is None or bias is None or weight["value"] is None or bias["value"] is None:
            raise CheckFailed(f"layer {index + 1} to have an initialized weight and bias",
                              f"collect_params() lists {sorted(by_name)}", "keep use_bias=True on every layer")
        if weight["value"].shape != (units, fan_in) or bias["value"].shape != (units,):
            raise CheckFailed(f"layer {index + 1}: weight {(units, fan_in)} and bias {(units,)} after a batch of "
                              f"MNIST images", f"{weight['value'].shape} and {bias['value'].shape}",
                              "layers 1 to 3 have width units, layer 4 num_outputs", where=data["call"])
        layers.append((weight["value"].astype(np.float64), bias["value"].astype(np.float64)))
    return layers


def forward_pass(x: np.ndarray, layers, activations) -> tuple[np.ndarray, list, list]:
    """The output, and each layer's input and pre-activation (for the backward pass)."""
    out, inputs, pre = x.reshape(len(x), -1).astype(np.float64), [], []
    for (weight, bias), activation in zip(layers, activations, strict=False):
        inputs.append(out)
        pre.append(out @ weight.T + bias)
        out = ACTIVATIONS[activation][0](pre[-1])
    return out, inputs, pre


def weight_gradients(x, layers, activations, loss_weights) -> list[np.ndarray]:
    """d loss / d W of each layer use, for loss = sum(loss_weights * output)."""
    _, inputs, pre = forward_pass(x, layers, activations)
    grads, upstream = [], loss_weights.astype(np.float64)
    for index in reversed(range(len(layers))):
        delta = upstream * ACTIVATIONS[activations[index]][1](pre[index])
        grads.insert(0, delta.T @ inputs[index])
        upstream = delta @ layers[index][0]
    return grads


def judge_forward(data: dict, width: int, num_outputs: int) -> None:
    """The output equals relu, relu, relu, then no activation over the net's own parameters."""
    what = f"{data['call']} on {len(data['input'])} MNIST images"
    layers = layers_of(data, width, num_outputs, "after_backward")
    expected, _, _ = forward_pass(data["input"], layers, ["relu", "relu", "relu", None])
    found = array_of(data, "output", what)
    if found.shape != expected.shape:
        raise CheckFailed(f"an output of shape {expected.shape}", f"shape {found.shape}",
                          "the last layer is Dense(num_outputs)", where=what)
    if not close(found, expected):
        hint = ("the output layer applies ReLU: Dense(num_outputs) has no activation"
                if close(found, np.maximum(expected, 0)) else
                "three Dense(width, activation='relu') layers (the second and third shared), then Dense(num_outputs)")
        raise CheckFailed("the output to equal relu(x W^T + b) through the three hidden layers and x W^T + b at the "
                          "output, from the net's own parameters",
                          f"outputs that differ by up to {np.abs(found - expected).max():.3g}", hint, where=what)


@check(EXERCISE, 2, "The second and third Dense layers share one weight and bias, listed once by collect_params()")
def shares_parameters(subject):
    data = ran_until(tied(subject), "collected", EXERCISE)
    if SEQUENTIAL not in data["types"]:
        raise CheckFailed("an nn.Sequential", data["types"][0].rpartition(".")[2], "start from net = nn.Sequential()")
    dense = [child for child in data["children"] if "units" in child]
    owners = [(child["weight_of"], child["bias_of"]) for child in dense]
    if owners != [(0, 0), (1, 1), (1, 1), (3, 3)]:
        raise CheckFailed("only the second and third layers to share (layer of each weight and bias: "
                          "[(0, 0), (1, 1), (1, 1), (3, 3)])", f"{owners}",
                          "share the second layer's parameters with the third, and no others")
    collected = data["collected"]
    if len(collected) != 6 or len(set(collected)) != 6:
        raise CheckFailed("collect_params() to list 6 parameters: the shared weight and bias once",
                          f"{collected}", "create the third layer with params=second.params")


@check(EXERCISE, 1, "A change to the second layer's weight is seen by the third")
def change_is_seen(subject):
    data = ran_until(tied(subject), "third_after_set", EXERCISE)
    seen = data["third_after_set"]["value"]
    if seen is None or seen.shape != data["set_value"].shape or not np.array_equal(seen, data["set_value"]):
        raise CheckFailed("net[2].weight.data() to show what net[1].weight.set_data(...) just set",
                          "the third layer's weight did not change", "share the parameters (params=...), do not "
                          "copy them", where=data["call"])


@check(EXERCISE, 1, "After one backward pass the shared weight's gradient is the sum of both uses")
def gradient_sum(subject):
    data = ran_until(tied(subject), "after_backward", EXERCISE)
    dense = [child for child in data["children"] if "units" in child]
    activations = [child["activation"] for child in dense]
    if any(activation not in ACTIVATIONS for activation in activations):
        raise CheckFailed(f"activations among {sorted(map(str, ACTIVATIONS))}", f"{activations}", "use relu")
    layers = layers_of(data, DEFAULT["width"], DEFAULT["num_outputs"], "after_backward")
    grads = weight_gradients(data["input"], layers, activations, data["loss_weights"])
    shared = next(p for p in data["after_backward"] if p["name"] == dense[1]["weight"])
    found, expected = shared["grad"], grads[1] + grads[2]
    scale = max(1.0, float(np.abs(expected).max()))
    if found is None or found.shape != expected.shape:
        raise CheckFailed(f"a gradient of shape {expected.shape} for {shared['name']}",
                          "no gradient" if found is None else f"shape {found.shape}",
                          "do not set grad_req='null' on the shared parameters", where=data["call"])
    if not np.allclose(found, expected, rtol=1e-3, atol=1e-4 * scale):
        one_use = any(np.allclose(found, grads[i], rtol=1e-3, atol=1e-4 * scale) for i in (1, 2))
        raise CheckFailed(f"the gradient of {shared['name']} to be the sum of its gradients in layers 2 and 3",
                          "the gradient of one use only" if one_use else
                          f"values that differ by up to {np.abs(found - expected).max():.3g}",
                          "one Parameter used twice: autograd adds both uses when the layers share it")


@check(EXERCISE, 1, "The output matches a NumPy MLP with the shared layer applied twice")
def forward(subject):
    judge_forward(ran_until(tied(subject), "after_backward", EXERCISE), DEFAULT["width"], DEFAULT["num_outputs"])


@check(EXERCISE, 1, "Any width and output size")
@for_all(width=strategies.widths(24), num_outputs=strategies.widths(12))
def any_width(subject, width, num_outputs):
    judge_forward(ran_until(tied(subject, width, num_outputs), "after_backward", EXERCISE), width, num_outputs)
