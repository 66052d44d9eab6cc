"""``CenteredLayer``: a HybridBlock without parameters returning ``x`` minus the mean of all its elements, the same
imperatively and hybridized."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all

from .shared import (
    HYBRID_BLOCK,
    array_of,
    close,
    graph_output,
    judge_input,
    judge_own_class,
    judge_values,
    ran_until,
    seed_of,
)

EXERCISE = "CenteredLayer"
BATCH = {"shape": [4, 3, 5]}


def centered(subject, shape=None, in_net: bool = False) -> tuple[dict, np.ndarray, list | None]:
    """The probe's reply for a CenteredLayer on the judge's input (and, ``in_net``, behind a Dense(8) whose values
    are the judge's), after checking it is a layer of the student's own; with that input and those values."""
    shape = list(shape or BATCH["shape"])
    x = judge_input(shape, seed_of("centered", shape, in_net), 0.0, 4.0)  # a mean far from 0: no change shows
    values = judge_values([(8, int(np.prod(shape[1:]))), (8,)], seed_of("centered dense", shape)) if in_net else None
    reply = subject.probe("centered", x=x, values=values)
    judge_own_class(subject, EXERCISE, HYBRID_BLOCK, "hybrid_forward", reply)
    return reply, x, values


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


def centerings(x: np.ndarray) -> list[np.ndarray]:
    """x minus its mean over all elements, and minus its mean along each single axis: what a layer that centers
    (rightly or along the wrong axis) gives."""
    x = x.astype(np.float64)
    return [x - x.mean()] + [x - x.mean(axis=axis, keepdims=True) for axis in range(x.ndim)]


def judge_centered(found: np.ndarray, x: np.ndarray, what: str, hint_on_error: str = "") -> None:
    """``found`` must be the judge's ``x`` minus its mean, in the input's shape (shapes checked first)."""
    if found.shape != x.shape:
        raise CheckFailed(f"{what} to keep the shape {x.shape} of its input", f"shape {found.shape}",
                          hint_on_error or "subtract the mean from every element: F.broadcast_sub(x, F.mean(x))")
    expected = x.astype(np.float64) - x.astype(np.float64).mean()
    if not close(found, expected):
        raise CheckFailed(f"{what} to return x - mean(x), the mean of all {x.size} elements",
                          f"outputs that differ by up to {np.abs(found - expected).max():.3g} "
                          f"(their mean is {found.mean():.3g})", diagnose(found, x))


def judge_hybridized(reply: dict, x: np.ndarray, what: str) -> None:
    """Hybridized means the graph hybrid_forward builds on symbols: the judge evaluates it on its own ``x`` first
    (its operators name what went wrong); the output of the block once hybridized must be right too."""
    data = ran_until(reply, "symbol", EXERCISE)
    judge_centered(graph_output(data, {"data": x}, what, EXERCISE), x, f"{what}, its graph (what hybridize() runs)")
    data = ran_until(reply, "hybrid_output", EXERCISE)
    judge_centered(array_of(data, "hybrid_output", what), x, f"{what} once hybridized")


@check(EXERCISE, 1, "CenteredLayer is a HybridBlock of your own, without parameters")
def own_layer(subject):
    reply, x, _ = centered(subject)
    data = ran_until(reply, "params", EXERCISE)
    if data["params"]:
        raise CheckFailed("CenteredLayer() to have no parameters", f"collect_params() lists {data['params']}",
                          "centering needs no weights: declare nothing in __init__")
    data = ran_until(reply, "output", EXERCISE)
    found = array_of(data, "output", "CenteredLayer()")
    if close(found, x):
        raise CheckFailed("CenteredLayer to change its input", "it returns its input unchanged",
                          "subtract the mean: F.broadcast_sub(x, F.mean(x))")
    if not any(close(found, centering) for centering in centerings(x)):
        raise CheckFailed(f"CenteredLayer() on x of shape {x.shape} to return x minus a mean of x",
                          f"outputs whose mean is {found.mean():.3g}" if found.size else f"shape {found.shape}",
                          diagnose(found, x) if found.shape == x.shape else
                          "keep the shape of x: F.broadcast_sub(x, F.mean(x))")


@check(EXERCISE, 2, "It returns x minus the mean of all its elements")
def centers(subject):
    reply, x, _ = centered(subject)
    data = ran_until(reply, "output", EXERCISE)
    judge_centered(array_of(data, "output", EXERCISE), x, f"CenteredLayer() on x of shape {x.shape}")


@check(EXERCISE, 2, "Hybridized, it returns the same")
def hybridized(subject):
    reply, x, _ = centered(subject)
    judge_hybridized(reply, x, "CenteredLayer()")


@check(EXERCISE, 1, "Any input shape, imperative and hybridized")
@for_all(shape=st.lists(st.integers(min_value=1, max_value=6), min_size=1, max_size=4))
def any_shape(subject, shape):
    what = f"CenteredLayer() on x of shape {tuple(shape)}"
    reply, x, _ = centered(subject, shape)
    data = ran_until(reply, "output", EXERCISE)
    judge_centered(array_of(data, "output", what), x, what)
    judge_hybridized(reply, x, what)
