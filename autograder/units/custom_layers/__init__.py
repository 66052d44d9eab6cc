"""The custom_layers unit: layers of one's own (a HybridBlock without parameters, a dense layer whose weight and
bias are declared with ``self.params.get``), a net built from them, and parameters shared between layers.

Every fact about its exercises is here: the names students define, the notebook cells that hold them (their nbgrader
``grade_id``), and titles, in course order. Checks are in ``checks/``, one module per exercise; what runs beside the
student's code is in ``probes.py``; hidden checks in ``instructor/custom_layers.py``.
"""
from ...units import Exercise, Unit

UNIT = Unit(
    name="custom_layers",
    title="Custom layers: parameters you declare yourself",
    package=__name__,
    exercises=(
        Exercise("CenteredLayer", cell="centered_layer", title="A layer without parameters, hybridizable"),
        Exercise("MyDense", cell="my_dense", title="A dense layer with parameters of its own"),
        Exercise("build_custom_mlp", cell="build_custom_mlp", title="A net made of your own layers"),
        Exercise("build_tied_mlp", cell="build_tied_mlp", title="Two layers that share their parameters"),
        Exercise("count_unique_parameters", cell="count_unique_parameters",
                 title="Counting parameters, shared ones once"),
    ),
)
