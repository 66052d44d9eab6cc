"""The course as nbgrader runs it: generate, release, fetch, submit, collect, autograde, export, generate_feedback,
in a throw-away course configured by the course's own ``nbgrader_config.py``.

Alice hands in the reference answers and must get every point, hidden tests included: the autograded test cells
print nothing on stderr (mxnet's and hypothesis's warnings included), or nbgrader would give them 0. Bob gets two
exercises wrong and must get, test cell by test cell, what the pytest autograder gives his notebook (and what the
hidden checks give it); he hands in after the due date. Carol gets one exercise wrong and tampers with the test
cells (one emptied, one deleted, one worth 100 points): autograde restores them, so she gets what her answers earn.
Dave answers nothing and rewrites, in the kernel's memory, the functions the test cells call: with nbgrader's own
Execute every test cell would pass; with the course's sandboxed autograde his code never meets the test cells.
"""
import csv
import getpass
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.units import unit

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
COURSE_ID = "gluon-plumbing-test"
COURSE_CONFIG = ROOT / "nbgrader_config.py"
HIDDEN = unit("plumbing").hidden_checks
HIDDEN_MARKS = ["BEGIN HIDDEN TESTS", "check_hidden", *{one.id for one in HIDDEN}, *{one.name for one in HIDDEN}]
VISIBLE_POINTS = sum(check.points for check in unit("plumbing").checks)
TOTAL_POINTS = VISIBLE_POINTS + sum(check.points for check in HIDDEN)
DUE = "2024-06-01 12:00:00 UTC"
SUBMITTED = {"alice": "2024-06-01 11:00:00.000000 UTC", "bob": "2024-06-02 12:00:00.000000 UTC",
             "carol": "2024-06-01 11:59:00.000000 UTC", "dave": "2024-06-01 10:00:00.000000 UTC"}

pytestmark = pytest.mark.nbgrader
STUDENTS = ("alice", "bob", "carol", "dave")
RELEASE = ROOT / "assignments" / "plumbing" / "plumbing.ipynb"


def grade_id(check) -> str:
    return "test_" + check.id.replace(".", "_")


def environment(home: Path) -> dict:
    env = dict(os.environ)
    env["HOME"] = str(home)  # no ~/.jupyter config of the developer leaks in
    env["JUPYTER_CONFIG_DIR"] = str(home / ".jupyter")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # nbgrader runs `alembic`
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # the kernel's autograder
    env.pop("NBGRADER_DB_URL", None)
    return env


def run(args, cwd, env, timeout=900):
    process = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert process.returncode == 0, f"{' '.join(map(str, args))} failed:\n{process.stdout}\n{process.stderr}"
    return process


def nbgrader(*args, cwd, env):
    return run([sys.executable, "-m", "nbgrader", *args], cwd, env)


def config(folder: Path, course: Path, exchange: Path, db: Path) -> None:
    """The course's own configuration (feedback preprocessors, missing cells), moved to a throw-away course."""
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"exec(compile(open({str(COURSE_CONFIG)!r}).read(), {str(COURSE_CONFIG)!r}, 'exec'),\n"
        f"     {{'get_config': get_config, '__file__': {str(COURSE_CONFIG)!r}, '__name__': 'course_config'}})\n"
        "c.CourseDirectory.source_directory = 'source'\n"
        "c.CourseDirectory.release_directory = 'release'\n"
        f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(db)!r}\n"
        f"c.Exchange.root = {str(exchange)!r}\n"
        "c.ExecutePreprocessor.timeout = 600\n")


def bob_notebook(path: Path) -> None:
    """The reference answers with an activation on build_mlp's output layer and biases left out of the count."""
    nb = nbformat.read(SOURCE, as_version=4)
    by_id = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells}
    wrong = by_id["build_mlp"].source.replace("net.add(nn.Dense(num_outputs))",
                                              'net.add(nn.Dense(num_outputs, activation="relu"))')
    assert wrong != by_id["build_mlp"].source
    by_id["build_mlp"].source = wrong
    by_id["count_parameters"].source = (
        "def count_parameters(net):\n"
        "    return int(sum(p.data().size for name, p in net.collect_params().items() if name.endswith('weight')))\n")
    nbformat.write(nb, path)


