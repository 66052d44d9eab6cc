"""The pytest front end as a student and CI run it: `pytest autograder ...` in a subprocess."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
RELEASE = ROOT / "assignments" / "plumbing" / "plumbing.ipynb"


def run_autograder(*args, cwd=ROOT):
    """Run `python -m pytest autograder ARGS` and return the completed process."""
    env = dict(os.environ)
    return subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "autograder"), "-p", "no:cacheprovider", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def tree(folder: Path) -> set:
    """Every path below ``folder``, leaving out bytecode caches, git's folder and the virtual environment."""
    found = set()
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in ("__pycache__", ".git", ".venv")]
        found |= {(Path(top) / name).relative_to(folder) for name in dirs + files}
    return found


@pytest.fixture(scope="module")
def graded_reference(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    notebook = folder / "mine.ipynb"
    shutil.copy(SOLUTION, notebook)
    before_repo = tree(ROOT)
    results = folder.parent / "results.json"
    process = run_autograder("--submission", str(notebook), "--results-json", str(results), cwd=folder)
    return process, json.loads(results.read_text()), folder, before_repo


def test_reference_gets_full_marks_with_a_score_table(graded_reference):
    process, results, _, _ = graded_reference
    assert process.returncode == 0, process.stdout[-3000:]
    assert results["score"] == results["max_score"] > 0
    assert "score: mine.ipynb" in process.stdout
    total = [line for line in process.stdout.splitlines() if line.startswith("total")]
    assert total and total[0].split()[-1] == f"{results['score']:g}/{results['max_score']:g}"


def test_results_json_is_gradescope_format(graded_reference):
    _, results, _, _ = graded_reference
    assert {"score", "max_score", "tests"} <= set(results)
    for test in results["tests"]:
        assert set(test) >= {"name", "score", "max_score", "output", "status"}
        assert test["status"] == "passed" and test["score"] == test["max_score"]
    assert sum(test["max_score"] for test in results["tests"]) == results["max_score"]


def test_grading_leaves_no_file_behind(graded_reference):
    _, _, folder, before_repo = graded_reference
    assert tree(folder) == {Path("mine.ipynb")}
    assert tree(ROOT) == before_repo


def test_student_notebook_gets_zero_and_not_implemented_feedback(tmp_path):
    results = tmp_path / "results.json"
    process = run_autograder("--results-json", str(results))
    data = json.loads(results.read_text())
    assert process.returncode == 1
    assert data["score"] == 0 and data["max_score"] > 0
    assert all("not implemented yet" in test["output"] for test in data["tests"])
    assert "Traceback" not in process.stdout
    # The run ends with the score table, then one line per failed check in the student's words, then pytest's count:
    # no `FAILED .../test_units.py::test_check[...]` lines (pytest's short summary of test ids).
    ending = process.stdout[process.stdout.rindex("score: plumbing.ipynb"):].splitlines()
    to_fix = [line for line in ending if line.startswith("to fix: ")]
    assert len(to_fix) == sum(test["name"].startswith("plumbing.ipynb ") for test in data["tests"])
    assert process.stdout.count("\nto fix: ") == len(data["tests"])  # every unit's notebook: a line per check
    assert "FAILED" not in process.stdout and "test_check[" not in ending[-1]
    assert to_fix[0].startswith("to fix: build_mlp: ") and to_fix[0].endswith("with your code.")
    assert ending[-1].startswith("=") and "failed" in ending[-1]
    assert ending.index(to_fix[-1]) == len(ending) - 2


def test_broken_notebook_is_graded_zero_with_a_clear_reason(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ this is not json")
    results = tmp_path / "results.json"
    # Not JSON, so no metadata to tell its unit: with more than one unit in the course it must be named.
    process = run_autograder("--unit", "plumbing", "--submission", str(broken), "--results-json", str(results))
    data = json.loads(results.read_text())
    assert process.returncode == 1, process.stdout[-2000:]
    assert data["score"] == 0
    assert all("`broken.ipynb` is not a notebook: it is not valid JSON" in test["output"] for test in data["tests"])
    assert "INTERNALERROR" not in process.stdout + process.stderr


@pytest.mark.parametrize("content, reason", [
    ("{ this is not json", "`broken.ipynb` is not a notebook: it is not valid JSON (line 1"),  # its own reason
    (json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), "name it with --unit, one of:"),
])
def test_a_notebook_of_no_unit_fails_with_the_intakes_reason(tmp_path, content, reason):
    broken = tmp_path / "broken.ipynb"
    broken.write_text(content)
    process = run_autograder("--submission", str(broken), "--results-json", str(tmp_path / "results.json"))
    assert process.returncode == 1, process.stdout[-2000:] + process.stderr[-2000:]
    assert reason in process.stdout
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["score"] == 0 and reason in data["output"]
    assert "Traceback" not in process.stdout + process.stderr
