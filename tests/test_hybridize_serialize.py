"""The hybridize_serialize unit's answers, graded in-process: realistic wrong answers each lose exactly the checks
about their mistake (0 on them, feedback naming it), and right answers written differently get every point.

Every case replaces one solution cell of the reference notebook. The unit's exercises are independent (each probe
builds its own inputs, and the other half of a pair is the kit's), so the cases are graded in *rounds*: one notebook
per round holds at most one case per exercise, and each case is judged on its own exercise's checks, while every
other check of the round must fail or pass as its own case says. That keeps the table long and the run short.
The reference's full marks and the release's "not implemented yet" are in ``test_reference.py`` (a table over units).
"""
import functools
import tempfile
from collections import defaultdict
from textwrap import dedent

import pytest

from autograder.units import unit

import notebooks as harness
from notebooks import every_check, grade_notebook, ids, reference_notebook, with_answer, write_notebook

NAME = "hybridize_serialize"
UNIT = unit(NAME)
CHECKS = [check.id for check in UNIT.checks]
EXERCISE_OF = {check.id: check.exercise for check in UNIT.checks}
CELL_OF = {exercise.name: exercise.cell for exercise in UNIT.exercises}

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # Gluon's warnings about re-initializing, states


case = harness.mutant  # the solution cell is named by its exercise (CELL_OF)


def every(exercise: str) -> set:
    """Every check of ``exercise``: what an answer that does not do the exercise loses."""
    return every_check(UNIT.name, exercise)



HYBRID_HEAD = """
    class HybridMLP(gluon.HybridBlock):
        def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
            super().__init__(**kwargs)
            self.depth = len(hidden)
            with self.name_scope():
                for index, units in enumerate(hidden):
                    setattr(self, f"hidden{index}", nn.Dense(units))
                self.output = nn.Dense(num_outputs)

        def hybrid_forward(self, F, x):
    """

TRAIN_HEAD = """
    def train_epoch(net, trainer, batches, loss_fn):
        total, count = 0.0, 0
        for data, label in batches:
    """

ACCURACY_HEAD = """
    def evaluate_accuracy(net, batches):
        correct, count = 0, 0
        for data, label in batches:
            output = net(data)
    """

