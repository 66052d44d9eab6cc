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
from autograder.units.custom_layers.checks import shared

from notebooks import every_check, grade_id_of, grade_notebook, ids, reference_notebook, with_answer, write_notebook

UNIT = "custom_layers"
CHECKS = [check.id for check in unit(UNIT).checks]
EXERCISE_OF = {check.id: check.exercise for check in unit(UNIT).checks}

#: The copying answer initializes two layers itself, so the probe's initialize() meets them initialized already.
pytestmark = pytest.mark.filterwarnings("ignore:.*is already initialized:UserWarning")


def case(case_id: str, grade_id: str, source: str, failing, phrase: str, never: tuple = ()):
    """One wrong answer: the solution cell ``grade_id`` becomes ``source``; the checks ``failing`` must fail, one of
    them saying ``phrase``, none of them saying any of ``never`` (another cause than the first one)."""
    return pytest.param(grade_id, dedent(source).lstrip(), frozenset(failing), phrase, tuple(never), id=case_id)


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
        """, ids("CenteredLayer", "hybridized", "any_shape"), "symbols do not broadcast implicitly",
         ("F.broadcast_add", "F.dot")),
    case("CenteredLayer-returns-x", "centered_layer", """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return x
        """, every("CenteredLayer"), "returns its input unchanged", ("broadcast implicitly", "axis")),
    case("CenteredLayer-built-in", "centered_layer", """
        class CenteredLayer(nn.BatchNorm):
            pass
        """, every("CenteredLayer"), "built-in mxnet.gluon.nn.basic_layers.BatchNorm", ("x.mean()", "F.dot")),
    case("CenteredLayer-mean-per-row", "centered_layer", """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return F.broadcast_sub(x, F.mean(x, axis=1, keepdims=True))
        """, ids("CenteredLayer", "centers", "hybridized", "any_shape"), "mean along axis 1",
         ("broadcast implicitly", "read the error")),
    case("MyDense-F.dot-deferred", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.broadcast_add(F.dot(F.flatten(x), weight, transpose_b=True), bias))
        """, ids("MyDense", "deferred_shapes", "any_shape"), "F.dot cannot infer the weight's missing input size",
         ("x.mean()", "allow_deferred_init", "registered")),
    case("MyDense-F.dot-plus-bias", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.dot(F.flatten(x), weight, transpose_b=True) + bias)
        """, ids("MyDense", "deferred_shapes", "hybridized", "any_shape"), "F.broadcast_add(..., bias)",
         ("x - x.mean()", "F.broadcast_sub")),
    case("MyDense-weight-in_units-by-units", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(in_units, units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, every("MyDense") - ids("MyDense", "own_layer", "explicit_init"), "the weight is (units, in_units)",
         ("F.dot cannot infer", "allow_deferred_init", "registered")),
    case("MyDense-no-relu", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.FullyConnected(x, weight, bias, num_hidden=self._units)
        """, ids("MyDense", "forward", "hybridized", "any_shape"), "the relu is missing",
         ("broadcast", "F.dot", "weight is (units")),
    case("MyDense-gluon.Parameter-never-registered", "my_dense", MY_DENSE_HEAD + """
            self.weight = gluon.Parameter("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = gluon.Parameter("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, every("MyDense"), "were made but never registered", ("allow_deferred_init", "F.dot", "x.mean()")),
    case("MyDense-nn.Dense-inside", "my_dense", MY_DENSE_HEAD + """
            with self.name_scope():
                self.dense = nn.Dense(units, activation="relu", in_units=in_units)

        def hybrid_forward(self, F, x):
            return self.dense(x)
        """, every("MyDense"), "do not use nn.Dense inside MyDense", ("registered", "F.dot cannot infer")),
    case("MyDense-built-in", "my_dense", """
        class MyDense(nn.Dense):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(units, activation="relu", in_units=in_units, **kwargs)
        """, every("MyDense"), "the built-in mxnet.gluon.nn.basic_layers.Dense", ("relu is missing", "F.dot")),
    case("MyDense-nd.relu", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
            self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

        def hybrid_forward(self, F, x, weight, bias):
            return nd.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, ids("MyDense", "deferred_shapes", "hybridized", "any_shape"), "call every operator through F",
         ("F.dot cannot infer", "x.mean()", "allow_deferred_init")),
    case("MyDense-no-allow_deferred_init", "my_dense", MY_DENSE_HEAD + """
            self.weight = self.params.get("weight", shape=(units, in_units))
            self.bias = self.params.get("bias", shape=(units,))

        def hybrid_forward(self, F, x, weight, bias):
            return F.relu(F.FullyConnected(x, weight, bias, num_hidden=self._units))
        """, ids("MyDense", "deferred_shapes", "any_shape"), "allow_deferred_init=True",
         ("F.dot cannot infer", "registered", "through F")),
    case("MyDense-numpy-mode-d2l-weight-layout", "my_dense", """
        from mxnet import np, npx

        npx.set_np()


        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self.weight = self.params.get("weight", shape=(in_units, units), allow_deferred_init=True)
                self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                return F.npx.relu(F.np.dot(F.npx.batch_flatten(x), weight) + bias)
        """, every("MyDense") - ids("MyDense", "own_layer", "explicit_init"), "the weight is (units, in_units)",
         ("F.dot cannot infer", "hybrid_forward receives", "legacy", "broadcast")),
    case("build_custom_mlp-built-in-dense", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """, every("build_custom_mlp"), "use your own MyDense(units) for every hidden layer (not nn.Dense)",
         ("name_scope", "ReLU", "allow_deferred_init")),
    case("build_custom_mlp-no-name-scope", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            for units in hidden:
                net.add(MyDense(units))
            net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_custom_mlp", "param_names"), "with net.name_scope()",
         ("nn.HybridSequential()", "MyDense(units)")),
    case("build_custom_mlp-relu-on-output", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                net.add(*[MyDense(units) for units in hidden], nn.Dense(num_outputs, activation="relu"))
            return net
        """, ids("build_custom_mlp", "structure", "forward", "any_widths"), "the output layer applies ReLU",
         ("name_scope", "F.dot", "weight is (units")),
    case("build_custom_mlp-plain-sequential", "build_custom_mlp", """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_custom_mlp", "structure"), "start from net = nn.HybridSequential()",
         ("name_scope", "ReLU", "through F")),
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
        """, every("build_tied_mlp"), "a copy is not a share", ("registered", "self.params.get", "ReLU")),
    case("build_tied_mlp-relu-on-output", "build_tied_mlp", """
        def build_tied_mlp(width=64, num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                shared = nn.Dense(width, activation="relu")
                net.add(nn.Dense(width, activation="relu"), shared,
                        nn.Dense(width, activation="relu", params=shared.params),
                        nn.Dense(num_outputs, activation="relu"))
            return net
        """, ids("build_tied_mlp", "forward", "any_width"), "the output layer applies ReLU",
         ("params=second.params", "MyDense")),
    case("count_unique_parameters-shared-counted-twice", "count_unique_parameters", """
        def count_unique_parameters(net):
            total = 0
            for layer in net:
                total += layer.weight.data().size + layer.bias.data().size
            return total
        """, ids("count_unique_parameters", "tied_net", "any_tied_net"), "shared parameters counted twice",
         ("Python int", "not the parameters or the layers", "save_parameters")),
    case("count_unique_parameters-returns-float", "count_unique_parameters", """
        def count_unique_parameters(net):
            return float(sum(param.data().size for param in net.collect_params().values()))
        """, every("count_unique_parameters"), "return a Python int", ("counted twice", "ParameterDict")),
    case("count_unique_parameters-counts-parameters", "count_unique_parameters", """
        def count_unique_parameters(net):
            return len(list(net.collect_params().keys()))
        """, every("count_unique_parameters"), "not the parameters or the layers",
         ("counted twice", "save_parameters", "load_parameters")),
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
    pytest.param("my_dense", """
        from mxnet import npx

        npx.set_np()


        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self._units = units
                self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
                self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                return F.npx.relu(F.npx.fully_connected(x, weight, bias, num_hidden=self._units))


        npx.reset_np()
        """, id="MyDense-numpy-mode-npx"),
    # NumPy-mode symbols broadcast: in a notebook that leaves npx.set_np() on, x - x.mean() is right hybridized too.
    pytest.param("centered_layer", """
        from mxnet import np, npx

        npx.set_np()


        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return x - x.mean()
        """, id="CenteredLayer-numpy-mode-x-minus-x-mean"),
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


def describe(results: dict, check_ids) -> str:
    return "\n".join(f"--- {cid}: {results[cid].score}/{results[cid].max_score}\n{results[cid].feedback}"
                     for cid in sorted(check_ids))


def foreign_hints(exercise: str) -> list[str]:
    """The unit's hints scoped to other exercises only: what no feedback of ``exercise`` may say."""
    scoped = [(exercises, hint) for exercises, _, hint in shared.ERROR_HINTS if isinstance(hint, str)]
    scoped += [(exercises, hint) for _, exercises, hint in shared.NO_BROADCAST if exercises]
    own = {hint for exercises, hint in scoped if exercise in exercises}
    return [hint for exercises, hint in scoped if exercise not in exercises and hint not in own]


def test_case_tables_are_sound():
    assert len(MUTANTS) >= 15 and len(VARIANTS) >= 6
    assert len({param.id for param in MUTANTS + VARIANTS}) == len(MUTANTS) + len(VARIANTS)
    for param in MUTANTS:
        _, source, failing, phrase, never = param.values
        assert failing and failing <= set(CHECKS), (param.id, failing - set(CHECKS))
        assert len({EXERCISE_OF[cid] for cid in failing}) == 1, param.id
        assert phrase.strip() and never, param.id
        compile(source, param.id, "exec")


def test_every_check_has_a_first_cause_case():
    """Each check is failed by some wrong answer whose feedback is held to what it must and must not say."""
    covered = set().union(*(param.values[2] for param in MUTANTS))
    assert set(CHECKS) - covered == set()
    exercises = {exercise.cell for exercise in unit(UNIT).exercises}
    assert {param.values[0] for param in MUTANTS} == exercises == {param.values[0] for param in VARIANTS}


@pytest.mark.parametrize("grade_id, source, failing, phrase, never", MUTANTS)
def test_wrong_answer_fails_exactly_its_checks(mnist_dir, grade_id, source, failing, phrase, never):
    results = grade(with_answer(_reference(), grade_id, source))
    assert list(results) == CHECKS
    failed = {cid for cid, result in results.items() if not result.passed}
    assert failed == failing, (f"\nunexpectedly failed: {sorted(failed - failing)}\nunexpectedly passed: "
                               f"{sorted(failing - failed)}\n" + describe(results, failed ^ failing))
    for cid, result in results.items():
        if cid in failing:
            assert (result.status, result.score) == ("failed", 0) and result.feedback, cid
            assert "could not check" not in result.feedback, describe(results, [cid])
        else:
            assert (result.status, result.score, result.feedback) == ("passed", result.max_score, ""), cid
    assert any(phrase.casefold() in results[cid].feedback.casefold() for cid in failing), (
        f"\nno feedback of a failing check says {phrase!r}:\n" + describe(results, failing))
    # The first cause only: no other mistake, and no hint that belongs to another exercise.
    for cid in failing:
        said = [words for words in never if words.casefold() in results[cid].feedback.casefold()]
        said += [hint for hint in foreign_hints(EXERCISE_OF[cid]) if hint in results[cid].feedback]
        assert not said, f"{cid} says {said}:\n" + describe(results, [cid])


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


def test_a_hint_names_what_this_exercise_wrote_never_another_exercises_mistake(mnist_dir):
    # MyDense's `F.dot(...) + bias` and CenteredLayer's `x - x.mean()` fail on symbols with the same MXNet message;
    # the hint follows the operator the student's own graph used.
    _, source, _, _, _ = next(param.values for param in MUTANTS if param.id == "MyDense-F.dot-plus-bias")
    feedback = grade(with_answer(_reference(), "my_dense", source))["MyDense.hybridized"].feedback
    assert "F.broadcast_add" in feedback and "x.mean()" not in feedback, feedback


def test_hypothesis_feedback_names_the_shrunk_example(mnist_dir):
    _, source, _, _, _ = next(param.values for param in MUTANTS if param.id == "MyDense-F.dot-deferred")
    feedback = grade(with_answer(_reference(), "my_dense", source))["MyDense.any_shape"].feedback
    assert "MyDense(1, in_units=0) on x of shape (1, 1)" in feedback, feedback
