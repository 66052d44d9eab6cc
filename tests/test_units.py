"""A unit is a plug-in: a tiny unit written by this test (one exercise, two checks, one probe), in a package of its
own outside the kit, is graded by all three front ends — ``pytest autograder``, ``autograder grade`` and nbgrader's
sandboxed autograde — with no file of the kit changed. This is what the README's "adding a unit" section follows.

The package is named to the kit with ``GLUON_GRADER_UNITS`` (a unit installed with the ``gluon_grader.units`` entry
point works the same); everything else comes from its ``UNIT`` declaration.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest
from test_frontend import tree

ROOT = Path(__file__).resolve().parents[1]
UNIT_INIT = '''
    """A throw-away unit: one exercise, ``double``."""
    from autograder.units import Exercise, Unit

    UNIT = Unit(name="tiny", title="Tiny: doubling", package=__name__,
                exercises=(Exercise("double", cell="double", title="Double a number"),))
'''
UNIT_PROBES = '''
    """What runs beside the student's code: call their ``double``."""
    from autograder.subject.probing import probe


    @probe
    def doubled(ctx, values):
        double = ctx.student("double")
        answers = []
        for value in values:
            with ctx.stage(f"calling double({value})"):
                answers.append(double(value))
        return {"answers": [answer if type(answer) in (int, float) else repr(answer) for answer in answers]}
'''
UNIT_CHECKS = '''
    """The judgements: plain comparisons of the probe's plain data."""
    from autograder.checks.base import CheckFailed, check, expect_ok


    def answers(subject, values):
        return expect_ok(subject.probe("doubled", values=values), "double")["answers"]


    @check("double", 1, "Doubles small numbers")
    def small(subject):
        if answers(subject, [1, 2, 3]) != [2, 4, 6]:
            raise CheckFailed("double(1), double(2), double(3) to be 2, 4, 6", str(answers(subject, [1, 2, 3])),
                              "return 2 * x")


    @check("double", 2, "Doubles negative numbers and zero")
    def negative(subject):
        found = answers(subject, [-5, 0])
        if found != [-10, 0]:
            raise CheckFailed("double(-5), double(0) to be -10, 0", str(found), "no special case for signs")
