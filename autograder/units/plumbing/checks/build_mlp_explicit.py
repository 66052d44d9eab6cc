"""``build_mlp_explicit``: the same MLP with in_units on every layer, allocated by initialize() alone."""
from __future__ import annotations

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import judge_forward, judge_shapes, weight_shapes, weights_of

from .shared import probe_builder

EXERCISE = "build_mlp_explicit"
CHAIN_HINT = "each layer's in_units must be the units of the layer before it (in_units for the first): check in_units"


@check(EXERCISE, 2, "initialize() allocates every weight before any data is seen")
def allocates_at_once(subject):
    reply = probe_builder(subject, EXERCISE, {}, needs="after_init")
    if not weights_of(reply["after_init"]):  # a net without layers has nothing to allocate: not the exercise
        raise CheckFailed("build_mlp_explicit() to build 3 Dense layers, each allocated by initialize()",
                          "a net without any Dense layer", "add one Dense layer per entry of hidden, then the "
                          "output layer, each with its in_units")
    for param in weights_of(reply["after_init"]):
        if param["data_error"] is not None or 0 in param["shape"]:
            raise CheckFailed(
                f"{param['name']} allocated right after initialize(), before any batch",
                f"shape {tuple(param['shape'])} and data() " + (f"raised {param['data_error']}"
                                                                  if param["data_error"] else "worked"),
                "pass in_units to every Dense layer so MXNet knows every shape up front")


@check(EXERCISE, 1, "in_units is chained from layer to layer")
def in_units_chain(subject):
    reply = probe_builder(subject, EXERCISE, {}, needs="after_init")
    judge_shapes(reply["after_init"], weight_shapes(784, (128, 64), 10), "right after initialize()", CHAIN_HINT)


@check(EXERCISE, 1, "The output matches a NumPy MLP over the net's own parameters")
def forward(subject):
    judge_forward(probe_builder(subject, EXERCISE, {}), 2, "build_mlp_explicit() on a batch of 64 MNIST images")


@check(EXERCISE, 1, "Any in_units, hidden widths and output size")
@for_all(in_units=strategies.in_units(), hidden=strategies.hidden_layers(), num_outputs=strategies.widths(12))
def any_in_units(subject, in_units, hidden, num_outputs):
    kwargs = {"in_units": in_units, "hidden": hidden, "num_outputs": num_outputs}
    batch = {"rows": 4, "in_units": in_units, "seed": 1}
    reply = probe_builder(subject, EXERCISE, kwargs, batch=batch, needs="after_init")
    judge_shapes(reply["after_init"], weight_shapes(in_units, hidden, num_outputs),
                 f"right after initialize() for {reply['call']}", CHAIN_HINT)
    judge_forward(reply, len(hidden), reply["call"])