MUTANTS = [
    # --- HybridMLP --------------------------------------------------------------------------------------
    case("HybridMLP-nd.relu", "HybridMLP", HYBRID_HEAD + """
            for index in range(self.depth):
                x = nd.relu(getattr(self, f"hidden{index}")(x))
            return self.output(x)
        """, ids("HybridMLP", "hybridized", "symbol", "any_widths"), "F.relu(x), not nd.relu(x)"),
    case("HybridMLP-HybridSequential-built-in", "HybridMLP", """
        class HybridMLP(nn.HybridSequential):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    for units in hidden:
                        self.add(nn.Dense(units, activation="relu"))
                    self.add(nn.Dense(num_outputs))
        """, every("HybridMLP"), "forward comes from MXNet's HybridSequential"),
    case("HybridMLP-plain-Block-with-forward", "HybridMLP", """
        class HybridMLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.Sequential()
                    for units in hidden:
                        self.body.add(nn.Dense(units, activation="relu"))
                    self.body.add(nn.Dense(num_outputs))

            def forward(self, x):
                return self.body(x)
        """, every("HybridMLP"), "derive from gluon.HybridBlock"),
    case("HybridMLP-no-name-scope", "HybridMLP", """
        class HybridMLP(gluon.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                self.depth = len(hidden)
                for index, units in enumerate(hidden):
                    setattr(self, f"hidden{index}", nn.Dense(units))
                self.output = nn.Dense(num_outputs)

            def hybrid_forward(self, F, x):
                for index in range(self.depth):
                    x = F.relu(getattr(self, f"hidden{index}")(x))
                return self.output(x)
        """, ids("HybridMLP", "symbol"), "with self.name_scope()"),
    case("HybridMLP-relu-on-output", "HybridMLP", HYBRID_HEAD + """
            for index in range(self.depth):
                x = F.relu(getattr(self, f"hidden{index}")(x))
            return F.relu(self.output(x))
        """, ids("HybridMLP", "forward", "hybridized", "any_widths"), "the output layer applies ReLU"),
    case("HybridMLP-returns-input", "HybridMLP", HYBRID_HEAD + """
            return x
        """, every("HybridMLP"), "never ran its layer"),
    # --- export_model -----------------------------------------------------------------------------------
    case("export_model-no-forward-pass", "export_model", """
        def export_model(net, path, batch):
            net.hybridize()
            net.export(path, epoch=0)
            return path + "-symbol.json", path + "-0000.params"
        """, every("export_model"), "run the batch through the hybridized net once"),
    case("export_model-epoch-1", "export_model", """
        def export_model(net, path, batch):
            net.hybridize()
            net(batch)
            net.export(path, epoch=1)
            return path + "-symbol.json", path + "-0001.params"
        """, every("export_model"), "export at epoch 0"),
    case("export_model-wrong-names-returned", "export_model", """
        def export_model(net, path, batch):
            net.hybridize()
            net(batch)
            net.export(path, epoch=0)
            return path + ".json", path + ".params"
        """, ids("export_model", "files"), "return (path + '-symbol.json', path + '-0000.params')"),
    case("export_model-names-only", "export_model", """
        def export_model(net, path, batch):
            return path + "-symbol.json", path + "-0000.params"
        """, every("export_model"), "no file at all"),
    # --- import_model -----------------------------------------------------------------------------------
    case("import_model-returns-the-notebook-net", "import_model", """
        def import_model(path):
            return fresh
        """, every("import_model"), "to return a gluon.SymbolBlock"),
    case("import_model-load_parameters-into-HybridMLP", "import_model", """
        def import_model(path):
            net = HybridMLP()
            net.load_parameters(path + "-0000.params")
            return net
        """, every("import_model"), "another shape"),
    # --- train_epoch ------------------------------------------------------------------------------------
    case("train_epoch-no-autograd-record", "train_epoch", TRAIN_HEAD + """
            loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total += loss.sum().asscalar()
            count += data.shape[0]
        return total / count
        """, every("train_epoch"), "inside `with autograd.record():`"),
    case("train_epoch-step-1", "train_epoch", TRAIN_HEAD + """
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(1)
            total += loss.sum().asscalar()
            count += data.shape[0]
        return total / count
        """, ids("train_epoch", "parameters_step"), "trainer.step(1)"),
    case("train_epoch-mean-of-batch-means", "train_epoch", TRAIN_HEAD + """
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total += loss.mean().asscalar()
            count += 1
        return total / count
        """, ids("train_epoch", "mean_loss"), "mean of the batches' means"),
    case("train_epoch-summed-loss", "train_epoch", TRAIN_HEAD + """
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total += loss.sum().asscalar()
        return total
        """, ids("train_epoch", "mean_loss"), "summed, not averaged"),
    case("train_epoch-returns-ndarray", "train_epoch", TRAIN_HEAD + """
            with autograd.record():
                loss = loss_fn(net(data), label)
            loss.backward()
            trainer.step(data.shape[0])
            total = total + loss.sum()
            count += data.shape[0]
        return total / count
        """, ids("train_epoch", "mean_loss"), "to return a Python float"),
    case("train_epoch-returns-zero", "train_epoch", """
        def train_epoch(net, trainer, batches, loss_fn):
            return 0.0
        """, every("train_epoch"), "the parameters did not change"),
    # --- evaluate_accuracy ------------------------------------------------------------------------------
    case("evaluate_accuracy-argmax-axis-0", "evaluate_accuracy", ACCURACY_HEAD + """
            pred = output.argmax(axis=0)
            correct += (pred.astype(label.dtype) == label).sum().asscalar()
            count += data.shape[0]
        return float(correct / count)
        """, every("evaluate_accuracy"), "argmax(axis=1)"),
    case("evaluate_accuracy-float-against-int", "evaluate_accuracy", ACCURACY_HEAD + """
            correct += (output.argmax(axis=1) == label).sum().asscalar()
            count += data.shape[0]
        return float(correct / count)
        """, ids("evaluate_accuracy", "accuracy"), "pred.astype(label.dtype) == label"),
    case("evaluate_accuracy-labels-assumed-int32", "evaluate_accuracy", ACCURACY_HEAD + """
            correct += (output.argmax(axis=1).astype("int32") == label).sum().asscalar()
            count += data.shape[0]
        return float(correct / count)
        """, ids("evaluate_accuracy", "float_labels"), "the labels here are float32"),
    case("evaluate_accuracy-mean-of-batch-accuracies", "evaluate_accuracy", ACCURACY_HEAD + """
            pred = output.argmax(axis=1).astype(label.dtype)
            correct += (pred == label).mean().asscalar()
            count += 1
        return float(correct / count)
        """, every("evaluate_accuracy"), "mean of the batches' accuracies"),
    case("evaluate_accuracy-returns-zero", "evaluate_accuracy", """
        def evaluate_accuracy(net, batches):
            return 0.0
        """, every("evaluate_accuracy"), "arg-max output equals the label"),
    # --- save_checkpoint --------------------------------------------------------------------------------
    case("save_checkpoint-without-trainer-states", "save_checkpoint", """
        def save_checkpoint(net, trainer, path):
            net.save_parameters(path + ".params")
        """, every("save_checkpoint"), "trainer.save_states(path + '.states')"),
    case("save_checkpoint-save_parameters-built-in", "save_checkpoint", """
        def save_checkpoint(net, trainer, path):
            net.save_parameters(path)
        """, every("save_checkpoint"), "net.save_parameters(path + '.params') and trainer.save_states"),
    # --- load_checkpoint --------------------------------------------------------------------------------
    case("load_checkpoint-without-trainer-states", "load_checkpoint", """
        def load_checkpoint(net, trainer, path):
            net.load_parameters(path + ".params")
        """, ids("load_checkpoint", "resumes_exactly"), "not the trainer's state"),
    case("load_checkpoint-re-initializes", "load_checkpoint", """
        def load_checkpoint(net, trainer, path):
            net.load_parameters(path + ".params")
            trainer.load_states(path + ".states")
            net.initialize(mx.init.Xavier(), force_reinit=True)
        """, every("load_checkpoint"), "do not initialize it afterwards"),
    case("load_checkpoint-does-nothing", "load_checkpoint", """
        def load_checkpoint(net, trainer, path):
            pass
        """, every("load_checkpoint"), "the given net's parameters to be the saved ones"),
]

