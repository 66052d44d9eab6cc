"""Notebooks written from the course texts (d2l.ai's MXNet chapters, the Straight Dope), graded as a careful
teaching assistant would grade them: the points the work earns, and feedback that names the student's own mistake.

Each kind of problem of issue 12 has its table here: NumPy mode, answers that do nothing, nets with fewer or
reordered layers, MXNet's own messages and hints, a notebook that defines no exercise, and datasets that a
notebook downloads (graded in the real sandbox). The answers are written the way students copy them: whole
notebooks in the texts' style, or the reference notebook with one cell replaced.
"""
from __future__ import annotations

import functools
import tempfile
from textwrap import dedent

import nbformat
import pytest

from autograder import pipeline
from autograder.options import Options
from autograder.runner.sandbox import detect
from autograder.runner.worker import Worker
from autograder.subject.local import LocalSubject
from autograder.subject.notebook import LoadReport, first_line_of
from autograder.units import unit

from notebooks import forbidden_in, grade_with_notes, reference_notebook, with_answer, write_notebook

PLUMBING = unit("plumbing")
EXERCISES = [exercise.name for exercise in PLUMBING.exercises]

#: Gluon warns about blocks kept in plain lists and about initializing twice, as these notebooks do.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def course_notebook(*cells: str) -> nbformat.NotebookNode:
    """A notebook whose code cells are ``cells`` (dedented), in order: a student's notebook from scratch."""
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(dedent(cell).strip()) for cell in cells])


@functools.cache
def graded_cells(cells: tuple[str, ...]) -> tuple[dict, list[str]]:
    """``({check_id: CheckResult}, notes)`` of the notebook made of ``cells`` (graded once per notebook)."""
    return _graded(course_notebook(*cells))


@functools.cache
def graded_answer(grade_id: str, source: str) -> tuple[dict, list[str]]:
    """``({check_id: CheckResult}, notes)`` of the reference notebook with solution cell ``grade_id`` replaced."""
    return _graded(with_answer(reference_notebook(), grade_id, dedent(source).lstrip()))


def _graded(nb) -> tuple[dict, list[str]]:
    with tempfile.TemporaryDirectory(prefix="course-text-") as folder:
        return grade_with_notes(write_notebook(nb, folder))


def scores(results: dict) -> dict:
    """Points per exercise: ``{exercise: (earned, available)}``."""
    totals: dict = {}
    for result in results.values():
        earned, available = totals.get(result.exercise, (0, 0))
        totals[result.exercise] = (earned + result.score, available + result.max_score)
    return totals


def lost(results: dict) -> str:
    """The failed checks and their feedback, for assertion messages."""
    return "\n".join(f"--- {cid}\n{r.feedback}" for cid, r in results.items() if not r.passed)


# --- NumPy mode: d2l.ai's MXNet code (npx.set_np() in every cell) ------------------------------------------

D2L_PREAMBLE = """
    from mxnet import autograd, gluon, init, np, npx
    from mxnet.gluon import nn
    npx.set_np()
    """

D2L_DATA = """
    npx.set_np()
    from autograder.mnist import mnist_batches
    X, y = next(iter(mnist_batches(batch_size=64)))
    X = X.as_np_ndarray()
    X.shape
    """

