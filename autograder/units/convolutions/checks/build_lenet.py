"""``build_lenet(num_outputs)``: LeNet as an ``nn.HybridSequential`` whose every weight waits for the first MNIST
batch. The judge reads the MNIST images itself, sends them with the parameter values it gives the net after the first
batch, and recomputes the forward pass in NumPy with those; the hybridized net's exported graph is read by the
judge."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check, expect_implemented
from autograder.checks.examples import for_all

from . import shared
from .shared import (
    HYBRID_SEQUENTIAL,
    array_of,
    ask,
    close,
    graph_ops,
    judge_array,
    judge_images,
    op_attrs,
    ran_until,
    relative_name,
)

EXERCISE = "build_lenet"
#: Float32 sums over up to 400 features, imperative or as one graph, stray further from the float64 model than one
#: layer's: still far below what any of the named mistakes changes.
TOLERANCE = 2e-3
ROWS = 16
#: The layers, in order (nn.Activation and nn.Flatten layers in between are allowed: they change nothing).
KINDS = ["Conv2D", "AvgPool2D", "Conv2D", "AvgPool2D", "Dense", "Dense", "Dense"]
NEUTRAL = {"Activation", "Flatten"}
NAMES = ["conv0_weight", "conv0_bias", "conv1_weight", "conv1_bias", "dense0_weight", "dense0_bias",
         "dense1_weight", "dense1_bias", "dense2_weight", "dense2_bias"]


def weight_shapes(num_outputs: int, deferred: bool) -> list[tuple]:
    """The five weights' shapes, before (``deferred``) or after the first MNIST batch."""
    if deferred:
        return [(6, 0, 5, 5), (16, 0, 5, 5), (120, 0), (84, 0), (num_outputs, 0)]
    return [(6, 1, 5, 5), (16, 6, 5, 5), (120, 400), (84, 120), (num_outputs, 84)]


def probe_net(subject, needs: str, num_outputs: int = 10, rows: int = ROWS, start: int = 0) -> dict:
    """The lenet probe's data as far as ``needs``, on MNIST images the judge read."""
    call = f"build_lenet(num_outputs={num_outputs})"
    x = judge_images(subject, rows, start)
    values = judge_values(num_outputs, start)
    reply = ask(subject, "lenet", num_outputs=num_outputs, call=call, x=x, values=values)
    expect_implemented(reply, EXERCISE)
    data = ran_until(reply, needs, EXERCISE)
    return {**data, "call": call, "input": x, "values": values, "num_outputs": num_outputs}


def judge_values(num_outputs: int, seed: int) -> list[np.ndarray]:
    """The parameters the judge gives the net after its first batch, in LeNet's order: weight, bias, weight, ...

    Values in [-1, 1]: wide enough that sigmoid LeNet's output shows max pooling where average pooling is asked for
    (with Xavier's narrow weights the difference hides below float32 noise)."""
    shapes = [shape for weight in weight_shapes(num_outputs, False) for shape in (weight, weight[:1])]
    return [judge_array(shape, 1000 + 10 * seed + index) for index, shape in enumerate(shapes)]


def layers_of(data: dict) -> list[dict]:
    """The net's children that compute something (nn.Activation and nn.Flatten left out)."""
    return [child for child in data["children"] if child["class"] not in NEUTRAL]


def activation_of(data: dict, index: int) -> str | None:
    """The activation after the ``index``-th child: its own, or that of nn.Activation layers right after it."""
    children = data["children"]
    position = children.index(layers_of(data)[index])
    found = children[position].get("activation")
    for child in children[position + 1:]:
        if child["class"] not in NEUTRAL:
            break
        if child["class"] == "Activation":
            found = child.get("act_type")
    return found


