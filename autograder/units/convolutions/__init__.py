"""The convolutions unit: cross-correlation by hand, the output-shape arithmetic of ``Conv2D`` (padding, stride,
dilation), a convolution layer of one's own whose ``in_channels`` is inferred from the first batch, pooling, and LeNet
on MNIST with its layer-by-layer shapes.

Every fact about its exercises is here: the names students define, the notebook cells that hold them (their nbgrader
``grade_id``), and titles, in course order. Checks are in ``checks/``, one module per exercise; what runs beside the
student's code is in ``probes.py``; hidden checks in ``instructor/convolutions.py``.

Trust: the judge (``checks/``) draws every input (sizes, kernels, arrays, the MNIST images it reads itself) and sends
it to the probe as plain data; the probe only calls the student's code on it and returns plain data; every expected
value is recomputed on the judge's side, in NumPy (or, for ``conv_output_shape``, also with the kit's own
``nn.Conv2D`` in the judge's process).
"""
from ...units import Exercise, Unit

UNIT = Unit(
    name="convolutions",
    title="Convolutions: shapes you can compute before you run",
    package=__name__,
    exercises=(
        Exercise("corr2d", cell="corr2d", title="Two-dimensional cross-correlation by hand"),
        Exercise("conv_output_shape", cell="conv_output_shape",
                 title="The output shape of Conv2D: padding, stride, dilation"),
        Exercise("MyConv2D", cell="my_conv2d", title="A convolution layer of your own, in_channels inferred"),
        Exercise("pool2d", cell="pool2d", title="Maximum and average pooling by hand"),
        Exercise("build_lenet", cell="build_lenet", title="LeNet, every shape deferred until the first batch"),
        Exercise("layer_shapes", cell="layer_shapes", title="The output shape of each layer"),
    ),
)
