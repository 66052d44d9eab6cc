"""The batch grader against the hostile corpus: one class of hostile and honest students, graded once.

The class (every case of ``tests/hostile/corpus.py`` plus two honest reference copies and an honest stub) is
graded with ``python -m autograder grade`` in a temporary "arena" folder that also holds a decoy nbgrader tree.
Then, per case: the grade is no higher than the honest part earns, results.json is complete and the notes name
what happened; for the class: honest students get exactly what they get when graded alone, nothing outside
OUT changed, OUT holds only what the grader writes, no student process outlives the batch, exit code 0.

Cases whose defence is the sandbox itself (``sandbox_only``) and the global checks that need it are skipped
without bubblewrap; the rest must also hold when the grader falls back to plain processes.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.units import unit

from hostile.corpus import ARENA_MARK, CORPUS, REFERENCE, RELEASE, TWINS, Hostile, by_id

ROOT = Path(__file__).resolve().parents[1]
HAS_BWRAP = shutil.which("bwrap") is not None
needs_bwrap = pytest.mark.skipif(not HAS_BWRAP, reason="only the bubblewrap sandbox can defend this")
HONEST = {"honest-reference-1": REFERENCE, "honest-reference-2": REFERENCE, "honest-stub": RELEASE}
CLASS_FILES = {"grades.csv", "junit.xml", "report.html", "similarity.csv"}
STUDENT_FILES = {"results.json", "feedback.md"}
SNAPSHOT_SKIP = {".git", ".venv", "__pycache__", ".ruff_cache", ".pytest_cache", ".hypothesis"}
#: Seconds to wait after the batch before looking for leftovers: their planting loops run every second.
SETTLE_S = 10
FIRST_SANDBOX_UID = 60000


@dataclass
class Batch:
    """One graded class: the grader's process, where things are, and the snapshots around the run."""

    process: subprocess.CompletedProcess
    arena: Path
    submissions: Path
    out: Path
    before: dict
    after: dict
    leftovers: list
    seconds: float


# --- helpers ----------------------------------------------------------------------------------------------

def snapshot(folder: Path) -> dict:
    """``{relative path: sha256}`` of every file below ``folder`` (caches, git and the venv left out)."""
    found = {}
    for top, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d not in SNAPSHOT_SKIP]
        for name in files:
            path = Path(top) / name
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest() if not path.is_symlink() else "link"
            except OSError as error:
                digest = f"unreadable: {error}"
            found[str(path.relative_to(folder))] = digest
    return found


def write_class(folder: Path, cases: list[Hostile], honest: dict) -> None:
    """``<student>.ipynb`` for every case and honest student, flat."""
    folder.mkdir(parents=True)
    for case in cases:
        (folder / f"{case.case_id}.ipynb").write_bytes(case.notebook_bytes())
    for student, source in honest.items():
        shutil.copy(source, folder / f"{student}.ipynb")


def write_decoy(folder: Path) -> None:
    """An nbgrader-like tree beside the class: other students' notebooks and results, a tempting target."""
    for student in ("alice", "bob"):
        submitted = folder / "submitted" / student / "plumbing"
        submitted.mkdir(parents=True)
        shutil.copy(RELEASE, submitted / "plumbing.ipynb")
        graded = folder / "out" / student
        graded.mkdir(parents=True)
        (graded / "results.json").write_text(json.dumps({"score": 1.0, "max_score": 35.0, "tests": []}))


