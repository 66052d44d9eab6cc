"""ci-templates/github-actions/grade.yml: the workflow a student's repository runs to grade their notebook."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from autograder.reporting import batch
from autograder.results import CheckResult, SubmissionResult

yaml = pytest.importorskip("yaml")

WORKFLOW = Path(__file__).resolve().parents[1] / "ci-templates" / "github-actions" / "grade.yml"


@pytest.fixture(scope="module")
def steps():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert set(workflow[True]) >= {"push", "pull_request"}  # YAML 1.1 reads the key `on` as True
    return workflow["jobs"]["grade"]["steps"]


def step_using(steps, action):
    return next(step for step in steps if step.get("uses", "").startswith(action + "@"))


def step_running(steps, command):
    return next(step for step in steps if command in step.get("run", ""))


def test_sets_up_python_311_and_installs_the_grader_and_bubblewrap(steps):
    assert step_using(steps, "actions/checkout")
    assert str(step_using(steps, "actions/setup-python")["with"]["python-version"]) == "3.11"
    install = step_running(steps, "pip install")["run"]
    assert install.strip() == 'pip install "$GRADER_WHEEL"'  # the student kit's wheel, never the course repository
    assert "sudo apt-get install -y bubblewrap" in step_running(steps, "apt-get install")["run"]


def test_installs_the_wheel_and_never_the_course_repository():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert workflow["env"]["GRADER_WHEEL"].endswith(".whl>")  # a placeholder the teacher replaces
    assert "git+" not in WORKFLOW.read_text() and "never the course's repository" in WORKFLOW.read_text()
    readme = (WORKFLOW.parents[1] / "README.md").read_text()
    assert "autograder student-kit" in readme and "**never** point it at the" in readme


def test_caches_mnist_where_the_grader_looks(steps):
    assert step_using(steps, "actions/cache")["with"]["path"] == "~/.mxnet/datasets/mnist"


def test_grades_then_uploads_and_summarises_even_on_failure(steps):
    names = [step.get("name") for step in steps]
    grade = step_running(steps, "autograder grade")
    assert grade["run"].strip() == "autograder grade plumbing.ipynb --unit plumbing --out grading --quiet"
    upload = step_using(steps, "actions/upload-artifact")
    assert upload["uses"] == "actions/upload-artifact@v4"
    assert upload["if"] == "always()" and upload["with"]["path"].rstrip("/") == "grading"
    summary = step_running(steps, "GITHUB_STEP_SUMMARY")
    assert summary["if"] == "always()"
    assert names.index(grade["name"]) < names.index(upload["name"]) < names.index(summary["name"])
    assert names.index(step_using(steps, "actions/cache")["name"]) < names.index(grade["name"])


@pytest.fixture
def summary_script(steps):
    """The Python the summary step runs with ``python -c '...'``."""
    run = step_running(steps, "GITHUB_STEP_SUMMARY")["run"]
    return run[run.index("python -c '") + len("python -c '"):run.rindex("' >>")]


def run_script(script, cwd):
    return subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, check=True,
                          timeout=60).stdout


def test_the_summary_script_prints_the_score_and_the_feedback(summary_script, tmp_path):
    sub = SubmissionResult("plumbing", "plumbing.ipynb",
                           [CheckResult("a.x", "a", "A", 1, 1, "passed"), CheckResult("a.y", "a", "B", 0, 1.5, "failed",
                                                                                      "Expected: 1\nFound: 2")], [])
    batch.write_student(tmp_path / "grading", sub)
    output = run_script(summary_script, tmp_path)
    assert output.startswith("## Score: 1 / 2.5\n")
    assert "Expected: 1\nFound: 2" in output and "# Feedback for ` plumbing `" in output


def test_the_summary_script_says_when_there_is_no_result(summary_script, tmp_path):
    assert run_script(summary_script, tmp_path).startswith("## No score")
