"""``count_parameters``: the number of scalars in an initialized net."""
from __future__ import annotations

import itertools

from autograder import strategies
from autograder.checks.base import CheckFailed, check, expect_ok
from autograder.checks.examples import for_all
from autograder.checks.inputs import uniform_rows

EXERCISE = "count_parameters"


def expected_count(in_units: int, hidden, num_outputs: int) -> int:
    """Weights plus biases of an MLP: sum over layers of (inputs + 1) * units."""
    sizes = [in_units, *hidden, num_outputs]
    return sum((fan_in + 1) * units for fan_in, units in itertools.pairwise(sizes))


def judge_count(subject, in_units: int, hidden, num_outputs: int, deferred: bool = False) -> None:
    """The student's count must be the exact integer number of parameters."""
    batch = {"x": uniform_rows(2, in_units, seed=0)} if deferred else {}
    reply = expect_ok(subject.probe("count_parameters", hidden=list(hidden), num_outputs=num_outputs,
                                    in_units=in_units, deferred=deferred, **batch), EXERCISE)
    value, expected = reply["value"], expected_count(in_units, hidden, num_outputs)
    net = f"an MLP {' -> '.join(map(str, [in_units, *hidden, num_outputs]))}"
    if value["kind"] != "int":
        shown = f"{value['kind']} {value['value']!r}" if value["value"] is not None else f"a {value['kind']}"
        raise CheckFailed(f"the int {expected} for {net}", shown,
                          "return a Python int: sum p.data().size over net.collect_params().values()")
    if value["value"] != expected:
        arrays = 2 * (len(hidden) + 1)
        if value["value"] in (arrays, arrays // 2):
            hint = "count every element of each parameter (its size), not the number of parameters or layers"
        elif value["value"] == expected - sum([*hidden, num_outputs]):
            hint = "count the biases too"
        else:
            hint = "count every element of each parameter: sum p.data().size over net.collect_params().values()"
        raise CheckFailed(f"{expected} parameters for {net}", f"{value['value']}", hint)


@check(EXERCISE, 1, "Counts an initialized 784-128-64-10 MLP exactly")
def explicit_net(subject):
    judge_count(subject, 784, (128, 64), 10)


@check(EXERCISE, 1, "Counts a deferred net once the first batch has fixed its shapes")
def after_first_batch(subject):
    judge_count(subject, 30, (7,), 3, deferred=True)


@check(EXERCISE, 1, "Counts any MLP")
@for_all(in_units=strategies.in_units(), hidden=strategies.hidden_layers(), num_outputs=strategies.widths(12))
def any_net(subject, in_units, hidden, num_outputs):
    judge_count(subject, in_units, hidden, num_outputs)
