"""The nbgrader and Gradescope front ends against the hostile corpus of ``tests/hostile/frontends.py``.

nbgrader: every case is one student of one throw-away course (the course's own ``nbgrader_config.py``: sandboxed
autograde, missing cells put back, feedback without hidden tests), graded by one ``nbgrader autograde`` run and one
``generate_feedback``; each student's gradebook total must be exactly the points the case allows, and the maximum
the assignment's. Gradescope: ``python -m autograder.gradescope_run`` as ``run_autograder`` runs it, in-process
here with one warm sandboxed worker for every case (each real run would start its own); each results.json must
have exactly the points allowed. For the cases whose code carries a hidden check's input out (an exit code, a signal,
an error message, time), nothing the student sees may show it.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

import nbformat
import pytest

from autograder.units import unit

from hostile.frontends import GRADESCOPE_CASES, LEAKS, NBGRADER_CASES, FrontCase
from test_nbgrader import SOURCE, config, environment, nbgrader

PLUMBING = unit("plumbing")
HIDDEN = sum(check.points for check in PLUMBING.hidden_checks)
TOTAL = PLUMBING.points + HIDDEN


def by_id(cases, case_id) -> FrontCase:
    return next(case for case in cases if case.case_id == case_id)


def leaked(text: str) -> list[str]:
    lowered = text.lower()
    return [leak for leak in LEAKS if leak in lowered]


# --- nbgrader: one course, one autograde run --------------------------------------------------------------------

@pytest.fixture(scope="module")
def nbgrader_class(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-nbgrader")
    home, course, exchange = base / "home", base / "course", base / "exchange"
    for folder in (home, course, exchange):
        folder.mkdir()
    db = base / "gradebook.db"
    config(course, course, exchange, db)
    (course / "source" / "plumbing").mkdir(parents=True)
    (course / "source" / "plumbing" / "plumbing.ipynb").write_bytes(SOURCE.read_bytes())
    env = environment(home)
    nbgrader("generate_assignment", "plumbing", cwd=course, env=env)
    for case in NBGRADER_CASES:
        folder = course / "submitted" / case.case_id / "plumbing"
        folder.mkdir(parents=True)
        nbformat.write(case.notebook(), folder / "plumbing.ipynb")
        (folder / "timestamp.txt").write_text("2024-06-01 11:00:00.000000 UTC")
    # Cases nbgrader itself refuses (a test cell's checksum it cannot restore) fail the command for that student
    # only: the exit code is not asserted, each student's gradebook is.
    runs = [subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                           text=True, timeout=1200) for args in (("autograde", "plumbing", "--create"),
                                                                 ("generate_feedback", "plumbing"))]
    from nbgrader.api import Gradebook, MissingEntry

    scores, maxima = {}, {}
    with Gradebook("sqlite:///" + str(db), course_id="gluon-plumbing-test") as gradebook:
        assignment_max = gradebook.find_assignment("plumbing").max_score
        for case in NBGRADER_CASES:
            try:
                notebook = gradebook.find_submission_notebook("plumbing", "plumbing", case.case_id)
            except MissingEntry:
                scores[case.case_id] = None
                continue
            scores[case.case_id] = sum(grade.score or 0 for grade in notebook.grades)
            maxima[case.case_id] = sum(grade.max_score for grade in notebook.grades)
    return {"course": course, "scores": scores, "maxima": maxima, "max": assignment_max, "runs": runs}


@pytest.mark.nbgrader
def test_the_assignment_is_worth_its_points(nbgrader_class):
    assert nbgrader_class["max"] == TOTAL


@pytest.mark.nbgrader
@pytest.mark.parametrize("case_id", [case.case_id for case in NBGRADER_CASES])
def test_nbgrader_gives_exactly_the_points_allowed(nbgrader_class, case_id):
    case = by_id(NBGRADER_CASES, case_id)
    score = nbgrader_class["scores"][case_id]
    allowed = case.points(TOTAL, HIDDEN)
    log = nbgrader_class["runs"][0].stderr[-3000:]
    if score is None:  # nbgrader refused the notebook (as stock does): no grade at all, never a false one
        assert allowed == 0, log
        return
    assert score == allowed, (score, allowed, log)
    assert nbgrader_class["maxima"][case_id] == TOTAL  # no cell gained points, none went missing


@pytest.mark.nbgrader
@pytest.mark.parametrize("case_id", [case.case_id for case in NBGRADER_CASES if case.no_leak])
def test_nbgrader_shows_nothing_of_a_hidden_checks_run(nbgrader_class, case_id):
    course = nbgrader_class["course"]
    feedback = (course / "feedback" / case_id / "plumbing" / "plumbing.html").read_text()
    assert not leaked(feedback)
    assert "This hidden test did not pass" in feedback  # said, without a word of what it found
    # the instructor's autograded notebook: every visible test cell passed, the hidden one says only that it failed
    autograded = nbformat.read(course / "autograded" / case_id / "plumbing" / "plumbing.ipynb", as_version=4)
    shown = "\n".join(json.dumps(cell.get("outputs", [])) for cell in autograded.cells)
    assert not leaked(shown)


# --- Gradescope: run_autograder's entry, one warm worker ---------------------------------------------------------

@pytest.fixture(scope="module")
def warm_worker(mnist_dir):
    from autograder.options import Options
    from autograder.runner.worker import Worker

    with Worker(options=Options().with_mnist_dir(str(mnist_dir))) as worker:
        yield worker


@pytest.fixture(scope="module")
def gradescope_results(tmp_path_factory, warm_worker, mnist_dir):
    """Each case graded by ``gradescope_run.main`` in its own AUTOGRADER_ROOT; its results.json and wall time."""
    from autograder import gradescope_run
    from autograder.runner import worker as worker_module

    class SharedWorker:
        """``Worker(options=...)`` as gradescope_run makes it, handing out the module's warm worker."""

        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return warm_worker

        def __exit__(self, *exc):
            return False

    found = {}
    patch = pytest.MonkeyPatch()
    patch.setattr(worker_module, "Worker", SharedWorker)
    patch.setenv("GLUON_GRADER_MNIST", str(mnist_dir))
    try:
        for case in GRADESCOPE_CASES:
            root = tmp_path_factory.mktemp(case.case_id)
            (root / "submission").mkdir()
            (root / "results").mkdir()
            nbformat.write(case.notebook(), root / "submission" / "plumbing.ipynb")
            start = time.monotonic()
            code = gradescope_run.main(["--root", str(root), "--unit", "plumbing"])
            found[case.case_id] = (code, json.loads((root / "results" / "results.json").read_text()),
                                   time.monotonic() - start, root)
    finally:
        patch.undo()
    return found


