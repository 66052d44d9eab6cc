"""autograder/subject/probing.py, subject/local.py and judge.py: asking student code questions, safely.

The subjects here are built straight from a namespace of functions, as if a notebook had defined them, so each
test shows one way student code misbehaves and what reply (and, through the judge, what feedback) it gives.
"""
from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from autograder import judgement, pipeline
from autograder.checks import Check, CheckFailed
from autograder.options import Options
from autograder.subject.local import LocalSubject
from autograder.subject.notebook import CellProblem, LoadReport
from autograder.units import unit

PLUMBING = unit("plumbing")

NET_ARGS = {"hidden": [3], "num_outputs": 2, "in_units": 4}  # 4*3+3 + 3*2+2 = 23 parameters


@pytest.fixture
def make_subject(tmp_path):
    def make(namespace=None, report=None, probe_timeout=2.0):
        return LocalSubject(dict(namespace or {}), report or LoadReport(notebook="x.ipynb"), PLUMBING,
                            scratch=str(tmp_path),
                            probe_timeout=probe_timeout)

    return make


# --- student code that is absent, wrong, endless, or leaving -------------------------------------------------

def test_a_missing_name_is_status_missing(make_subject):
    reply = make_subject({"something_else": 1}).probe("count_parameters", **NET_ARGS)
    assert reply == {"status": "missing", "name": "count_parameters"}


def test_a_working_function_gives_status_ok_with_plain_data(make_subject):
    def count_parameters(net):
        return sum(param.data().size for param in net.collect_params().values())

    reply = make_subject({"count_parameters": count_parameters}).probe("count_parameters", **NET_ARGS)
    assert reply == {"status": "ok", "value": {"kind": "int", "value": 23}}


def test_a_function_that_raises_gives_status_raised_with_the_stage(make_subject):
    def count_parameters(net):
        raise ValueError("no idea how\nsecond line")

    reply = make_subject({"count_parameters": count_parameters}).probe("count_parameters", **NET_ARGS)
    assert reply["status"] == "raised"
    assert reply["stage"] == "count_parameters(net)"
    assert reply["error_type"] == "ValueError" and reply["message"] == "no idea how"
    assert reply["partial"] == {}


def test_a_function_that_loops_forever_is_stopped_by_the_probe_timeout(make_subject):
    def count_parameters(net):
        while True:
            pass

    subject = make_subject({"count_parameters": count_parameters}, probe_timeout=0.5)
    started = time.monotonic()
    reply = subject.probe("count_parameters", **NET_ARGS)
    elapsed = time.monotonic() - started
    assert reply["status"] == "timeout" and reply["stage"] == "count_parameters(net)"
    assert "0.5" in reply["message"]
    assert 0.4 < elapsed < 3

    started = time.monotonic()
    again = subject.probe("count_parameters", **NET_ARGS)  # not run again: one time limit, not one per check
    assert again["status"] == "timeout" and "not run again" in again["message"]
    assert time.monotonic() - started < 0.3


def test_other_names_still_run_after_one_timed_out(make_subject):
    def count_parameters(net):
        while True:
            pass

    def MyInit():
        raise ValueError("init")

    subject = make_subject({"count_parameters": count_parameters, "MyInit": MyInit}, probe_timeout=0.3)
    assert subject.probe("count_parameters", **NET_ARGS)["status"] == "timeout"
    reply = subject.probe("my_init", units=2, in_units=3)
    assert (reply["status"], reply["stage"], reply["error_type"]) == ("raised", "MyInit()", "ValueError")


@pytest.mark.parametrize("leave", [lambda: sys.exit(2), lambda: exit(), lambda: (_ for _ in ()).throw(SystemExit)],
                         ids=["sys.exit", "builtin-exit", "raise-SystemExit"])
def test_a_function_that_exits_gives_status_raised_with_system_exit(make_subject, leave):
    def count_parameters(net):
        leave()

    reply = make_subject({"count_parameters": count_parameters}).probe("count_parameters", **NET_ARGS)
    assert reply["status"] == "raised" and reply["error_type"] == "SystemExit"
    assert reply["stage"] == "count_parameters(net)"


