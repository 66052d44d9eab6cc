"""``corr2d(X, K)``: two-dimensional cross-correlation written with slicing and sums, recomputed by the judge in
NumPy on the arrays it drew."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from . import shared
from .shared import array_of, ask, close, judge_array, judge_own_code, ran_until

EXERCISE = "corr2d"
#: The course's example: a 3x3 input and a 2x2 kernel give [[19, 25], [37, 43]].
EXAMPLE_X = np.arange(9, dtype=np.float32).reshape(3, 3)
EXAMPLE_K = np.arange(4, dtype=np.float32).reshape(2, 2)


def answer(subject, x: np.ndarray, k: np.ndarray) -> dict:
    """The student's corr2d on the judge's X and K, after the gates: implemented, and not nd.Convolution."""
    reply = ask(subject, "corr2d", X=x, K=k)
    data = ran_until(reply, "names", EXERCISE)
    judge_own_code(data["names"], EXERCISE, "the cross-correlation")
    return ran_until(reply, "output", EXERCISE)


def diagnose(found: np.ndarray, x: np.ndarray, k: np.ndarray) -> str:
    """Name the classic mistake behind a wrong output, by recomputing it with that mistake."""
    h, w = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    if found.shape in ((h - 1, w - 1), (h - 1, w), (h, w - 1)):
        return ("the output is one row or column short: there are h - kh + 1 window positions down and w - kw + 1 "
                "across (range(h - kh + 1)), not h - kh")
    if found.shape == (h, w) and close(found, shared.corr2d(x, k[::-1, ::-1])):
        return ("that is a true convolution, with the kernel flipped: cross-correlation slides K as it is, "
                "Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()")
    if found.shape != (h, w):
        return "the output has one value per window position: shape (h - kh + 1, w - kw + 1)"
    return "recompute one value by hand: Y[i, j] = (X[i:i + kh, j:j + kw] * K).sum()"


def judge_corr2d(subject, x: np.ndarray, k: np.ndarray) -> None:
    """The student's corr2d(X, K) equals the judge's cross-correlation."""
    data = answer(subject, x, k)
    what = f"corr2d(X, K) with X of shape {x.shape} and K of shape {k.shape}"
    found = array_of(data["output"], what, "return Y, the NDArray of the window sums")
    expected = shared.corr2d(x, k)
    if not close(found, expected):
        shown = (f"an output of shape {found.shape}" if found.shape != expected.shape else
                 f"values that differ by up to {np.abs(found - expected).max():.3g}")
        raise CheckFailed(f"an output of shape {expected.shape} with Y[i, j] = sum(X[i:i+kh, j:j+kw] * K)", shown,
                          diagnose(found, x, k), where=what)


@check(EXERCISE, 1, "Written with slicing and sums, not nd.Convolution")
def own_code(subject):
    answer(subject, EXAMPLE_X, EXAMPLE_K)


@check(EXERCISE, 2, "The course's example, a 3x3 input and a 2x2 kernel: [[19, 25], [37, 43]], and other values")
def example(subject):
    judge_corr2d(subject, EXAMPLE_X, EXAMPLE_K)
    judge_corr2d(subject, judge_array((3, 3), 13), judge_array((2, 2), 14))  # the example's answer alone is not it


@check(EXERCISE, 1, "A 1x1 kernel scales the input; a kernel as large as the input gives one value")
def edge_windows(subject):
    x = judge_array((4, 5), 11)
    judge_corr2d(subject, x, np.array([[-2.0]], dtype=np.float32))
    judge_corr2d(subject, x, judge_array((4, 5), 12))


@st.composite
def inputs(draw):
    """An input of 1 to 8 rows and columns and a kernel no larger, values drawn on the judge's side."""
    h, w = draw(st.integers(1, 8)), draw(st.integers(1, 8))
    kh, kw = draw(st.integers(1, h)), draw(st.integers(1, w))
    seed = draw(st.integers(0, 2**16))
    return judge_array((h, w), seed), judge_array((kh, kw), seed + 1)


@check(EXERCISE, 2, "Any input and kernel sizes, values drawn by the grader")
@for_all(xk=inputs())
def any_shape(subject, xk):
    judge_corr2d(subject, *xk)
