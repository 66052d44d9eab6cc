"""``count_unique_parameters``: the number of scalars in a net's parameters, shared ones counted once."""
from __future__ import annotations

from hypothesis import strategies as st

from autograder import strategies
from autograder.checks.base import CheckFailed, check, expect_ok
from autograder.checks.examples import for_all

from .shared import judge_input, seed_of

EXERCISE = "count_unique_parameters"


def net_text(in_units: int, width: int, repeats: int, num_outputs: int) -> str:
    """How the kit's net looks in feedback."""
    shared = f"{repeats} Dense({width}) sharing one weight and bias" if repeats > 1 else f"Dense({width})"
    return f"a net {in_units} inputs -> Dense({width}) -> {shared} -> Dense({num_outputs})"


def expected_count(in_units: int, width: int, repeats: int, num_outputs: int, *, per_use: bool = False) -> int:
    """Weights plus biases; the shared layer once (or, with ``per_use``, once per layer that uses it)."""
    shared = (width + 1) * width * (repeats if per_use else 1)
    return (in_units + 1) * width + shared + (width + 1) * num_outputs


def judge_count(subject, in_units: int, width: int, repeats: int, num_outputs: int, nested: bool = False) -> None:
    """The student's count must be the exact integer number of distinct scalars."""
    x = judge_input((2, in_units), seed_of("count_unique", in_units))  # fixes the kit net's deferred shapes
    reply = expect_ok(subject.probe("count_unique", width=width, repeats=repeats, num_outputs=num_outputs, x=x,
                                    nested=nested), EXERCISE)
    value, expected = reply["value"], expected_count(in_units, width, repeats, num_outputs)
    net = net_text(in_units, width, repeats, num_outputs)
    if value["kind"] != "int":
        shown = f"{value['kind']} {value['value']!r}" if value["value"] is not None else f"a {value['kind']}"
        raise CheckFailed(f"the int {expected} for {net}", shown,
                          "return a Python int: sum p.data().size over net.collect_params().values()")
    if value["value"] != expected:
        if repeats > 1 and value["value"] == expected_count(in_units, width, repeats, num_outputs, per_use=True):
            hint = ("shared parameters counted twice (once per layer that uses them): count each Parameter once, "
                    "as net.collect_params() lists it")
        elif value["value"] in (2 * (repeats + 2), repeats + 2, 6, 3):
            hint = "count every element of each parameter (its size), not the parameters or the layers"
        else:
            hint = "sum p.data().size over net.collect_params().values(): each parameter once, every element"
        raise CheckFailed(f"{expected} parameters for {net}", f"{value['value']}", hint)


@check(EXERCISE, 1, "Counts a net without sharing")
def untied_net(subject):
    judge_count(subject, 30, 16, 1, 10)


@check(EXERCISE, 2, "Counts a tied net, the shared weight and bias once")
def tied_net(subject):
    judge_count(subject, 20, 8, 2, 10)


@check(EXERCISE, 1, "Counts any tied net")
@for_all(in_units=strategies.in_units(), width=strategies.widths(16), repeats=st.integers(min_value=2, max_value=4),
         num_outputs=strategies.widths(10))
def any_tied_net(subject, in_units, width, repeats, num_outputs):
    judge_count(subject, in_units, width, repeats, num_outputs)