D2L_ANSWERS = {
    "build_mlp": """
        npx.set_np()
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for num_hiddens in hidden:
                    net.add(nn.Dense(num_hiddens, activation='relu'))
                net.add(nn.Dense(num_outputs))
            return net

        net = build_mlp()
        net.initialize(init=init.Normal(sigma=0.01))
        net(X).shape
        """,
    "build_named_mlp": """
        npx.set_np()
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential(prefix=prefix)
            with net.name_scope():
                for num_hiddens in hidden:
                    net.add(nn.Dense(num_hiddens, activation='relu'))
                net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_mlp_explicit": """
        npx.set_np()
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for num_hiddens in hidden:
                    net.add(nn.Dense(num_hiddens, activation='relu', in_units=in_units))
                    in_units = num_hiddens
                net.add(nn.Dense(num_outputs, in_units=in_units))
            return net
        """,
    "mlp_block": """
        npx.set_np()
        class MLP(nn.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.hiddens = nn.Sequential()
                    for num_hiddens in hidden:
                        self.hiddens.add(nn.Dense(num_hiddens))
                    self.out = nn.Dense(num_outputs)

            def forward(self, X):
                for layer in self.hiddens:
                    X = npx.relu(layer(X))
                return self.out(X)

        net = MLP()
        net.initialize()
        net(X).shape
        """,
    "my_sequential": """
        npx.set_np()
        class MySequential(nn.Block):
            def add(self, *blocks):
                for block in blocks:
                    # Here, `block` is an instance of a `Block` subclass, and we assume that it has a unique name
                    self._children[block.name] = block

            def forward(self, X):
                # OrderedDict guarantees that members will be traversed in the order they were added
                for block in self._children.values():
                    X = block(X)
                return X
        """,
    "count_parameters": """
        npx.set_np()
        def count_parameters(net):
            return sum(p.data().size for p in net.collect_params().values())
        """,
    "my_init": """
        npx.set_np()
        class MyInit(init.Initializer):
            def _init_weight(self, name, data):
                print('Init', name, data.shape)
                data[:] = np.random.uniform(-10, 10, data.shape)
                data *= np.abs(data) >= 5

        net = build_mlp()
        net.initialize(MyInit())
        net(X)
        net[0].weight.data()[:2]
        """,
    "save_and_load": """
        npx.set_np()
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            clone = make_net()
            clone.load_parameters(path)
            return clone
        """,
}

#: The same notebook without any npx.set_np(): the answers use the mxnet.np API on classic arrays where they can.
NP_API_WITHOUT_SET_NP = {grade_id: dedent(source).replace("npx.set_np()\n", "")
                         for grade_id, source in D2L_ANSWERS.items()}

STRAIGHT_DOPE_ANSWERS = {
    "build_mlp": """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                for h in hidden:
                    net.add(gluon.nn.Dense(h, activation="relu"))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_named_mlp": """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            net = gluon.nn.Sequential(prefix=prefix)
            with net.name_scope():
                for h in hidden:
                    net.add(gluon.nn.Dense(h, activation="relu"))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_mlp_explicit": """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                for h in hidden:
                    net.add(gluon.nn.Dense(h, in_units=in_units, activation="relu"))
                    in_units = h
                net.add(gluon.nn.Dense(num_outputs, in_units=in_units))
            return net
        """,
    "mlp_block": """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super(MLP, self).__init__(**kwargs)
                self.n_hidden = len(hidden)
                with self.name_scope():
                    for i, h in enumerate(hidden):
                        setattr(self, "dense%d" % i, gluon.nn.Dense(h))
                    self.dense_out = gluon.nn.Dense(num_outputs)

            def forward(self, x):
                for i in range(self.n_hidden):
                    x = nd.relu(getattr(self, "dense%d" % i)(x))
                return self.dense_out(x)
        """,
    "my_sequential": """
        class MySequential(gluon.Block):
            def __init__(self, **kwargs):
                super(MySequential, self).__init__(**kwargs)

            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block)

            def forward(self, x):
                for block in self._children.values():
                    x = block(x)
                return x
        """,
    "count_parameters": """
        def count_parameters(net):
            params = net.collect_params()
            total = 0
            for name in params:
                total += params[name].data().size
            return total
        """,
    "my_init": """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr[:] = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                arr *= arr.abs() >= 5
        """,
    "save_and_load": """
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            net2 = make_net()
            net2.load_parameters(path, ctx=mx.cpu())
            return net2
        """,
}


def reference_with(answers: dict) -> nbformat.NotebookNode:
    """The reference notebook with every answer of ``answers`` in place of its solution cell."""
    nb = reference_notebook()
    for grade_id, source in answers.items():
        nb = with_answer(nb, grade_id, dedent(source).lstrip())
    return nb


#: The d2l answers pasted into the course's notebook, with the imports and the batch d2l's cells expect.
D2L_IN_COURSE_NOTEBOOK = {**D2L_ANSWERS, "build_mlp": "from mxnet import init, np, npx\nX = data.as_np_ndarray()\n"
                          + dedent(D2L_ANSWERS["build_mlp"]).lstrip()}

RIGHT_NOTEBOOKS = [
    pytest.param(lambda: course_notebook(D2L_PREAMBLE, D2L_DATA, *D2L_ANSWERS.values()), True, id="d2l-numpy-mode"),
    pytest.param(lambda: reference_with(D2L_IN_COURSE_NOTEBOOK), True, id="d2l-answers-in-the-course-notebook"),
    pytest.param(lambda: course_notebook(D2L_PREAMBLE.replace("npx.set_np()", ""), *NP_API_WITHOUT_SET_NP.values()),
                 False, id="mxnet-np-api-without-set_np"),
    pytest.param(lambda: reference_with(STRAIGHT_DOPE_ANSWERS), False, id="straight-dope-classic"),
]


@functools.cache
def graded_right(index: int) -> tuple[dict, list[str]]:
    """One notebook of :data:`RIGHT_NOTEBOOKS`, graded once."""
    return _graded(RIGHT_NOTEBOOKS[index].values[0]())


@pytest.mark.parametrize("index", range(len(RIGHT_NOTEBOOKS)), ids=[p.id for p in RIGHT_NOTEBOOKS])
def test_right_notebooks_from_the_course_texts_get_full_marks(mnist_dir, index):
    results, _ = graded_right(index)
    assert list(results) == [check.id for check in PLUMBING.checks]
    assert all(r.passed and r.score == r.max_score for r in results.values()), lost(results)


@pytest.mark.parametrize("index", range(len(RIGHT_NOTEBOOKS)), ids=[p.id for p in RIGHT_NOTEBOOKS])
def test_a_notebook_in_numpy_mode_is_told_its_checks_ran_in_classic_mode(mnist_dir, index):
    _, notes = graded_right(index)
    numpy_notes = [note for note in notes if "NumPy mode" in note]
    switches_numpy_mode_on = RIGHT_NOTEBOOKS[index].values[1]
    assert len(numpy_notes) == switches_numpy_mode_on, notes
    if switches_numpy_mode_on:
        assert "npx.set_np()" in numpy_notes[0] and "classic mode" in numpy_notes[0]


def test_numpy_mode_left_on_by_one_notebook_does_not_reach_the_next(mnist_dir):
    graded_right(0)
    graded_answer("count_parameters", STRAIGHT_DOPE_ANSWERS["count_parameters"])
    results, notes = graded_answer("my_init", STRAIGHT_DOPE_ANSWERS["my_init"])
    assert not any("NumPy mode" in note for note in notes)
    assert all(r.passed for r in results.values()), lost(results)


# --- no points for doing nothing -------------------------------------------------------------------------

def do_nothing(case_id: str, grade_id: str, exercise: str, source: str, phrase: str):
    """An answer that does not do the exercise: every check of ``exercise`` scores 0, every other check passes."""
    return pytest.param(grade_id, exercise, dedent(source).lstrip(), phrase, id=case_id)


DO_NOTHING = [
    do_nothing("MyInit-init-weight-passes", "my_init", "MyInit", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                pass
        """, "leaves that array as it was"),
    do_nothing("MyInit-rebinds-its-argument", "my_init", "MyInit", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                arr = arr * (arr.abs() >= 5)
                return arr
        """, "only rebinds the local name"),
    do_nothing("MyInit-only-prints-as-in-d2l", "my_init", "MyInit", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, data):
                print('Init', name, data.shape)
        """, "printing changes nothing"),
    do_nothing("MyInit-is-mxnet-uniform", "my_init", "MyInit", """
        MyInit = mx.init.Uniform
        """, "MXNet's own Uniform"),
    do_nothing("MyInit-subclasses-normal-and-adds-nothing", "my_init", "MyInit", """
        class MyInit(mx.init.Normal):
            pass
        """, "MXNet's own MyInit"),
    do_nothing("MyInit-xavier-with-a-big-magnitude", "my_init", "MyInit", """
        def MyInit():
            return mx.init.Xavier(magnitude=300)
        """, "your own initializer class"),
    do_nothing("MySequential-subclass-of-sequential-with-nothing-of-its-own", "my_sequential", "MySequential", """
        class MySequential(nn.Sequential):
            pass
        """, "add comes from MXNet's Sequential"),
    do_nothing("MLP-function-returning-a-sequential", "mlp_block", "MLP", """
        def MLP(hidden=(128, 64), num_outputs=10, **kwargs):
            net = nn.Sequential(**kwargs)
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """, "your own class"),
    do_nothing("count_parameters-returns-none", "count_parameters", "count_parameters", """
        def count_parameters(net):
            pass
        """, "return a Python int"),
    do_nothing("save_and_load-returns-make_net-without-loading", "save_and_load", "save_and_load", """
        def save_and_load(net, make_net, path):
            return make_net()
        """, "save_parameters"),
]


