"""``pool2d(X, pool_size, mode)``: maximum and average pooling with stride 1, written with slicing, recomputed by
the judge in NumPy on the arrays it drew."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from . import shared
from .shared import array_of, ask, close, judge_array, judge_own_code, ran_until

EXERCISE = "pool2d"
EXAMPLE_X = np.arange(9, dtype=np.float32).reshape(3, 3)


def answer(subject, x: np.ndarray, size, mode: str) -> dict:
    """The student's pool2d on the judge's X, after the gates: implemented, and not nd.Pooling."""
    reply = ask(subject, "pool2d", X=x, pool_size=list(size), mode=mode)
    data = ran_until(reply, "names", EXERCISE)
    judge_own_code(data["names"], EXERCISE, "the pooling")
    return ran_until(reply, "output", EXERCISE)


def diagnose(found: np.ndarray, x: np.ndarray, size, mode: str) -> str:
    """Name the classic mistake behind a wrong output, by recomputing it with that mistake."""
    other = "avg" if mode == "max" else "max"
    if close(found, shared.pool2d(x, size, other)):
        return (f"that is {'average' if other == 'avg' else 'maximum'} pooling: mode={mode!r} asks for the "
                f"{'maximum' if mode == 'max' else 'mean'} of each window (look at mode)")
    if any(size) and close(found, shared.pool2d(x, size, mode, stride=size)):
        return ("that is pooling with a stride equal to the window (windows side by side): here the stride is 1, "
                "every window position, overlapping: (h - ph + 1, w - pw + 1) outputs")
    h, w = x.shape[0] - size[0] + 1, x.shape[1] - size[1] + 1
    if found.shape in ((h - 1, w - 1), (h - 1, w), (h, w - 1)):
        return "the output is one row or column short: there are h - ph + 1 window positions down, not h - ph"
    return "recompute one value by hand: the max (or mean) of X[i:i + ph, j:j + pw]"


def judge_pool(subject, x: np.ndarray, size, mode: str) -> None:
    """The student's pool2d equals the judge's pooling."""
    data = answer(subject, x, size, mode)
    what = f"pool2d(X, {tuple(size)}, mode={mode!r}) with X of shape {x.shape}"
    found = array_of(data["output"], what, "return the NDArray of the window maxima or means")
    expected = shared.pool2d(x, size, mode)
    if not close(found, expected):
        shown = (f"an output of shape {found.shape}" if found.shape != expected.shape else
                 f"values that differ by up to {np.abs(found - expected).max():.3g}")
        raise CheckFailed(f"an output of shape {expected.shape}, the {'maximum' if mode == 'max' else 'mean'} of "
                          "each window, stride 1", shown, diagnose(found, x, size, mode), where=what)


@check(EXERCISE, 2, "Maximum pooling: the course's 3x3 example with a 2x2 window, [[4, 5], [7, 8]], and other values")
def max_pool(subject):
    judge_pool(subject, EXAMPLE_X, (2, 2), "max")
    judge_pool(subject, judge_array((3, 3), 22), (2, 2), "max")  # the example's answer alone is not it


@check(EXERCISE, 2, "Average pooling: the same example with mode='avg', [[2, 3], [5, 6]], and other values")
def avg_pool(subject):
    judge_pool(subject, EXAMPLE_X, (2, 2), "avg")
    judge_pool(subject, judge_array((3, 3), 22), (2, 2), "avg")  # the example's answer alone is not it


@check(EXERCISE, 1, "1x1 windows and a window as large as the input, both modes")
def edge_windows(subject):
    x = judge_array((3, 4), 21)
    for size in ((1, 1), (3, 4)):
        for mode in ("max", "avg"):
            judge_pool(subject, x, size, mode)


@st.composite
def inputs(draw):
    """An input of 1 to 7 rows and columns, a window no larger, a mode; values drawn on the judge's side."""
    h, w = draw(st.integers(1, 7)), draw(st.integers(1, 7))
    size = (draw(st.integers(1, h)), draw(st.integers(1, w)))
    return judge_array((h, w), draw(st.integers(0, 2**16))), size, draw(st.sampled_from(["max", "avg"]))


@check(EXERCISE, 2, "Any input and window sizes and both modes, values drawn by the grader")
@for_all(case=inputs())
def any_shape(subject, case):
    judge_pool(subject, *case)
