"""The README's commands run as written, in a plain shell, on a fresh clone: the set-up's `make selfcheck`, the
instructor's nbgrader round trip, a student on the same server fetching and submitting, formgrader's pages in
headless Chromium, the Gradescope autograder tried locally, and the student's self-check.

The clone is `git clone` of this repository with the working tree's changes laid over it, beside a
`shared/data/mnist` folder (the README's layout), and every block runs with nothing in its environment but `PATH`
(the system's, without this checkout's .venv) and `HOME` (a fresh one), plus what the README itself tells its
reader to set. Its `.venv` is what `make install` makes (the kit with its course, cluster and dev extras, the clone's
own `autograder` package), built from this checkout's installed packages instead of pip, to take seconds and no
network. Afterwards git sees no new file in the clone: what nbgrader and the grader write is ignored.
"""
import html
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import link_or_copy

from autograder.units import unit

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"<!-- (?P<name>[^>]*?): run by tests/test_readme.py -->\n```sh\n(?P<body>.*?)```", re.S)
NAMES = ["instructor commands", "student nbgrader commands", "grading commands", "student commands",
         "gradescope commands"]
#: A plain shell's PATH: the system's, without any virtual environment (the README's blocks add the course's).
PLAIN_PATH = os.pathsep.join(folder for folder in os.environ.get("PATH", os.defpath).split(os.pathsep)
                             if folder and not Path(folder, "activate").is_file())
BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--virtual-time-budget=15000"]

pytestmark = pytest.mark.nbgrader


def blocks() -> dict[str, str]:
    """The README's tested command blocks, by the name in the comment above each."""
    return {match["name"]: match["body"] for match in BLOCK.finditer((ROOT / "README.md").read_text())}


def test_the_readme_marks_its_command_blocks():
    assert list(blocks()) == NAMES


def git(*args, cwd):
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd, check=True,
                          capture_output=True, text=True).stdout


def fresh_clone(base: Path) -> Path:
    """``git clone`` of this repository into ``base/course``, with the working tree's uncommitted changes (changed and
    new files) laid over it and committed, so the clone is what this checkout is now."""
    course = base / "course"
    git("clone", "-q", str(ROOT), str(course), cwd=base)
    changed = git("ls-files", "-m", "-o", "--exclude-standard", cwd=ROOT).splitlines()
    for name in changed:
        if (ROOT / name).is_file():
            (course / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, course / name)
    for name in git("ls-files", "-d", cwd=ROOT).splitlines():
        (course / name).unlink(missing_ok=True)
    git("add", "-A", cwd=course)
    git("commit", "-qm", "the working tree", "--allow-empty", cwd=course)
    return course


