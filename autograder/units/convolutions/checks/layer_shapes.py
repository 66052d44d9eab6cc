"""``layer_shapes(net, x)``: each layer's class name and output shape, in order. The net is the kit's, built in the
probe from the judge's description; the judge computes every expected shape itself, from the formulas."""
from __future__ import annotations

from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from .shared import ask, judge_array, judge_images, out_size, pair, ran_until

EXERCISE = "layer_shapes"
LENET = [{"kind": "Conv2D", "channels": 6, "kernel_size": 5, "padding": 2, "activation": "sigmoid"},
         {"kind": "AvgPool2D", "pool_size": 2, "strides": 2},
         {"kind": "Conv2D", "channels": 16, "kernel_size": 5, "activation": "sigmoid"},
         {"kind": "AvgPool2D", "pool_size": 2, "strides": 2},
         {"kind": "Dense", "units": 120, "activation": "sigmoid"},
         {"kind": "Dense", "units": 84, "activation": "sigmoid"},
         {"kind": "Dense", "units": 10}]


def output_shape(spec: dict, shape: tuple) -> tuple:
    """The shape one kit layer gives for an input of ``shape`` (the judge's formulas)."""
    kind = spec["kind"]
    if kind == "Conv2D":
        (kh, kw), (sh, sw), (ph, pw) = pair(spec["kernel_size"]), pair(spec.get("strides", 1)), \
            pair(spec.get("padding", 0))
        return (shape[0], spec["channels"], out_size(shape[2], kh, sh, ph), out_size(shape[3], kw, sw, pw))
    if kind in ("MaxPool2D", "AvgPool2D"):
        (kh, kw) = pair(spec["pool_size"])
        (sh, sw) = pair(spec.get("strides") or spec["pool_size"])
        return (shape[0], shape[1], out_size(shape[2], kh, sh), out_size(shape[3], kw, sw))
    if kind == "Dense":
        return (shape[0], spec["units"])
    if kind == "Flatten":
        size = 1
        for n in shape[1:]:
            size *= n
        return (shape[0], size)
    return shape


def expected_pairs(layers: list[dict], shape: tuple) -> list[tuple[str, tuple]]:
    """(class name, output shape) per layer."""
    pairs = []
    for spec in layers:
        shape = output_shape(spec, shape)
        pairs.append((spec["kind"], shape))
    return pairs


def found_pairs(answer: dict, call: str) -> list[tuple]:
    """The student's answer as (name, shape) pairs, or CheckFailed when it is not a list of such pairs."""
    pairs = answer["pairs"]
    if pairs is None:
        raise CheckFailed(f"{call} to return a list of (name, shape) pairs", f"a {answer['kind']}",
                          "append (type(layer).__name__, out.shape) for each layer and return the list")
    found = []
    for pair_ in pairs:
        shape = pair_.get("shape") or {}
        items = shape.get("items")
        numbers = tuple(item["value"] if item["kind"] == "int" else None for item in items) if items else None
        if pair_["name"] is None or numbers is None or None in numbers:
            raise CheckFailed(f"{call} to return (name, shape) pairs: a class name and a tuple of ints",
                              f"a {pair_['kind']} of a {pair_.get('name_kind')} and a {shape.get('kind')}",
                              "use type(layer).__name__ and out.shape (a tuple of ints)")
        found.append((pair_["name"], numbers))
    return found


def diagnose(found: list, expected: list, in_shape: tuple) -> str:
    """Name the classic mistake behind a wrong list, by recomputing it with that mistake."""
    shapes = [shape for _, shape in expected]
    found_shapes = [shape for _, shape in found]
    if found_shapes[:1] == [in_shape] and found_shapes[1:] == shapes:
        return "the list starts with the input's shape: give one pair per layer, its output, and nothing else"
    if found_shapes == [in_shape, *shapes[:-1]]:
        return ("those are the shapes that go INTO each layer: record the shape after the call, x = layer(x), then "
                "append (type(layer).__name__, x.shape)")
    names = [name for name, _ in expected]
    if len(found) < len(expected):
        return (f"{len(expected) - len(found)} layer(s) are skipped: iterate over every child of the net, "
                f"`for layer in net:`, whatever its class ({', '.join(names)})")
    if found_shapes == shapes:
        return "the names are each layer's class name: type(layer).__name__ (e.g. 'Conv2D', 'AvgPool2D')"
    return "for layer in net: x = layer(x), then append (type(layer).__name__, x.shape)"


def judge_layer_shapes(subject, layers: list[dict], x) -> None:
    """The student's answer equals the judge's list of (class name, output shape)."""
    kinds = ", ".join(spec["kind"] for spec in layers)
    call = f"layer_shapes(net, x) on a HybridSequential of {kinds} with x of shape {tuple(x.shape)}"
    data = ran_until(ask(subject, "layer_shapes", layers=layers, x=x), "answer", EXERCISE)
    expected = expected_pairs(layers, tuple(x.shape))
    found = found_pairs(data["answer"], call)
    if found != expected:
        raise CheckFailed(f"{expected}", f"{found}", diagnose(found, expected, tuple(x.shape)), where=call)


@check(EXERCISE, 2, "LeNet's layers on two MNIST images: Conv2D (2, 6, 28, 28), AvgPool2D (2, 6, 14, 14), ...")
def lenet_shapes(subject):
    judge_layer_shapes(subject, LENET, judge_images(subject, 2, 40))


@st.composite
def nets(draw):
    """A net of convolutions, poolings and activations, then maybe Flatten and Dense layers, valid for its input."""
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(4, 12)), draw(st.integers(4, 12)))
    layers, current = [], shape
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["Conv2D", "MaxPool2D", "AvgPool2D", "Activation"]))
        if kind == "Conv2D":
            spec = {"kind": kind, "channels": draw(st.integers(1, 4)), "kernel_size": draw(st.integers(1, 3)),
                    "strides": draw(st.integers(1, 2)), "padding": draw(st.integers(0, 1))}
        elif kind == "Activation":
            spec = {"kind": kind, "act_type": draw(st.sampled_from(["relu", "sigmoid", "tanh"]))}
        else:
            spec = {"kind": kind, "pool_size": draw(st.integers(1, 2)), "strides": draw(st.integers(1, 2))}
        after = output_shape(spec, current)
        if min(after) >= 1:
            layers.append(spec)
            current = after
    if draw(st.booleans()):
        layers.append({"kind": "Flatten"})
    layers += [{"kind": "Dense", "units": draw(st.integers(1, 8))} for _ in range(draw(st.integers(0, 2)))]
    if not layers:
        layers.append({"kind": "Dense", "units": 3})
    return layers, judge_array(shape, draw(st.integers(0, 2**16)))


@check(EXERCISE, 2, "Any net of convolutions, poolings, activations, Flatten and Dense layers the grader chooses")
@for_all(net=nets())
def any_net(subject, net):
    judge_layer_shapes(subject, *net)
