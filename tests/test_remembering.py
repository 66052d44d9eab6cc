"""autograder/subject/remembering.py: each distinct probe question is asked once per notebook."""
from __future__ import annotations

import numpy as np

from autograder.subject.remembering import RememberingSubject, remembering


class CountingSubject:
    """Answers every probe with a fresh reply holding an array and how many questions it has been asked."""

    def __init__(self):
        self.asked = []
        self.stopped = None

    def probe(self, name, /, **args):
        self.asked.append((name, args))
        return {"status": "ok", "answer": len(self.asked), "weights": np.zeros(3)}


def test_a_repeated_question_is_answered_from_memory():
    inner = CountingSubject()
    subject = RememberingSubject(inner)
    first = subject.probe("lifecycle", builder="build_mlp", kwargs={"hidden": [3]})
    again = subject.probe("lifecycle", kwargs={"hidden": [3]}, builder="build_mlp")  # same question, other order
    assert len(inner.asked) == 1
    assert first["answer"] == again["answer"] == 1


def test_different_questions_are_all_asked():
    inner = CountingSubject()
    subject = RememberingSubject(inner)
    subject.probe("lifecycle", builder="build_mlp", kwargs={"hidden": [3]})
    subject.probe("lifecycle", builder="build_mlp", kwargs={"hidden": [4]})
    subject.probe("my_init", builder="build_mlp", kwargs={"hidden": [3]})
    assert len(inner.asked) == 3


def test_each_check_gets_its_own_copy_of_a_remembered_reply():
    subject = RememberingSubject(CountingSubject())
    first = subject.probe("lifecycle", builder="MLP")
    first["weights"][0] = 5.0
    first["status"] = "changed by a judgement"
    again = subject.probe("lifecycle", builder="MLP")
    assert again["status"] == "ok" and again["weights"][0] == 0.0


def test_other_attributes_are_the_wrapped_subjects():
    inner = CountingSubject()
    inner.stopped = "stopped after 60 s"
    assert RememberingSubject(inner).stopped == "stopped after 60 s"


def test_wrapping_twice_wraps_once():
    once = remembering(CountingSubject())
    assert remembering(once) is once


def test_arrays_the_judge_sends_are_told_apart_by_every_value():
    # repr() elides the middle of a large array: two inputs that differ only there are two questions
    inner = CountingSubject()
    subject = RememberingSubject(inner)
    first, second = np.zeros(5000, np.float32), np.zeros(5000, np.float32)
    second[2500] = 1.0
    assert repr(first) == repr(second)
    subject.probe("lifecycle", batch={"values": first})
    subject.probe("lifecycle", batch={"values": second})
    subject.probe("lifecycle", batch={"values": first.copy()})
    assert len(inner.asked) == 2