'''
ANSWERS = {"right": "def double(x):\n    return 2 * x\n", "positive only": "def double(x):\n    return abs(2 * x)\n",
           "stub": "def double(x):\n    raise NotImplementedError()\n"}
SCORES = {"right": 3, "positive only": 1, "stub": 0}


def notebook(answer: str) -> nbformat.NotebookNode:
    """The unit's source notebook, nbgrader style, with ``answer`` in its solution cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    solution = nbformat.v4.new_code_cell(answer)
    solution.metadata["nbgrader"] = {"grade": False, "grade_id": "double", "locked": False, "schema_version": 3,
                                     "solution": True, "task": False}
    check_cell = nbformat.v4.new_markdown_cell("Check your answer with `pytest autograder`.")
    check_cell.metadata["nbgrader"] = {"grade": False, "grade_id": "ex_double_check", "locked": True,
                                       "schema_version": 3, "solution": False, "task": False}
    nb.cells = [nbformat.v4.new_markdown_cell("# Tiny"), solution, check_cell]
    return nb


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The unit's package, its source notebook with test cells (written by the kit's script), and the environment."""
    base = tmp_path_factory.mktemp("tiny")
    package = base / "code" / "tinyunit"
    (package / "checks").mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(UNIT_INIT))
    (package / "probes.py").write_text(textwrap.dedent(UNIT_PROBES))
    (package / "checks" / "__init__.py").write_text(textwrap.dedent(UNIT_CHECKS))
    env = dict(os.environ, GLUON_GRADER_UNITS="tinyunit", HOME=str(base / "home"),
               JUPYTER_CONFIG_DIR=str(base / "home" / ".jupyter"),
               PYTHONPATH=os.pathsep.join([str(base / "code"), str(ROOT)]),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    env.pop("NBGRADER_DB_URL", None)
    source = base / "source.ipynb"
    nbformat.write(notebook(ANSWERS["right"].replace("    return", "    ### BEGIN SOLUTION\n    return")
                            + "    ### END SOLUTION\n"), source)
    before = tree(ROOT)
    run([sys.executable, str(ROOT / "scripts" / "add_test_cells.py"), "--unit", "tiny", str(source)], base, env)
    yield {"base": base, "env": env, "source": source}
    assert tree(ROOT) == before, "grading the throw-away unit changed the kit's tree"


def run(args, cwd, env) -> subprocess.CompletedProcess:
    process = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, (args, process.stdout[-3000:], process.stderr[-3000:])
    return process


def submission(tiny, answer: str, folder: Path) -> Path:
    """The source notebook with its solution cell replaced by ``answer``."""
    nb = nbformat.read(tiny["source"], as_version=4)
    next(cell for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "double").source = answer
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "tiny.ipynb")
    return folder / "tiny.ipynb"


def test_the_script_writes_a_test_cell_per_check_and_names_the_unit(tiny):
    nb = nbformat.read(tiny["source"], as_version=4)
    assert nb.metadata["gluon_grader"] == {"unit": "tiny"}
    tests = {cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"] for cell in nb.cells
             if cell.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")}
    assert tests == {"test_double_small": 1, "test_double_negative": 2}


@pytest.mark.parametrize("answer", list(ANSWERS))
def test_pytest_autograder_grades_the_unit(tiny, answer, tmp_path):
    path = submission(tiny, ANSWERS[answer], tmp_path)
    results = tmp_path / "results.json"
    process = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "autograder"), "-p", "no:cacheprovider",
                              "--submission", str(path), "--results-json", str(results)],
                             cwd=tmp_path, env=tiny["env"], capture_output=True, text=True, timeout=600)
    assert process.returncode == (0 if SCORES[answer] == 3 else 1), process.stdout[-3000:]
    assert "score: tiny.ipynb (unit tiny)" in process.stdout
    data = json.loads(results.read_text())
    assert (data["score"], data["max_score"]) == (SCORES[answer], 3)


def test_autograder_grade_grades_a_class_of_the_unit(tiny):
    submitted = tiny["base"] / "submitted"
    for answer in ANSWERS:
        submission(tiny, ANSWERS[answer], submitted / answer.replace(" ", "_") / "tiny")
    out = tiny["base"] / "graded"
    run(["autograder", "grade", str(submitted), "--out", str(out), "--jobs", "2", "--quiet"], tiny["base"],
        tiny["env"])
    for answer in ANSWERS:
        data = json.loads((out / answer.replace(" ", "_") / "results.json").read_text())
        assert (data["score"], data["max_score"]) == (SCORES[answer], 3), data
    stub = json.loads((out / "stub" / "results.json").read_text())
    assert all("`double` is not implemented yet" in test["output"] for test in stub["tests"])


@pytest.mark.nbgrader
def test_nbgrader_autograde_grades_the_unit_in_the_sandbox(tiny):
    course = tiny["base"] / "course"
    (course / "source" / "tiny").mkdir(parents=True)
    (course / "source" / "tiny" / "tiny.ipynb").write_bytes(tiny["source"].read_bytes())
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"exec(compile(open({str(ROOT / 'nbgrader_config.py')!r}).read(), 'nbgrader_config.py', 'exec'),\n"
        f"     {{'get_config': get_config, '__file__': {str(ROOT / 'nbgrader_config.py')!r}}})\n"
        "c.CourseDirectory.source_directory = 'source'\n"
        "c.CourseDirectory.release_directory = 'release'\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(tiny['base'] / 'gradebook.db')!r}\n")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    run([*nbgrader, "generate_assignment", "tiny"], course, tiny["env"])
    for answer in ANSWERS:
        submission(tiny, ANSWERS[answer], course / "submitted" / answer.replace(" ", "_") / "tiny")
    run([*nbgrader, "autograde", "tiny", "--create"], course, tiny["env"])
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(tiny["base"] / "gradebook.db")) as gradebook:
        for answer in ANSWERS:
            graded = gradebook.find_submission_notebook("tiny", "tiny", answer.replace(" ", "_"))
            assert (graded.score, graded.max_score) == (SCORES[answer], 3), answer
