"""``MyInit``: weights from U(-10, 10) with everything below 5 in absolute value set to 0; biases zero."""
from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, check, expect_ok

EXERCISE = "MyInit"
UNITS, IN_UNITS = 200, 300  # 60,000 draws: tight enough statistics, small enough to be quick
#: What the array handed to the student's initializer holds before (sent by the judge): no draw gives exactly this.
UNTOUCHED = 123.25


def probe_my_init(subject) -> dict:
    """Initialize a kit-made Dense(200, in_units=300) with MyInit()."""
    reply = expect_ok(subject.probe("my_init", units=UNITS, in_units=IN_UNITS, seed=7, fill=UNTOUCHED), EXERCISE)
    if not reply["is_initializer"]:
        raise CheckFailed("MyInit() to be an mx.init.Initializer", "another kind of object",
                          "write `class MyInit(mx.init.Initializer):` and override _init_weight")
    judge_attempted(reply)
    return reply


def judge_attempted(reply: dict) -> None:
    """MyInit must be the student's own initializer and must write the weights; else no check gives points.

    A built-in initializer in its place, or an _init_weight that leaves the array it is given as it was (it does
    nothing, prints, or rebinds its argument), would pass "biases are zero" and "every weight is 0 or 5 <= |w| <= 10"
    without doing the exercise.
    """
    if not {"_init_weight", "__call__"} & set(reply.get("written", [])):
        raise CheckFailed("MyInit to be your own initializer class with its own _init_weight",
                          f"MyInit is MXNet's own {reply.get('class_name', 'initializer').rsplit('.', 1)[-1]}",
                          "write `class MyInit(mx.init.Initializer):` and override _init_weight(self, name, arr)")
    given = reply["weight"]["value"]
    # The judge's comparison, of the array that came back with the value it sent: no draw gives exactly that.
    if not isinstance(given, np.ndarray) or given.shape != (UNITS, IN_UNITS) or not (given != UNTOUCHED).any():
        raise CheckFailed("_init_weight to write the drawn weights into the array it is given",
                          "it leaves that array as it was (every weight keeps the value it was handed)",
                          "fill arr in place: arr[:] = nd.random.uniform(low=-10, high=10, shape=arr.shape), then "
                          "zero the small ones into arr[:] as well. `arr = ...` only rebinds the local name, and "
                          "printing changes nothing")
    if np.all(given == given.flat[0]):
        # One value everywhere (zeros included) is no draw: it would pass "0 or 5 <= |w| <= 10" and "biases zero"
        # without the exercise, and it is also what a process that reports arrays instead of writing them says.
        raise CheckFailed("_init_weight to draw the weights from U(-10, 10), then zero the small ones",
                          f"every weight is {float(given.flat[0]):g}",
                          "fill arr in place with draws: arr[:] = nd.random.uniform(low=-10, high=10, "
                          "shape=arr.shape), then zero the ones with |w| < 5")


@check(EXERCISE, 1, "Every weight is 0 or between 5 and 10 in absolute value")
def zeroed_below_five(subject):
    weight = np.abs(probe_my_init(subject)["weight"]["value"])
    stray = weight[(weight != 0) & ((weight < 5 - 1e-5) | (weight > 10 + 1e-5))]
    if stray.size:
        raise CheckFailed("weights that are 0 or have 5 <= |w| <= 10", f"{stray.size} weights like {stray[0]:.3f}",
                          "draw from U(-10, 10), then set every weight with |w| < 5 to 0 (e.g. arr * (arr.abs() >= 5))")


@check(EXERCISE, 1, "The weights follow U(-10, 10) before zeroing: half zeros, the rest spread over both signs")
def uniform_draws(subject):
    weight = probe_my_init(subject)["weight"]["value"]
    kept = weight[weight != 0]
    zeros = 1 - kept.size / weight.size
    facts = {"share of zeros": (zeros, 0.5, 0.03), "share of positive kept weights": (
        (kept > 0).mean() if kept.size else 0.0, 0.5, 0.03), "mean |w| of kept weights": (
        np.abs(kept).mean() if kept.size else 0.0, 7.5, 0.15)}
    for fact, (found, expected, tolerance) in facts.items():
        if abs(found - expected) > tolerance:
            raise CheckFailed(f"{fact} near {expected} for U(-10, 10) draws zeroed below 5", f"{found:.3f}",
                              "draw uniformly from -10 to 10 (nd.random.uniform(low=-10, high=10, ...)) and fill "
                              "arr in place: arr[:] = ...")


@check(EXERCISE, 1, "Biases are left to the default: zero")
def biases_zero(subject):
    bias = probe_my_init(subject)["bias"]["value"]
    if np.any(bias != 0):
        raise CheckFailed("all biases zero", f"{np.count_nonzero(bias)} non-zero biases",
                          "only override _init_weight; the Initializer's default _init_bias sets zeros")
