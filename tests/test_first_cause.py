"""Feedback names the first cause in the exercise at hand: a hint is chosen by the exercise and the evidence, never
by an error's words alone, and never repeats another exercise's mistake.

Each case replaces one answer of the plumbing reference with a wrong one; the feedback of its failing checks must
contain every ``must`` phrase and none of the ``must_not`` ones (case-insensitive).
"""
from __future__ import annotations

from textwrap import dedent

import pytest
from test_mutants import CASES, graded

from autograder.checks.base import NAMED_MISTAKES
from autograder.units import unit


def case(case_id: str, grade_id: str, source: str, must: tuple, must_not: tuple):
    """One wrong answer and the words its failing checks' feedback must and must not contain."""
    return pytest.param(grade_id, dedent(source).lstrip(), must, must_not, id=case_id)


FIRST_CAUSE = [
    case("count_parameters-len-of-collect_params", "count_parameters", """
        def count_parameters(net):
            return len(net.collect_params())
        """, ("ParameterDict of Parameter objects", "param.data().size"),
         ("save_parameters", "load_parameters", "fresh net")),
    case("save_and_load-through-the-parameter-dict", "save_and_load", """
        def save_and_load(net, make_net, path):
            net.collect_params().save(path)
            fresh = make_net()
            fresh.collect_params().load(path)
            return fresh
        """, ("save_parameters",), ("param.data().size", "register_child", "def add(self")),
    case("MySequential-add-takes-one-block", "my_sequential", """
        class MySequential(nn.Block):
            def add(self, block):
                self.register_child(block)

            def forward(self, x):
                for block in self._children.values():
                    x = block(x)
                return x
        """, ("def add(self, *blocks)",), ("save_parameters", "ParameterDict")),
]


@pytest.mark.parametrize(("grade_id", "source", "must", "must_not"), FIRST_CAUSE)
def test_the_feedback_names_the_first_cause_of_this_exercise(mnist_dir, grade_id, source, must, must_not):
    results = graded(grade_id, source)
    failing = [result for result in results.values() if not result.passed]
    assert failing, "the wrong answer loses points"
    text = "\n".join(result.feedback for result in failing).casefold()
    assert all(phrase.casefold() in text for phrase in must), text
    assert not [phrase for phrase in must_not if phrase.casefold() in text], text


def test_no_mutant_is_given_another_exercises_named_mistake(mnist_dir):
    """Over every plumbing mutant: a hint scoped to some exercises never reaches another exercise's feedback."""
    exercise_of = {check.id: check.exercise for check in unit("plumbing").checks}
    for param in CASES:
        grade_id, source, _, _ = param.values
        for check_id, result in graded(grade_id, source).items():
            foreign = [hint for exercises, _, hint in NAMED_MISTAKES
                       if exercise_of[check_id] not in exercises and hint in result.feedback]
            assert not foreign, (param.id, check_id, foreign)


# --- custom_layers: a hint chosen by the exercise and the step, then MXNet's words --------------------------------

def evidence(case_id: str, exercise: str, stage: str, message: str, must: str, must_not: tuple):
    """An error of ``exercise`` in ``stage``: its hint must say ``must`` and none of ``must_not``."""
    return pytest.param(exercise, stage, message, must, must_not, id=case_id)


PLUS = ("Error in operator mydense0__plus0: Check failed: assign(&dattr, vec.at(i)): Incompatible attr in node "
        "mydense0__plus0 at 1-th input: expected [4,5], got [5]")
MINUS = ("Error in operator centeredlayer0__minus0: Check failed: assign(&dattr, vec.at(i)): Incompatible attr in "
         "node centeredlayer0__minus0 at 1-th input: expected [4,3,5], got [1]")
DOT = ("Deferred initialization failed because shape cannot be inferred. MXNetError: Error in operator "
       "mydense0_dot0: Check failed: dim_size_is_known(*it): Shape dim size cannot be a negative value -1")
UNINITIALIZED = "Parameter 'sequential0_dense1_weight' has not been initialized."

CUSTOM_LAYERS_EVIDENCE = [
    evidence("MyDense-dot-plus-bias-hybridized", "MyDense", "MyDense(5, in_units=6).hybridize(), then the same "
             "forward pass again", PLUS, "F.broadcast_add(..., bias)", ("x.mean()", "F.broadcast_sub")),
    evidence("CenteredLayer-x-minus-mean-hybridized", "CenteredLayer", "CenteredLayer().hybridize(), then the same "
             "call again", MINUS, "x - x.mean()", ("bias", "F.dot")),
    evidence("build_tied_mlp-broadcast-words-are-not-CenteredLayer", "build_tied_mlp", "the forward pass net(x)", MINUS,
             "try the same call", ("x.mean()", "bias")),
    evidence("MyDense-dot-with-in_units-deferred", "MyDense",
             "the first forward pass of MyDense(5, in_units=0) on x of shape (4, 2, 3)", DOT,
             "F.dot cannot infer", ("allow_deferred_init", "x.mean()")),
    evidence("MyDense-dot-with-in_units-given-infers-nothing", "MyDense", "the first forward pass of MyDense(5, "
             "in_units=6) on x of shape (4, 2, 3)", "Operator `_np_dot` ... received a legacy ndarray",
             "try the same call", ("F.dot cannot infer", "deferred")),
    evidence("build_tied_mlp-uninitialized-is-no-self.params.get", "build_tied_mlp",
             "the forward pass net(x) with x of shape (16, 1, 28, 28)", UNINITIALIZED,
             "try the same call", ("self.params.get", "gluon.Parameter")),
    evidence("MyDense-uninitialized-is-a-loose-parameter", "MyDense",
             "the first forward pass of MyDense(5, in_units=6)",
             "Parameter 'weight' has not been initialized.", "self.params.get", ("allow_deferred_init", "F.dot")),
    evidence("CenteredLayer-mean-along-a-missing-axis", "CenteredLayer", "CenteredLayer()(x) with x of shape (1,)",
             "Check failed: axes[axes.ndim()-1] < ishape.ndim() (1 vs. 1) : Reduction axis 1 Exceeds input "
             "dimensions [1]", "with no axis", ("read the error above", "broadcast implicitly")),
    evidence("build_custom_mlp-nd-in-a-hybrid-net", "build_custom_mlp", "net.hybridize(), then the same forward pass",
             "Argument data must have NDArray type, but got <Symbol dense0_fwd>", "through F", ("x.mean()", "bias")),
]


