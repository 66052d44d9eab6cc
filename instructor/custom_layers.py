"""Hidden checks of the custom_layers unit: graded by ``nbgrader autograde`` only, invisible in the release and
feedback (see ``instructor/plumbing.py``)."""
from __future__ import annotations

import numpy as np

from autograder.checks.base import CheckFailed, check
from autograder.units.custom_layers.checks.build_tied_mlp import judge_forward as judge_tied_forward
from autograder.units.custom_layers.checks.build_tied_mlp import tied
from autograder.units.custom_layers.checks.centered_layer import EXERCISE as CENTERED
from autograder.units.custom_layers.checks.centered_layer import centered
from autograder.units.custom_layers.checks.count_unique_parameters import judge_count
from autograder.units.custom_layers.checks.my_dense import EXERCISE as MY_DENSE
from autograder.units.custom_layers.checks.my_dense import judge_output, my_dense
from autograder.units.custom_layers.checks.shared import array_of, ran_until


@check(CENTERED, 1, "After a Dense layer in a hybridized HybridSequential, the output has mean 0", hidden=True)
def in_a_hybrid_net(subject):
    data = ran_until(centered(subject, [6, 5], in_net=True), "hybrid_output", CENTERED)
    imperative, hybrid = array_of(data, "output", CENTERED), array_of(data, "hybrid_output", CENTERED)
    if hybrid.shape != (6, 8) or abs(float(hybrid.mean())) > 1e-4 or not np.allclose(hybrid, imperative, atol=1e-4):
        raise CheckFailed("an output of shape (6, 8) with mean 0, the same hybridized",
                          f"shape {hybrid.shape}, mean {hybrid.mean():.3g}",
                          "center with F.broadcast_sub(x, F.mean(x))")


@check(MY_DENSE, 1, "A deferred MyDense on a single example", hidden=True)
def single_example(subject):
    data = ran_until(my_dense(subject, 3, 0, [1, 7]), "hybrid_output", MY_DENSE)
    judge_output(data, "hybrid_output", 3, f"{data['call']} on x of shape (1, 7), hybridized")


@check("build_tied_mlp", 1, "A tied MLP one unit wide", hidden=True)
def width_one(subject):
    judge_tied_forward(ran_until(tied(subject, 1, 1), "after_backward", "build_tied_mlp"), 1, 1)


@check("count_unique_parameters", 1, "Counts a net whose shared layers sit in a nested block", hidden=True)
def nested_sharing(subject):
    judge_count(subject, 12, 6, 3, 4, nested=True)
