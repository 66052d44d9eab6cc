"""`autograder student-kit OUT`: what students get holds no solution, hidden check or reference answer, and its
wheel, installed with pip into a fresh environment, grades a notebook from any folder as the course repo does."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder import kit
from autograder.units import all_units, unit

ROOT = Path(__file__).resolve().parents[1]
PLUMBING = unit("plumbing")
REFERENCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
RELEASE = ROOT / "assignments" / "plumbing" / "plumbing.ipynb"


@pytest.fixture(scope="module")
def kit_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("kit") / "out"
    process = subprocess.run([sys.executable, "-m", "autograder", "student-kit", str(out)], cwd=ROOT,
                             capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stdout + process.stderr
    return out


@pytest.fixture(scope="module")
def wheel(kit_folder):
    (found,) = kit_folder.glob("gluon_grader-*.whl")
    return found


@pytest.fixture(scope="module")
def student_python(tmp_path_factory, venv_with_wheel, wheel):
    """A fresh environment with the wheel and only what it requires (none of its extras), as `pip install` of the
    wheel makes it: every test below grades with nothing of the course's tools (nbgrader, jupyter, dask, ...)."""
    return venv_with_wheel(wheel, tmp_path_factory.mktemp("student") / "venv", only_requirements=True)


#: What grading a notebook needs, and what only the course's staff tools need (extras of the wheel).
NEEDED = {"mxnet", "numpy", "nbformat", "pytest", "hypothesis", "ipython"}
STAFF_TOOLS = {"nbgrader", "jupyterlab", "notebook", "jupyter-server", "nbconvert", "dask", "distributed",
               "matplotlib", "tqdm", "sqlalchemy", "alembic"}


def installed(python) -> set[str]:
    """The distributions installed in ``python``'s environment, by their normalized names."""
    found = subprocess.run([str(python), "-c", "from importlib import metadata; print('\\n'.join(sorted({d.metadata"
                            "['Name'].lower().replace('_', '-') for d in metadata.distributions()})))"],
                           capture_output=True, text=True, check=True).stdout.split()
    return set(found)


def test_the_wheel_brings_only_what_grading_a_notebook_needs(student_python, wheel):
    names = installed(student_python)
    assert NEEDED | {"gluon-grader"} <= names
    assert not names & STAFF_TOOLS, names & STAFF_TOOLS
    assert len(names) <= 45, sorted(names)  # was 133 when nbgrader, dask and matplotlib were required
    metadata = zipfile.ZipFile(wheel).read(next(name for name in zipfile.ZipFile(wheel).namelist()
                                                if name.endswith("METADATA"))).decode()
    assert "plumbing" not in metadata.split("\n\n")[0].lower()  # the summary speaks of the course, not one unit
    assert "Provides-Extra: course" in metadata and "Provides-Extra: notebook" in metadata


