"""The corpus of bad files (tests/intake_corpus.py) through all four front ends, one run each: `pytest autograder`,
`autograder grade --assignment`, nbgrader's autograde with the course's configuration, Gradescope's run_autograder.

Every front end must give each file the same score and the intake's one reason, with no traceback, within bounded
time (a named pipe must not hang any of them), writing nothing outside its output folder; the control notebook
beside them gets full marks everywhere.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from intake_corpus import CASES

from autograder import intake
from autograder.units import unit

from test_nbgrader import COURSE_ID, SOURCE, config, environment, nbgrader

ROOT = Path(__file__).resolve().parents[1]
PLUMBING = unit("plumbing")
FULL = sum(check.points for check in PLUMBING.checks)
#: Every front end's run must end within this (a hanging pipe would not).
BOUND_S = 900

pytestmark = pytest.mark.nbgrader


def expected(case, folder: Path, name: str) -> str | None:
    """The intake's own reason for the case's entry at ``folder/name`` (None: graded normally)."""
    taken = intake.take(folder / name, folder=folder, unit_name="plumbing")
    assert (case.reason is None) == isinstance(taken, intake.Notebook), (case.name, taken)
    return None if isinstance(taken, intake.Notebook) else taken.reason


def without_name(text: str) -> str:
    """A reason with the file's name taken out (nbgrader's file is plumbing.ipynb, pytest's the case's name)."""
    return re.sub(r"^`[^`]+`", "`NAME`", text)


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    """Every case as <student>.ipynb in one class folder (pytest's --submission paths)."""
    folder = tmp_path_factory.mktemp("flat")
    for case in CASES:
        case.make(folder / case.name)
    return folder


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """Every case as submitted/<student>/plumbing/plumbing.ipynb, in a throw-away nbgrader course."""
    base = tmp_path_factory.mktemp("course")
    course, home = base / "course", base / "home"
    home.mkdir()
    course.mkdir()
    config(course, course, base / "exchange", base / "gradebook.db")
    (course / "source" / "plumbing").mkdir(parents=True)
    shutil.copy(SOURCE, course / "source" / "plumbing" / "plumbing.ipynb")
    for case in CASES:
        folder = course / "submitted" / case.student / "plumbing"
        folder.mkdir(parents=True)
        case.make(folder / "plumbing.ipynb")
    return base


@pytest.fixture(scope="module")
def by_pytest(flat, tmp_path_factory):
    out = tmp_path_factory.mktemp("pytest")
    args = [sys.executable, "-m", "pytest", "--pyargs", "autograder", "-p", "no:cacheprovider", "--unit", "plumbing",
            "--results-json", str(out / "results.json")]
    for case in CASES:
        args += ["--submission", str(flat / case.name)]
    process = subprocess.run(args, cwd=out, capture_output=True, text=True, timeout=BOUND_S,
                             env={**environment(out), "PYTHONPATH": str(ROOT)})
    assert "Traceback" not in process.stdout + process.stderr and "INTERNALERROR" not in process.stdout
    assert (out / "results.json").is_file(), process.stdout[-3000:] + process.stderr[-3000:]
    data = json.loads((out / "results.json").read_text())
    found = {}
    for case in CASES:
        tests = [test for test in data["tests"] if test["name"].startswith(f"{case.name} ")]
        found[case.student] = (sum(test["score"] for test in tests), [test["output"] for test in tests])
    assert sorted(path.name for path in out.iterdir()) == ["results.json"]
    return found


@pytest.fixture(scope="module")
def by_batch(tree, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "out"
    process = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tree / "course" / "submitted"),
                              "--out", str(out), "--assignment", "plumbing", "--jobs", "1", "--quiet"],
                             cwd=out.parent, capture_output=True, text=True, timeout=BOUND_S)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    assert "Traceback" not in process.stdout + process.stderr
    assert f"graded {len(CASES)} submissions" in process.stdout  # none vanished: links and pipes have rows too
    found = {}
    for case in CASES:
        data = json.loads((out / case.student / "results.json").read_text())
        found[case.student] = (data["score"], [test["output"] for test in data["tests"]])
    assert sorted(path.name for path in out.parent.iterdir()) == ["out"]
    return found


@pytest.fixture(scope="module")
def by_nbgrader(tree):
    course = tree / "course"
    env = environment(tree / "home")
    nbgrader("generate_assignment", "plumbing", cwd=course, env=env)
    process = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "plumbing", "--create"], cwd=course,
                             env=env, capture_output=True, text=True, timeout=BOUND_S)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    assert "Traceback" not in process.stdout + process.stderr
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook("sqlite:///" + str(tree / "gradebook.db"), course_id=COURSE_ID) as gradebook:
        for case in CASES:
            notebook = gradebook.find_submission_notebook("plumbing", "plumbing", case.student)
            visible = [grade for grade in notebook.grades if "hidden" not in grade.name]
            autograded = json.loads((course / "autograded" / case.student / "plumbing" / "plumbing.ipynb").read_text())
            messages = [output.get("evalue", "") for cell in autograded["cells"] for output in cell.get("outputs", [])
                        if output.get("output_type") == "error"]
            found[case.student] = (sum(grade.score for grade in visible), messages)
    return found


@contextmanager
def one_worker():
    """Gradescope's run grades one submission per process; here one warm worker serves every case's run."""
    import autograder.runner.worker as module

    shared = module.Worker(options=module.Options().with_mnist_found())

    @contextmanager
    def reused(*args, **kwargs):
        yield shared

    original, module.Worker = module.Worker, reused
    try:
        yield
    finally:
        module.Worker = original
        shared.close()


@pytest.fixture(scope="module")
def by_gradescope(tmp_path_factory):
    from autograder import gradescope_run

    found = {}
    with one_worker():
        for case in CASES:
            root = tmp_path_factory.mktemp(f"gradescope-{case.student}")
            (root / "submission").mkdir()
            case.make(root / "submission" / "plumbing.ipynb")
            assert gradescope_run.main(["--root", str(root), "--unit", "plumbing"]) == 0
            data = json.loads((root / "results" / "results.json").read_text())
            visible = [test for test in data["tests"] if test["visibility"] == "visible"]
            found[case.student] = (sum(test["score"] for test in visible), [test["output"] for test in visible])
            assert sorted(path.name for path in root.iterdir()) == ["results", "submission"]
    return found


@pytest.mark.parametrize("front_end", ["by_pytest", "by_batch", "by_nbgrader", "by_gradescope"])
def test_every_front_end_gives_each_file_the_same_score_and_reason(front_end, request, flat):
    found = request.getfixturevalue(front_end)
    for case in CASES:
        score, messages = found[case.student]
        reason = expected(case, flat, case.name)
        assert score == (FULL if case.full_marks else 0), (front_end, case.name, score)
        if reason is not None:
            assert messages and all(without_name(reason)[len("`NAME`"):] in message for message in messages), (
                front_end, case.name, messages[:2])
        assert not any("Traceback" in message for message in messages), (front_end, case.name)


def test_nothing_is_written_into_the_class_folders(flat, tree, by_pytest, by_batch, by_gradescope):
    assert sorted(path.name for path in flat.iterdir()) == sorted(case.name for case in CASES)
    for case in CASES:
        folder = tree / "course" / "submitted" / case.student / "plumbing"
        assert sorted(path.name for path in folder.iterdir()) == ["plumbing.ipynb"]