def judge_structure(data: dict) -> None:
    """A HybridSequential of the seven layers with LeNet's settings and sigmoid activations."""
    if HYBRID_SEQUENTIAL not in data["types"]:
        sequential = "mxnet.gluon.nn.basic_layers.Sequential" in data["types"]
        raise CheckFailed(f"{data['call']} to return an nn.HybridSequential", f"a {data['types'][0].rsplit('.')[-1]}",
                          "nn.Sequential hybridizes only layer by layer (with a warning) and has no export: build "
                          "LeNet as nn.HybridSequential()" if sequential else "return net = nn.HybridSequential()")
    kinds = [child["class"] for child in layers_of(data)]
    if kinds != KINDS:
        hint = ("the exercise asks for average pooling: nn.AvgPool2D(pool_size=2, strides=2), as LeNet had"
                if "MaxPool2D" in kinds else "Conv2D, AvgPool2D, Conv2D, AvgPool2D, then three Dense layers")
        raise CheckFailed(f"the layers {', '.join(KINDS)}", ", ".join(kinds) or "no layers", hint, where=data["call"])
    layers = layers_of(data)
    wanted = ["sigmoid", None, "sigmoid", None, "sigmoid", "sigmoid", None]
    found = [activation_of(data, index) if kind in ("Conv2D", "Dense") else None for index, kind in enumerate(kinds)]
    if found != wanted:
        hint = ("LeNet uses sigmoid activations (it predates ReLU): activation='sigmoid' on both convolutions and "
                "the two hidden Dense layers" if "relu" in found else
                "activation='sigmoid' on both convolutions and the first two Dense layers, none on the output layer")
        raise CheckFailed(f"activations {wanted}", f"{found}", hint, where=data["call"])
    first = layers[0].get("settings", {})
    if tuple(first.get("pad") or (0, 0)) != (2, 2):
        raise CheckFailed("the first convolution with padding=2", f"padding {tuple(first.get('pad') or (0, 0))}",
                          "the first convolution has no padding: with padding=2 a 5x5 kernel keeps 28x28, and after "
                          "the two poolings the first Dense sees 16 * 5 * 5 = 400 features (without it, 256)",
                          where=data["call"])
    for index in (1, 3):
        settings = layers[index].get("settings", {})
        kernel, stride = tuple(settings.get("kernel") or ()), tuple(settings.get("stride") or ())
        if (kernel, stride) != ((2, 2), (2, 2)):
            raise CheckFailed("AvgPool2D(pool_size=2, strides=2)", f"pool_size {kernel}, strides {stride}",
                              "halve the height and width: pool_size=2, strides=2", where=data["call"])


def judge_shapes(params: list[dict], expected: list[tuple], when: str, call: str) -> None:
    """The five weights have the expected shapes; feedback names the first that does not."""
    weights = [p for p in params if p["name"].endswith("weight")]
    if len(weights) != len(expected):
        raise CheckFailed(f"5 weights (2 convolutions, 3 Dense layers) {when}", f"{len(weights)} weights",
                          "Conv2D, AvgPool2D, Conv2D, AvgPool2D, then three Dense layers", where=call)
    for param, shape in zip(weights, expected, strict=True):
        if tuple(param["shape"]) != shape:
            hint = ("leave every input size out (no in_channels, no in_units): the first batch fixes it"
                    if 0 in shape else "the first batch, (N, 1, 28, 28), fixes every input size")
            if shape == (120, 400) and tuple(param["shape"]) == (120, 256):
                hint = ("the first convolution has no padding: with padding=2 a 5x5 kernel keeps 28x28, and after "
                        "the two poolings the first Dense sees 16 * 5 * 5 = 400 features, not 256")
            raise CheckFailed(f"{param['name']} of shape {shape} {when}", f"shape {tuple(param['shape'])}", hint,
                              where=call)


def judge_forward(data: dict, key: str, what: str) -> None:
    """The output under ``key`` equals the judge's LeNet with the parameters the judge gave the net."""
    judge_shapes(data["after_forward"], weight_shapes(data["num_outputs"], False), "after the first batch",
                 data["call"])
    biases = [tuple(p["shape"]) for p in data["after_forward"] if p["name"].endswith("bias")]
    if len(biases) != 5:
        raise CheckFailed("a weight and a bias per layer", f"{len(biases)} biases", "keep use_bias=True", where=what)
    layers = list(zip(data["values"][::2], data["values"][1::2], strict=True))
    found = array_of(data[key], what, "return the output of the last layer")
    expected = shared.lenet_forward(data["input"], layers)
    if close(found, expected, TOLERANCE):
        return
    if found.shape != expected.shape:
        raise CheckFailed(f"{what} to give an output of shape {expected.shape}", f"shape {found.shape}",
                          "the last layer is Dense(num_outputs), one row per image")
    mistakes = (({"pool": "max"}, "that is max pooling: the exercise asks for average pooling, nn.AvgPool2D"),
                ({"act": "relu"}, "those are ReLU activations: LeNet uses sigmoid, activation='sigmoid'"),
                ({"act": "relu", "pool": "max"}, "that is max pooling with ReLU: LeNet uses average pooling and "
                                                 "sigmoid activations"))
    hint = next((text for change, text in mistakes
                 if close(found, shared.lenet_forward(data["input"], layers, **change), TOLERANCE)),
                "sigmoid after both convolutions and the two hidden Dense layers, average pooling 2x2 stride 2")
    raise CheckFailed(f"{what} to equal LeNet computed from the net's own parameters",
                      f"outputs that differ by up to {np.abs(found - expected).max():.3g}", hint)


