"""Hidden checks of the plumbing unit: graded by ``nbgrader autograde`` only, invisible in the release and feedback.

They are registered with ``hidden=True`` here, outside the autograder package students receive, so ``pytest
autograder`` (the student's self-check) neither runs nor lists them; :attr:`autograder.units.Unit.hidden_checks`
finds them. ``scripts/add_test_cells.py`` puts one hidden-test region per exercise into the source notebook.
"""
from __future__ import annotations

from autograder.checks.base import check
from autograder.checks.nets import judge_forward, judge_shapes, weight_shapes
from autograder.units.plumbing.checks.count_parameters import judge_count
from autograder.units.plumbing.checks.shared import probe_builder


@check("build_mlp", 1, "No hidden layer: build_mlp(hidden=(), num_outputs=3) is a single Dense(3)", hidden=True)
def no_hidden_layer(subject):
    reply = probe_builder(subject, "build_mlp", {"hidden": [], "num_outputs": 3}, batch={"mnist": True, "rows": 8})
    what = reply["call"]
    judge_shapes(reply["after_forward"], weight_shapes(784, (), 3), f"for {what}",
                 "with no hidden widths the net is just the output layer")
    judge_forward(reply, 0, what)


@check("count_parameters", 1, "Counts a net with no hidden layer", hidden=True)
def no_hidden_layer_count(subject):
    judge_count(subject, 784, (), 10)
