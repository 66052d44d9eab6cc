"""Notebooks of the custom_layers and hybridize_serialize units written the way students copy from the course texts
(d2l.ai's MXNet chapters with ``nd`` and with ``np``/``npx``, the Straight Dope, the MXNet Gluon tutorials), graded
as a careful teaching assistant would grade them: the points per exercise, and feedback that names the first cause
in the student's own terms (``says``) and no other cause, nor another exercise's mistake (``never``).

Each notebook is the course's release with its answer cells filled from one text, graded once, in-process.
"""
from __future__ import annotations

import functools
import tempfile
from textwrap import dedent

import nbformat
import pytest

from autograder.units import unit
from autograder.units.custom_layers.checks import shared as layers

from notebooks import forbidden_in, grade_with_notes, release_path, with_answer, write_notebook

#: Gluon warns about re-initializing, deprecated calls and blocks in plain lists, as these notebooks do.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def text(case_id: str, unit_name: str, answers: dict, scores: dict, says: dict, never: tuple = ()):
    """A notebook of ``unit_name`` whose answer cells are ``answers`` (grade id -> source as the text writes it),
    its points per exercise ``scores`` (every exercise of the unit), the words ``says`` (check id -> phrases) its
    feedback must hold and the words ``never`` that no feedback of it may hold."""
    return pytest.param(unit_name, tuple((key, dedent(source).strip() + "\n") for key, source in answers.items()),
                        scores, says, never, id=case_id)


# --- custom_layers ----------------------------------------------------------------------------------------------

#: d2l.ai (MXNet, 0.x with nd): "Custom Layers" and "Parameter Management", as the chapter writes them.
D2L_ND_LAYERS = {
    "centered_layer": """
        class CenteredLayer(nn.Block):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def forward(self, x):
                return x - x.mean()
        """,
    "my_dense": """
        class MyDense(nn.Block):
            # units: the number of outputs in this layer; in_units: the number of inputs in this layer
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                self.weight = self.params.get('weight', shape=(in_units, units))
                self.bias = self.params.get('bias', shape=(units,))

            def forward(self, x):
                linear = nd.dot(x, self.weight.data()) + self.bias.data()
                return nd.relu(linear)
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            net = nn.Sequential()
            shared = nn.Dense(width, activation='relu')
            net.add(nn.Dense(width, activation='relu'),
                    shared,
                    nn.Dense(width, activation='relu', params=shared.params),
                    nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            return sum(param.data().size for param in net.collect_params().values())
        """,
}

#: The same chapter's layers made HybridBlocks by renaming forward, the bodies kept as the text writes them.
D2L_ND_HYBRID = {
    **D2L_ND_LAYERS,
    "centered_layer": """
        class CenteredLayer(nn.HybridBlock):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def hybrid_forward(self, F, x):
                return x - x.mean()
        """,
    "my_dense": """
        class MyDense(nn.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                self.units = units
                self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
                self.bias = self.params.get('bias', shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                linear = F.dot(x, weight, transpose_b=True) + bias
                return F.relu(linear)
        """,
}

#: d2l.ai (MXNet, 1.x with np/npx): npx.set_np() left on, X - X.mean(), np.dot with an (in_units, units) weight.
D2L_NP_LAYERS = {
    "centered_layer": """
        from mxnet import np, npx
        npx.set_np()

        class CenteredLayer(nn.HybridBlock):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)

            def hybrid_forward(self, F, X):
                return X - X.mean()
        """,
    "my_dense": """
        class MyDense(nn.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self.weight = self.params.get('weight', shape=(in_units, units), allow_deferred_init=True)
                self.bias = self.params.get('bias', shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                linear = F.np.dot(F.npx.batch_flatten(x), weight) + bias
                return F.npx.relu(linear)
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            for num_hiddens in hidden:
                net.add(MyDense(num_hiddens))
            net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            # We need to give the shared layer a name so that we can refer to its parameters
            shared = nn.Dense(width, activation='relu')
            net = nn.Sequential()
            with net.name_scope():
                net.add(nn.Dense(width, activation='relu'), shared,
                        nn.Dense(width, activation='relu', params=shared.params), nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            return int(sum(p.data().size for p in net.collect_params().values()))
        """,
}

#: The Straight Dope, "Designing a custom layer with gluon": Block, nd.mean, Xavier, `with x.context`.
STRAIGHT_DOPE_LAYERS = {
    "centered_layer": """
        from mxnet.gluon import Block

        class CenteredLayer(Block):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def forward(self, x):
                return x - nd.mean(x)
        """,
    "my_dense": """
        class MyDense(gluon.Block):
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                with self.name_scope():
                    self.units = units
                    self._in_units = in_units
                    self.weight = self.params.get(
                        'weight', init=mx.init.Xavier(magnitude=2.24), shape=(in_units, units))
                    self.bias = self.params.get('bias', init=mx.init.Constant(0), shape=(units,))

            def forward(self, x):
                with x.context:
                    linear = nd.dot(x, self.weight.data()) + self.bias.data()
                    activation = nd.relu(linear)
                    return activation
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                net.add(gluon.nn.Dense(width, activation="relu"))
                shared = gluon.nn.Dense(width, activation="relu")
                net.add(shared)
                net.add(gluon.nn.Dense(width, activation="relu", params=shared.collect_params()))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            params = net.collect_params()
            total = 0
            for name in params:
                total += params[name].data().size
            return total
        """,
}

