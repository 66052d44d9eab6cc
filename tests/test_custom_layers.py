"""The custom_layers unit's answers, graded in-process: realistic wrong answers each lose exactly the checks about
their mistake (0 on them, feedback naming it), and right answers written differently get every point, whatever the
notebook built before.

Every case replaces one solution cell of the reference notebook (``solutions/custom_layers/custom_layers.ipynb``).
The reference's full marks and the release's "not implemented yet" are in ``test_reference.py`` (a table over units).
"""
import copy
import functools
import tempfile
from textwrap import dedent

import nbformat
import pytest

from autograder.units import unit

import notebooks as harness
from notebooks import every_check, grade_id_of, grade_notebook, ids, reference_notebook, with_answer, write_notebook

UNIT = "custom_layers"
CHECKS = [check.id for check in unit(UNIT).checks]
EXERCISE_OF = {check.id: check.exercise for check in unit(UNIT).checks}

#: The copying answer initializes two layers itself, so the probe's initialize() meets them initialized already.
pytestmark = pytest.mark.filterwarnings("ignore:.*is already initialized:UserWarning")


case = harness.mutant  # the solution cell is named by its grade id


def every(exercise: str) -> set:
    """Every check of ``exercise``: what an answer that does not do the exercise loses."""
    return every_check(UNIT, exercise)



MY_DENSE_HEAD = """
    class MyDense(gluon.HybridBlock):
        def __init__(self, units, in_units=0, **kwargs):
            super().__init__(**kwargs)
            self._units = units
    """

