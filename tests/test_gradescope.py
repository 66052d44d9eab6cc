"""`autograder gradescope OUT.zip`: Gradescope's layout, and its run_autograder grading real submissions into a
valid results.json, run in a temporary AUTOGRADER_ROOT as Gradescope runs it in /autograder."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import pytest

from autograder.runner.sandbox import FIRST_UID, detect
from autograder.runner.slots import FIRST_SLOT
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


def run_autograder(root: Path, notebooks: dict[str, bytes], **env_values) -> tuple[subprocess.CompletedProcess, dict]:
    """Put ``notebooks`` in ROOT/submission, run ROOT/source/run_autograder as Gradescope does (with ``env_values``
    added to the environment), read results.json."""
    for folder in ("submission", "results"):
        for path in (root / folder).glob("*"):
            path.unlink()
        (root / folder).mkdir(exist_ok=True)
    for name, data in notebooks.items():
        (root / "submission" / name).write_bytes(data)
    env = {key: value for key, value in os.environ.items() if key not in ("GLUON_GRADER_MNIST", "PYTHONPATH")}
    env.update(AUTOGRADER_ROOT=str(root), **env_values)
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


# --- Gradescope's run without bubblewrap: what student code can reach (issue 24) ------------------------------------

#: A Python any user can read, as Gradescope's image has it (the course's own lives under /root here).
PUBLIC_PYTHON = "/usr/bin/python3.11"
#: What the notebook tries, then tells in its last cell's error: read the hidden checks, the submitters' metadata,
#: its own upload, a file anyone may read; list source/; write results.json; and leave a daemon that keeps
#: rewriting results.json for a minute.
INTRUDER = """
import json, os, time
ROOT = os.path.join({base!r}, "auto" + "grader")  # spelled apart: screening holds a notebook naming the grader
seen = {{"uid": os.getuid()}}
for name, path in {{"hidden": "source/instructor/plumbing.py", "metadata": "submission_metadata.json",
                    "upload": "submission/plumbing.ipynb", "public": "public.txt"}}.items():
    try:
        open(os.path.join(ROOT, path)).read(10)
        seen[name] = "read"
    except OSError as error:
        seen[name] = type(error).__name__
try:
    seen["source"] = len(os.listdir(os.path.join(ROOT, "source")))
except OSError as error:
    seen["source"] = type(error).__name__
def forge():
    with open(os.path.join(ROOT, "results", "results.json"), "w") as stream:
        stream.write('{{"score": 1000}}')
try:
    forge()
    seen["results"] = "written"
except OSError as error:
    seen["results"] = type(error).__name__
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                forge()
            except OSError:
                pass
            time.sleep(0.05)
    os._exit(0)
raise RuntimeError("SEEN " + json.dumps(seen))
"""


@pytest.fixture(scope="module")
def public_autograder_root(autograder_zip, venv_with_wheel):
    """``/autograder`` as Gradescope's image has it: a folder any user may enter (pytest's temporary folders are
    root's alone, which would hide everything from student code whatever the grader did), a venv on a Python any
    user can read, a file anyone may read (``public.txt``) and the submitters' metadata."""
    if os.geteuid() != 0 or not os.access(PUBLIC_PYTHON, os.X_OK):
        pytest.skip(f"needs root (student uids) and {PUBLIC_PYTHON}")
    base = Path(tempfile.mkdtemp(prefix="gluon-grader-gradescope-"))
    os.chmod(base, 0o755)  # noqa: S103  (as /autograder is: student code must be able to enter)
    root = base / "autograder"
    with zipfile.ZipFile(autograder_zip) as archive:
        archive.extractall(root / "source")
        for info in archive.infolist():
            os.chmod(root / "source" / info.filename, (info.external_attr >> 16) & 0o777 or 0o644)
    for folder in (root, root / "source", *(path for path in (root / "source").rglob("*") if path.is_dir())):
        os.chmod(folder, 0o755)  # noqa: S103  (as unzipped on Gradescope: the grader must lock them)
    (wheel,) = (root / "source").glob("gluon_grader-*.whl")
    venv_with_wheel(wheel, root / "venv", PUBLIC_PYTHON)
    (root / "public.txt").write_text("anyone may read this")
    (root / "submission_metadata.json").write_text('{"users": [{"email": "student@example.org"}]}')
    for path in (root / "public.txt", root / "submission_metadata.json"):
        os.chmod(path, 0o644)
    yield root
    shutil.rmtree(base, ignore_errors=True)


def student_uids_alive() -> list[int]:
    """Uids of the live processes that run as a student uid."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            status = dict(line.split(":", 1) for line in Path(f"/proc/{entry}/status").read_text().splitlines()
                          if ":" in line)
        except OSError:
            continue
        uid = int(status["Uid"].split()[0])
        if uid >= FIRST_UID + FIRST_SLOT and not status["State"].strip().startswith("Z"):
            found.append(uid)
    return found


@pytest.mark.parametrize("sandbox", ["bubblewrap", "none"])
def test_student_code_cannot_reach_the_hidden_checks_or_results_nor_outlive_the_run(public_autograder_root, sandbox):
    if sandbox == "bubblewrap" and not detect().sandboxed:
        pytest.skip("bubblewrap cannot run here")
    root = public_autograder_root
    nb = json.loads(REFERENCE.read_text())
    nb["cells"].append({"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                        "source": INTRUDER.format(base=str(root.parent))})
    process, data = run_autograder(root, {"plumbing.ipynb": json.dumps(nb).encode()},
                                   **({"GLUON_GRADER_SANDBOX": "none"} if sandbox == "none" else {}))
    assert process.returncode == 0, process.stdout + process.stderr
    check_results(data)
    assert data["score"] == ALL_POINTS, data["output"]
    assert ("Graded in bubblewrap." if sandbox == "bubblewrap" else "NOT sandboxed") in data["output"]
    seen = json.loads(data["output"].split("SEEN ", 1)[1].split("}", 1)[0] + "}")
    assert seen["uid"] >= FIRST_UID + FIRST_SLOT
    unreachable = {name: seen[name] for name in ("hidden", "metadata", "upload", "source", "results")}
    missing = "FileNotFoundError" if sandbox == "bubblewrap" else "PermissionError"
    assert unreachable == dict.fromkeys(unreachable, missing)
    assert seen["public"] == ("read" if sandbox == "none" else "FileNotFoundError")  # the uid could read the tree
    time.sleep(1.0)  # a forger still alive would have rewritten results.json by now
    assert json.loads((root / "results" / "results.json").read_text()) == data
    assert student_uids_alive() == []
    assert {name: oct(os.stat(root / name).st_mode & 0o777) for name in ("source", "results", "submission")} == \
        dict.fromkeys(("source", "results", "submission"), oct(0o700))


def test_a_notebook_is_never_run_as_root(autograder_root, monkeypatch):
    from autograder import gradescope_run

    monkeypatch.setattr(gradescope_run, "would_run_as_root", lambda: True)
    (autograder_root / "submission").mkdir(exist_ok=True)
    (autograder_root / "submission" / "plumbing.ipynb").write_bytes(REFERENCE.read_bytes())
    data = gradescope_run.grade_handed_in(autograder_root, "plumbing")
    assert data["score"] == 0 and data["tests"] == [] and "grader's rights" in data["output"]


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