VARIANTS = [
    pytest.param("HybridMLP", dedent(HYBRID_HEAD + """
            for index in range(self.depth):
                x = F.Activation(getattr(self, f"hidden{index}")(x), act_type="relu")
            return self.output(x)
        """).lstrip(), id="HybridMLP-F.Activation"),
    pytest.param("HybridMLP", dedent("""
        class HybridMLP(gluon.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.HybridSequential()
                    for units in hidden:
                        self.body.add(nn.Dense(units, activation="relu"))
                    self.body.add(nn.Dense(num_outputs))

            def hybrid_forward(self, F, x):
                return self.body(x)
        """).lstrip(), id="HybridMLP-HybridSequential-inside"),
    pytest.param("export_model", dedent("""
        def export_model(net, path, batch):
            net.hybridize(static_alloc=True, static_shape=True)
            net(batch).wait_to_read()
            net.export(path)
            return [f"{path}-symbol.json", "%s-%04d.params" % (path, 0)]
        """).lstrip(), id="export_model-static-alloc-list"),
    pytest.param("import_model", dedent("""
        def import_model(path):
            return gluon.nn.SymbolBlock.imports(f"{path}-symbol.json", ["data"], f"{path}-0000.params",
                                                ctx=mx.cpu())
        """).lstrip(), id="import_model-ctx-cpu"),
    pytest.param("train_epoch", dedent("""
        def train_epoch(net, trainer, batches, loss_fn):
            losses = []
            for data, label in batches:
                with autograd.record():
                    loss = loss_fn(net(data), label).mean()
                loss.backward()
                trainer.step(1)
                losses += [loss.asscalar()] * label.shape[0]
            return float(np.mean(losses))
        """).lstrip(), id="train_epoch-mean-then-step-1"),
    pytest.param("evaluate_accuracy", dedent("""
        def evaluate_accuracy(net, batches):
            metric = mx.metric.Accuracy()
            for data, label in batches:
                metric.update(labels=label, preds=net(data))
            return metric.get()[1]
        """).lstrip(), id="evaluate_accuracy-mx.metric.Accuracy"),
    pytest.param("save_checkpoint", dedent("""
        def save_checkpoint(net, trainer, path):
            trainer.save_states(f"{path}.states")
            net.save_parameters(f"{path}.params")
        """).lstrip(), id="save_checkpoint-states-first"),
    pytest.param("load_checkpoint", dedent("""
        def load_checkpoint(net, trainer, path):
            net.load_parameters(path + ".params", ctx=mx.cpu())
            trainer.load_states(path + ".states")
            return net
        """).lstrip(), id="load_checkpoint-ctx-returns-net"),
    pytest.param("train_epoch", dedent("""
        def train_epoch(net, trainer, batches, loss_fn):
            total = nd.zeros(1)
            count = 0
            for data, label in batches:
                batch_size = len(label)
                with autograd.record():
                    output = net(data)
                    loss = loss_fn(output, label)
                loss.backward()
                trainer.step(batch_size)
                total += loss.sum()
                count += batch_size
            return (total / count).asscalar().item()
        """).lstrip(), id="train_epoch-ndarray-total"),
    pytest.param("evaluate_accuracy", dedent("""
        def evaluate_accuracy(net, batches):
            right = total = 0
            for data, label in batches:
                right += int((net(data).asnumpy().argmax(axis=1) == label.asnumpy()).sum())
                total += len(label)
            return right / total
        """).lstrip(), id="evaluate_accuracy-numpy"),
]