@pytest.mark.parametrize("grade_id, exercise, source, phrase", DO_NOTHING)
def test_an_answer_that_does_nothing_scores_zero_on_its_exercise(mnist_dir, grade_id, exercise, source, phrase):
    results, _ = graded_answer(grade_id, source)
    for cid, result in results.items():
        if result.exercise == exercise:
            assert result.score == 0, f"{cid} gave points for doing nothing:\n{lost(results)}"
        else:
            assert result.passed, f"{cid}:\n{result.feedback}"
    feedback = "\n".join(r.feedback for r in results.values() if r.exercise == exercise)
    assert phrase.casefold() in feedback.casefold(), feedback


# --- nets with fewer or reordered layers: the first cause, never the grader's trouble ----------------------

def wrong_net(case_id: str, source: str, failing: set, says: str, never: tuple = ()):
    """An MLP answer that loses exactly ``failing``; its feedback says ``says`` and none of ``never``."""
    return pytest.param(dedent(source).lstrip(), frozenset(failing), says, never, id=case_id)


MLP_CHECKS = {"MLP.registered_layers", "MLP.deferred_shapes", "MLP.forward", "MLP.any_widths"}

WRONG_NETS = [
    wrong_net("MLP-one-hidden-layer-as-in-d2l", """
        class MLP(nn.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.hidden = nn.Dense(256, activation='relu')
                    self.output = nn.Dense(num_outputs)

            def forward(self, X):
                return self.output(self.hidden(X))
        """, MLP_CHECKS, "3 Dense layers", ("plain Python list", "applies ReLU")),
    wrong_net("MLP-one-hidden-layer-and-relu-in-forward", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super(MLP, self).__init__(**kwargs)
                with self.name_scope():
                    self.dense0 = nn.Dense(hidden[0])
                    self.dense1 = nn.Dense(num_outputs)

            def forward(self, x):
                return self.dense1(nd.relu(self.dense0(x)))
        """, MLP_CHECKS, "one Dense layer per entry of hidden", ("plain Python list", "applies ReLU")),
    wrong_net("MLP-output-layer-registered-first", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.output = nn.Dense(num_outputs)
                    self.body = nn.Sequential()
                    for units in hidden:
                        self.body.add(nn.Dense(units, activation="relu"))

            def forward(self, x):
                return self.output(self.body(x))
        """, {"MLP.deferred_shapes", "MLP.forward", "MLP.any_widths"}, "in the order forward runs them"),
    wrong_net("MLP-skips-a-registered-layer", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.layers = nn.Sequential()
                    for units in hidden:
                        self.layers.add(nn.Dense(units, activation="relu"))
                    self.output = nn.Dense(num_outputs)

            def forward(self, x):
                return self.output(self.layers[0](x))
        """, {"MLP.deferred_shapes", "MLP.forward", "MLP.any_widths"}, "the forward pass never ran its layer"),
]


@pytest.mark.parametrize("source, failing, says, never", WRONG_NETS)
def test_a_net_of_other_shapes_is_told_its_first_cause(mnist_dir, source, failing, says, never):
    results, _ = graded_answer("mlp_block", source)
    failed = {cid for cid, r in results.items() if not r.passed}
    assert failed == failing, lost(results)
    feedback = "\n".join(results[cid].feedback for cid in failing)
    assert says in feedback, feedback
    for wrong in never:
        assert wrong not in feedback, feedback


# --- MXNet's messages: named mistakes, whole sentences, no hint that says the opposite ---------------------

def named(case_id: str, grade_id: str, source: str, exercise: str, says: str, never: tuple = ()):
    """A wrong answer whose error names the mistake: its exercise's feedback says ``says`` and none of ``never``."""
    return pytest.param(grade_id, dedent(source).lstrip(), exercise, says, never, id=case_id)


NAMED_MISTAKES = [
    named("MySequential-add-takes-one-block-as-in-d2l", "my_sequential", """
        class MySequential(nn.Block):
            def add(self, block):
                self._children[block.name] = block

            def forward(self, X):
                for block in self._children.values():
                    X = block(X)
                return X
        """, "MySequential", "def add(self, *blocks):"),
    named("MySequential-children-append-as-in-the-straight-dope", "my_sequential", """
        class MySequential(gluon.Block):
            def __init__(self, **kwargs):
                super(MySequential, self).__init__(**kwargs)

            def add(self, *blocks):
                for block in blocks:
                    self._children.append(block)

            def forward(self, x):
                for block in self._children:
                    x = block(x)
                return x
        """, "MySequential", "self.register_child(block)"),
    named("save_and_load-through-the-parameter-dict", "save_and_load", """
        def save_and_load(net, make_net, path):
            net.collect_params().save(path)
            net2 = make_net()
            net2.collect_params().load(path, ctx=mx.cpu())
            return net2
        """, "save_and_load", "net.save_parameters(path)", ("same prefix", "mxnet.io")),
    named("MLP-reads-a-weight-before-the-first-batch", "mlp_block", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.Sequential()
                    for units in hidden:
                        self.body.add(nn.Dense(units, activation="relu"))
                    self.output = nn.Dense(num_outputs)

            def forward(self, x):
                scale = self.output.weight.data().mean()
                return self.output(self.body(x))
        """, "MLP", "initialization was deferred", ("avoid deferred initialization", "specifying in_units")),
]


@pytest.mark.parametrize("grade_id, source, exercise, says, never", NAMED_MISTAKES)
def test_an_error_that_names_the_mistake_gets_the_hint_for_it(mnist_dir, grade_id, source, exercise, says, never):
    results, _ = graded_answer(grade_id, source)
    feedback = "\n".join(r.feedback for r in results.values() if r.exercise == exercise and not r.passed)
    assert feedback and says in feedback, feedback
    for wrong in (*never, "MXNetError: MXNetError", "Error: MXNetError"):
        assert wrong not in feedback, feedback
    assert all(r.passed for r in results.values() if r.exercise != exercise), lost(results)


class MXNetError(Exception):
    """Stands in for mxnet.base.MXNetError, whose message repeats its own name."""


MESSAGES = [
    pytest.param(MXNetError("MXNetError: Shape inconsistent, Provided = [64,784], inferred shape=(64,128)"),
                 "Shape inconsistent, Provided = [64,784], inferred shape=(64,128)", id="no-doubled-type"),
    pytest.param(RuntimeError(
        "Parameter 'dense0_weight' has not been initialized yet because initialization was deferred. Actual "
        "initialization happens during the first forward pass. Please pass one batch of data through the network "
        "before accessing Parameters. You can also avoid deferred initialization by specifying in_units, "
        "num_features, etc., for network layers."),
        "Parameter 'dense0_weight' has not been initialized yet because initialization was deferred. Actual "
        "initialization happens during the first forward pass. Please pass one batch of data through the network "
        "before accessing Parameters.", id="no-hint-against-deferred-init"),
    pytest.param(RuntimeError(
        "Parameter 'dense1_weight' has not been initialized. Note that you should initialize parameters and create "
        "Trainer with Block.collect_params() instead of Block.params because the later does not include "
        "Parameters of nested child Blocks"), "Parameter 'dense1_weight' has not been initialized.",
        id="no-hint-about-block-params"),
    pytest.param(AssertionError(
        "Parameter 'sequential3_dense0_weight' is missing in file: /box/probe-0.params, which contains parameters: "
        "'sequential2_dense0_weight'. Please make sure source and target networks have the same prefix.For more "
        "info on naming, please see https://mxnet.io/api/python/docs/tutorials/packages/gluon/blocks/naming.html"),
        "Parameter 'sequential3_dense0_weight' is missing in file: probe-0.params, which contains parameters: "
        "'sequential2_dense0_weight'.", id="no-same-prefix-hint-no-sandbox-path"),
    pytest.param(PermissionError(13, "Permission denied", "/box/.mxnet"), "[Errno 13] Permission denied: '.mxnet'",
                 id="no-sandbox-folder"),
    pytest.param(ValueError("This is one sentence that goes on. " * 12), ("This is one sentence that goes on. " * 8)
                 .strip(), id="cut-at-a-sentence-end"),
]


@pytest.mark.parametrize("error, shown", MESSAGES)
def test_mxnet_messages_are_shown_whole_sentences_in_the_students_terms(error, shown):
    assert first_line_of(error) == shown


# --- a notebook that defines none of the exercises: one note, brief lines --------------------------------

def test_a_notebook_without_the_exercises_is_told_once_which_names_it_lacks(mnist_dir):
    results, notes = graded_cells(("import mxnet as mx\nfrom mxnet import nd, gluon\nfrom mxnet.gluon import nn",
                                   "x = nd.ones((2, 3))\nprint(x)"))
    undefined = [note for note in notes if note.startswith("your notebook does not define")]
    assert len(undefined) == 1, notes
    assert all(f"`{name}`" in undefined[0] for name in EXERCISES)
    for cid, result in results.items():
        assert result.score == 0
        assert "\n" not in result.feedback and "see the notes at the top" in result.feedback, (cid, result.feedback)
        assert result.feedback.startswith(f"`{result.exercise}` is not defined in your notebook")


def test_a_notebook_missing_one_exercise_names_only_that_one(mnist_dir):
    nb = reference_notebook()
    nb = with_answer(nb, "count_parameters", "def count_params(net):\n    return 0\n")
    results, notes = _graded(nb)
    undefined = [note for note in notes if note.startswith("your notebook does not define")]
    assert undefined == [note for note in undefined if "`count_parameters`" in note and "`MLP`" not in note]
    assert len(undefined) == 1
    assert [cid for cid, r in results.items() if not r.passed] == [c.id for c in PLUMBING.checks
                                                                   if c.exercise == "count_parameters"]


# --- datasets downloaded the usual way, in the real sandbox -------------------------------------------------

DATASET_CELLS = [
    pytest.param("mnist_train = gluon.data.vision.MNIST(train=True)", "MNIST", id="gluon-mnist"),
    pytest.param("""
        def transform(data, label):
            return data.astype('float32') / 255, label.astype('float32')
        mnist_test = mx.gluon.data.vision.MNIST(train=False, transform=transform)
        """, "MNIST", id="straight-dope-mnist-with-transform"),
    pytest.param("mnist_train = gluon.data.vision.FashionMNIST(train=True)", "FashionMNIST", id="d2l-fashion-mnist"),
]


@pytest.fixture(scope="module")
def worker(mnist_dir):
    """One warm sandboxed worker for the dataset cases (plain processes where bubblewrap cannot run)."""
    with Worker(options=Options(timeout=60, memory=2048, mnist_dir=mnist_dir, cell_timeout=20)) as running:
        yield running


@pytest.mark.parametrize("cell, dataset", DATASET_CELLS)
def test_a_dataset_download_is_explained_in_the_students_terms(worker, cell, dataset):
    nb = reference_notebook()
    preamble = next(i for i, c in enumerate(nb.cells) if c.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                    == "preamble")
    nb.cells.insert(preamble + 1, nbformat.v4.new_code_cell(dedent(cell).strip()))
    with worker.subject(nbformat.writes(nb).encode(), PLUMBING) as subject:
        graded = pipeline.judged(subject, PLUMBING.checks)
    notes, results = graded.notes, graded.results
    (note,) = [note for note in notes if "gluon.data.vision" in note]
    assert note.startswith("cell 2 (")
    assert dataset in note and "no network" in note and "autograder.mnist" in note, note
    for text in [*notes, *(r.feedback for r in results)]:
        assert not forbidden_in(text), text
    assert all(r.passed for r in results), "\n".join(r.feedback for r in results if not r.passed)


def test_a_numpy_mode_notebook_gets_full_marks_in_the_sandbox(worker):
    nb = course_notebook(D2L_PREAMBLE, D2L_DATA, *D2L_ANSWERS.values())
    with worker.subject(nbformat.writes(nb).encode(), PLUMBING) as subject:
        graded = pipeline.judged(subject, PLUMBING.checks)
    notes, results = graded.notes, graded.results
    assert [note for note in notes if "NumPy mode" in note], notes
    assert all(r.passed for r in results), "\n".join(f"{r.check_id}: {r.feedback}" for r in results if not r.passed)
    assert detect().sandboxed == worker.isolation.sandboxed


# --- probes: the array mode they run in, and the step a failure is blamed on ------------------------------

def test_probes_run_in_classic_mode_and_give_the_notebook_its_mode_back(tmp_path):
    from mxnet import util

    def count_parameters(net):
        return 1 if util.is_np_array() else 0

    subject = LocalSubject({"count_parameters": count_parameters}, LoadReport(notebook="x.ipynb"), PLUMBING,
                           scratch=str(tmp_path))
    util.set_np()
    try:
        reply = subject.probe("count_parameters", hidden=[3], num_outputs=2, in_units=4)
        assert util.is_np_array() and util.is_np_shape()
        report = subject.probe("load_report", names=["count_parameters", "MLP"])
    finally:
        util.reset_np()
    assert reply == {"status": "ok", "value": {"kind": "int", "value": 0}}
    assert report["numpy_mode"] is True and report["undefined"] == ["MLP"]


def fails_after_a_step(ctx):
    """A probe that fails in the grader's own code after a step of the student's ran."""
    with ctx.stage("count_parameters(net)"):
        ctx.student("count_parameters")(None)
    raise ValueError("the grader's own step failed")


def fails_before_any_step(ctx):
    """A probe that fails before any step of the student's ran."""
    raise ValueError("the grader's own step failed")


def test_a_failure_names_only_the_steps_that_ran(tmp_path):
    subject = LocalSubject({"count_parameters": lambda net: 5}, LoadReport(notebook="x.ipynb"), PLUMBING,
                           scratch=str(tmp_path))
    subject.context.probes.update(fails_after_a_step=fails_after_a_step, fails_before_any_step=fails_before_any_step)
    after = subject.probe("fails_after_a_step")
    assert after["stage"] == "using what your code gave back (after count_parameters(net))"
    before = subject.probe("fails_before_any_step")
    assert "count_parameters" not in before["stage"], before["stage"]
    assert before["stage"] == "preparing the check, before any of your code ran"
