"""``MLP``: the build_mlp computation written as a gluon.Block with registered children."""
from __future__ import annotations

from autograder import strategies
from autograder.checks.base import CheckFailed, check, expect_implemented
from autograder.checks.examples import for_all
from autograder.checks.nets import UNREGISTERED_HINT, judge_forward, judge_shapes, relative_name, weight_shapes

from .shared import MNIST_BATCH, judge_attempted, judge_own_block, probe_builder

EXERCISE = "MLP"
METHODS = ("__init__", "forward")


@check(EXERCISE, 1, "MLP is a gluon.Block with its own forward")
def is_block(subject):
    judge_own_block(subject, EXERCISE, ("__init__", "forward"))
    expect_implemented(subject.probe("lifecycle", builder=EXERCISE, kwargs={}, batch=MNIST_BATCH), EXERCISE)


@check(EXERCISE, 1, "Its layers are registered children, named under its prefix")
def registered_layers(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    data = probe_builder(subject, EXERCISE, {}, needs="before_init")
    params = data["before_init"]
    if len(params) != 6:
        layers = len(data["layers"])
        raise CheckFailed("MLP() to register 3 Dense layers: 6 parameters in collect_params()",
                          f"{len(params)} parameters ({layers} registered Dense layer{'s' * (layers != 1)})",
                          UNREGISTERED_HINT if data.get("unregistered") else
                          "MLP() with the default hidden=(128, 64) makes one Dense layer per entry of hidden, then "
                          "the output layer: 3 in all. Build them from the hidden argument")
    outside = [p["name"] for p in params if relative_name(p["name"], data["prefix"]) is None]
    if outside:
        raise CheckFailed(f"every parameter under the block's prefix {data['prefix']!r}", repr(outside[0]),
                          "create the layers inside `with self.name_scope():` in __init__")


@check(EXERCISE, 1, "Shapes are deferred until the first batch, then inferred")
def deferred_shapes(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    reply = probe_builder(subject, EXERCISE, {})
    judge_shapes(reply["before_init"], weight_shapes(0, (128, 64), 10), "before the first batch",
                 "leave in_units out: shape inference fills the input size from the first batch")
    judge_shapes(reply["after_forward"], weight_shapes(784, (128, 64), 10), "after a batch of MNIST images",
                 "each layer gets the units of the layer before it")


@check(EXERCISE, 1, "forward matches a NumPy MLP over the block's own parameters")
def forward(subject):
    judge_attempted(subject, EXERCISE, METHODS)
    judge_forward(probe_builder(subject, EXERCISE, {}), 2, "MLP() on a batch of 64 MNIST images")


@check(EXERCISE, 1, "Any hidden widths and output size")
@for_all(hidden=strategies.hidden_layers(), num_outputs=strategies.widths(12))
def any_widths(subject, hidden, num_outputs):
    judge_attempted(subject, EXERCISE, METHODS)
    kwargs = {"hidden": hidden, "num_outputs": num_outputs}
    reply = probe_builder(subject, EXERCISE, kwargs, batch={"mnist": True, "rows": 8})
    judge_shapes(reply["after_forward"], weight_shapes(784, hidden, num_outputs), f"for {reply['call']}",
                 "build one Dense layer per entry of hidden, then the output layer")
    judge_forward(reply, len(hidden), reply["call"])
