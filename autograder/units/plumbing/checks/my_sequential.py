"""``MySequential``: what nn.Sequential does, written by hand: register children in order, run them in order."""
from __future__ import annotations

from autograder import strategies
from autograder.checks.base import CheckFailed, check, expect_implemented, expect_ok, recorded_until
from autograder.checks.examples import for_all
from autograder.checks.inputs import dense_parameters, pairs, sent_of, uniform_rows, with_sent
from autograder.checks.nets import close, mlp_forward, output_array
from autograder.contract import Status

from .shared import judge_attempted, judge_own_block

EXERCISE = "MySequential"
METHODS = ("add", "forward")
THREE_LAYERS = [[{"units": 16, "activation": "relu"}, {"units": 12, "activation": "tanh"}],
                [{"units": 5, "activation": None}]]


def probe_my_sequential(subject, groups, in_units: int = 20) -> dict:
    """Add kit-made layers to the student's MySequential in ``groups``, with the judge's parameters, and run the
    judge's batch; the reply carries both (:func:`~autograder.checks.inputs.with_sent`)."""
    x = uniform_rows(6, in_units, seed=3)
    specs = [spec for group in groups for spec in group]
    shapes, width = [], in_units
    for spec in specs:
        shapes.append((spec["units"], width))
        width = spec["units"]
    params = dense_parameters(shapes, seed=4, scale=0.5)
    reply = subject.probe("my_sequential", groups=groups, in_units=in_units, x=x, params=params, seed=3)
    return with_sent(reply, input=x, layers=pairs(params), activations=[spec["activation"] for spec in specs])


def added_text(groups) -> str:
    """The add() calls the probe made, as a student would write them."""
    calls = (", ".join(f"Dense({spec['units']})" for spec in group) for group in groups)
    return "; ".join(f"net.add({call})" for call in calls)


def judge_registered(reply: dict, groups) -> None:
    """Every parameter of every added layer appears in collect_params(), in the order added."""
    data = recorded_until(reply, "collected", EXERCISE)
    expected = [layer[kind]["name"] for layer in data["layers"] for kind in ("weight", "bias")]
    collected = data["collected"]
    if collected != expected:
        missing = [name for name in expected if name not in collected]
        raise CheckFailed(f"collect_params() to list {expected} after {added_text(groups)}",
                          f"{collected}" + (f" ({missing[0]} is missing)" if missing else " (in another order)"),
                          "add() must register each block as a child, in order: self.register_child(block)")


def judge_in_order(reply: dict, groups) -> None:
    """The output equals the added layers applied one after the other: the judge's NumPy over its own input and
    parameters (the ones it sent), with the activations it asked for."""
    sent = sent_of(reply)
    shapes_broke = "shape" in reply.get("message", "").lower()
    if reply.get("status") == Status.RAISED and reply["stage"].startswith("the forward pass") and shapes_broke:
        raise CheckFailed(f"forward to run the layers in the order they were added ({added_text(groups)})",
                          f"the forward pass raised {reply['error_type']}: {reply['message']}",
                          "each layer was made to take the previous layer's output, so running them in another "
                          "order breaks the shapes: run the children in the order add() received them")
    reply = expect_ok(reply, EXERCISE)
    found = output_array(reply, "forward")
    expected = mlp_forward(sent["input"], sent["layers"], sent["activations"])
    if not close(found, expected):
        raise CheckFailed(f"forward to run the layers in the order they were added ({added_text(groups)})",
                          f"an output of shape {found.shape} that differs from that",
                          "forward must pass x through every child in the order add() received them, "
                          "and return the last result")


@check(EXERCISE, 1, "MySequential is a gluon.Block with its own add and forward")
def is_block(subject):
    judge_own_block(subject, EXERCISE, ("add", "forward"))
    expect_implemented(probe_my_sequential(subject, THREE_LAYERS), EXERCISE)


@check(EXERCISE, 1, "add() registers every block as a child, in order")
def registers_children(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    judge_registered(probe_my_sequential(subject, THREE_LAYERS), THREE_LAYERS)


@check(EXERCISE, 2, "forward runs the children in the order they were added")
def runs_in_order(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    judge_in_order(probe_my_sequential(subject, THREE_LAYERS), THREE_LAYERS)


@check(EXERCISE, 1, "Any number of layers, added one or several at a time")
@for_all(groups=strategies.layer_groups(), in_units=strategies.widths(16))
def any_layers(subject, groups, in_units):
    judge_attempted(subject, EXERCISE, METHODS)
    reply = probe_my_sequential(subject, groups, in_units)
    judge_registered(reply, groups)
    judge_in_order(reply, groups)
