"""The batch grader against its own faults: processes killed from outside, a full disk, a read-only output folder.

A class of 64 (mostly released stubs, which grade in a fraction of a second, and a few reference copies) is graded
once cleanly and once while this test kills, by pid, at chosen moments: the judge process holding one reference
copy, the zygote running another, and the child running a third. One more student's notebook "kills its judge
every time" through the grader's TEST-ONLY hook (``GLUON_GRADER_TEST_KILL_JUDGE_FOR``). The moment is chosen by
watching ``/proc``: a submission's child is the zygote's child whose working folder holds ``<student>.ipynb``.

Then a zygote killed under a submission at the worker's level (:class:`SandboxLost`), a size-limited and a
read-only output folder (tmpfs mounts: skipped where this process cannot mount), the same write failures
in-process (``os.replace`` failing) and who is named at the fault bound, as tables of cases.
"""
from __future__ import annotations

import errno
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import nbformat
import pytest
from test_batch import ROOT, command, failures, results_of, said, without_timing

from autograder import judgement, pipeline
from autograder.batch import errors, scheduler
from autograder.batch import grade as batch
from autograder.batch.submissions import Submission
from autograder.cli import OUTPUT_UNWRITABLE
from autograder.options import Options
from autograder.reporting import files
from autograder.results import SubmissionResult
from autograder.runner.judges import FAULT_BOUND
from autograder.runner.sandbox import Isolation
from autograder.runner.worker import SandboxLost, Worker
from autograder.units import unit

from classroom import WRITERS, notebook_path
from notebooks import RELEASE

CLASS_SIZE = 64
JUDGE_VICTIM, ZYGOTE_VICTIM, CHILD_VICTIM, KILLER = "s010", "s025", "s040", "s055"
#: The reference copies: the four students the faults are aimed at, and two more; everyone else hands in the stub.
REFERENCES = {JUDGE_VICTIM, ZYGOTE_VICTIM, CHILD_VICTIM, KILLER, "s005", "s060"}
ZYGOTE = "autograder.runner.zygote"


def make_small_class(root: Path, n: int = CLASS_SIZE) -> list[str]:
    """``n`` flat submissions: the reference copies of :data:`REFERENCES` (those below ``n``), stubs otherwise."""
    rng = random.Random(0)
    students = [f"s{number:03d}" for number in range(n)]
    for student in students:
        path = notebook_path(root, student, "flat")
        path.parent.mkdir(parents=True, exist_ok=True)
        WRITERS["correct" if student in REFERENCES else "stub"](path, rng)
    return students


# --- watching and killing the batch's processes ------------------------------------------------------------------

def process_table() -> dict[int, tuple[int, str]]:
    """``{pid: (parent pid, command line)}`` of every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            table[int(entry)] = (int(fields[1]), cmdline)
    return table


def descendants(root: int, table: dict) -> set[int]:
    """Every process below ``root``."""
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, (parent, _) in table.items() if parent in frontier}
        found |= frontier
    return found


def running_children(pids: set[int], table: dict) -> dict[str, tuple[int, int]]:
    """``{student: (child pid, zygote pid)}`` of the submissions being run right now by ``pids``.

    A submission's child is forked by the zygote, so both have the zygote's command line.
    """
    found = {}
    for pid in pids:
        parent, cmdline = table[pid]
        if is_zygote(cmdline) and is_zygote(table.get(parent, (0, ""))[1]):
            try:
                names = os.listdir(f"/proc/{pid}/cwd")  # the job's scratch folder, inside the sandbox
            except OSError:
                continue
            for name in names:
                if name.endswith(".ipynb"):
                    found[name[:-len(".ipynb")]] = (pid, parent)
    return found


def judge_of(pid: int, batch_pid: int, table: dict) -> int | None:
    """The ancestor of ``pid`` that is a child of the batch process: its judge."""
    while pid in table:
        parent = table[pid][0]
        if parent == batch_pid:
            return pid
        pid = parent
    return None


def kill_at_chosen_moments(process: subprocess.Popen, targets: dict[str, str]) -> tuple[dict[str, int], set[int]]:
    """Until the batch ends, kill (SIGKILL) the judge, zygote or child of each target student while its submission
    runs (the first time only); return ``{student: pid killed}`` and the pids of every zygote seen."""
    pending, killed, zygotes = dict(targets), {}, set()
    while process.poll() is None:
        table = process_table()
        ours = descendants(process.pid, table)
        zygotes |= {pid for pid in ours if ZYGOTE in table[pid][1]}
        for student, (child, zygote) in running_children(ours, table).items():
            what = pending.pop(student, None)
            victim = {"judge": judge_of(child, process.pid, table), "zygote": zygote, "child": child}.get(what)
            if victim:
                os.kill(victim, signal.SIGKILL)
                killed[student] = victim
        time.sleep(0.02)
    return killed, zygotes


def is_zygote(cmdline: str) -> bool:
    """Whether ``cmdline`` is a zygote's (or a child it forked): Python running the zygote module, not bubblewrap."""
    return ZYGOTE in cmdline and not cmdline.startswith("bwrap")