#: The MXNet Gluon tutorial "Custom Layers": F.broadcast_*, params.get(..., allow_deferred_init=True),
#: F.FullyConnected with num_hidden from the weight's shape.
MXNET_TUTORIAL_LAYERS = {
    "centered_layer": """
        class CenteredLayer(gluon.HybridBlock):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def hybrid_forward(self, F, x):
                return F.broadcast_sub(x, F.mean(x))
        """,
    "my_dense": """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                with self.name_scope():
                    self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
                    self.bias = self.params.get('bias', shape=(units,), init=mx.init.Zero(),
                                                allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                fc = F.FullyConnected(x, weight, bias, num_hidden=self.weight.shape[0])
                return F.relu(fc)
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = gluon.nn.HybridSequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                net.add(gluon.nn.Dense(width, activation="relu"))
                net.add(gluon.nn.Dense(width, activation="relu"))
                net.add(gluon.nn.Dense(width, activation="relu", params=net[1].params))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            return sum(p.data().size for p in net.collect_params().values())
        """,
}

LAYERS = "custom_layers"
LAYERS_TEXTS = [
    text("d2l-nd-blocks", LAYERS, D2L_ND_LAYERS,
         {"CenteredLayer": 0, "MyDense": 0, "build_custom_mlp": 5, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"CenteredLayer.own_layer": ("gluon.HybridBlock", "rename forward to hybrid_forward"),
          "MyDense.forward": ("gluon.HybridBlock", "rename forward to hybrid_forward")},
         ("x.mean()", "F.dot cannot infer", "legacy")),
    text("d2l-nd-renamed-to-hybrid_forward", LAYERS, D2L_ND_HYBRID,
         {"CenteredLayer": 3, "MyDense": 4, "build_custom_mlp": 5, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"CenteredLayer.hybridized": ("x - x.mean() works on NDArrays but not once hybridized",),
          "MyDense.forward": ("F.flatten(x)",), "MyDense.deferred_shapes": ("F.dot cannot infer",)},
         ("rename forward", "relu is missing", "registered")),
    text("d2l-numpy-mode", LAYERS, D2L_NP_LAYERS,
         {"CenteredLayer": 6, "MyDense": 2, "build_custom_mlp": 4, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"MyDense.declared_params": ("the weight is (units, in_units)",),
          "build_custom_mlp.param_names": ("net.name_scope()",)},
         ("F.dot cannot infer", "legacy", "broadcast implicitly", "hybrid_forward receives")),
    text("straight-dope", LAYERS, STRAIGHT_DOPE_LAYERS,
         {"CenteredLayer": 0, "MyDense": 0, "build_custom_mlp": 4, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"MyDense.own_layer": ("rename forward to hybrid_forward",),
          "build_custom_mlp.structure": ("nn.HybridSequential()",)},
         ("x.mean()", "F.dot cannot infer", "name_scope")),
    text("mxnet-tutorial-custom-layers", LAYERS, MXNET_TUTORIAL_LAYERS,
         {"CenteredLayer": 6, "MyDense": 9, "build_custom_mlp": 5, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {}),
]


# --- grading ----------------------------------------------------------------------------------------------------

COURSE_TEXTS = LAYERS_TEXTS


@functools.cache
def graded(unit_name: str, answers: tuple) -> tuple[dict, list[str]]:
    """``({check_id: CheckResult}, notes)`` of the release of ``unit_name`` with ``answers`` filled in."""
    nb = nbformat.read(release_path(unit_name), as_version=4)
    for grade_id, source in answers:
        nb = with_answer(nb, grade_id, source)
    with tempfile.TemporaryDirectory(prefix="course-text-") as folder:
        return grade_with_notes(write_notebook(nb, folder), unit_name)


def earned(results: dict) -> dict:
    """Points earned per exercise."""
    totals: dict = {}
    for result in results.values():
        totals[result.exercise] = totals.get(result.exercise, 0) + result.score
    return totals


def foreign_hints(unit_name: str, exercise: str) -> list[str]:
    """Hints a unit scopes to other exercises only: what no feedback of ``exercise`` may say."""
    if unit_name != LAYERS:
        return []
    scoped = [(exercises, hint) for exercises, _, hint in layers.ERROR_HINTS if isinstance(hint, str)]
    own = {hint for exercises, hint in scoped if exercise in exercises}
    return [hint for exercises, hint in scoped if exercise not in exercises and hint not in own]


def test_the_table_covers_every_exercise_and_the_texts():
    assert len(COURSE_TEXTS) >= 10
    for param in COURSE_TEXTS:
        unit_name, answers, scores, says, _ = param.values
        assert set(scores) == {exercise.name for exercise in unit(unit_name).exercises}, param.id
        checks = {check.id for check in unit(unit_name).checks}
        assert set(says) <= checks, (param.id, set(says) - checks)
        assert {grade_id for grade_id, _ in answers} <= {exercise.cell for exercise in unit(unit_name).exercises}


@pytest.mark.parametrize(("unit_name", "answers", "scores", "says", "never"), COURSE_TEXTS)
def test_a_course_text_notebook_gets_a_careful_grade_and_its_first_cause(mnist_dir, unit_name, answers, scores, says,
                                                                         never):
    results, notes = graded(unit_name, answers)
    failing = {cid: result for cid, result in results.items() if not result.passed}
    lost = "\n".join(f"--- {cid}\n{result.feedback}" for cid, result in failing.items())
    assert earned(results) == scores, lost
    for cid, phrases in says.items():
        assert cid in failing and all(phrase in failing[cid].feedback for phrase in phrases), (cid, lost)
    for cid, result in failing.items():
        wrong = [words for words in never if words in result.feedback]
        wrong += [hint for hint in foreign_hints(unit_name, result.exercise) if hint in result.feedback]
        wrong += forbidden_in(result.feedback)
        assert not wrong, (cid, wrong, result.feedback)
    assert not [note for note in notes if forbidden_in(note)], notes
