"""``conv_output_shape(in_shape, channels, kernel_size, strides, padding, dilation)``: the shape ``nn.Conv2D`` gives,
computed before running anything. The judge has two answers of its own: the formula, and the kit's own
``nn.Conv2D`` asked in the judge's process (shape inference on a Symbol; the student's code never runs there)."""
from __future__ import annotations

from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.subject.describe import call_text

from .shared import error_hint, out_size, pair, ran_until

EXERCISE = "conv_output_shape"


def expected_shape(kwargs: dict) -> tuple[int, ...]:
    """The judge's formula: (N, channels, H_out, W_out)."""
    n, _, h, w = kwargs["in_shape"]
    k, s = pair(kwargs["kernel_size"]), pair(kwargs.get("strides", 1))
    p, d = pair(kwargs.get("padding", 0)), pair(kwargs.get("dilation", 1))
    return (n, kwargs["channels"], out_size(h, k[0], s[0], p[0], d[0]), out_size(w, k[1], s[1], p[1], d[1]))


def kit_conv2d_shape(kwargs: dict) -> tuple[int, ...]:
    """The output shape the kit's own ``nn.Conv2D`` infers for these settings, in the judge's process."""
    import mxnet as mx
    from mxnet.gluon import nn

    setting = {key: tuple(value) if isinstance(value, list) else value for key, value in kwargs.items()
               if key not in ("in_shape", "channels")}
    layer = nn.Conv2D(kwargs["channels"], prefix="judge_conv_", **setting)  # a prefix of its own: no name counter
    _, shapes, _ = layer(mx.sym.var("data")).infer_shape(data=tuple(kwargs["in_shape"]))
    return tuple(int(n) for n in shapes[0])


def as_call(kwargs: dict) -> str:
    """How the call looks in the notebook."""
    return call_text(EXERCISE, kwargs)


def returned(subject, kwargs: dict) -> tuple[str, dict]:
    """The call shown to the student and what the student's function returned (described)."""
    call = as_call(kwargs)
    reply = subject.probe("conv_output_shape", kwargs=kwargs, call=call)
    if reply.get("status") == "raised" and reply.get("error_type") != "NotImplementedError":
        raise CheckFailed(f"{call} to run without an error", f"it raised {reply['error_type']}: {reply['message']}",
                          error_hint(reply["message"]))
    return call, ran_until(reply, "value", EXERCISE)["value"]