def test_a_keyboard_interrupt_from_student_code_is_a_reply_not_the_end_of_grading(make_subject):
    def count_parameters(net):
        raise KeyboardInterrupt

    reply = make_subject({"count_parameters": count_parameters}).probe("count_parameters", **NET_ARGS)
    assert reply["status"] == "raised" and reply["error_type"] == "KeyboardInterrupt"


def test_output_of_student_code_does_not_reach_stdout(make_subject, capsys):
    def count_parameters(net):
        print("debugging " * 1000)
        print("to stderr", file=sys.stderr)
        return 23

    reply = make_subject({"count_parameters": count_parameters}).probe("count_parameters", **NET_ARGS)
    assert reply["status"] == "ok"
    assert capsys.readouterr() == ("", "")


def test_a_raised_reply_carries_what_was_recorded_before_the_failure(make_subject):
    from mxnet.gluon import nn

    def build_mlp(hidden, num_outputs):
        net = nn.Sequential()
        with net.name_scope():
            net.add(nn.Dense(num_outputs, in_units=5))  # wrong: the input has 4 features
        return net

    reply = make_subject({"build_mlp": build_mlp}).probe(
        "lifecycle", builder="build_mlp", kwargs={"hidden": [], "num_outputs": 2},
        batch={"values": np.zeros((2, 4), np.float32)})
    assert reply["status"] == "raised"
    assert reply["stage"] == "the forward pass net(x) with x of shape (2, 4)"
    assert reply["error_type"] == "MXNetError"
    partial = reply["partial"]
    assert partial["call"] == "build_mlp(hidden=(), num_outputs=2)"
    assert partial["prefix"] == "sequential0_"  # block names restart at 0 for every probe
    assert [p["shape"] for p in partial["after_init"]] == [[2, 5], [2]]


def test_save_and_load_probe_feeds_mnist_and_sees_the_file(make_subject, tmp_path):
    def save_and_load(net, make_net, path):
        net.save_parameters(path)
        fresh = make_net()
        fresh.load_parameters(path)
        return fresh

    from autograder.checks.inputs import dense_parameters, mnist_rows, pairs
    from autograder.checks.nets import mlp_activations, mlp_forward, weight_shapes

    params = dense_parameters(weight_shapes(784, [8], 3), seed=1)
    subject = make_subject({"save_and_load": save_and_load})
    reply = subject.probe("save_and_load", hidden=[8], num_outputs=3, fresh="explicit", params=params, rows=16)
    assert reply["status"] == "ok"
    assert reply["file_written"] and reply["from_make_net"] and not reply["same_object"]
    assert reply["output"]["kind"] == "NDArray" and reply["output"]["value"].shape == (16, 3)
    # the judge's parameters went in and the judge's MNIST rows were fed: its own NumPy gives the same output
    expected = mlp_forward(mnist_rows(subject, 16), pairs(params), mlp_activations(1))
    assert abs(reply["output"]["value"] - expected).max() < 1e-4
    assert any(path.suffix == ".params" for path in tmp_path.iterdir())  # written in the scratch folder


def test_a_reply_that_is_not_plain_data_becomes_status_malformed(make_subject, monkeypatch):
    subject = make_subject({})
    monkeypatch.setitem(subject.context.probes, "leaky", lambda ctx: {"object": object()})
    assert subject.probe("leaky")["status"] == "malformed"


def test_a_probe_on_an_unreadable_notebook_is_status_unreadable(make_subject):
    report = LoadReport(notebook="x.ipynb", unreadable="x.ipynb is empty: it has no cells at all")
    reply = make_subject({}, report).probe("count_parameters", **NET_ARGS)
    assert reply == {"status": "unreadable", "reason": "x.ipynb is empty: it has no cells at all"}


# --- the judge ---------------------------------------------------------------------------------------------

