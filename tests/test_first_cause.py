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
