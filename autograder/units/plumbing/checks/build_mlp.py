"""``build_mlp``: an nn.Sequential of Dense layers in name_scope(), with shapes left to inference."""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import judge_forward, judge_shapes, layer_names, relative_name, weight_shapes, weights_of

from .shared import SEQUENTIAL, probe_builder

EXERCISE = "build_mlp"


def judge_deferred(reply: dict, hidden, num_outputs: int, what: str) -> None:
    """Shapes have 0 inputs before the first batch, data() is not allocated, then shapes resolve."""
    judge_shapes(reply["before_init"], weight_shapes(0, hidden, num_outputs), "before the first batch",
                 "leave in_units out: shape inference fills the input size from the first batch")
    for param in weights_of(reply["after_init"]):
        if param["data_error"] != "DeferredInitializationError" or not param["recorded"]:
            raise CheckFailed(
                f"initialize() only to record the initializer of {param['name']} (data() raises "
                "DeferredInitializationError until the first batch)",
                "data() worked right after initialize()" if param["data_error"] is None
                else f"data() raised {param['data_error']}",
                "do not set in_units in build_mlp, and do not initialize the net inside it", where=what)
    judge_shapes(reply["after_forward"], weight_shapes(784, hidden, num_outputs), "after a batch of MNIST images",
                 "the first layer gets 784 inputs from the flattened 28x28 image; each next one gets the "
                 "units of the layer before it: check in_units")


def judge_names(reply: dict, hidden) -> None:
    """Parameter names, relative to the net's prefix, are dense0_weight, dense0_bias, ..."""
    prefix = reply["prefix"]
    names = [param["name"] for param in reply["before_init"]]
    outside = [name for name in names if relative_name(name, prefix) is None]
    if outside:
        raise CheckFailed(f"every parameter name to start with the net's prefix {prefix!r}",
                          f"{outside[0]!r}",
                          "create the layers inside `with net.name_scope():` so they are named under the net")
    relative = [relative_name(name, prefix) for name in names]
    if relative != layer_names(hidden):
        raise CheckFailed(f"names {layer_names(hidden)} after the prefix", f"{relative}",
                          "one Dense layer per hidden width, then the output layer, all inside name_scope()")


@check(EXERCISE, 1, "A Sequential of one Dense layer per hidden width, then the output layer")
def sequential_of_dense(subject):
    reply = probe_builder(subject, EXERCISE, {})
    if SEQUENTIAL not in reply["types"]:
        raise CheckFailed("an nn.Sequential", reply["types"][0], "start from net = nn.Sequential()")
    units = [layer["units"] for layer in reply["layers"]]
    if units != [128, 64, 10]:
        raise CheckFailed("Dense layers with [128, 64, 10] units for build_mlp()", f"Dense layers with {units} units",
                          "add one Dense(h, activation='relu') per h in hidden, then Dense(num_outputs)")


@check(EXERCISE, 2, "Shapes are deferred until the first batch, then inferred")
def deferred_shapes(subject):
    judge_deferred(probe_builder(subject, EXERCISE, {}), (128, 64), 10, "build_mlp()")


@check(EXERCISE, 1, "Parameters are named under the net's prefix (name_scope)")
def param_names(subject):
    judge_names(probe_builder(subject, EXERCISE, {}), (128, 64))


@check(EXERCISE, 1, "The output matches a NumPy MLP over the net's own parameters")
def forward(subject):
    judge_forward(probe_builder(subject, EXERCISE, {}), 2, "build_mlp() on a batch of 64 MNIST images")


@check(EXERCISE, 1, "initialize(Xavier(magnitude=2.24)) waits for the batch, then draws within the Xavier bound")
def xavier_init(subject):
    reply = probe_builder(subject, EXERCISE, {}, initializer={"xavier": 2.24})
    judge_deferred(reply, (128, 64), 10, "build_mlp() with Xavier")
    for param in reply["after_forward"]:
        value = param["value"]
        if param["name"].endswith("bias"):
            if np.any(value != 0):
                raise CheckFailed(f"{param['name']} all zeros (Xavier leaves biases to zero)", "non-zero biases",
                                  "do not pass bias_initializer to the Dense layers")
            continue
        fan_out, fan_in = value.shape
        bound = np.sqrt(2.24 / ((fan_in + fan_out) / 2))
        if np.abs(value).max() > bound * 1.0001 or np.abs(value).max() < bound * 0.9:
            raise CheckFailed(f"{param['name']} drawn from U(-{bound:.4f}, {bound:.4f})",
                              f"values up to {np.abs(value).max():.4f}",
                              "do not pass weight_initializer to the Dense layers: let initialize() decide")
        if abs(value.var() / (bound ** 2 / 3) - 1) > 0.15:
            raise CheckFailed(f"variance near s^2/3 = {bound ** 2 / 3:.5f} for {param['name']}",
                              f"{value.var():.5f}", "the weights should be uniform on [-s, s]")


@check(EXERCISE, 1, "Any hidden widths and output size")
@for_all(hidden=strategies.hidden_layers(), num_outputs=strategies.widths(12))
def any_widths(subject, hidden, num_outputs):
    kwargs = {"hidden": hidden, "num_outputs": num_outputs}
    reply = probe_builder(subject, EXERCISE, kwargs, batch={"mnist": True, "rows": 8})
    what = reply["call"]
    judge_shapes(reply["after_forward"], weight_shapes(784, hidden, num_outputs), f"for {what}",
                 "use the hidden and num_outputs arguments instead of fixed sizes")
    judge_forward(reply, len(hidden), what)
