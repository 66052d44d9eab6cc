"""``build_tied_mlp``: an nn.Sequential of four Dense layers whose second and third share one weight and bias."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import DERIVATIVES, mlp_backward, mlp_forward, mlp_trace

from .shared import (
    SEQUENTIAL,
    array_of,
    close,
    judge_images,
    judge_input,
    judge_values,
    ran_until,
    seed_of,
    unassigned,
)

EXERCISE = "build_tied_mlp"
DEFAULT = {"width": 64, "num_outputs": 10}

def tied(subject, width: int = DEFAULT["width"], num_outputs: int = DEFAULT["num_outputs"], rows: int = 16):
    """The probe's reply on the judge's images, values, loss weights and new weight, once the net is four Dense
    layers that claim to share the second and third's weight and bias; with what the judge sent (:class:`Sent`).

    Every check of the exercise asks this first: layers that copy instead of share do not do the exercise (the
    claim only gates; what passes a check is the output, gradient or change the judge recomputes).
    """
    seed = seed_of("tied", width, num_outputs, rows)
    sent = Sent(judge_images(rows, seed), judge_values(param_shapes(width, num_outputs), seed + 1),
                judge_input((rows, num_outputs), seed + 2), judge_values([(width, width)], seed + 3)[0])
    reply = subject.probe("tied_mlp", width=width, num_outputs=num_outputs, x=sent.x, values=sent.values,
                          loss_weights=sent.loss_weights, new_weight=sent.new_weight)
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
    return reply, sent


@dataclass(frozen=True)
class Sent:
    """What the judge sent with a tied_mlp question: images, the six parameter values in collect_params() order,
    the loss weights r of loss = sum(net(x) * r), and the value set into the second layer's weight afterwards."""

    x: np.ndarray
    values: list
    loss_weights: np.ndarray
    new_weight: np.ndarray

    def layers(self, shared_weight=None) -> list[tuple[np.ndarray, np.ndarray]]:
        """(W, b) of each of the four layers: the second and third use the same (shared) values."""
        v = [value.astype(np.float64) for value in self.values]
        shared = v[2] if shared_weight is None else shared_weight.astype(np.float64)
        return [(v[0], v[1]), (shared, v[3]), (shared, v[3]), (v[4], v[5])]


def param_shapes(width: int, num_outputs: int) -> list[tuple]:
    """The six parameters collect_params() lists for a tied net after a batch of images, in order."""
    return [(width, 784), (width,), (width, width), (width,), (num_outputs, width), (num_outputs,)]


def activations_of(data: dict) -> list:
    """The activations the four layers report (the judge recomputes with them; only known ones)."""
    activations = [child["activation"] for child in data["children"] if "units" in child]
    if any(activation not in DERIVATIVES for activation in activations):
        raise CheckFailed(f"activations among {sorted(map(str, DERIVATIVES))}", f"{activations}", "use relu")
    return activations


def judge_assigned(data: dict, sent: Sent, what: str) -> None:
    """The judge's six values went into six parameters of the tied net's shapes, in collect_params() order."""
    unassigned(data, [value.shape for value in sent.values], what,
               "four Dense layers: the third created with params=second.params, so that collect_params() lists the "
               "shared weight and bias once")


def weight_gradients(x, layers, activations, loss_weights) -> list[np.ndarray]:
    """d loss / d W of each layer use, for loss = sum(loss_weights * output)."""
    trace = mlp_trace(x, layers, activations)
    return [weight for weight, _ in mlp_backward(trace, layers, activations, loss_weights)]


def judge_forward(data: dict, sent: Sent, width: int, num_outputs: int) -> None:
    """The output equals relu, relu, relu, then no activation over the judge's images and values."""
    what = f"{data['call']} on {len(sent.x)} images"
    judge_assigned(data, sent, what)
    expected = mlp_forward(sent.x, sent.layers(), ["relu", "relu", "relu", None])
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


def judge_tied_output(found: np.ndarray, sent: Sent, activations, what: str, expected_text: str, hint: str,
                      shared_weight=None) -> None:
    """``found`` is the tied net's output over the judge's values, the second and third layer computing with one
    weight and bias (``shared_weight`` in place of the judge's first value for it), with the net's own
    activations."""
    expected = mlp_forward(sent.x, sent.layers(shared_weight), activations)
    if not close(found, expected):
        raise CheckFailed(expected_text, "an output that differs" if found.shape == expected.shape else
                          f"an output of shape {found.shape}", hint, where=what)


@check(EXERCISE, 2, "The second and third Dense layers share one weight and bias, listed once by collect_params()")
def shares_parameters(subject):
    reply, sent = tied(subject)
    data = ran_until(reply, "collected", EXERCISE)
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
    data = ran_until(reply, "after_backward", EXERCISE)
    judge_assigned(data, sent, data["call"])
    judge_tied_output(array_of(data, "output", data["call"]), sent, activations_of(data), data["call"],
                      "the second and third layers to compute with the one weight and bias collect_params() lists "
                      "for them, with values set into it", "create the third layer with params=second.params")


@check(EXERCISE, 1, "A change to the second layer's weight is seen by the third")
def change_is_seen(subject):
    reply, sent = tied(subject)
    data = ran_until(reply, "after_backward", EXERCISE)
    judge_assigned(data, sent, data["call"])
    if "output_after_set" not in data:
        raise CheckFailed(f"net[1].weight of shape {sent.new_weight.shape}", "another shape",
                          "the second layer is Dense(width) on the first layer's width units", where=data["call"])
    judge_tied_output(array_of(data, "output_after_set", data["call"]), sent, activations_of(data), data["call"],
                      "after net[1].weight.set_data(...), the output to follow the new weight in the second and the "
                      "third layer", "share the parameters (params=...), do not copy them",
                      shared_weight=sent.new_weight)


@check(EXERCISE, 1, "After one backward pass the shared weight's gradient is the sum of both uses")
def gradient_sum(subject):
    reply, sent = tied(subject)
    data = ran_until(reply, "after_backward", EXERCISE)
    judge_assigned(data, sent, data["call"])
    activations = activations_of(data)
    grads = weight_gradients(sent.x, sent.layers(), activations, sent.loss_weights)
    shared = data["after_backward"][2]
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
    reply, sent = tied(subject)
    judge_forward(ran_until(reply, "after_backward", EXERCISE), sent, DEFAULT["width"], DEFAULT["num_outputs"])


@check(EXERCISE, 1, "Any width and output size")
@for_all(width=strategies.widths(24), num_outputs=strategies.widths(12))
def any_width(subject, width, num_outputs):
    reply, sent = tied(subject, width, num_outputs)
    judge_forward(ran_until(reply, "after_backward", EXERCISE), sent, width, num_outputs)
