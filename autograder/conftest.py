"""The pytest front end: ``pytest autograder [--submission PATH] [--results-json PATH]``.

Grades the notebooks under ``assignments/`` (a student's self-check) or the one given with ``--submission``,
one test per check with a ``points`` marker, and ends with a score table per notebook.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from autograder.judge import failed, notebook_notes, run_check, with_load_notes
from autograder.reporting.gradescope import results_json, write_json
from autograder.reporting.table import score_table
from autograder.subject.remembering import remembering

GRADED = pytest.StashKey()
HYPOTHESIS_HOME = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("gluon-grader", "grading notebooks of the plumbing unit")
    group.addoption("--submission", action="append", default=[], metavar="PATH",
                    help="grade this notebook (repeatable); default: the notebooks under assignments/")
    group.addoption("--results-json", metavar="PATH", help="write the result in Gradescope's results.json format")
    group.addoption("--mnist-dir", metavar="DIR", help="folder of the four MNIST idx .gz files")
    group.addoption("--cell-timeout", type=float, default=60.0, metavar="S", help="time limit per notebook cell")
    group.addoption("--timeout", type=float, default=300.0, metavar="S",
                    help="wall-time limit for the whole notebook and its checks")
    group.addoption("--memory", type=int, default=2048, metavar="MB", help="memory limit of the notebook's process")
    group.addoption("--in-process", action="store_true",
                    help="run the notebook in pytest's own process (faster to debug; no protection from it)")


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): the points a graded check is worth")
    config.stash[GRADED] = []
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")
    from hypothesis.configuration import set_hypothesis_home_dir

    config.stash[HYPOTHESIS_HOME] = tempfile.mkdtemp(prefix="gluon-grader-hypothesis-")
    set_hypothesis_home_dir(config.stash[HYPOTHESIS_HOME])


def pytest_unconfigure(config):
    if HYPOTHESIS_HOME in config.stash:
        shutil.rmtree(config.stash[HYPOTHESIS_HOME], ignore_errors=True)


def notebooks(config) -> list[Path]:
    """The notebooks to grade: --submission paths, or every notebook under assignments/."""
    given = config.getoption("submission")
    if given:
        return [Path(path).resolve() for path in given]
    return sorted((config.rootpath / "assignments").glob("*/*.ipynb"))


def pytest_generate_tests(metafunc):
    if "notebook" in metafunc.fixturenames:
        paths = notebooks(metafunc.config)
        metafunc.parametrize("notebook", paths, ids=[path.name for path in paths], scope="session")


@pytest.fixture(scope="session")
def worker(pytestconfig):
    """The warm, sandboxed process that runs the notebooks (bubblewrap where it works)."""
    from autograder import mnist
    from autograder.runner.sandbox import Limits
    from autograder.runner.worker import Worker

    limits = Limits(wall_s=pytestconfig.getoption("timeout"), memory_mb=pytestconfig.getoption("memory"))
    with Worker(limits=limits, mnist_dir=str(mnist.find_mnist_dir(pytestconfig.getoption("mnist_dir"))),
                cell_timeout=pytestconfig.getoption("cell_timeout")) as running:
        yield running


@pytest.fixture(scope="session")
def subject(notebook, pytestconfig, request):
    """The loaded notebook, ready to answer probes: in the sandboxed worker, or here with --in-process."""
    if pytestconfig.getoption("in_process"):
        from autograder.subject.local import LocalSubject

        loaded = LocalSubject.from_notebook(notebook, cell_timeout=pytestconfig.getoption("cell_timeout"),
                                            mnist_dir=pytestconfig.getoption("mnist_dir"))
        yield remembering(loaded)
        loaded.close()
        return
    worker = request.getfixturevalue("worker")
    with worker.subject(read_submission(notebook), notebook.name) as remote:
        yield remembering(remote)


def read_submission(notebook: Path) -> bytes:
    """The notebook's bytes; an unreadable file is graded as an empty one (the checks then say why)."""
    try:
        return notebook.read_bytes()
    except OSError:
        return b""


def pytest_report_header(config):
    if config.getoption("in_process"):
        return "gluon-grader: notebooks run in this process (--in-process): no sandbox"
    from autograder.runner.sandbox import detect

    return f"gluon-grader: notebooks run in {detect().describe()}"


@pytest.fixture(scope="session")
def notes(held, request):
    """What went wrong while the notebook loaded, one line per cell (or why it is held for review)."""
    return [held] if held else notebook_notes(request.getfixturevalue("subject"))


@pytest.fixture(scope="session")
def held(notebook):
    """Why the notebook is held for review (its code reaches into the grader), or None."""
    from autograder.screening import review_note

    return review_note(notebook)


@pytest.fixture
def grade_check(held, notebook, notes, request):
    """Run a check against the subject, record its result, and fail the test with the feedback alone."""

    def run(check):
        if held:
            result = failed(check, held)
        else:
            result = with_load_notes(run_check(check, request.getfixturevalue("subject")), notes)
        request.config.stash[GRADED].append((notebook, result, notes))
        if not result.passed:
            pytest.fail(result.feedback, pytrace=False)

    return run


def pytest_terminal_summary(terminalreporter, config):
    per_notebook = graded(config.stash[GRADED])
    if not per_notebook:
        return
    for notebook, (results, notes) in per_notebook.items():
        terminalreporter.write_sep("=", f"score: {notebook.name}")
        terminalreporter.write_line(score_table(results, str(notebook), notes))
    destination = config.getoption("results_json")
    if destination:
        write_json(destination, combined_json(per_notebook))


def graded(records: list) -> dict:
    """Results per notebook, from the (notebook, result, notes) record of every check that ran."""
    per_notebook: dict = {}
    for notebook, result, notes in records:
        per_notebook.setdefault(notebook, ([], notes))[0].append(result)
    return per_notebook


def combined_json(per_notebook: dict) -> dict:
    """One results.json for the run; with several notebooks, test names say which notebook."""
    if len(per_notebook) == 1:
        ((_, (results, notes)),) = per_notebook.items()
        return results_json(results, notes)
    merged = [results_json(results, notes, f"{nb.name} ") for nb, (results, notes) in per_notebook.items()]
    return {"score": sum(m["score"] for m in merged), "max_score": sum(m["max_score"] for m in merged),
            "output": "\n".join(m["output"] for m in merged if m["output"]),
            "tests": [test for m in merged for test in m["tests"]]}