def course_venv(course: Path) -> None:
    """``course/.venv`` as `make install` leaves it: this checkout's installed packages (hard links: the sandbox
    binds only the environment's own folder) minus its editable install of the kit, the clone's folder on the path
    instead (what `pip install -e` of the clone would do), its scripts, and Jupyter's config (nbgrader's extensions)."""
    venv = course / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path("
                                "'purelib'))"], capture_output=True, text=True, check=True).stdout.strip())
    here = Path(sys.prefix)
    for entry in Path(sysconfig.get_path("purelib")).iterdir():
        if entry.name.startswith("__editable__") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            shutil.copytree(entry, site / entry.name, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(entry, site / entry.name)
    (site / "_gluon_grader_clone.pth").write_text(f"{course}\n")
    for script in (here / "bin").iterdir():
        if script.is_file() and not (venv / "bin" / script.name).exists():
            text = script.read_bytes()
            if text.startswith(b"#!" + str(here / "bin" / "python").encode()):
                (venv / "bin" / script.name).write_bytes(text.replace(str(here).encode(), str(venv).encode(), 1))
                (venv / "bin" / script.name).chmod(0o755)
    for folder in ("etc", "share"):
        if (here / folder).is_dir():
            shutil.copytree(here / folder, venv / folder, symlinks=True, copy_function=link_or_copy)
    (venv / ".installed").touch()  # make's stamp: installed after pyproject.toml was written


@pytest.fixture(scope="module")
def clone(tmp_path_factory, mnist_dir):
    """A fresh clone beside `shared/data/mnist`, with its .venv, a home and a student folder; the plain env."""
    base = tmp_path_factory.mktemp("readme")
    course = fresh_clone(base)
    course_venv(course)
    (base / "shared" / "data").mkdir(parents=True)
    (base / "shared" / "data" / "mnist").symlink_to(Path(mnist_dir).resolve())
    for folder in ("home", "student"):
        (base / folder).mkdir()
    return course, base / "student", {"PATH": PLAIN_PATH, "HOME": str(base / "home")}


def run(script: str, cwd: Path, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    """``script`` run by bash as written, stopping at the first failing command."""
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def said(process) -> str:
    return f"exit {process.returncode}\n{process.stdout[-4000:]}\n{process.stderr[-4000:]}"


def test_make_selfcheck_grades_every_units_reference_without_any_variable(clone):
    course, _, env = clone
    line = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("make selfcheck"))
    process = run(line, course, env)
    assert process.returncode == 0, said(process)
    for name in ("plumbing", "custom_layers", "hybridize_serialize"):
        assert f"score: {name}.ipynb (unit {name})" in process.stdout
    assert "apt-get" not in process.stdout + process.stderr and "chromium" not in process.stdout.lower()


@pytest.fixture(scope="module")
def round_trip(clone):
    course, student, env = clone
    # What the README has the instructor give every student's shell: the course's environment on PATH, and
    # NBGRADER_EXCHANGE, the course's exchange (the instructor's default: exchange/ in the course).
    student_env = {**env, "NBGRADER_EXCHANGE": str(course / "exchange"),
                   "PATH": os.pathsep.join([str(course / ".venv" / "bin"), env["PATH"]])}
    ran = {}
    steps = [("instructor commands", course, env), ("student nbgrader commands", student, student_env),
             ("grading commands", course, env)]
    for name, cwd, block_env in steps:
        ran[name] = run(blocks()[name], cwd, block_env)
        assert ran[name].returncode == 0, f"{name}:\n{said(ran[name])}"
    return course, student, env, ran


def test_the_instructor_and_student_blocks_run_as_written(round_trip):
    course, student, _, ran = round_trip
    assert (course / "exchange" / "gluon-course" / "outbound" / "plumbing" / "plumbing.ipynb").is_file()
    assert (student / "plumbing" / "plumbing.ipynb").is_file()  # fetched
    (user,) = os.listdir(course / "submitted")
    assert (course / "feedback" / user / "plumbing" / "plumbing.html").is_file()
    assert (course / "gradebook.db").is_file() and (course / "grades.csv").is_file()
    assert (course / "out" / "report.html").is_file()
    # autograde found MNIST beside the course, with no variable set: the student's stub scored (0), no download
    output = ran["grading commands"].stdout + ran["grading commands"].stderr
    assert "MnistNotFound" not in output and "Downloading" not in output


def test_git_sees_nothing_new_in_the_course(round_trip, gradescope_tried):
    course = round_trip[0]
    assert git("status", "--porcelain", cwd=course) == ""


def test_no_unexplained_warning(round_trip):
    output = "".join(process.stdout + process.stderr for process in round_trip[3].values())
    for warning in ["display_data_priority", "SAWarning", "MovedIn20Warning", "Traceback"]:
        assert warning not in output


def test_a_student_without_the_exchange_variable_is_told_what_to_set(clone):
    course, student, env = clone
    with_nbgrader = {**env, "PATH": os.pathsep.join([str(course / ".venv" / "bin"), env["PATH"]])}
    process = run(blocks()["student nbgrader commands"], student, with_nbgrader)
    assert process.returncode != 0
    assert "set NBGRADER_EXCHANGE to the course exchange folder" in process.stderr
    assert "Unwritable directory" not in process.stdout + process.stderr


@pytest.mark.parametrize("line", [line for line in blocks()["student commands"].splitlines()[1:] if line.strip()])
def test_each_student_command_grades_and_prints_a_score_table(clone, line):
    course, _, env = clone
    activate = blocks()["student commands"].splitlines()[0]
    assert activate == "source .venv/bin/activate"
    process = subprocess.run(["bash", "-c", f"{activate} && {line}"], cwd=course, env=env, capture_output=True,
                             text=True, timeout=600)
    assert process.returncode == 1, said(process)  # the release: every check fails, "not implemented yet"
    assert "score: plumbing.ipynb (unit plumbing)" in process.stdout and "not implemented yet" in process.stdout
    assert "to fix: " in process.stdout and "FAILED" not in process.stdout
    if "--results-json" in line:
        assert (course / "results.json").is_file()


@pytest.fixture(scope="module")
def gradescope_tried(clone):
    course, _, env = clone
    process = run(blocks()["gradescope commands"], course, env)
    assert process.returncode == 0, said(process)
    return course, process


def test_the_gradescope_autograder_tried_locally_gives_every_point(gradescope_tried):
    course, process = gradescope_tried
    data = json.loads((course / "gs" / "results" / "results.json").read_text())
    plumbing = unit("plumbing")
    total = sum(check.points for check in [*plumbing.checks, *plumbing.hidden_checks])
    assert data["score"] == total
    assert f"score {total:g} of {total:g}" in process.stdout


# --- formgrader -----------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def formgrader(round_trip, tmp_path_factory):
    """Jupyter started as the README says (from the course folder, its environment), after the round trip; this test
    adds only a port and no token. Yields its base URL and a function that returns a page's DOM in Chromium."""
    if BROWSER is None:
        pytest.skip("no Chromium: `make test` installs the Debian package `chromium` as root or passwordless sudo")
    course, _, env, _ = round_trip
    command = next(line for line in (ROOT / "README.md").read_text().splitlines()
                   if line.startswith("jupyter lab")).split("#")[0].strip()
    port = free_port()
    as_root = " --allow-root" if os.geteuid() == 0 else ""  # Jupyter refuses root without it (CI runs as root)
    log = tmp_path_factory.mktemp("jupyter") / "jupyter.log"
    with log.open("w") as sink:
        server = subprocess.Popen(["bash", "-c", f"export PATH=$PWD/.venv/bin:$PATH && exec {command} --port={port} "
                                                 f"--ServerApp.ip=127.0.0.1 --IdentityProvider.token=''{as_root}"],
                                  cwd=course, env=env, stdout=sink, stderr=sink)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status", timeout=5)  # noqa: S310  (our own local server)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
        profile = tmp_path_factory.mktemp("chromium-profile")

        def page(path: str) -> str:
            dom = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", f"{base}/{path}"],
                                 capture_output=True, text=True, timeout=180)
            assert dom.returncode == 0, dom.stderr[-2000:]
            return dom.stdout

        yield base, page
    finally:
        server.terminate()
        server.wait(timeout=60)


