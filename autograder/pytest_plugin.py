"""The pytest front end: ``pytest autograder [--unit NAME] [--submission PATH] [--results-json PATH]``, or, with the
grader installed as a package (the student kit's wheel), ``pytest --pyargs autograder ...`` from any folder.

Grades every released unit's notebook under ``assignments/`` (a student's self-check), the units named with
``--unit``, or the notebooks given with ``--submission`` (their unit found from the notebook, or ``--unit``): one
test per check, worth its points (a ``points`` marker), and a score table per notebook at the end. Each notebook
goes through :func:`autograder.pipeline.grade` once; the tests report its results.

The package installs this module as a pytest plugin (entry point ``pytest11``), so it is loaded in every pytest run
of the environment: everything beyond declaring the options acts only in a run that grades (:func:`grading`).
"""
from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder import options as settings
from autograder.reporting.gradescope import results_json, write_json
from autograder.reporting.table import score_table

GRADED = pytest.StashKey()
HYPOTHESIS_HOME = pytest.StashKey()
NOTEBOOKS = pytest.StashKey()
OPTIONS = pytest.StashKey()
#: What grading needs in this Python, with the line that installs it (checked once, before any check runs).
NEEDED = ("mxnet", "numpy", "hypothesis")


@dataclass(frozen=True, eq=False)
class Notebook:
    """A notebook to grade: where it is, and what the intake read there (its unit, or why it cannot be graded)."""

    path: Path
    taken: object  # autograder.intake.Notebook | Unreadable

    @property
    def unit(self):
        """The unit it is graded for (None: none could be told, the intake says why)."""
        return self.taken.unit


def pytest_addoption(parser):
    group = parser.getgroup("gluon-grader", "grading notebooks of the course's units")
    group.addoption("--unit", action="append", default=[], metavar="NAME",
                    help="grade this unit's notebook under assignments/, or say which unit --submission is")
    group.addoption("--submission", action="append", default=[], metavar="PATH",
                    help="grade this notebook (repeatable); default: every unit's notebook under assignments/")
    group.addoption("--results-json", metavar="PATH", help="write the result in Gradescope's results.json format")
    settings.add_arguments(group.addoption)
    group.addoption("--in-process", action="store_true",
                    help="run the notebook in pytest's own process (faster to debug; no protection from it)")


def grading(config) -> bool:
    """Whether this run grades: pytest was pointed at the autograder package (by path or with --pyargs)."""
    return any(Path(str(arg).partition("::")[0]).name == "autograder" for arg in config.args)


def pytest_configure(config):
    config.addinivalue_line("markers", "points(n): the points a graded check is worth")
    config.stash[GRADED] = {}
    if not grading(config):
        return
    notebooks(config)  # a --submission whose unit cannot be told stops here, with the message, before any collection
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")
    # A student runs this from their own folder, which is not a project: pytest's cache (last failures, node ids)
    # would leave a .pytest_cache folder there. The grade does not depend on earlier runs.
    for name in ("lfplugin", "nfplugin"):
        if config.pluginmanager.has_plugin(name):
            config.pluginmanager.unregister(name=name)
    try:
        from hypothesis.configuration import set_hypothesis_home_dir
    except ImportError:
        return  # said once, with the fix, when the checks are collected (pytest_collection_finish)
    config.stash[HYPOTHESIS_HOME] = tempfile.mkdtemp(prefix="gluon-grader-hypothesis-")
    set_hypothesis_home_dir(config.stash[HYPOTHESIS_HOME])


def pytest_unconfigure(config):
    if HYPOTHESIS_HOME in config.stash:
        shutil.rmtree(config.stash[HYPOTHESIS_HOME], ignore_errors=True)


def notebooks(config) -> list[Notebook]:
    """The notebooks to grade, read by the intake once per run: --submission paths, else each unit's release under
    assignments/. A file that cannot be graded is one failed test with the intake's reason, as in every front end."""
    if NOTEBOOKS in config.stash:
        return config.stash[NOTEBOOKS]
    from autograder.intake import take
    from autograder.units import UnknownUnit, all_units

    named = config.getoption("unit")
    given = config.getoption("submission")
    try:
        if given:
            found = [Notebook(Path(path).absolute(), take(path, unit_name=named[0] if named else None))
                     for path in given]
        else:
            units = [all_units()[name] for name in named] if named else all_units().values()
            released = [(config.rootpath / "assignments" / unit.name / f"{unit.name}.ipynb", unit) for unit in units]
            found = [Notebook(path, take(path, unit_name=unit.name)) for path, unit in released
                     if path.is_file() or named]
    except (UnknownUnit, KeyError) as error:  # a --unit no unit has: the run's mistake, said plainly
        raise pytest.UsageError(str(error).strip("'\"")) from None
    config.stash[NOTEBOOKS] = found
    return found


