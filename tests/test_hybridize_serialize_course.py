"""The hybridize_serialize assignment through every front end, in one short throw-away course configured by the
course's own ``nbgrader_config.py``: generate_assignment, then ``autograder grade`` on the submitted tree, nbgrader's
sandboxed autograde and generate_feedback, and ``pytest autograder --unit hybridize_serialize``.

Kept lean (the full exchange round trip is ``test_nbgrader.py``'s): the hand-ins are written into ``submitted/``
as ``collect`` leaves them. Alice hands in the reference and gets every point, hidden tests included. Bob steps with
``trainer.step(1)`` and checkpoints without the trainer's state: nbgrader gives each of his test cells what the batch
grader gives the same check. Cleo hands in the release untouched: 0. The hidden tests are in neither the release
nor anyone's feedback.
"""
import json
import shutil
import subprocess
import sys

import nbformat
import pytest
from unit_course import grade_both_ways, hand_in

from autograder.units import unit

from notebooks import ROOT, release_path, source_path, with_answer
from test_nbgrader import config, environment, nbgrader

pytestmark = pytest.mark.nbgrader
NAME = "hybridize_serialize"
UNIT = unit(NAME)
HIDDEN = UNIT.hidden_checks
HIDDEN_MARKS = ["BEGIN HIDDEN TESTS", "check_hidden", *{one.id for one in HIDDEN}, *{one.name for one in HIDDEN}]
TOTAL = UNIT.points + sum(one.points for one in HIDDEN)
BOB = {
    "train_epoch": """
def train_epoch(net, trainer, batches, loss_fn):
    total, count = 0.0, 0
    for data, label in batches:
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(1)
        total += loss.sum().asscalar()
        count += data.shape[0]
    return total / count
""",
    "save_checkpoint": """
def save_checkpoint(net, trainer, path):
    net.save_parameters(path + ".params")
""",
}
BOB_LOSES = {"test_train_epoch_parameters_step", "test_train_epoch_hidden", "test_save_checkpoint_files",
             "test_save_checkpoint_resumes_exactly", "test_save_checkpoint_hidden"}



@pytest.fixture(scope="module")
def course(tmp_path_factory, mnist_dir):
    base = tmp_path_factory.mktemp("hybridize-serialize-course")
    home, course, exchange = base / "home", base / "course", base / "exchange"
    for folder in (home, course, exchange):
        folder.mkdir()
    db = base / "gradebook.db"
    config(course, course, exchange, db)
    (course / "source" / NAME).mkdir(parents=True)
    shutil.copy(source_path(NAME), course / "source" / NAME / f"{NAME}.ipynb")
    env = environment(home)

    nbgrader("generate_assignment", NAME, cwd=course, env=env)
    reference = nbformat.read(source_path(NAME), as_version=4)
    bob = reference
    for cell, source in BOB.items():
        bob = with_answer(bob, cell, source.lstrip())
    hand_in(course, NAME, "alice", reference)
    hand_in(course, NAME, "bob", bob)
    hand_in(course, NAME, "cleo", nbformat.read(release_path(NAME), as_version=4))

    graded = grade_both_ways(base, course, db, env, NAME, ("alice", "bob", "cleo"))
    return {"base": base, "course": course, "env": env, **graded}


def test_alice_gets_every_point_hidden_tests_included(course):
    alice = course["grades"]["alice"]
    assert course["max_score"] == TOTAL > UNIT.points
    assert {name: score for name, (score, most) in alice.items() if score != most} == {}
    assert sum(score for score, _ in alice.values()) == TOTAL
    assert (course["batch"]["alice"]["score"], course["batch"]["alice"]["max_score"]) == (UNIT.points, UNIT.points)


def test_bob_loses_the_same_checks_in_nbgrader_and_the_batch_grader(course):
    bob = course["grades"]["bob"]
    assert {name for name, (score, most) in bob.items() if score != most} == BOB_LOSES
    batch = {test["name"].split(":")[0]: test["score"] for test in course["batch"]["bob"]["tests"]}
    assert batch == {check.id: bob["test_" + check.id.replace(".", "_")][0] for check in UNIT.checks}
    feedback = {test["name"].split(":")[0]: test["output"] for test in course["batch"]["bob"]["tests"]}
    assert "trainer.step(1)" in feedback["train_epoch.parameters_step"]
    assert "trainer.save_states" in feedback["save_checkpoint.files"]


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
    assert "hidden test" in shown["alice"]


def test_pytest_autograder_gives_the_reference_full_marks(course, tmp_path):
    results = tmp_path / "results.json"
    process = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "autograder"), "-p", "no:cacheprovider",
                              "--unit", NAME, "--submission", str(source_path(NAME)), "--results-json", str(results)],
                             cwd=tmp_path, env=course["env"], capture_output=True, text=True, timeout=600,
                             check=False)
    assert process.returncode == 0, process.stdout[-3000:]
    data = json.loads(results.read_text())
    assert (data["score"], data["max_score"]) == (UNIT.points, UNIT.points)
    assert len(data["tests"]) == len(UNIT.checks)