MUTANTS = [
    case("CenteredLayer-x-minus-x-mean", "centered_layer", """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return x - x.mean()
        """, ids("CenteredLayer", "hybridized", "any_shape"), "symbols do not broadcast implicitly"),
    case("CenteredLayer-returns-x", "centered_layer", """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return x
        """, every("CenteredLayer"), "returns its input unchanged"),
    case("CenteredLayer-built-in", "centered_layer", """
        class CenteredLayer(nn.BatchNorm):
            pass
        """, every("CenteredLayer"), "built-in mxnet.gluon.nn.basic_layers.BatchNorm"),
    case("CenteredLayer-mean-per-row", "centered_layer", """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return F.broadcast_sub(x, F.mean(x, axis=1, keepdims=True))
        """, ids("CenteredLayer", "centers", "hybridized", "any_shape"), "mean along axis 1"),
    case("MyDense-F.dot-deferred", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.broadcast_add(F.dot(F.flatten(x), weight, transpose_b=True), bias))
        """, ids("MyDense", "deferred_shapes", "any_shape"), "F.dot cannot infer the weight's missing input size"),
    case("MyDense-weight-in_units-by-units", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(in_units, units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, every("MyDense") - ids("MyDense", "own_layer", "explicit_init"), "the weight is (units, in_units)"),
    case("MyDense-no-relu", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.FullyConnected(x, weight, bias, num_hidden=self._units)
        """, ids("MyDense", "forward", "hybridized", "any_shape"), "the relu is missing"),
    case("MyDense-gluon.Parameter-never-registered", "my_dense", MY_DENSE_HEAD + """
            self.weight = gluon.Parameter("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = gluon.Parameter("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, every("MyDense") - ids("MyDense", "own_layer"), "were made but never registered"),
    case("MyDense-nn.Dense-inside", "my_dense", MY_DENSE_HEAD + """
            with self.name_scope():
                self.dense = nn.Dense(units, activation="relu", in_units=in_units)

        def hybrid_forward(self, F, x):
            return self.dense(x)
        """, every("MyDense"), "do not use nn.Dense inside MyDense"),
    case("MyDense-built-in", "my_dense", """
        class MyDense(nn.Dense):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(units, activation="relu", in_units=in_units, **kwargs)
        """, every("MyDense"), "the built-in mxnet.gluon.nn.basic_layers.Dense"),
    case("MyDense-nd.relu", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return nd.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, ids("MyDense", "deferred_shapes", "hybridized", "any_shape"), "call every operator through F"),
    case("MyDense-no-allow_deferred_init", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units))
            self.bias = self.params.get("bias", shape=(units,))

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, ids("MyDense", "deferred_shapes", "any_shape"), "allow_deferred_init=True"),
    case("build_custom_mlp-built-in-dense", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """, every("build_custom_mlp"), "use your own MyDense(units) for every hidden layer (not nn.Dense)"),
    case("build_custom_mlp-no-name-scope", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            for units in hidden:
                net.add(MyDense(units))
            net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_custom_mlp", "param_names"), "with net.name_scope()"),
    case("build_custom_mlp-relu-on-output", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                net.add(*[MyDense(units) for units in hidden], nn.Dense(num_outputs, activation="relu"))
            return net
        """, ids("build_custom_mlp", "structure", "forward", "any_widths"), "the output layer applies ReLU"),
    case("build_custom_mlp-plain-sequential", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_custom_mlp", "structure"), "start from net = nn.HybridSequential()"),
    case("build_tied_mlp-copies-instead-of-sharing", "build_tied_mlp", """
        def build_tied_mlp(width=64, num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                second = nn.Dense(width, activation="relu", in_units=width)
                third = nn.Dense(width, activation="relu", in_units=width)
                net.add(nn.Dense(width, activation="relu"), second, third, nn.Dense(num_outputs))
            second.initialize()
            third.initialize()
            third.weight.set_data(second.weight.data())
            third.bias.set_data(second.bias.data())
            return net
        """, every("build_tied_mlp"), "a copy is not a share"),
    case("build_tied_mlp-relu-on-output", "build_tied_mlp", """
        def build_tied_mlp(width=64, num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                shared = nn.Dense(width, activation="relu")
                net.add(nn.Dense(width, activation="relu"), shared,
                        nn.Dense(width, activation="relu", params=shared.params),
                        nn.Dense(num_outputs, activation="relu"))
            return net
        """, ids("build_tied_mlp", "forward", "any_width"), "the output layer applies ReLU"),
    case("count_unique_parameters-shared-counted-twice", "count_unique_parameters", """
        def count_unique_parameters(net):
            total = 0
            for layer in net:
                total += layer.weight.data().size + layer.bias.data().size
            return total
        """, ids("count_unique_parameters", "tied_net", "any_tied_net"), "shared parameters counted twice"),
    case("count_unique_parameters-returns-float", "count_unique_parameters", """
        def count_unique_parameters(net):
            return float(sum(param.data().size for param in net.collect_params().values()))
        """, every("count_unique_parameters"), "return a Python int"),
    case("count_unique_parameters-counts-parameters", "count_unique_parameters", """
        def count_unique_parameters(net):
            return len(list(net.collect_params().keys()))
        """, every("count_unique_parameters"), "not the parameters or the layers"),
]


VARIANTS = [
    pytest.param("centered_layer", """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return F.broadcast_minus(x, F.mean(x, keepdims=True))
        """, id="CenteredLayer-broadcast_minus-keepdims"),
    pytest.param("my_dense", """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                with self.name_scope():
                    self.weight = self.params.get("weight", shape=(units, in_units), init=mx.init.Xavier(),
                                                  allow_deferred_init=True)
                    self.bias = self.params.get("bias", shape=(units,), init="zeros", allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                return F.relu(F.FullyConnected(x, weight, bias, num_hidden=self.units))
        """, id="MyDense-params.get-with-init"),
    pytest.param("my_dense", """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self._units = units
                self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
                self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                linear = F.FullyConnected(F.flatten(x), weight, bias, num_hidden=self._units, no_bias=False)
                return F.Activation(linear, act_type="relu")
        """, id="MyDense-no_bias=False-activation-apart"),
    pytest.param("build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                net.add(*[MyDense(units) for units in hidden], nn.Dense(num_outputs))
            return net
        """, id="build_custom_mlp-add-all-at-once"),
    pytest.param("build_tied_mlp", """
        def build_tied_mlp(width=64, num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                first = nn.Dense(width, activation="relu")
                second = nn.Dense(width, activation="relu")
                third = nn.Dense(width, activation="relu", params=second.collect_params())
                net.add(first, second, third, nn.Dense(num_outputs))
            return net
        """, id="build_tied_mlp-collect_params"),
    pytest.param("build_tied_mlp", """
        def build_tied_mlp(width=64, num_outputs=10):
            shared = nn.Dense(width, activation="relu")
            net = nn.Sequential()
            with net.name_scope():
                net.add(nn.Dense(width, activation="relu"))
                net.add(shared)
                net.add(nn.Dense(width, activation="relu", params=shared.params))
                net.add(nn.Dense(num_outputs))
            return net
        """, id="build_tied_mlp-shared-made-outside-name-scope"),
    pytest.param("count_unique_parameters", """
        def count_unique_parameters(net):
            seen = {}
            for block in net:
                for param in block.collect_params().values():
                    seen[id(param)] = param.data().size
            return sum(seen.values())
        """, id="count_unique_parameters-by-identity"),
]

#: A cell a student may run before the answers: ten blocks of all kinds, so every process-wide name counter moves.
TEN_BLOCKS = """
made = []
for _ in range(2):
    made += [nn.HybridSequential(), nn.Sequential(), nn.Dense(3), FCDense(3), CenteredLayer()]
"""


@functools.cache
def _reference():
    return reference_notebook(UNIT)


def grade(nb) -> dict:
    """Grade a notebook object against the unit's checks: ``{check_id: CheckResult}``."""
    with tempfile.TemporaryDirectory(prefix="custom-layers-") as folder:
        return grade_notebook(write_notebook(nb, folder), UNIT)


def test_case_tables_are_sound():
    harness.assert_sound_mutants(MUTANTS, UNIT)
    assert len(VARIANTS) >= 6
    assert len({param.id for param in MUTANTS + VARIANTS}) == len(MUTANTS) + len(VARIANTS)
    exercises = {exercise.cell for exercise in unit(UNIT).exercises}
    assert {param.values[0] for param in MUTANTS} == exercises == {param.values[0] for param in VARIANTS}


@pytest.mark.parametrize("grade_id, source, failing, phrase", MUTANTS)
def test_wrong_answer_fails_exactly_its_checks(mnist_dir, grade_id, source, failing, phrase):
    results = grade(with_answer(_reference(), grade_id, source))
    assert list(results) == CHECKS
    harness.assert_fails_exactly(results, failing, phrase)


@pytest.mark.parametrize("grade_id, source", VARIANTS)
def test_right_answer_written_differently_gets_full_marks(mnist_dir, grade_id, source):
    results = grade(with_answer(_reference(), grade_id, dedent(source).lstrip()))
    assert list(results) == CHECKS
    wrong = {cid: f"{r.score}/{r.max_score}: {r.feedback}" for cid, r in results.items()
             if not r.passed or r.score != r.max_score}
    assert not wrong


def test_blocks_made_before_the_answers_change_no_grade(mnist_dir):
    nb = copy.deepcopy(_reference())
    first = next(i for i, cell in enumerate(nb.cells) if grade_id_of(cell) == "build_custom_mlp")
    nb.cells.insert(first, nbformat.v4.new_code_cell(TEN_BLOCKS))
    results = grade(nb)
    assert {cid: r.feedback for cid, r in results.items() if not r.passed} == {}
    assert sum(r.score for r in results.values()) == unit(UNIT).points


def test_hypothesis_feedback_names_the_shrunk_example(mnist_dir):
    _, source, _, _ = next(param.values for param in MUTANTS if param.id == "MyDense-F.dot-deferred")
    feedback = grade(with_answer(_reference(), "my_dense", source))["MyDense.any_shape"].feedback
    assert "MyDense(1, in_units=0) on x of shape (1, 1)" in feedback, feedback
