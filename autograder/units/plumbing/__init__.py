"""The plumbing unit: a look under the hood of ``mxnet.gluon`` (Sequential, name_scope, deferred shapes, in_units,
a Block of one's own, parameters, initializers, saving and loading).

Every fact about its exercises is here: the names students define, the notebook cells that hold them (their nbgrader
``grade_id``), and titles, in course order. Checks (points, titles of each check) are in ``checks/``, one module per
exercise; what runs beside the student's code is in ``probes.py``; hidden checks in ``instructor/plumbing.py``.
"""
from ...units import Exercise, Unit

UNIT = Unit(
    name="plumbing",
    title="Plumbing: a look under the hood of Gluon",
    package=__name__,
    exercises=(
        Exercise("build_mlp", cell="build_mlp", title="An nn.Sequential MLP, shapes left to inference"),
        Exercise("build_named_mlp", cell="build_named_mlp", title="Names: a prefix and name_scope()"),
        Exercise("build_mlp_explicit", cell="build_mlp_explicit", title="Shapes given yourself: in_units"),
        Exercise("MLP", cell="mlp_block", title="What Sequential hides: a gluon.Block of your own"),
        Exercise("MySequential", cell="my_sequential", title="A home-made nn.Sequential"),
        Exercise("count_parameters", cell="count_parameters", title="Counting parameters"),
        Exercise("MyInit", cell="my_init", title="An initializer of your own"),
        Exercise("save_and_load", cell="save_and_load", title="Saving and loading parameters"),
    ),
)
