"""Hidden checks: graded by ``nbgrader autograde`` only, invisible in the released notebook and in the feedback.

They are :class:`autograder.checks.Check` objects with ``hidden=True``, kept in :data:`HIDDEN` instead of the
autograder's registry, so ``pytest autograder`` (the student's self-check) neither runs nor lists them.
``scripts/add_test_cells.py`` puts one hidden-test region per exercise into the source notebook.
"""
from __future__ import annotations

import sys

from autograder.checks import find
from autograder.checks.base import Check, check
from autograder.checks.build_mlp import probe_builder
from autograder.checks.count_parameters import judge_count
from autograder.checks.nets import judge_forward, judge_shapes, weight_shapes

HIDDEN: list[Check] = []


def hidden_check(exercise: str, points: float, title: str):
    """Register the decorated ``function(subject)`` as a hidden check of ``exercise`` worth ``points``."""
    return check(exercise, points, title, hidden=True, registry=HIDDEN)


@hidden_check("build_mlp", 1, "No hidden layer: build_mlp(hidden=(), num_outputs=3) is a single Dense(3)")
def no_hidden_layer(subject):
    reply = probe_builder(subject, "build_mlp", {"hidden": [], "num_outputs": 3}, batch={"mnist": True, "rows": 8})
    what = reply["call"]
    judge_shapes(reply["after_forward"], weight_shapes(784, (), 3), f"for {what}",
                 "with no hidden widths the net is just the output layer")
    judge_forward(reply, 0, what)


@hidden_check("count_parameters", 1, "Counts a net with no hidden layer")
def no_hidden_layer_count(subject):
    judge_count(subject, 784, (), 10)


def find_hidden(check_id: str) -> Check:
    """The hidden check with id ``exercise.name``."""
    return find(check_id, HIDDEN)


def check_hidden(*check_ids: str, namespace: dict | None = None) -> None:
    """Run hidden checks from a hidden-test region; what it prints names no check."""
    from autograder.nbgrader_cells import run_in_cell

    if namespace is None:
        namespace = sys._getframe(1).f_globals
    run_in_cell([find_hidden(check_id) for check_id in check_ids], namespace, label=lambda one: "hidden test")