def test_the_wheel_alone_runs_the_batch_grader_without_plots_or_progress_bar(student_python, tmp_path):
    """What a student's CI runs (ci-templates/): `autograder grade` from the wheel, without the course's extras."""
    (tmp_path / "plumbing.ipynb").write_bytes(REFERENCE.read_bytes())
    process = subprocess.run([str(student_python.parent / "autograder"), "grade", "plumbing.ipynb", "--unit",
                              "plumbing", "--out", "grading", "--quiet"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=600)
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    report = (tmp_path / "grading" / "report.html").read_text()
    assert "No plots: matplotlib is not installed here" in report and "<title>" in report
    results = json.loads((tmp_path / "grading" / "plumbing" / "results.json").read_text())
    assert results["score"] == PLUMBING.points


def test_the_kit_holds_the_release_the_wheel_and_a_readme(kit_folder, wheel):
    releases = [f"assignments/{name}/{name}.ipynb" for name in all_units()]
    assert sorted(str(path.relative_to(kit_folder)) for path in kit_folder.rglob("*") if path.is_file()) == sorted(
        ["README.md", *releases, wheel.name])
    for release in releases:
        assert (kit_folder / release).read_bytes() == (ROOT / release).read_bytes()
    readme = (kit_folder / "README.md").read_text()
    for step in [f'python3.11 -m venv .venv && .venv/bin/pip install "./{wheel.name}[notebook]"',
                 "source .venv/bin/activate", "jupyter lab", "assignments/<unit>/<unit>.ipynb",
                 "GLUON_GRADER_MNIST", "pytest --pyargs autograder --submission path/to/my.ipynb", "Expected:"]:
        assert step in readme


def files_in_wheel(wheel):
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_the_wheel_is_the_autograder_package_with_its_pytest_front_end(wheel):
    names = files_in_wheel(wheel)
    assert {"autograder/conftest.py", "autograder/test_units.py", "autograder/units/plumbing/probes.py"} <= set(names)
    assert {name.split("/")[0] for name in names} == {"autograder", wheel.name.split("-")[0] + "-0.1.0.dist-info"}
    assert not [name for name in names if name.endswith(".ipynb") or "__pycache__" in name]
    with zipfile.ZipFile(wheel) as archive:
        entry_points = archive.read(next(name for name in names if name.endswith("entry_points.txt"))).decode()
    assert "[pytest11]\ngluon_grader = autograder.pytest_plugin" in entry_points  # pytest --pyargs autograder


@pytest.mark.parametrize("secret", [
    "### BEGIN SOLUTION", "### END SOLUTION",  # a solution cell
    *[check.id for check in PLUMBING.hidden_checks],  # a hidden check, by id
    "no_hidden_layer_count", "from instructor",  # or by its code
])
def test_nothing_in_the_kit_or_its_wheel_holds(kit_folder, secret):
    texts = kit.texts_of(kit_folder)
    assert [name for name, text in texts.items() if secret in text] == []


def test_no_notebook_of_the_kit_holds_a_hidden_test_region(kit_folder):
    notebooks = {name: text for name, text in kit.texts_of(kit_folder).items() if name.endswith(".ipynb")}
    assert notebooks and not [name for name, text in notebooks.items() if "BEGIN HIDDEN TESTS" in text]


def test_no_reference_answer_is_in_the_kit(kit_folder):
    answers = kit.answer_regions(ROOT)
    # Answers of two lines or more, from every unit: plumbing's alone are one per exercise but a one-liner, plus
    # a second method each for MLP and MySequential.
    assert len(answers) > len(PLUMBING.exercises) + 1
    assert all("\n" in answer for answer in answers)
    assert kit.leaks(kit_folder, kit.secrets(ROOT, list(all_units().values()))) == []


@pytest.mark.parametrize("planted, found", [
    ("assignments/plumbing/plumbing.ipynb", "'### BEGIN SOLUTION'..."),  # the source instead of the release
    ("instructor/plumbing.py", "an instructor module"),
    ("notes.md", "'build_mlp.no_hidden_layer'..."),
])
def test_the_leak_finder_finds_what_is_planted(tmp_path, planted, found):
    source = {"assignments/plumbing/plumbing.ipynb": REFERENCE, "instructor/plumbing.py": ROOT / "instructor" /
              "plumbing.py"}.get(planted)
    (tmp_path / planted).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / planted).write_text(source.read_text() if source else "see build_mlp.no_hidden_layer")
    assert any(leak.startswith(planted) and leak.endswith(found) for leak in kit.leaks(
        tmp_path, kit.secrets(ROOT, [PLUMBING]))), kit.leaks(tmp_path, kit.secrets(ROOT, [PLUMBING]))


def run_student(python, folder, *args, env=None):
    return subprocess.run([str(python), "-m", "pytest", "--pyargs", "autograder", *args], cwd=folder,
                          env=env or os.environ, capture_output=True, text=True, timeout=600)


def test_the_installed_wheel_grades_a_notebook_from_any_folder(student_python, tmp_path):
    (tmp_path / "my.ipynb").write_bytes(REFERENCE.read_bytes())
    process = run_student(student_python, tmp_path, "--submission", "my.ipynb", "--results-json", "results.json")
    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["score"] == data["max_score"] == PLUMBING.points  # the visible checks, as in the course repo
    assert len(data["tests"]) == len(PLUMBING.checks)
    assert "score: my.ipynb (unit plumbing)" in process.stdout and "gluon-grader: notebooks run in" in process.stdout
    assert sorted(os.listdir(tmp_path)) == ["my.ipynb", "results.json"]  # no .pytest_cache left behind
    where = subprocess.run([str(student_python), "-c", "import autograder, importlib.util; print(autograder.__file__);"
                            " print(importlib.util.find_spec('instructor'))"], cwd=tmp_path, capture_output=True,
                           text=True, check=True).stdout.split()
    assert where[0].startswith(str(student_python.parent.parent)) and where[1] == "None"


def test_the_released_notebook_in_the_kit_scores_zero(student_python, kit_folder):
    process = run_student(student_python, kit_folder, "--unit", "plumbing")
    assert process.returncode == 1
    assert "score: plumbing.ipynb (unit plumbing)" in process.stdout and "not implemented yet" in process.stdout
    assert not (kit_folder / ".pytest_cache").exists()


def test_a_first_run_without_mnist_is_one_clear_message(student_python, tmp_path):
    (tmp_path / "my.ipynb").write_bytes(RELEASE.read_bytes())
    env = {key: value for key, value in os.environ.items() if key != "GLUON_GRADER_MNIST"}
    # No MNIST in the (empty) MXNet cache, and a proxy that refuses, so the download fails at once here too.
    env.update(MXNET_HOME=str(tmp_path / "mxnet"), HTTPS_PROXY="http://127.0.0.1:9", HTTP_PROXY="http://127.0.0.1:9")
    process = run_student(student_python, tmp_path, "--submission", "my.ipynb", env=env)
    output = process.stdout + process.stderr
    assert process.returncode == 4, output[-3000:]  # pytest's usage error: nothing was graded
    assert output.count("ERROR: gluon-grader cannot grade without MNIST.") == 1
    assert "set GLUON_GRADER_MNIST=/path/to/that/folder" in output
    assert "FAILED" not in output and "Traceback" not in output and len(output.splitlines()) < 30
