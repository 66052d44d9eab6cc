"""The course as nbgrader runs it: generate, release, fetch, submit, collect, autograde, export, in a throw-away course.

Alice hands in the reference answers and must get every point: the autograded test cells print nothing on stderr
(mxnet's and hypothesis's warnings included), or nbgrader would give them 0. Bob gets two exercises wrong and
must get, test cell by test cell, what the pytest autograder gives his notebook.
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

from autograder.checks import REGISTRY

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
COURSE_ID = "gluon-plumbing-test"

pytestmark = pytest.mark.nbgrader


def grade_id(check) -> str:
    return "test_" + check.id.replace(".", "_")


def environment(home: Path) -> dict:
    env = dict(os.environ)
    env["HOME"] = str(home)  # no ~/.jupyter config of the developer leaks in
    env["JUPYTER_CONFIG_DIR"] = str(home / ".jupyter")
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])  # nbgrader runs `alembic`
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))  # the kernel's autograder
    env.setdefault("GLUON_GRADER_MNIST", str(ROOT.parent / "shared" / "data" / "mnist"))
    env.pop("NBGRADER_DB_URL", None)
    return env


def run(args, cwd, env, timeout=900):
    process = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert process.returncode == 0, f"{' '.join(map(str, args))} failed:\n{process.stdout}\n{process.stderr}"
    return process


def nbgrader(*args, cwd, env):
    return run([sys.executable, "-m", "nbgrader", *args], cwd, env)


def config(folder: Path, course: Path, exchange: Path, db: Path) -> None:
    (folder / "nbgrader_config.py").write_text(
        "c = get_config()\n"
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
    assert "raise NotImplementedError()" in fetched.read_text()
    shutil.copy(SOURCE, fetched)
    nbgrader("submit", "plumbing", cwd=student, env=env)
    nbgrader("collect", "plumbing", cwd=course, env=env)
    # The exchange knows students by their OS user name only: file the collected copy under alice.
    (course / "submitted" / getpass.getuser()).rename(course / "submitted" / "alice")
    bob = course / "submitted" / "bob" / "plumbing"
    bob.mkdir(parents=True)
    bob_notebook(bob / "plumbing.ipynb")

    nbgrader("autograde", "plumbing", "--create", cwd=course, env=env)
    nbgrader("export", "--to", str(base / "grades.csv"), cwd=course, env=env)

    from nbgrader.api import Gradebook

    grades = {}
    with Gradebook("sqlite:///" + str(db), course_id=COURSE_ID) as gradebook:
        for student_id in ("alice", "bob"):
            notebook = gradebook.find_submission_notebook("plumbing", "plumbing", student_id)
            grades[student_id] = {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}
    with open(base / "grades.csv", newline="") as handle:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(handle)}
    return {"base": base, "course": course, "env": env, "grades": grades, "exported": exported}


def test_alice_gets_full_marks(course):
    total = sum(check.points for check in REGISTRY)
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
    nbgrader_scores = {check.id: course["grades"]["bob"][grade_id(check)][0] for check in REGISTRY}
    assert nbgrader_scores == pytest_scores
    failed = {check_id for check_id, score in pytest_scores.items() if score == 0}
    assert {check_id.split(".")[0] for check_id in failed} == {"build_mlp", "count_parameters"}
    assert course["exported"]["bob"] == sum(pytest_scores.values()) < sum(check.points for check in REGISTRY)


def test_test_cells_leave_no_files_beside_the_notebook(course):
    for student in ("alice", "bob"):
        folder = course["course"] / "autograded" / student / "plumbing"
        assert sorted(path.name for path in folder.iterdir() if path.name.startswith(".")) == []
