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
from autograder.units.custom_layers.checks.my_dense import judge_hybridized, my_dense
from autograder.units.custom_layers.checks.shared import (
    array_of,
    assigned_inputs,
    graph_output,
    ran_until,
    unassigned,
)


@check(CENTERED, 1, "After a Dense layer in a hybridized HybridSequential, the output has mean 0", hidden=True)
def in_a_hybrid_net(subject):
    reply, x, values = centered(subject, [6, 5], in_net=True)
    data = ran_until(reply, "hybrid_output", CENTERED)
    unassigned(data, [value.shape for value in values], "the net Dense(8) -> CenteredLayer()", "")
    dense = x.reshape(len(x), -1).astype(np.float64) @ values[0].T.astype(np.float64) + values[1]
    expected = dense - dense.mean()
    outputs = {"imperative": array_of(data, "output", CENTERED),
               "hybridized": array_of(data, "hybrid_output", CENTERED),
               "graph": graph_output(data, assigned_inputs(data, values, x), "the net Dense(8) -> CenteredLayer()",
                                     CENTERED)}
    for how, found in outputs.items():
        if found.shape != (6, 8) or not np.allclose(found, expected, atol=1e-4, rtol=1e-4):
            raise CheckFailed("an output of shape (6, 8) with mean 0, the same hybridized",
                              f"{how}: shape {found.shape}, mean {found.mean():.3g}" if found.size else
                              f"{how}: shape {found.shape}", "center with F.broadcast_sub(x, F.mean(x))")


@check(MY_DENSE, 1, "A deferred MyDense on a single example", hidden=True)
def single_example(subject):
    reply, x, values = my_dense(subject, 3, 0, [1, 7])
    judge_hybridized(reply, x, values, "MyDense(3, in_units=0) on x of shape (1, 7)")


@check("build_tied_mlp", 1, "A tied MLP one unit wide", hidden=True)
def width_one(subject):
    reply, sent = tied(subject, 1, 1)
    judge_tied_forward(ran_until(reply, "after_backward", "build_tied_mlp"), sent, 1, 1)


@check("count_unique_parameters", 1, "Counts a net whose shared layers sit in a nested block", hidden=True)
def nested_sharing(subject):
    judge_count(subject, 12, 6, 3, 4, nested=True)
