"""The custom_layers assignment through every front end, in one short throw-away course configured by the course's
own ``nbgrader_config.py``: generate, release, submit, collect, then ``autograder grade`` on the collected
tree, nbgrader's sandboxed autograde, generate_feedback, and ``pytest autograder --unit custom_layers``.

Alice hands in the reference through the exchange and gets every point, hidden tests included. Bob counts shared
parameters twice: nbgrader gives each of his test cells what the batch grader gives the same check. Cleo hands in
the release untouched: 0. The hidden tests are in neither the release nor anyone's feedback.
"""
import json
import subprocess
import sys

import pytest
from unit_course import graded_course

from autograder.units import unit

from notebooks import ROOT, release_path, source_path

pytestmark = pytest.mark.nbgrader
NAME = "custom_layers"
UNIT = unit(NAME)
HIDDEN = UNIT.hidden_checks
HIDDEN_MARKS = ["BEGIN HIDDEN TESTS", "check_hidden", *{one.id for one in HIDDEN}, *{one.name for one in HIDDEN}]
TOTAL = UNIT.points + sum(one.points for one in HIDDEN)
BOB_COUNT = """
def count_unique_parameters(net):
    return sum(layer.weight.data().size + layer.bias.data().size for layer in net)
"""
BOB_LOSES = {"test_count_unique_parameters_tied_net", "test_count_unique_parameters_any_tied_net",
             "test_count_unique_parameters_hidden"}



@pytest.fixture(scope="module")
def course(tmp_path_factory, mnist_dir):
    return graded_course(tmp_path_factory.mktemp("custom-layers-course"), NAME, "count_unique_parameters", BOB_COUNT)


def test_alice_gets_every_point_hidden_tests_included(course):
    alice = course["grades"]["alice"]
    assert course["max_score"] == TOTAL > UNIT.points
    assert {name: score for name, (score, most) in alice.items() if score != most} == {}
    assert sum(score for score, _ in alice.values()) == TOTAL
    assert (course["batch"]["alice"]["score"], course["batch"]["alice"]["max_score"]) == (UNIT.points, UNIT.points)


def test_bob_loses_the_shared_counts_in_nbgrader_and_the_batch_grader_alike(course):
    bob = course["grades"]["bob"]
    assert {name for name, (score, most) in bob.items() if score != most} == BOB_LOSES
    batch = {test["name"].split(":")[0]: test["score"] for test in course["batch"]["bob"]["tests"]}
    assert batch == {check.id: bob["test_" + check.id.replace(".", "_")][0] for check in UNIT.checks}


def test_the_release_gets_nothing(course):
    cleo = course["grades"]["cleo"]
    assert sum(score for score, _ in cleo.values()) == course["batch"]["cleo"]["score"] == 0
    assert all("not implemented yet" in test["output"] for test in course["batch"]["cleo"]["tests"])


def test_hidden_tests_are_in_neither_the_release_nor_the_feedback(course):
    feedback = {student: course["course"] / "feedback" / student / NAME / f"{NAME}.html"
                for student in ("alice", "bob", "cleo")}
    shown = {"committed release": release_path(NAME).read_text(),
             "release": (course["course"] / "release" / NAME / f"{NAME}.ipynb").read_text(),
             **{student: path.read_text() for student, path in feedback.items()}}
    assert {what: [mark for mark in HIDDEN_MARKS if mark in text] for what, text in shown.items()} == {
        what: [] for what in shown}
    assert "hidden test (1/1)" in shown["alice"]


def test_pytest_autograder_gives_the_reference_full_marks(course, tmp_path):
    results = tmp_path / "results.json"
    process = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "autograder"), "-p", "no:cacheprovider",
                              "--unit", NAME, "--submission", str(source_path(NAME)), "--results-json", str(results)],
                             cwd=tmp_path, env=course["env"], capture_output=True, text=True, timeout=600,
                             check=False)
    assert process.returncode == 0, process.stdout[-3000:]
    assert f"(unit {NAME})" in process.stdout
    data = json.loads(results.read_text())
    assert (data["score"], data["max_score"]) == (UNIT.points, UNIT.points)
    assert len(data["tests"]) == len(UNIT.checks)