def carol_notebook(path: Path) -> None:
    """The reference answers but biases left out of count_parameters, and that exercise's test cells tampered with."""
    nb = nbformat.read(SOURCE, as_version=4)
    by_id = {cell.metadata.get("nbgrader", {}).get("grade_id"): cell for cell in nb.cells}
    by_id["count_parameters"].source = (
        "def count_parameters(net):\n"
        "    return int(sum(p.data().size for name, p in net.collect_params().items() if name.endswith('weight')))\n")
    by_id["test_count_parameters_explicit_net"].source = "pass"
    by_id["test_count_parameters_after_first_batch"].metadata["nbgrader"]["points"] = 100
    nb.cells = [cell for cell in nb.cells if cell is not by_id["test_count_parameters_any_net"]]
    nbformat.write(nb, path)


def dave_notebook(path: Path) -> None:
    """The released stubs, plus a first cell that turns every test cell into a silent pass (in one kernel)."""
    nb = nbformat.read(RELEASE, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(
        "import importlib\n"
        "cells = importlib.import_module('auto' + 'grader.nbgrader_cells')\n"
        "cells.run_in_cell = lambda *args, **kwargs: None\n"
        "cells.check = lambda *args, **kwargs: None\n"))
    nbformat.write(nb, path)


def hand_in(course: Path, student: str, write) -> None:
    folder = course / "submitted" / student / "plumbing"
    folder.mkdir(parents=True)
    write(folder / "plumbing.ipynb")
    (folder / "timestamp.txt").write_text(SUBMITTED[student])


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    base = tmp_path_factory.mktemp("course")
    home, course, exchange, student = base / "home", base / "course", base / "exchange", base / "student"
    db = base / "gradebook.db"
    for folder in (home, course, exchange, student):
        folder.mkdir()
    exchange.chmod(0o777)
    config(course, course, exchange, db)
    config(student, course, exchange, db)
    (course / "source" / "plumbing").mkdir(parents=True)
    shutil.copy(SOURCE, course / "source" / "plumbing" / "plumbing.ipynb")
    env = environment(home)

    nbgrader("generate_assignment", "plumbing", cwd=course, env=env)
    nbgrader("release_assignment", "plumbing", cwd=course, env=env)
    # Alice fetches the student version through the exchange, answers with the reference solution and submits.
    nbgrader("fetch_assignment", "plumbing", cwd=student, env=env)
    fetched = student / "plumbing" / "plumbing.ipynb"
    fetched_text = fetched.read_text()
    assert "raise NotImplementedError()" in fetched_text
    shutil.copy(SOURCE, fetched)
    nbgrader("submit", "plumbing", cwd=student, env=env)
    nbgrader("collect", "plumbing", cwd=course, env=env)
    # The exchange knows students by their OS user name only: file the collected copy under alice.
    (course / "submitted" / getpass.getuser()).rename(course / "submitted" / "alice")
    (course / "submitted" / "alice" / "plumbing" / "timestamp.txt").write_text(SUBMITTED["alice"])
    hand_in(course, "bob", bob_notebook)
    hand_in(course, "carol", carol_notebook)
    hand_in(course, "dave", dave_notebook)

    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(db), course_id=COURSE_ID) as gradebook:
        gradebook.update_or_create_assignment("plumbing", duedate=DUE)
    nbgrader("autograde", "plumbing", "--create", cwd=course, env=env)
    nbgrader("generate_feedback", "plumbing", cwd=course, env=env)
    nbgrader("export", "--to", str(base / "grades.csv"), cwd=course, env=env)

    grades, late, max_score = {}, {}, None
    with Gradebook("sqlite:///" + str(db), course_id=COURSE_ID) as gradebook:
        max_score = gradebook.find_assignment("plumbing").max_score
        for student_id in STUDENTS:
            notebook = gradebook.find_submission_notebook("plumbing", "plumbing", student_id)
            grades[student_id] = {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}
            late[student_id] = gradebook.find_submission("plumbing", student_id).total_seconds_late
    with open(base / "grades.csv", newline="") as handle:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    return {"base": base, "course": course, "env": env, "grades": grades, "exported": exported, "late": late,
            "max_score": max_score, "fetched": fetched_text}


def test_alice_gets_full_marks(course):
    total = TOTAL_POINTS
    alice = course["grades"]["alice"]
    assert {name: score for name, (score, _) in alice.items() if score != max_score_of(alice, name)} == {}
    assert sum(max_score for _, max_score in alice.values()) == total
    assert sum(score for score, _ in alice.values()) == total
    assert course["exported"]["alice"] == total


def max_score_of(grades, name):
    return grades[name][1]