def text_of(dom: str) -> str:
    """A page's visible text, in one line: tags, scripts and styles out, entities decoded."""
    dom = re.sub(r"<script.*?</script>|<style.*?</style>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", dom)))


def test_formgrader_lists_the_assignments_submissions_and_a_notebooks_grading_view(formgrader, round_trip):
    base, page = formgrader
    course = round_trip[0]
    (student,) = os.listdir(course / "submitted")
    assignments = text_of(page("formgrader"))
    assert "Manage Assignments" in assignments and "plumbing" in assignments
    submissions = text_of(page("formgrader/manage_submissions/plumbing"))
    assert f"{student} " in submissions and "graded" in submissions, submissions[:2000]
    with urllib.request.urlopen(f"{base}/formgrader/api/submitted_notebooks/plumbing/plumbing",  # noqa: S310
                                timeout=30) as reply:
        (notebook,) = json.loads(reply.read())
    assert notebook["student"] == student and notebook["max_score"] > 0
    # a notebook's manual-grading view: the autograded notebook, the kit's verdicts in its test cells' outputs
    grading = text_of(page(f"formgrader/submissions/{notebook['id']}/?index=0"))
    assert "Manual Grading" in grading and "Submission 1 / 1" in grading, grading[:2000]
    assert "build_mlp" in grading and "not implemented yet" in grading