@pytest.mark.parametrize(("exercise", "stage", "message", "must", "must_not"), CUSTOM_LAYERS_EVIDENCE)
def test_a_custom_layers_hint_follows_the_exercise_and_the_step(exercise, stage, message, must, must_not):
    from autograder.units.custom_layers.checks.shared import error_hint

    hint = error_hint(message, exercise, stage).casefold()
    assert must.casefold() in hint, hint
    assert not [words for words in must_not if words.casefold() in hint], hint


GRAPH_ERRORS = [
    pytest.param("MyDense", "elemwise_add on shapes (4, 5) and (5,): Incompatible attr in node (symbols do not "
                 "broadcast implicitly)", "F.broadcast_add(..., bias)", ("x.mean()",), id="MyDense-add"),
    pytest.param("MyDense", "elemwise_sub on shapes (4, 5) and (5,): Incompatible attr in node (symbols do not "
                 "broadcast implicitly)", "F.broadcast_sub(a, b)", ("x.mean()", "bias"), id="MyDense-sub"),
    pytest.param("CenteredLayer", "elemwise_sub on shapes (4, 3, 5) and (1,): Incompatible attr in node (symbols do "
                 "not broadcast implicitly)", "x - x.mean()", ("bias",), id="CenteredLayer-sub"),
    pytest.param("build_custom_mlp", "elemwise_add on shapes (4, 5) and (5,): Incompatible attr in node (symbols do "
                 "not broadcast implicitly)", "F.broadcast_add(a, b)", ("bias", "x.mean()"), id="build_custom_mlp-add"),
]


@pytest.mark.parametrize(("exercise", "message", "must", "must_not"), GRAPH_ERRORS)
def test_a_graph_hint_names_the_operator_the_exercise_used(exercise, message, must, must_not):
    from autograder.units.custom_layers.checks.shared import graph_hint

    hint = graph_hint(message, exercise).casefold()
    assert must.casefold() in hint, hint
    assert not [words for words in must_not if words.casefold() in hint], hint


# --- hybridize_serialize: a named mistake only in the exercises where it is that mistake ---------------------------

SYMBOL_TO_ND = "Argument data must have NDArray type, but got <Symbol dense0_fwd>"
DTYPES = "Incompatible attr in node at 1-th input: expected float32, got int32"
NO_GRAPH = ("Please first call block.hybridize() and then run forward with this block at least once before calling "
            "export.")

HYBRID_EVIDENCE = [
    pytest.param("HybridMLP", "the forward pass net(x) after net.hybridize()",
                 SYMBOL_TO_ND, "not nd.relu(x)", id="HybridMLP-nd"),
    pytest.param("train_epoch", "train_epoch(net, trainer, batches, loss_fn)",
                 SYMBOL_TO_ND, "", id="train_epoch-nd-words"),
    pytest.param("evaluate_accuracy", "evaluate_accuracy(net, batches)",
                 DTYPES, "pred.astype(label.dtype)", id="evaluate_accuracy-dtypes"),
    pytest.param("train_epoch", "train_epoch(net, trainer, batches, loss_fn)",
                 DTYPES, "", id="train_epoch-dtype-words"),
    pytest.param("export_model", "export_model(net, path, batch)",
                 NO_GRAPH, "net.export(path, epoch=0)", id="export_model-no-graph"),
    pytest.param("save_checkpoint", "save_checkpoint(net, trainer, path) after 2 training steps",
                 NO_GRAPH, "", id="save_checkpoint-export-words"),
    pytest.param("load_checkpoint", "load_checkpoint(fresh_net, fresh_trainer, path)", "anything at all", "",
                 id="load_checkpoint-is-not-import_model"),
    pytest.param("import_model", "import_model(path) after net.export(path, epoch=0)",
                 "Parameter 'dense0_weight' is missing in file", "SymbolBlock.imports", id="import_model-own-net"),
]


@pytest.mark.parametrize(("exercise", "stage", "message", "hint"), HYBRID_EVIDENCE)
def test_a_hybridize_serialize_hint_belongs_to_its_exercise(exercise, stage, message, hint):
    from autograder.units.hybridize_serialize.checks.shared import named_hint

    found = named_hint(exercise, stage, message)
    assert (hint in found) if hint else found == "", found
