"""``MyConv2D``: a convolution layer of one's own (weight and bias declared with ``self.params.get``, computed with
``F.Convolution``), ``in_channels`` inferred from the first batch. The judge sends every setting and batch, and
gives the layer its own weight and bias after the first batch, and recomputes the output in NumPy with them; the
hybridized graph is read by the judge."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check, expect_implemented
from autograder.checks.examples import for_all
from autograder.subject.describe import call_text

from . import shared
from .shared import (
    BUILT_INS,
    HYBRID_BLOCK,
    array_of,
    ask,
    close,
    graph_ops,
    judge_array,
    op_attrs,
    pair,
    ran_until,
    relative_name,
    tuple_attr,
)

EXERCISE = "MyConv2D"
#: in_channels given, a square kernel, stride 1, no padding.
EXPLICIT = {"channels": 4, "kernel_size": 3, "in_channels": 2, "shape": [2, 2, 7, 6]}
#: in_channels left to the first batch.
DEFERRED = {"channels": 3, "kernel_size": 3, "in_channels": 0, "shape": [2, 5, 6, 6]}
#: A non-square kernel with a stride and padding.
STRIDED = {"channels": 2, "kernel_size": [3, 2], "in_channels": 0, "strides": 2, "padding": 1, "shape": [2, 3, 9, 8]}


def settings_of(case: dict) -> dict:
    """The keyword arguments of MyConv2D(...) for a case (the batch's shape is not one)."""
    return {key: value for key, value in case.items() if key != "shape"}


def judge_values(case: dict, seed: int) -> list[np.ndarray]:
    """The weight and bias the judge gives the layer after its first batch (and computes the output with)."""
    kh, kw = kernel_of(case)
    return [judge_array((case["channels"], case["shape"][1], kh, kw), seed + 100),
            judge_array((case["channels"],), seed + 101)]


def probe_layer(subject, case: dict, needs: str, seed: int = 0) -> dict:
    """The my_conv2d probe's data as far as ``needs``, after the gates (implemented, a layer of one's own)."""
    kwargs = settings_of(case)
    call = call_text(EXERCISE, kwargs).replace("MyConv2D(channels=", "MyConv2D(")
    x, values = judge_array(case["shape"], seed), judge_values(case, seed)
    reply = ask(subject, "my_conv2d", kwargs=kwargs, call=call, x=x, values=values)
    expect_implemented(reply, EXERCISE)
    judge_own_layer(reply)
    data = ran_until(reply, needs, EXERCISE)
    return {**data, "call": call, "input": x, "values": values, "case": case}


def judge_own_layer(reply: dict) -> None:
    """MyConv2D must be the student's own HybridBlock with hybrid_forward, and not hand the work to nn.Conv2D."""
    data = reply if reply.get("status") == "ok" else reply.get("partial") or {}
    facts = data.get("class")
    if not facts:
        return  # not defined: the reply itself says why
    if not facts["is_class"]:
        raise CheckFailed("`MyConv2D` to be a class deriving from gluon.HybridBlock", f"a {facts['type']}",
                          "write `class MyConv2D(gluon.HybridBlock):`")
    builtin = [base for base in facts["bases"] if base.startswith("mxnet.gluon.nn.")]
    inside = [child["class"] for child in data.get("children", []) if child["type"].startswith("mxnet.")]
    used = [shown for name, shown in BUILT_INS.items() if name in facts["names"] and name != "Convolution"]
    if builtin or inside or used:
        found = (f"it derives from the built-in {builtin[0]}" if builtin else
                 f"it holds a built-in {inside[0]}" if inside else f"its code uses {used[0]}")
        raise CheckFailed("`MyConv2D` to be a layer of your own, its weight and bias declared with self.params.get",
                          found, "the exercise is to write the layer yourself: declare the parameters in __init__ "
                          "and compute F.Convolution(x, weight, bias, ...) in hybrid_forward, no nn.Conv2D")
    if HYBRID_BLOCK not in facts["bases"]:
        raise CheckFailed("`MyConv2D` to derive from gluon.HybridBlock", f"bases {facts['bases'][:3]}",
                          "write `class MyConv2D(gluon.HybridBlock):` so that it can be hybridized")
    if "hybrid_forward" not in facts["written"]:
        raise CheckFailed("`MyConv2D` to define hybrid_forward itself", f"it defines {facts['written']}",
                          "write `def hybrid_forward(self, F, x, weight, bias):`")


def kernel_of(case: dict) -> tuple[int, int]:
    return pair(case["kernel_size"])


def judge_declared(data: dict, in_channels: int, when: str) -> None:
    """``collect_params()`` finds exactly ``<prefix>weight`` and ``<prefix>bias`` of the declared shapes."""
    case = data["case"]
    kh, kw = kernel_of(case)
    expected = {"weight": (case["channels"], in_channels, kh, kw), "bias": (case["channels"],)}
    names = {relative_name(p["name"], data["prefix"]): p for p in data["before_init"]}
    if "bias" not in names and set(names) <= {"weight"}:
        raise CheckFailed(f"the parameters {data['prefix']}weight and {data['prefix']}bias",
                          f"{[p['name'] for p in data['before_init']]}: the bias is missing",
                          "declare a bias of shape (channels,) with self.params.get('bias', ...) and pass it to "
                          "F.Convolution: each output channel gets its own bias", where=data["call"])
    if set(names) != set(expected):
        raise CheckFailed(f"the parameters {data['prefix']}weight and {data['prefix']}bias",
                          f"{[p['name'] for p in data['before_init']]}",
                          "declare them with self.params.get('weight', ...) and self.params.get('bias', ...): the "
                          "prefix of the layer is added for you", where=data["call"])
    for name, shape in expected.items():
        found = tuple(names[name]["shape"])
        if found == shape:
            continue
        if name == "weight" and len(found) == 4 and found[:2] == shape[:2][::-1] and found[2:] == shape[2:]:
            hint = ("the weight is (channels, in_channels, kh, kw): one filter per OUTPUT channel first, each over "
                    "every input channel")
        elif name == "weight" and len(found) == 4 and in_channels == 0 and found[1] != 0:
            hint = ("in_channels is fixed instead of inferred: declare the weight with shape (channels, in_channels, "
                    "kh, kw) using the in_channels argument (0 until the first batch) and allow_deferred_init=True")
        else:
            hint = f"declare {name} with shape={shape}"
        raise CheckFailed(f"{data['prefix']}{name} of shape {shape} {when}", f"shape {found}", hint,
                          where=data["call"])


def judge_params_after_batch(data: dict, what: str) -> None:
    """After the first batch the layer has a weight (channels, C, kh, kw) and a bias (channels,): the judge's values
    go there."""
    weight, bias = data["values"]
    shapes = [tuple(p["shape"]) for p in data["after_forward"]]
    if weight.shape not in shapes:
        raise CheckFailed(f"a weight of shape {weight.shape} after a batch of {weight.shape[1]} channels",
                          f"parameters of shapes {shapes}",
                          "the weight is (channels, in_channels, kh, kw), in_channels taken from the batch",
                          where=what)
    if bias.shape not in shapes:
        raise CheckFailed(f"{data['call']} to add a bias of shape {bias.shape} to the convolution",
                          f"parameters of shapes {shapes}: the bias is missing",
                          "declare a bias of shape (channels,) with self.params.get('bias', ...) and pass it to "
                          "F.Convolution(x, weight, bias, ...): each output channel adds its own bias", where=what)


def judge_output(data: dict, key: str, what: str) -> None:
    """The output under ``key`` equals the judge's convolution with the weight and bias the judge gave the layer."""
    case, x = data["case"], data["input"]
    judge_params_after_batch(data, what)
    weight, bias = data["values"]
    kh, kw = kernel_of(case)
    found = array_of(data[key], what, "return the result of F.Convolution")
    strides, padding = case.get("strides", 1), case.get("padding", 0)
    expected = shared.conv2d(x, weight, bias, strides, padding)
    if close(found, expected):
        return
    if close(found, shared.conv2d(x, weight, None, strides, padding)):
        hint = "the bias is not added: pass it to F.Convolution(x, weight, bias, kernel=..., num_filter=...)"
    elif (strides, padding) != (1, 0) and any(close(found, shared.conv2d(x, weight, bias, s, p))
                                              for s, p in ((1, 0), (strides, 0), (1, padding))):
        hint = ("the stride or the padding is not passed on: give F.Convolution stride=(sh, sw) and pad=(ph, pw) "
                "from the layer's strides and padding")
    elif found.shape != expected.shape:
        hint = (f"the output of a {kh}x{kw} kernel with strides {strides} and padding {padding} has shape "
                f"{expected.shape}: pass kernel, stride and pad to F.Convolution")
    else:
        hint = ("compute F.Convolution(x, weight, bias, kernel=(kh, kw), stride=..., pad=..., num_filter=channels) "
                "with the parameters hybrid_forward receives")
    raise CheckFailed(f"{what} to give the convolution of x with the layer's own weight, plus its bias, shape "
                      f"{expected.shape}", f"shape {found.shape}" if found.shape != expected.shape else
                      f"values that differ by up to {np.abs(found - expected).max():.3g}", hint)


def judge_graph(data: dict, what: str) -> None:
    """The graph of the layer called on a Symbol holds a Convolution with the layer's kernel, stride and padding."""
    case = data["case"]
    convolutions = [node for node in graph_ops(data.get("graph"), what) if node.get("op") == "Convolution"]
    if not convolutions:
        raise CheckFailed(f"{what} to be a graph with a Convolution operator", "no Convolution in its graph",
                          "compute with F.Convolution in hybrid_forward, so the same code runs on symbols")
    attrs = op_attrs(convolutions[0])
    found = (tuple_attr(attrs, "kernel", ()), tuple_attr(attrs, "stride", (1, 1)), tuple_attr(attrs, "pad", (0, 0)))
    expected = (kernel_of(case), pair(case.get("strides", 1)), pair(case.get("padding", 0)))
    if found != expected:
        raise CheckFailed(f"{what}: a Convolution with kernel {expected[0]}, stride {expected[1]}, pad {expected[2]}",
                          f"kernel {found[0]}, stride {found[1]}, pad {found[2]}",
                          "pass the layer's kernel_size, strides and padding on to F.Convolution as pairs")


@check(EXERCISE, 1, "MyConv2D is a HybridBlock of your own that declares parameters, with no nn.Conv2D inside")
def own_layer(subject):
    probe_layer(subject, EXPLICIT, "types")


@check(EXERCISE, 2, "Its parameters are <prefix>weight (channels, in_channels, kh, kw) and <prefix>bias (channels,)")
def declared_params(subject):
    data = probe_layer(subject, EXPLICIT, "before_init")
    judge_declared(data, EXPLICIT["in_channels"], "as declared")


@check(EXERCISE, 2, "With in_channels=0 the weight is (channels, 0, kh, kw) until the first batch, which fixes it")
def deferred_shapes(subject):
    data = probe_layer(subject, DEFERRED, "before_init")
    judge_declared(data, 0, "before the first batch")
    data = probe_layer(subject, DEFERRED, "after_forward")
    channels, kh, kw = DEFERRED["channels"], *kernel_of(DEFERRED)
    expected = (channels, DEFERRED["shape"][1], kh, kw)
    weight = next((p for p in data["after_forward"] if relative_name(p["name"], data["prefix"]) == "weight"), None)
    if weight is None or tuple(weight["shape"]) != expected:
        raise CheckFailed(f"the weight of shape {expected} after a batch of shape {tuple(DEFERRED['shape'])}",
                          f"shape {tuple(weight['shape']) if weight else None}",
                          "in_channels is fixed instead of inferred: the batch's channels fix it when the weight is "
                          "declared (channels, in_channels, kh, kw) with in_channels=0 and F.Convolution infers it",
                          where=data["call"])


@check(EXERCISE, 2, "The output is the convolution of x with its own weight, plus its bias")
def forward(subject):
    data = probe_layer(subject, EXPLICIT, "after_forward")
    judge_output(data, "output", f"{data['call']} on x of shape {tuple(EXPLICIT['shape'])}")


@check(EXERCISE, 1, "A non-square kernel with strides and padding passed on")
def strides_padding(subject):
    data = probe_layer(subject, STRIDED, "after_forward")
    judge_output(data, "output", f"{data['call']} on x of shape {tuple(STRIDED['shape'])}")


@check(EXERCISE, 1, "Hybridized, the same output, from a graph with a Convolution")
def hybridized(subject):
    data = probe_layer(subject, STRIDED, "graph")
    what = f"{data['call']} once hybridized"
    judge_output(data, "hybrid_output", what)
    judge_graph(data, f"{data['call']} called on mx.sym.var('data')")


@st.composite
def cases(draw):
    """Drawn settings and a batch at least as large as the kernel once padded."""
    kernel = draw(st.one_of(st.integers(1, 3), st.lists(st.integers(1, 3), min_size=2, max_size=2)))
    case = {"channels": draw(st.integers(1, 4)), "kernel_size": kernel, "in_channels": 0}
    strides, padding = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    if strides != 1:
        case["strides"] = strides
    if padding:
        case["padding"] = padding
    kh, kw = pair(kernel)
    channels = draw(st.integers(1, 3))
    if draw(st.booleans()):
        case["in_channels"] = channels
    case["shape"] = [draw(st.integers(1, 2)), channels, draw(st.integers(kh, 6)), draw(st.integers(kw, 6))]
    return case


@check(EXERCISE, 2, "Any channels, kernel, strides, padding and batch, in_channels given or deferred, hybridized")
@for_all(case=cases())
def any_shape(subject, case):
    data = probe_layer(subject, case, "graph", seed=5)
    judge_declared(data, case["in_channels"], "before the first batch")
    judge_output(data, "output", f"{data['call']} on x of shape {tuple(case['shape'])}")
    judge_output(data, "hybrid_output", f"{data['call']} on x of shape {tuple(case['shape'])}, hybridized")
    judge_graph(data, f"{data['call']} called on mx.sym.var('data')")