@pytest.mark.parametrize("case_id", [case.case_id for case in GRADESCOPE_CASES])
def test_gradescope_gives_exactly_the_points_allowed(gradescope_results, case_id):
    code, data, _, root = gradescope_results[case_id]
    assert code == 0
    assert data["score"] == sum(test["score"] for test in data["tests"]) == by_id(GRADESCOPE_CASES, case_id).points(
        TOTAL, HIDDEN), data["output"]
    assert sum(test["max_score"] for test in data["tests"]) == TOTAL
    assert [path.name for path in (root / "results").iterdir()] == ["results.json"]


@pytest.mark.parametrize("case_id", [case.case_id for case in GRADESCOPE_CASES if case.no_leak])
def test_gradescope_shows_nothing_of_a_hidden_checks_run(gradescope_results, case_id):
    _, data, seconds, _ = gradescope_results[case_id]
    visible = [data["output"], *(test["output"] for test in data["tests"] if test["visibility"] == "visible")]
    assert not leaked("\n".join(visible)), visible
    hidden = [test["output"] for test in data["tests"] if test["visibility"] != "visible"]
    assert not leaked("\n".join(hidden)), hidden  # shown once grades are published: nothing of the run either
    assert all(test["status"] == "passed" for test in data["tests"] if test["visibility"] == "visible")
    if case_id == "gs-hidden-sleep":  # the 4 s spent on the hidden check's input are not in the time shown
        assert data["execution_time"] < seconds - 3.5, (data["execution_time"], seconds)