def diagnose(found: tuple, kwargs: dict) -> str:
    """Name the classic mistake behind a wrong shape, by recomputing it with that mistake."""
    n, _, h, w = kwargs["in_shape"]
    k, s = pair(kwargs["kernel_size"]), pair(kwargs.get("strides", 1))
    p, d = pair(kwargs.get("padding", 0)), pair(kwargs.get("dilation", 1))

    def sizes(formula):
        return (n, kwargs["channels"], formula(h, k[0], s[0], p[0], d[0]), formula(w, k[1], s[1], p[1], d[1]))

    mistakes = (
        (lambda a, k_, s_, p_, d_: (a + p_ - d_ * (k_ - 1) - 1) // s_ + 1,
         "the padding is counted once: padding p adds p rows at the top AND p at the bottom, so it is 2 * p"),
        (lambda a, k_, s_, p_, d_: -(-(a + 2 * p_ - d_ * (k_ - 1) - 1) // s_) + 1,
         "that rounds up (ceil): a window that would stick out past the padded input is dropped, so it is floor: "
         "(H + 2p - d(k - 1) - 1) // s + 1"),
        (lambda a, k_, s_, p_, d_: (a + 2 * p_ - (k_ - 1) - 1) // s_ + 1,
         "the dilation is ignored: a kernel of size k with dilation d spans d * (k - 1) + 1 input positions"),
        (lambda a, k_, s_, p_, d_: a + 2 * p_ - d_ * (k_ - 1) - 1 + 1,
         "the stride is ignored: with stride s only every s-th window position is kept, so divide by s (floor)"),
        (lambda a, k_, s_, p_, d_: a + 2 * p_ - d_ * (k_ - 1) - 1,
         "that is one short: there are (H + 2p - d(k - 1) - 1) // s + 1 window positions, the + 1 included"),
    )
    for formula, hint in mistakes:
        if found == sizes(formula):
            return hint
    if len(found) == 4 and found[:2] != (n, kwargs["channels"]):
        return "the first two entries are the batch size N (unchanged) and the number of output channels"
    return "H_out = floor((H + 2*p - d*(k - 1) - 1) / s) + 1, and the same for W with the second of each pair"


def judge_shape(subject, kwargs: dict, *, strict_ints: bool = False) -> None:
    """The student's answer equals the judge's formula and the kit's nn.Conv2D (which must agree)."""
    expected = expected_shape(kwargs)
    call, value = returned(subject, kwargs)
    items = value["items"]
    if items is None:
        raise CheckFailed(f"{call} to return the tuple {expected}", f"a {value['kind']}",
                          "return a tuple of four Python ints: (N, channels, H_out, W_out)")
    numbers = tuple(item["value"] if item["kind"] in ("int", "float") else None for item in items)
    if numbers != expected:
        raise CheckFailed(f"{call} to return {expected}", f"{numbers}", diagnose(numbers, kwargs))
    if strict_ints and (value["kind"] != "tuple" or any(item["kind"] != "int" for item in items)):
        kinds = sorted({item["kind"] for item in items})
        raise CheckFailed(f"{call} to return a tuple of Python ints", f"a {value['kind']} of {', '.join(kinds)}",
                          "convert each size with int(...) (NumPy's and math's floor of a float give floats or "
                          "NumPy numbers) and return a tuple")


@check(EXERCISE, 1, "Kernel 5 on 28x28, no padding: (2, 6, 24, 24), a tuple of Python ints")
def python_ints(subject):
    judge_shape(subject, {"in_shape": [2, 1, 28, 28], "channels": 6, "kernel_size": 5}, strict_ints=True)


@check(EXERCISE, 1, "Padding 2 on each side keeps 28x28 with a 5x5 kernel")
def padding(subject):
    judge_shape(subject, {"in_shape": [4, 1, 28, 28], "channels": 6, "kernel_size": 5, "padding": 2})


@check(EXERCISE, 1, "Strides round down: kernel 5, stride 2 on 28x28 gives 12x12")
def strides(subject):
    judge_shape(subject, {"in_shape": [1, 3, 28, 28], "channels": 4, "kernel_size": 5, "strides": 2})


@check(EXERCISE, 1, "Dilation spreads the kernel: kernel 3, dilation 2 on 10x10 gives 6x6")
def dilation(subject):
    judge_shape(subject, {"in_shape": [1, 2, 10, 10], "channels": 3, "kernel_size": 3, "dilation": 2})


@check(EXERCISE, 1, "Pairs: a different kernel, stride, padding and dilation for height and width")
def pairs(subject):
    judge_shape(subject, {"in_shape": [3, 2, 17, 20], "channels": 5, "kernel_size": [3, 5], "strides": [1, 2],
                          "padding": [2, 0], "dilation": [1, 3]})


def int_or_pair(values: st.SearchStrategy[int]) -> st.SearchStrategy:
    """An int, or a pair of them (sent as a list, passed to the student as a tuple)."""
    return st.one_of(values, st.lists(values, min_size=2, max_size=2))


@st.composite
def settings(draw):
    """Valid Conv2D settings (an output of at least 1 along each axis: nn.Conv2D refuses the rest)."""
    kwargs = {"in_shape": [draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 40)),
                           draw(st.integers(1, 40))],
              "channels": draw(st.integers(1, 16)),
              "kernel_size": draw(int_or_pair(st.integers(1, 7)))}
    for key, values in (("strides", st.integers(1, 4)), ("padding", st.integers(0, 4)),
                        ("dilation", st.integers(1, 3))):
        if draw(st.booleans()):
            kwargs[key] = draw(int_or_pair(values))
    _, _, h, w = expected_shape(kwargs)
    if min(h, w) < 1:
        kwargs["in_shape"][2:] = [40, 40]  # still valid: kernel 7, dilation 3 span 19 positions
    return kwargs


@check(EXERCISE, 2, "Any valid settings, ints or pairs, agree with the formula and the kit's nn.Conv2D")
@for_all(kwargs=settings())
def matches_conv2d(subject, kwargs):
    kit = kit_conv2d_shape(kwargs)
    if kit != expected_shape(kwargs):  # the kit's two answers disagree: never the student's fault
        raise AssertionError(f"nn.Conv2D gives {kit}, the formula {expected_shape(kwargs)} for {kwargs}")
    judge_shape(subject, kwargs)