def test_bob_gets_what_the_pytest_autograder_gives(course):
    bob = course["course"] / "submitted" / "bob" / "plumbing" / "plumbing.ipynb"
    results = course["base"] / "bob-results.json"
    process = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "autograder"), "-p", "no:cacheprovider",
                              "--submission", str(bob), "--results-json", str(results)],
                             cwd=course["base"], env=course["env"], capture_output=True, text=True, timeout=600)
    assert results.exists(), process.stdout + process.stderr
    pytest_scores = {test["name"].split(":")[0]: test["score"] for test in json.loads(results.read_text())["tests"]}
    nbgrader_scores = {check.id: course["grades"]["bob"][grade_id(check)][0] for check in unit("plumbing").checks}
    assert nbgrader_scores == pytest_scores
    failed = {check_id for check_id, score in pytest_scores.items() if score == 0}
    assert {check_id.split(".")[0] for check_id in failed} == {"build_mlp", "count_parameters"}
    hidden = hidden_scores(bob)
    assert {name: course["grades"]["bob"][name][0] for name in hidden} == hidden
    assert course["exported"]["bob"] == sum(pytest_scores.values()) + sum(hidden.values()) < TOTAL_POINTS


def hidden_scores(notebook: Path) -> dict:
    """What the hidden checks give a notebook, per hidden test cell, graded in this process."""
    from autograder.judgement import run_check
    from autograder.subject.local import LocalSubject
    from autograder.subject.notebook import load_notebook

    scratch = notebook.parent.parent.parent.parent / "scratch-hidden"
    scratch.mkdir(exist_ok=True)
    namespace, report = load_notebook(notebook, workdir=scratch)
    subject = LocalSubject(namespace, report, unit("plumbing"), scratch=str(scratch))
    scores = {}
    for check in HIDDEN:
        name = f"test_{check.exercise}_hidden"
        scores[name] = scores.get(name, 0) + run_check(check, subject).score
    return scores


def test_gradebook_max_score_counts_the_hidden_tests(course):
    assert HIDDEN and course["max_score"] == TOTAL_POINTS > VISIBLE_POINTS
    assert {name for name in course["grades"]["alice"] if name.endswith("_hidden")} == {
        f"test_{check.exercise}_hidden" for check in HIDDEN}


def test_hidden_tests_are_in_neither_the_release_nor_the_feedback(course):
    feedback = {student: course["course"] / "feedback" / student / "plumbing" / "plumbing.html" for student in STUDENTS}
    assert [student for student, path in feedback.items() if not path.exists()] == []
    shown = {"committed release": (ROOT / "assignments" / "plumbing" / "plumbing.ipynb").read_text(),
             "release": (course["course"] / "release" / "plumbing" / "plumbing.ipynb").read_text(),
             "fetched": course["fetched"], **{student: path.read_text() for student, path in feedback.items()}}
    assert {what: [mark for mark in HIDDEN_MARKS if mark in text] for what, text in shown.items()} == {
        what: [] for what in shown}
    assert "hidden test (1/1)" in shown["alice"]  # the hidden tests ran and passed, without a word about what they are


def test_tampered_test_cells_are_restored(course):
    carol = course["grades"]["carol"]
    alice = course["grades"]["alice"]
    assert {name: max_score for name, (_, max_score) in carol.items()} == {
        name: max_score for name, (_, max_score) in alice.items()}
    lost = {name: score for name, (score, max_score) in carol.items() if score != max_score}
    assert lost == {"test_count_parameters_explicit_net": 0, "test_count_parameters_after_first_batch": 0,
                    "test_count_parameters_any_net": 0, "test_count_parameters_hidden": 0}
    earned = sum(score for score, _ in carol.values())
    assert earned == course["exported"]["carol"] == TOTAL_POINTS - 3 - 1 < TOTAL_POINTS


def test_rewriting_the_test_cells_functions_in_memory_earns_nothing(course):
    dave = course["grades"]["dave"]
    assert sum(score for score, _ in dave.values()) == course["exported"]["dave"] == 0
    assert sum(max_score for _, max_score in dave.values()) == TOTAL_POINTS


def test_late_submission_is_marked_late(course):
    assert course["late"]["bob"] == 24 * 3600
    assert course["late"]["alice"] == course["late"]["carol"] == 0


def test_test_cells_leave_no_files_beside_the_notebook(course):
    for student in STUDENTS:
        folder = course["course"] / "autograded" / student / "plumbing"
        assert sorted(path.name for path in folder.iterdir() if path.name.startswith(".")) == []