def zygotes_alive() -> set[int]:
    """Pids of every zygote (or submission child, or their bubblewrap) still running."""
    return {pid for pid, (_, cmdline) in process_table().items() if ZYGOTE in cmdline}


def still_alive(pids: set[int], grace: float = 5.0) -> set[int]:
    """Which of the zygote ``pids`` are still alive after ``grace`` seconds (they die with their judge, not at once)."""
    deadline = time.monotonic() + grace
    while (alive := pids & zygotes_alive()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive


# --- the class graded cleanly, then with faults --------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded_twice(tmp_path_factory):
    """The class graded cleanly, then again while its processes are killed: everything the tests look at."""
    base = tmp_path_factory.mktemp("faults")
    students = make_small_class(base / "class")
    clean = subprocess.run(command(base / "class", base / "clean"), cwd=ROOT, capture_output=True, text=True,
                           timeout=600, check=False)
    started = time.monotonic()
    process = subprocess.Popen(command(base / "class", base / "faulty"), cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env={**os.environ, scheduler.KILL_JUDGE_FOR: KILLER})
    targets = {JUDGE_VICTIM: "judge", ZYGOTE_VICTIM: "zygote", CHILD_VICTIM: "child"}
    killed, zygotes = kill_at_chosen_moments(process, targets)
    stdout, stderr = process.communicate(timeout=600)
    faulty = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return {"students": students, "clean": clean, "faulty": faulty, "killed": killed, "out": base / "faulty",
            "clean_results": results_of(base / "clean"), "faulty_results": results_of(base / "faulty"),
            "left_behind": still_alive(zygotes), "seconds": time.monotonic() - started}


def test_the_clean_run_grades_everyone(graded_twice):
    assert graded_twice["clean"].returncode == 0, failures(graded_twice["clean"])
    assert sorted(graded_twice["clean_results"]) == graded_twice["students"]


def test_every_fault_was_injected(graded_twice):
    assert sorted(graded_twice["killed"]) == sorted([JUDGE_VICTIM, ZYGOTE_VICTIM, CHILD_VICTIM])


def test_the_faulty_run_exits_zero_with_everyone_graded(graded_twice):
    faulty = graded_twice["faulty"]
    assert faulty.returncode == 0, failures(faulty)
    results = graded_twice["faulty_results"]
    assert sorted(results) == graded_twice["students"]
    assert [s for s, one in results.items() if one["extra_data"]["gluon_grader"]["status"] != "graded"] == []
    assert graded_twice["left_behind"] == set()


def test_grades_are_identical_to_the_clean_run(graded_twice):
    """All but the child killed from outside (that is the student's own ending, as the OOM killer's would be) and
    the notebook that kills its judge."""
    clean, faulty = graded_twice["clean_results"], graded_twice["faulty_results"]
    differ = [student for student in graded_twice["students"] if student not in (CHILD_VICTIM, KILLER)
              and without_timing(faulty[student]) != without_timing(clean[student])]
    assert differ == []
    assert clean[JUDGE_VICTIM]["score"] == clean[ZYGOTE_VICTIM]["score"] == faulty[ZYGOTE_VICTIM]["score"] == 35


@pytest.mark.parametrize("student, phrases", [
    (JUDGE_VICTIM, ["judge process ended (killed by SIGKILL)"]),
    (ZYGOTE_VICTIM, ["the grader's sandbox ended while"]),
])
def test_the_summary_names_each_submission_graded_again(graded_twice, student, phrases):
    line = next(line for line in graded_twice["faulty"].stdout.splitlines() if line.startswith("grader faults"))
    mention = re.split(r", s\d{3} \(", line[line.index(f"{student} ("):])[0]
    assert all(phrase in mention for phrase in phrases), line


def test_a_child_killed_from_outside_ends_with_the_students_result_naming_the_signal(graded_twice):
    one = graded_twice["faulty_results"][CHILD_VICTIM]
    assert one["extra_data"]["gluon_grader"]["status"] == "graded"
    assert "killed by SIGKILL" in said(one)


def test_a_notebook_that_kills_its_judge_every_time_is_held_with_a_clear_result(graded_twice):
    one = graded_twice["faulty_results"][KILLER]["extra_data"]["gluon_grader"]
    assert (one["status"], sum(r["score"] for r in one["results"])) == ("graded", 0)
    note = one["notes"][0]
    assert note.startswith("held for review: grading this notebook ended the grader's processes 2 times")
    assert note.count("its judge process ended (killed by SIGKILL)") == 2 and "likely cause" in note
    assert all(note in r["feedback"] for r in one["results"])


# --- a zygote lost under a submission, at the worker's level -------------------------------------------------------

def test_a_zygote_killed_mid_submission_raises_sandbox_lost_and_the_next_one_starts_fresh(mnist_dir):
    nb = nbformat.read(RELEASE, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell("import time\ntime.sleep(30)"))
    with Worker(options=Options(timeout=60, mnist_dir=mnist_dir)) as worker:
        worker.start()
        table = process_table()
        zygote = next(pid for pid in descendants(worker.process.pid, table) | {worker.process.pid}
                      if is_zygote(table[pid][1]) and not is_zygote(table[table[pid][0]][1]))
        timer = threading.Timer(1.0, os.kill, (zygote, signal.SIGKILL))
        timer.start()
        with pytest.raises(SandboxLost, match="the grader's sandbox ended while running cell 1"), \
                worker.subject(nbformat.writes(nb).encode(), unit("plumbing")) as subject:
            pipeline.judged(subject, unit("plumbing").checks)
        timer.join()
        with worker.subject(RELEASE.read_bytes(), unit("plumbing")) as subject:
            assert judgement.cell_notes(subject.probe("load_report")) == [] and subject.stopped is None


# --- full disk and read-only output folders ------------------------------------------------------------------------

@pytest.fixture
def tmpfs(tmp_path):
    """``mount(options)``: a fresh tmpfs at ``tmp_path / "out"`` (remounted by later calls); unmounted at the end."""
    out = tmp_path / "out"
    out.mkdir()
    mounted = []

    def mount(options: str) -> Path:
        argv = ["mount", "-o", f"remount,{options}", str(out)] if mounted else [
            "mount", "-t", "tmpfs", "-o", options, "tmpfs", str(out)]
        done = subprocess.run(argv, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root and mount rights): {done.stderr.strip()}")
        mounted.append(options)
        return out

    yield mount
    if mounted:
        subprocess.run(["umount", str(out)], check=False)


def temporary_files(out: Path) -> list[Path]:
    """Half-written files: the temporaries of atomic writes."""
    return sorted(out.rglob("*.tmp"))


def test_a_full_disk_stops_the_batch_and_a_later_run_completes(tmp_path, tmpfs):
    students = make_small_class(tmp_path / "class", 8)
    out = tmpfs("size=128k")
    full = subprocess.run(command(tmp_path / "class", out), cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert full.returncode == OUTPUT_UNWRITABLE, failures(full)
    assert "No space left on device" in full.stderr and "The batch stopped" in full.stderr, full.stderr
    assert full.stderr.count("autograder:") == 1 and "Traceback" not in full.stderr, full.stderr
    written = results_of(out)
    assert 0 < len(written) < len(students) and temporary_files(out) == []
    tmpfs("size=16m")
    again = subprocess.run(command(tmp_path / "class", out), cwd=ROOT, capture_output=True, text=True, timeout=300,
                           check=False)
    assert again.returncode == 0, failures(again)
    assert sorted(results_of(out)) == students and f"({len(students) - len(written)} now)" in again.stdout


def test_a_read_only_output_folder_stops_the_batch_before_grading(tmp_path, tmpfs):
    students = make_small_class(tmp_path / "class", 4)
    out = tmpfs("ro,size=1m")
    refused = subprocess.run(command(tmp_path / "class", out), cwd=ROOT, capture_output=True, text=True,
                             timeout=300, check=False)
    assert refused.returncode == OUTPUT_UNWRITABLE, failures(refused)
    assert "Read-only file system" in refused.stderr and "The batch stopped" in refused.stderr, refused.stderr
    assert list(out.iterdir()) == []
    again = subprocess.run(command(tmp_path / "class", tmp_path / "good"), cwd=ROOT, capture_output=True,
                           text=True, timeout=300, check=False)
    assert again.returncode == 0 and sorted(results_of(tmp_path / "good")) == students, failures(again)


# --- the same, in-process ----------------------------------------------------------------------------------------

def result_of(student: str) -> SubmissionResult:
    """A graded result with no checks: enough to be written."""
    return SubmissionResult(student, f"{student}.ipynb", [], ["a note"], sha256="ab" * 32)


@pytest.mark.parametrize("number, words", [
    (errno.ENOSPC, "No space left on device"), (errno.EROFS, "Read-only file system"),
    (errno.EACCES, "Permission denied"), (errno.EDQUOT, "Disk quota exceeded"),
])
def test_a_failed_write_stops_with_one_clear_message_and_leaves_the_old_files(tmp_path, monkeypatch, number, words):
    scheduler.save(tmp_path, result_of("ann"))
    before = {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()}

    def failing_replace(source, destination):
        raise OSError(number, os.strerror(number), str(destination))

    monkeypatch.setattr(files.os, "replace", failing_replace)
    for attempt in (lambda: scheduler.save(tmp_path, result_of("ann")), lambda: batch.check_writable(tmp_path)):
        with pytest.raises(errors.OutputUnwritable, match=words) as raised:
            attempt()
        assert str(tmp_path) in str(raised.value) and "run the same command again" in str(raised.value)
    assert {path: path.read_bytes() for path in tmp_path.rglob("*") if path.is_file()} == before


@pytest.mark.parametrize("graded_cleanly, exhausted, status, phrase", [
    (60, 1, "graded", "held for review: grading this notebook ended the grader's processes 2 times"),
    (20, 2, "graded", "likely cause"),
    (9, 1, "error", "the grader failed 2 times on this submission"),
    (0, 1, "error", "not graded yet, rerun"),
    (30, 4, "error", "this is not the notebook's grade"),
])
def test_a_submission_at_the_fault_bound_is_named_as_the_evidence_shows(tmp_path, graded_cleanly, exhausted, status,
                                                                        phrase):
    options = batch.BatchOptions(out=tmp_path, unit=unit("plumbing"), quiet=True)
    batch_scheduler = scheduler.Scheduler([], options, Isolation("bubblewrap"))
    batch_scheduler.graded_cleanly = graded_cleanly
    for number in range(exhausted):
        submission = Submission(f"x{number}", None, f"x{number}.ipynb")
        batch_scheduler.faults[submission] = ["its judge process ended (killed by SIGKILL)"] * FAULT_BOUND
        batch_scheduler.exhausted.append(submission)
    batch_scheduler.settle(None)
    for number in range(exhausted):
        stored = json.loads((tmp_path / f"x{number}" / "results.json").read_text())["extra_data"]["gluon_grader"]
        assert stored["status"] == status and phrase in stored["notes"][0]
        assert sum(one["score"] for one in stored["results"]) == 0