def rounds(params) -> list[list]:
    """The cases split into rounds of at most one per exercise, in table order."""
    placed: list[list] = []
    count = defaultdict(int)
    for param in params:
        exercise = param.values[0]
        if count[exercise] == len(placed):
            placed.append([])
        placed[count[exercise]].append(param)
        count[exercise] += 1
    return placed


@functools.cache
def graded_round(kind: str, number: int) -> dict:
    """``{check_id: CheckResult}`` of the reference with every answer of one round swapped in (graded once)."""
    nb = reference_notebook(NAME)
    for param in rounds(MUTANTS if kind == "mutants" else VARIANTS)[number]:
        nb = with_answer(nb, CELL_OF[param.values[0]], param.values[1])
    with tempfile.TemporaryDirectory(prefix=f"{NAME}-{kind}-") as folder:
        return grade_notebook(write_notebook(nb, folder), NAME)


def round_of(kind: str, case_id: str) -> int:
    """The round a case is graded in."""
    for number, members in enumerate(rounds(MUTANTS if kind == "mutants" else VARIANTS)):
        if case_id in {param.id for param in members}:
            return number
    raise KeyError(case_id)


def test_case_tables_are_sound():
    harness.assert_sound_mutants(MUTANTS, NAME)
    assert all(param.values[2] <= every(param.values[0]) for param in MUTANTS)  # keyed by the exercise it breaks
    assert len(VARIANTS) >= 6 and len({param.id for param in VARIANTS}) == len(VARIANTS)
    # Every exercise has an answer that does not do it (a built-in, a default, a do-nothing body) losing it all.
    assert {param.values[0] for param in MUTANTS if param.values[2] == every(param.values[0])} == set(CELL_OF)


@pytest.mark.parametrize("exercise, source, failing, phrase", MUTANTS)
def test_wrong_answer_fails_exactly_its_checks(request, exercise, source, failing, phrase):
    results = graded_round("mutants", round_of("mutants", request.node.callspec.id))
    assert list(results) == CHECKS
    # the other exercises of the round have answers of their own: their checks are another case's
    harness.assert_fails_exactly(results, failing, phrase, among=every(exercise))


@pytest.mark.parametrize("number", range(len(rounds(MUTANTS))))
def test_checks_of_exercises_without_a_case_in_the_round_keep_full_marks(number):
    members = {param.values[0] for param in rounds(MUTANTS)[number]}
    results = graded_round("mutants", number)
    untouched = {cid: r for cid, r in results.items() if EXERCISE_OF[cid] not in members}
    assert {cid for cid, r in untouched.items() if not r.passed} == set(), harness.describe(results, untouched)


@pytest.mark.parametrize("exercise, source", VARIANTS)
def test_right_answer_written_differently_gets_full_marks(request, exercise, source):
    results = graded_round("variants", round_of("variants", request.node.callspec.id))
    mine = {cid: result for cid, result in results.items() if EXERCISE_OF[cid] == exercise}
    assert {cid: r.feedback for cid, r in mine.items() if not r.passed or r.score != r.max_score} == {}
