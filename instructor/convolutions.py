"""Hidden checks of the convolutions unit: graded by ``nbgrader autograde`` only, invisible in the release and
feedback (see ``instructor/plumbing.py``). Like the visible checks, each sends inputs the judge chose and recomputes
the expected value on the judge's side."""
from __future__ import annotations

import numpy as np

from autograder.checks.base import check
from autograder.units.convolutions.checks.build_lenet import judge_forward as judge_lenet_forward
from autograder.units.convolutions.checks.build_lenet import probe_net
from autograder.units.convolutions.checks.conv_output_shape import judge_shape
from autograder.units.convolutions.checks.corr2d import judge_corr2d
from autograder.units.convolutions.checks.layer_shapes import judge_layer_shapes
from autograder.units.convolutions.checks.my_conv2d import judge_output, probe_layer
from autograder.units.convolutions.checks.pool2d import judge_pool
from autograder.units.convolutions.checks.shared import judge_array


@check("corr2d", 1, "A single-row input with a 1x3 kernel", hidden=True)
def single_row(subject):
    judge_corr2d(subject, judge_array((1, 9), 31), judge_array((1, 3), 32))


@check("conv_output_shape", 1, "A kernel that spans the whole padded input exactly: one position", hidden=True)
def single_position(subject):
    judge_shape(subject, {"in_shape": [5, 3, 7, 9], "channels": 2, "kernel_size": [3, 4], "padding": [1, 0],
                          "dilation": [4, 3], "strides": [5, 1]})


@check("MyConv2D", 1, "A 1x1 kernel on a single pixel of one example", hidden=True)
def one_pixel(subject):
    case = {"channels": 3, "kernel_size": 1, "in_channels": 0, "shape": [1, 2, 1, 1]}
    data = probe_layer(subject, case, "hybrid_output", seed=9)
    judge_output(data, "hybrid_output", f"{data['call']} on x of shape (1, 2, 1, 1), hybridized")


@check("pool2d", 1, "A single column, both modes", hidden=True)
def single_column(subject):
    x = judge_array((6, 1), 41)
    for mode in ("max", "avg"):
        judge_pool(subject, x, (2, 1), mode)


@check("build_lenet", 1, "One output, on a single MNIST image", hidden=True)
def one_output(subject):
    data = probe_net(subject, "hybrid_output", 1, rows=1, start=7)
    judge_lenet_forward(data, "hybrid_output", f"{data['call']} on one MNIST image, hybridized")


@check("layer_shapes", 1, "A net that flattens before its Dense layers", hidden=True)
def flatten_first(subject):
    layers = [{"kind": "Conv2D", "channels": 2, "kernel_size": 3}, {"kind": "Flatten"},
              {"kind": "Dense", "units": 4}, {"kind": "Activation", "act_type": "tanh"}]
    judge_layer_shapes(subject, layers, judge_array((3, 1, 5, 5), 51).astype(np.float32))