def grade(submissions: Path, out: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m autograder grade SUBMISSIONS --out OUT`` with the test's limits."""
    command = [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
               "--jobs", "2", "--timeout", "20", "--memory", "1024", "--quiet"]
    return subprocess.run(command, cwd=cwd, check=False, capture_output=True, text=True, timeout=900)


def sandbox_processes() -> list[str]:
    """``ps`` lines of live processes running as a sandbox uid (>= 60000)."""
    ps = subprocess.run(["ps", "-eo", "uid,pid,stat,cmd"], check=False, capture_output=True, text=True)
    lines = ps.stdout.splitlines()
    return [line for line in lines[1:] if int(line.split()[0]) >= FIRST_SANDBOX_UID and "Z" not in line.split()[2]]


def run_class(arena: Path, cases: list[Hostile], honest: dict) -> Batch:
    """Write the class and the decoy into ``arena``, grade it, wait for leftovers, snapshot around it."""
    arena.mkdir(parents=True, exist_ok=True)
    (arena / ARENA_MARK).write_text("the hostile corpus may damage files below this folder\n")
    submissions, decoy, out = arena / "submissions", arena / "decoy", arena / "out"
    write_class(submissions, cases, honest)
    write_decoy(decoy)
    folders = {"repo": ROOT, "submissions": submissions, "decoy": decoy}
    before = {name: snapshot(folder) for name, folder in folders.items()}
    start = time.monotonic()
    process = grade(submissions, out, arena)
    seconds = time.monotonic() - start
    time.sleep(SETTLE_S)
    leftovers = sandbox_processes()
    after = {name: snapshot(folder) for name, folder in folders.items()}
    return Batch(process, arena, submissions, out, before, after, leftovers, seconds)


def results_of(batch: Batch, student: str) -> dict:
    """The student's results.json."""
    return json.loads((batch.out / student / "results.json").read_text())


def told(batch: Batch, student: str) -> str:
    """Everything the student is told: notes, every test's output, feedback.md, lower-cased."""
    results = results_of(batch, student)
    extra = results.get("extra_data", {}).get("gluon_grader", {})
    parts = [results.get("output", ""), *(test.get("output", "") for test in results["tests"]),
             *extra.get("notes", [])]
    feedback = batch.out / student / "feedback.md"
    if feedback.exists():
        parts.append(feedback.read_text(errors="replace"))
    # The student's name (the case id) is left out: "crash-..." must not count as naming a crash.
    return "\n".join(parts).lower().replace(student.lower(), "<student>")


def per_check(results: dict) -> dict:
    """``{check id: (score, feedback)}`` from a results.json."""
    return {test["name"].split(":")[0]: (test["score"], test["output"]) for test in results["tests"]}


# --- the batch --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Batch:
    """The whole hostile class, graded once."""
    return run_class(tmp_path_factory.mktemp("hostile") / "arena", CORPUS + TWINS, HONEST)


@pytest.fixture(scope="module")
def honest_alone(tmp_path_factory) -> Batch:
    """The honest students alone, graded in a separate small run."""
    return run_class(tmp_path_factory.mktemp("honest") / "arena", [], HONEST)


# --- per case ---------------------------------------------------------------------------------------------

def skip_without_sandbox(case: Hostile) -> None:
    """Skip a case only the sandbox can defend when there is no sandbox."""
    if case.sandbox_only and not HAS_BWRAP:
        pytest.skip("only the bubblewrap sandbox can defend this case")


@pytest.mark.parametrize("case_id", [case.case_id for case in CORPUS])
def test_case_is_graded_no_higher_than_its_honest_part(batch, case_id):
    case = by_id(case_id)
    skip_without_sandbox(case)
    path = batch.out / case_id / "results.json"
    assert path.exists(), f"no results.json for {case_id}: {batch.process.stderr[-2000:]}"
    assert path.stat().st_size < 1_000_000, "results.json should not carry the student's flood"
    results = json.loads(path.read_text())
    names = [test["name"] for test in results["tests"]]
    assert {check.id for check in unit("plumbing").checks if not check.hidden} <= {name.split(":")[0] for name in names}
    extra = results["extra_data"]["gluon_grader"]
    assert extra["status"] == "graded", extra["notes"]
    assert results["score"] == sum(test["score"] for test in results["tests"])
    assert results["score"] <= case.honest_max, (results["score"], extra["notes"])
    if case.base != "reference":
        assert results["score"] == 0, extra["notes"]
    if case.honest_min is not None:
        assert results["score"] >= case.honest_min, ("the honest part lost points", results["score"], extra["notes"])


@pytest.mark.parametrize("case_id", [case.case_id for case in CORPUS if case.phrases])
def test_case_feedback_names_what_happened(batch, case_id):
    case = by_id(case_id)
    skip_without_sandbox(case)
    text = told(batch, case_id)
    for phrase in case.phrases:
        assert any(option.lower() in text for option in phrase.split("|")), (phrase, text[:3000])


@pytest.mark.parametrize("case_id", [case.case_id for case in CORPUS])
def test_case_says_how_it_was_isolated(batch, case_id):
    sandbox = results_of(batch, case_id)["extra_data"]["gluon_grader"]["sandbox"]
    if HAS_BWRAP:
        assert not sandbox.startswith("plain processes"), sandbox
    else:
        assert sandbox.startswith("plain processes"), sandbox


@pytest.mark.parametrize("twin", [twin.case_id for twin in TWINS])
def test_a_forgery_earns_no_check_its_wrong_answer_alone_does_not(batch, twin):
    forged, honest = per_check(results_of(batch, twin.removesuffix("-twin"))), per_check(results_of(batch, twin))
    assert forged.keys() == honest.keys()
    gained = {check: (forged[check][0], honest[check][0]) for check in forged if forged[check][0] > honest[check][0]}
    assert not gained, gained
    # the wrong answer itself loses exactly its checks (the honest part the case allows), so the comparison means
    # something: the twin is below full marks
    assert sum(score for score, _ in honest.values()) == by_id(twin.removesuffix("-twin")).honest_max < 35


# --- the whole class --------------------------------------------------------------------------------------

def test_batch_ends_with_exit_code_zero(batch):
    assert batch.process.returncode == 0, batch.process.stderr[-3000:]


def test_honest_students_get_what_they_get_alone(batch, honest_alone):
    for student in HONEST:
        assert per_check(results_of(batch, student)) == per_check(results_of(honest_alone, student)), student
    assert results_of(batch, "honest-reference-1")["score"] == 35
    assert results_of(batch, "honest-stub")["score"] == 0


def test_out_holds_only_what_the_grader_writes(batch):
    students = {case.case_id for case in CORPUS + TWINS} | set(HONEST)
    assert {entry.name for entry in batch.out.iterdir()} == students | CLASS_FILES
    for student in students:
        assert {entry.name for entry in (batch.out / student).iterdir()} == STUDENT_FILES, student
    assert not [path for path in batch.arena.rglob("planted-by-*")]


@needs_bwrap
@pytest.mark.parametrize("folder", ["repo", "submissions", "decoy"])
def test_nothing_outside_out_changed(batch, folder):
    before, after = batch.before[folder], batch.after[folder]
    changed = sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))
    assert not changed


def test_no_student_process_outlives_the_batch(batch):
    assert not batch.leftovers


def test_arena_has_no_planted_results(batch):
    planted = [path for path in batch.arena.rglob("results.json") if batch.out not in path.parents
               and "decoy" not in path.parts]
    assert not planted


# --- the student's self-check: pytest autograder --submission ---------------------------------------------

FRONTEND_CASES = ["exit-sys-exit-stub", "fake-summary-printed", "exit-os-exit-stub", "rewrite-check-runs"]


@pytest.mark.parametrize("case_id", FRONTEND_CASES)
def test_pytest_autograder_gives_no_false_points(tmp_path, case_id):
    notebook = tmp_path / f"{case_id}.ipynb"
    notebook.write_bytes(by_id(case_id).notebook_bytes())
    results = tmp_path / "results.json"
    process = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "autograder"), "-p", "no:cacheprovider",
                              "--submission", str(notebook), "--results-json", str(results)],
                             check=False, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert process.returncode != 0, process.stdout[-2000:]
    assert results.exists(), process.stdout[-2000:]
    data = json.loads(results.read_text())
    assert data["score"] == 0 and data["max_score"] > 0
    assert all(test["status"] == "failed" for test in data["tests"])