def pytest_generate_tests(metafunc):
    if "graded_check" in metafunc.fixturenames:
        found = notebooks(metafunc.config)
        cases = [(notebook, check) for notebook in found
                 for check in (notebook.unit.checks if notebook.unit is not None else [None])]
        units = [notebook.unit for notebook in found]
        # with several notebooks, each test says which: by its unit, or by its file where units repeat
        label = {notebook: notebook.unit.name if notebook.unit is not None and units.count(notebook.unit) == 1
                 else notebook.path.name for notebook in found}
        metafunc.parametrize("graded_check", [
            pytest.param(case, marks=pytest.mark.points(case[1].points if case[1] else 0),
                         id=(f"{label[case[0]]}:" if len(found) > 1 else "") + (case[1].id if case[1] else "notebook"))
            for case in cases])


def pytest_collection_finish(session):
    """Before the first check: everything grading needs is here, or one message says what is missing and how to
    get it (pytest's usage error, exit code 4), instead of the same error in every check."""
    config = session.config
    if config.option.collectonly or not any("graded_check" in getattr(item, "fixturenames", ())
                                            for item in session.items):
        return
    import importlib.util
    import sys

    missing = [name for name in NEEDED if importlib.util.find_spec(name) is None]
    if missing:
        raise pytest.UsageError(
            f"gluon-grader: {', '.join(missing)} not installed in this Python ({sys.executable}).\n"
            "Activate the course's environment first: `source .venv/bin/activate` (created by `make install` in "
            "the course, or by the install line of the student kit's README).")
    from autograder import mnist

    values = settings.Options.from_values(config.option)
    try:
        config.stash[OPTIONS] = values.with_mnist_found()
    except mnist.MnistNotFound as error:
        raise pytest.UsageError(f"gluon-grader cannot grade without MNIST.\n{error}") from None


def run_options(config) -> settings.Options:
    """The run's options, MNIST's folder resolved (a clear error when there is none)."""
    if OPTIONS in config.stash:
        return config.stash[OPTIONS]

    values = settings.Options.from_values(config.option)
    return values.with_mnist_found()


@pytest.fixture(scope="session")
def worker(pytestconfig):
    """The warm, sandboxed process that runs the notebooks (bubblewrap where it works); None with --in-process."""
    if pytestconfig.getoption("in_process"):
        yield None
        return
    from autograder.runner.worker import Worker

    with Worker(options=run_options(pytestconfig)) as running:
        yield running


def pytest_report_header(config):
    if not grading(config):
        return None
    if config.getoption("in_process"):
        return "gluon-grader: notebooks run in this process (--in-process): no sandbox"
    from autograder.runner.sandbox import detect

    return f"gluon-grader: notebooks run in {detect().describe()}"


@pytest.fixture
def grade_check(request, worker):
    """Grade the notebook (once per session, through the pipeline) and fail the test with this check's feedback."""
    from autograder.pipeline import grade

    def run(case):
        notebook, check = case
        graded = request.config.stash[GRADED]
        if notebook not in graded:
            graded[notebook] = grade(notebook.taken, run_options(request.config), worker=worker)
        if check is None:  # a notebook of no unit: the intake's reason is its one failure
            pytest.fail("\n".join(graded[notebook].notes), pytrace=False)
        result = graded[notebook].by_id()[check.id]
        if not result.passed:
            pytest.fail(result.feedback, pytrace=False)

    return run


def pytest_terminal_summary(terminalreporter, config):
    graded = config.stash[GRADED]
    if not graded:
        return
    for notebook, result in graded.items():
        unit = f"unit {notebook.unit.name}" if notebook.unit is not None else "no unit"
        terminalreporter.write_sep("=", f"score: {notebook.path.name} ({unit})")
        terminalreporter.write_line(score_table(result.results, str(notebook.path), result.notes))
        for line in to_fix(result.results):
            terminalreporter.write_line(line)
    # pytest's "short test summary info" would follow with a `FAILED .../test_units.py::test_check[...]` line per
    # failed check: test ids, not the student's words. The lines above say the same per check, so it is left out.
    terminalreporter.reportchars = terminalreporter.reportchars.replace("f", "").replace("E", "")
    destination = config.getoption("results_json")
    if destination:
        write_json(destination, combined_json(graded))


def to_fix(results) -> list[str]:
    """One line per failed check, in the student's words: the exercise, what the check is about, and the first line
    of its feedback (what was expected, or why it could not run)."""
    from autograder.reporting.summary import first_line

    return [f"to fix: {r.exercise}: {r.title}: {first_line(r.feedback)}" for r in results if not r.passed]


def combined_json(graded: dict) -> dict:
    """One results.json for the run; with several notebooks, test names say which notebook."""
    if len(graded) == 1:
        ((_, result),) = graded.items()
        return results_json(result.results, result.notes)
    merged = [results_json(result.results, result.notes, f"{nb.path.name} ") for nb, result in graded.items()]
    return {"score": sum(m["score"] for m in merged), "max_score": sum(m["max_score"] for m in merged),
            "output": "\n".join(m["output"] for m in merged if m["output"]),
            "tests": [test for m in merged for test in m["tests"]]}
