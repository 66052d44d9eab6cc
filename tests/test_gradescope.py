"""`autograder gradescope OUT.zip`: Gradescope's layout, and its run_autograder grading real submissions into a
valid results.json, run in a temporary AUTOGRADER_ROOT as Gradescope runs it in /autograder."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.units import unit

ROOT = Path(__file__).resolve().parents[1]
PLUMBING = unit("plumbing")
REFERENCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
HIDDEN = {check.id for check in PLUMBING.hidden_checks}
ALL_POINTS = PLUMBING.points + sum(check.points for check in PLUMBING.hidden_checks)
#: Gradescope's documented keys and values (https://gradescope-autograders.readthedocs.io/en/latest/specs/).
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


@pytest.fixture(scope="module")
def autograder_zip(tmp_path_factory):
    destination = tmp_path_factory.mktemp("gradescope") / "plumbing-autograder.zip"
    process = subprocess.run([sys.executable, "-m", "autograder", "gradescope", str(destination), "--unit",
                              "plumbing"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stdout + process.stderr
    return destination


@pytest.fixture(scope="module")
def autograder_root(tmp_path_factory, autograder_zip, venv_with_wheel):
    """``/autograder`` after Gradescope built the image: the zip in source/, the grader installed in venv/ (what
    setup.sh does, here without the network: see the venv_with_wheel fixture)."""
    root = tmp_path_factory.mktemp("autograder")
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():  # zipfile does not restore permissions
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    (wheel,) = (root / "source").glob("gluon_grader-*.whl")
    venv_with_wheel(wheel, root / "venv")
    return root


def run_autograder(root: Path, notebooks: dict[str, bytes]) -> tuple[subprocess.CompletedProcess, dict]:
    """Put ``notebooks`` in ROOT/submission, run ROOT/source/run_autograder as Gradescope does, read results.json."""
    for folder in ("submission", "results"):
        for path in (root / folder).glob("*"):
            path.unlink()
        (root / folder).mkdir(exist_ok=True)
    for name, data in notebooks.items():
        (root / "submission" / name).write_bytes(data)
    env = {key: value for key, value in os.environ.items() if key not in ("GLUON_GRADER_MNIST", "PYTHONPATH")}
    env["AUTOGRADER_ROOT"] = str(root)
    process = subprocess.run([str(root / "source" / "run_autograder")], cwd=root, env=env, capture_output=True,
                             text=True, timeout=600)
    return process, json.loads((root / "results" / "results.json").read_text())


def test_the_zip_has_gradescopes_layout(autograder_zip):
    with zipfile.ZipFile(autograder_zip) as archive:
        names = set(archive.namelist())
        modes = {info.filename: (info.external_attr >> 16) & 0o777 for info in archive.infolist()}
        run = archive.read("run_autograder").decode()
    assert {"setup.sh", "run_autograder", "instructor/plumbing.py", "instructor/hidden_checks.py",
            "mnist/t10k-images-idx3-ubyte.gz", "mnist/t10k-labels-idx1-ubyte.gz"} <= names
    assert [name for name in names if name.endswith(".whl")] == ["gluon_grader-0.1.0-py3-none-any.whl"]
    assert modes["setup.sh"] == modes["run_autograder"] == 0o755
    assert 'ROOT="${AUTOGRADER_ROOT:-/autograder}"' in run and "--unit plumbing" in run
    assert not [name for name in names if name.startswith(("solutions/", "assignments/"))]


def check_results(data: dict) -> None:
    """results.json as Gradescope reads it: types, per-test keys, visibilities, markdown output."""
    assert isinstance(data["score"], (int, float)) and isinstance(data["execution_time"], (int, float))
    assert data["output_format"] == "md" and data["visibility"] in VISIBILITIES
    for test in data["tests"]:
        assert set(test) == {"name", "score", "max_score", "status", "output", "output_format", "visibility"}
        assert test["status"] in ("passed", "failed") and test["output_format"] == "md"
        assert test["visibility"] == ("after_published" if test["name"].split(":")[0] in HIDDEN else "visible")
        assert 0 <= test["score"] <= test["max_score"]
    assert data["score"] == sum(test["score"] for test in data["tests"])


def test_the_reference_gets_every_point_hidden_checks_after_publishing(autograder_root):
    process, data = run_autograder(autograder_root, {"plumbing.ipynb": REFERENCE.read_bytes()})
    assert process.returncode == 0, process.stdout + process.stderr
    check_results(data)
    assert data["score"] == ALL_POINTS and len(data["tests"]) == len(PLUMBING.checks) + len(HIDDEN)
    assert {test["name"].split(":")[0] for test in data["tests"] if test["visibility"] == "after_published"} == HIDDEN
    assert all(test["status"] == "passed" for test in data["tests"])


def test_a_broken_submission_gets_what_it_earns_and_says_why(autograder_root):
    nb = json.loads(REFERENCE.read_text())
    for cell in nb["cells"]:  # count_parameters counts only the weights
        if cell["metadata"].get("nbgrader", {}).get("grade_id") == "count_parameters":
            cell["source"] = ("def count_parameters(net):\n"
                              "    return sum(p.data().size for n, p in net.collect_params().items() if 'weight' in n)")
    process, data = run_autograder(autograder_root, {"notes.txt": b"hello", "mine.ipynb": json.dumps(nb).encode()})
    assert process.returncode == 0, process.stdout + process.stderr
    check_results(data)
    failed = {test["name"].split(":")[0] for test in data["tests"] if test["status"] == "failed"}
    assert failed and {check.split(".")[0] for check in failed} == {"count_parameters"}
    assert 0 < data["score"] < ALL_POINTS
    assert all(test["output"].startswith("```") for test in data["tests"] if test["status"] == "failed")


def test_no_notebook_is_a_zero_that_says_so(autograder_root):
    process, data = run_autograder(autograder_root, {})
    assert process.returncode == 0
    assert data["score"] == 0 and data["tests"] == [] and "No notebook" in data["output"]


def test_several_notebooks_grade_the_expected_name_and_say_which_were_not(autograder_root):
    process, data = run_autograder(autograder_root, {"plumbing.ipynb": REFERENCE.read_bytes(),
                                                     "scratch.ipynb": b"{}", "a-copy.ipynb": b"{}"})
    assert process.returncode == 0, process.stdout + process.stderr
    check_results(data)
    assert data["score"] == ALL_POINTS  # plumbing.ipynb, not the first by name
    first = data["output"].split("\n")[0]
    assert first.startswith("Graded `plumbing.ipynb`; not graded: `a-copy.ipynb`, `scratch.ipynb`"), first


def test_several_notebooks_none_with_the_expected_name_is_a_clear_zero(autograder_root):
    process, data = run_autograder(autograder_root, {"mine.ipynb": REFERENCE.read_bytes(), "old.ipynb": b"{}"})
    assert process.returncode == 0
    assert data["score"] == 0 and data["tests"] == []
    assert "2 notebooks (`mine.ipynb`, `old.ipynb`) and none is named `plumbing.ipynb`" in data["output"]