def test_grading_an_empty_namespace_fails_every_check_as_not_defined(make_subject):
    started = time.monotonic()
    results = pipeline.judged(make_subject({}), PLUMBING.checks).results
    assert time.monotonic() - started < 10
    assert [r.check_id for r in results] == [check.id for check in unit("plumbing").checks]
    for check, result in zip(unit("plumbing").checks, results, strict=True):
        assert result.status == "failed" and not result.passed
        assert result.score == 0 and result.max_score == check.points
        assert result.feedback.startswith(f"`{check.exercise}` is not defined in your notebook"), result.feedback


def test_judging_takes_a_subset_of_the_checks_in_its_order(make_subject):
    subject = make_subject({})
    chosen = [c for c in PLUMBING.checks if c.exercise == "count_parameters"][::-1]
    assert [r.check_id for r in pipeline.judged(subject, chosen).results] == [c.id for c in chosen]


def test_run_check_turns_grader_trouble_into_a_failed_result(make_subject):
    def broken(subject):
        raise KeyError("surprise")

    result = judgement.run_check(Check("demo", "broken", 2, "A check with a bug", broken), make_subject({}))
    assert (result.status, result.score, result.max_score) == ("failed", 0.0, 2)
    assert "could not check this (KeyError" in result.feedback and "teaching assistant" in result.feedback


def test_run_check_gives_full_points_or_the_check_feedback(make_subject):
    def passes(subject):
        return None

    def fails(subject):
        raise CheckFailed("3", "4", "add one less")

    subject = make_subject({})
    assert judgement.run_check(Check("demo", "ok", 1.5, "t", passes), subject).score == 1.5
    failed = judgement.run_check(Check("demo", "no", 1.5, "t", fails), subject)
    assert failed.score == 0 and failed.feedback == "Expected: 3\nFound: 4\nHint: add one less"


def test_a_working_answer_passes_its_checks(make_subject):
    def count_parameters(net):
        return sum(param.data().size for param in net.collect_params().values())

    chosen = [c for c in unit("plumbing").checks if c.exercise == "count_parameters" and c.name != "any_net"]
    results = pipeline.judged(make_subject({"count_parameters": count_parameters}), chosen).results
    assert results and all(r.passed and r.score == r.max_score for r in results), [r.feedback for r in results]


def test_load_notes_and_missing_names_point_at_the_failed_cells(make_subject):
    problem = CellProblem(4, "def count_parameters(net)", "syntax", "SyntaxError", "invalid syntax (line 1)")
    subject = make_subject({}, LoadReport(notebook="x.ipynb", cells_run=5, problems=[problem]))
    notes = judgement.cell_notes(subject.probe("load_report"))
    assert notes == [problem.describe()]
    check = next(c for c in unit("plumbing").checks if c.exercise == "count_parameters")
    result = judgement.with_load_notes(judgement.run_check(check, subject), notes)
    assert "is not defined in your notebook" in result.feedback
    assert result.feedback.endswith("These cells did not run to the end:\n  - " + problem.describe())


def test_a_notebook_that_is_not_json_gets_zero_everywhere_naming_the_notebook(tmp_path):
    path = tmp_path / "homework.ipynb"
    path.write_text("this is not JSON at all")
    subject = LocalSubject.from_notebook(path, PLUMBING, Options(cell_timeout=5, probe_timeout=2))
    try:
        results = pipeline.judged(subject, PLUMBING.checks).results
        assert len(results) == len(unit("plumbing").checks)
        for result in results:
            assert result.score == 0 and result.status == "failed"
            assert "homework.ipynb" in result.feedback and "could not be graded" in result.feedback
        assert judgement.cell_notes(subject.probe("load_report")) == [subject.report.unreadable]
        assert "homework.ipynb" in subject.report.unreadable
        scratch = subject.context.scratch
        assert scratch.is_dir()
    finally:
        subject.close()
    assert not scratch.exists()  # the subject cleans up the scratch folder it made