def judge_graph(data: dict, what: str) -> None:
    """The exported graph: two convolutions, two average poolings, three FullyConnected, one graph for the net."""
    ops = graph_ops(data.get("graph"), what)
    counts = {op: sum(node.get("op") == op for node in ops) for op in ("Convolution", "Pooling", "FullyConnected")}
    pools = {str(op_attrs(node).get("pool_type", "max")) for node in ops if node.get("op") == "Pooling"}
    if counts != {"Convolution": 2, "Pooling": 2, "FullyConnected": 3} or pools != {"avg"}:
        raise CheckFailed(f"{what}: 2 Convolution, 2 average Pooling and 3 FullyConnected operators",
                          f"{counts}, pooling {sorted(pools)}",
                          "build the net from nn.Conv2D, nn.AvgPool2D and nn.Dense in one nn.HybridSequential")


@check(EXERCISE, 2, "A HybridSequential: Conv2D, AvgPool2D, Conv2D, AvgPool2D, three Dense, sigmoid, padding 2")
def structure(subject):
    judge_structure(probe_net(subject, "children"))


@check(EXERCISE, 2, "Every weight deferred until the first MNIST batch, then (6,1,5,5) ... (10,84); biases known")
def deferred_shapes(subject):
    data = probe_net(subject, "after_init")
    judge_shapes(data["before_init"], weight_shapes(10, True), "before the first batch", data["call"])
    for param in data["after_init"]:
        if param["name"].endswith("bias") and param["data_error"] is not None:
            raise CheckFailed(f"{param['name']} allocated at initialize() (a bias's shape is its layer's width)",
                              f"data() raised {param['data_error']}", "keep the default use_bias=True",
                              where=data["call"])
    data = probe_net(subject, "after_forward")
    judge_shapes(data["after_forward"], weight_shapes(10, False), "after the first batch", data["call"])


@check(EXERCISE, 1, "Parameter names relative to the net: conv0_weight, conv0_bias, ..., dense2_bias")
def param_names(subject):
    data = probe_net(subject, "before_init")
    names = [relative_name(p["name"], data["prefix"]) for p in data["before_init"]]
    if names != NAMES:
        outside = [p["name"] for p in data["before_init"] if not p["name"].startswith(data["prefix"])]
        raise CheckFailed(f"the parameter names {NAMES[:3]} ... relative to the net's prefix {data['prefix']!r}",
                          f"{[p['name'] for p in data['before_init']][:3]} ...",
                          "create the layers inside `with net.name_scope():`, so that they are named after the net"
                          if outside else "Conv2D, AvgPool2D, Conv2D, AvgPool2D, then three Dense layers",
                          where=data["call"])


@check(EXERCISE, 2, "Its output on MNIST images equals LeNet computed from its own parameters")
def forward(subject):
    data = probe_net(subject, "after_forward")
    judge_forward(data, "output", f"{data['call']} on {ROWS} MNIST images")


@check(EXERCISE, 1, "Hybridized, the same output, exported as one graph")
def hybridized(subject):
    data = probe_net(subject, "graph")
    judge_forward(data, "hybrid_output", f"{data['call']} once hybridized")
    judge_graph(data, f"the graph {data['call']} exports")


@check(EXERCISE, 1, "Any num_outputs, on other MNIST images, hybridized")
@for_all(num_outputs=st.integers(1, 12), start=st.integers(0, 250))
def any_outputs(subject, num_outputs, start):
    data = probe_net(subject, "hybrid_output", num_outputs, rows=2, start=start)
    judge_forward(data, "hybrid_output", f"{data['call']} on 2 MNIST images, hybridized")
