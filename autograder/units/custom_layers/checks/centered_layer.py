"""``CenteredLayer``: a HybridBlock without parameters returning ``x`` minus the mean of all its elements, the same
imperatively and hybridized."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from .shared import HYBRID_BLOCK, array_of, close, judge_own_class, ran_until

EXERCISE = "CenteredLayer"
BATCH = {"shape": [4, 3, 5]}


def centered(subject, shape=None, in_net: bool = False) -> dict:
    """The probe's reply for a CenteredLayer, after checking it is a layer of the student's own."""
    reply = subject.probe("centered", shape=list(shape or BATCH["shape"]), in_net=in_net)
    judge_own_class(subject, EXERCISE, HYBRID_BLOCK, "hybrid_forward", reply)
    return reply


def diagnose(found: np.ndarray, x: np.ndarray) -> str:
    """Name the classic mistake behind a wrong output, by recomputing it with that mistake."""
    x = x.astype(np.float64)
    if close(found, x):
        return "the layer returns its input unchanged: subtract the mean, F.broadcast_sub(x, F.mean(x))"
    for axis in range(x.ndim):
        if close(found, x - x.mean(axis=axis, keepdims=True)):
            return (f"that is x minus its mean along axis {axis}: subtract the mean of all elements, F.mean(x) "
                    "with no axis")
    if close(found, np.full_like(x, x.mean())) or close(found, x.mean(keepdims=True)):
        return "that is the mean itself: return x minus the mean"
    return "return F.broadcast_sub(x, F.mean(x)): x minus the mean of all its elements, in the shape of x"


def judge_centered(data: dict, key: str, what: str, hint_on_error: str = "") -> None:
    """The output under ``key`` must be the input minus its mean, in the input's shape (shapes checked first)."""
    x = data["input"]
    found = array_of(data, key, what)
    if found.shape != x.shape:
        raise CheckFailed(f"{what} to keep the shape {x.shape} of its input", f"shape {found.shape}",
                          hint_on_error or "subtract the mean from every element: F.broadcast_sub(x, F.mean(x))")
    expected = x.astype(np.float64) - x.astype(np.float64).mean()
    if not close(found, expected):
        raise CheckFailed(f"{what} to return x - mean(x), the mean of all {x.size} elements",
                          f"outputs that differ by up to {np.abs(found - expected).max():.3g} "
                          f"(their mean is {found.mean():.3g})", diagnose(found, x))


@check(EXERCISE, 1, "CenteredLayer is a HybridBlock of your own, without parameters")
def own_layer(subject):
    reply = centered(subject)
    data = ran_until(reply, "params", EXERCISE)
    if data["params"]:
        raise CheckFailed("CenteredLayer() to have no parameters", f"collect_params() lists {data['params']}",
                          "centering needs no weights: declare nothing in __init__")
    data = ran_until(reply, "output", EXERCISE)
    if data["output"]["kind"] == "NDArray" and close(data["output"]["value"], data["input"]):
        raise CheckFailed("CenteredLayer to change its input", "it returns its input unchanged",
                          "subtract the mean: F.broadcast_sub(x, F.mean(x))")


@check(EXERCISE, 2, "It returns x minus the mean of all its elements")
def centers(subject):
    judge_centered(ran_until(centered(subject), "output", EXERCISE), "output",
                   f"CenteredLayer() on x of shape {tuple(BATCH['shape'])}")


@check(EXERCISE, 2, "Hybridized, it returns the same")
def hybridized(subject):
    data = ran_until(centered(subject), "hybrid_output", EXERCISE)
    judge_centered(data, "hybrid_output", "CenteredLayer() once hybridized")


@check(EXERCISE, 1, "Any input shape, imperative and hybridized")
@for_all(shape=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=4))
def any_shape(subject, shape):
    what = f"CenteredLayer() on x of shape {tuple(shape)}"
    data = ran_until(centered(subject, shape), "hybrid_output", EXERCISE)
    judge_centered(data, "output", what)
    judge_centered(data, "hybrid_output", f"{what}, hybridized")
