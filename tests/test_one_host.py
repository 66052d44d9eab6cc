"""One host, many gradings (issue 24): every grader claims its student uid from one allocator, and an output folder
belongs to the run grading into it.

The end-to-end test runs two ``autograder grade --jobs 2`` batches and a student's self-check at once on this host;
one batch holds a notebook that forks until its process limit (RLIMIT_NPROC counts per uid, host-wide) and keeps
the processes while the others grade. Before the allocator every batch judge and every self-check took uid 61000,
61001, ... by number, and the other run's notebooks could not start a thread.
"""
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from autograder.batch.errors import OutputLocked
from autograder.batch.grade import LOCK_FILE, output_lock
from autograder.reporting.batch import read_student
from autograder.runner.errors import WorkerError
from autograder.runner.sandbox import FIRST_UID, detect
from autograder.runner.slots import claim_slot, release_slot
from autograder.runner.zygote import processes_of

from notebooks import REFERENCE, ROOT

#: Slots for the allocator's own tests: far above what the graders of this host claim.
TEST_SLOTS = 1900


def test_two_claims_get_two_slots_and_a_third_waits_then_says_so(tmp_path):
    first = claim_slot(tmp_path, first=TEST_SLOTS, slots=2, wait=0)
    second = claim_slot(tmp_path, first=TEST_SLOTS, slots=2, wait=0)
    assert {first[0], second[0]} == {TEST_SLOTS, TEST_SLOTS + 1}
    started = time.monotonic()
    with pytest.raises(WorkerError, match=f"all 2 student-uid slots of this host are taken.*{tmp_path}"):
        claim_slot(tmp_path, first=TEST_SLOTS, slots=2, wait=0.6)
    assert time.monotonic() - started >= 0.5
    release_slot(*first)
    assert claim_slot(tmp_path, first=TEST_SLOTS, slots=2, wait=0)[0] == first[0]


def test_a_claim_waits_for_a_slot_set_free(tmp_path):
    slot, lock = claim_slot(tmp_path, first=TEST_SLOTS, slots=1, wait=0)
    waiter = subprocess.Popen([sys.executable, "-c", "import sys; from pathlib import Path; "
                               "from autograder.runner.slots import claim_slot; "
                               f"print(claim_slot(Path({str(tmp_path)!r}), first={TEST_SLOTS}, slots=1, wait=20)[0])"],
                              stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    assert waiter.poll() is None
    release_slot(slot, lock)
    assert waiter.communicate(timeout=30)[0].strip() == str(slot)


@pytest.mark.skipif(os.geteuid() != 0, reason="only root switches uids")
def test_a_claim_kills_what_still_runs_as_its_uid(tmp_path):
    uid = FIRST_UID + TEST_SLOTS
    leftover = subprocess.Popen(["sleep", "300"], user=uid, group=uid, extra_groups=[], start_new_session=True)
    try:
        assert processes_of(uid) == [leftover.pid]
        slot, lock = claim_slot(tmp_path, first=TEST_SLOTS, slots=1, wait=0)
        assert leftover.wait(timeout=5) == -9
        assert processes_of(uid) == []
        release_slot(slot, lock)
    finally:
        leftover.kill()


def test_a_slots_folder_others_may_write_is_refused(tmp_path):
    tmp_path.chmod(0o777)
    with pytest.raises(WorkerError, match="nobody else can write"):
        claim_slot(tmp_path, first=TEST_SLOTS, slots=1, wait=0)


def test_an_output_folder_belongs_to_the_run_grading_into_it(tmp_path):
    refused = f"output folder {tmp_path} is being graded into by another run \\(pid {os.getpid()} on .*, started "
    with output_lock(tmp_path), pytest.raises(OutputLocked, match=refused), output_lock(tmp_path):
        pass
    assert list(tmp_path.iterdir()) == []  # OUT holds only what the grader writes


def test_the_lock_of_a_killed_run_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", "import time; from pathlib import Path; "
                               "from autograder.batch.grade import output_lock\n"
                               f"with output_lock(Path({str(tmp_path)!r})):\n    print('held', flush=True); "
                               "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(OutputLocked, match=f"pid {holder.pid} "), output_lock(tmp_path):
        pass
    holder.kill()
    holder.communicate()
    with output_lock(tmp_path):
        assert f"pid {os.getpid()} " in (tmp_path / LOCK_FILE).read_text()


# --- two gradings at once ------------------------------------------------------------------------------------------

#: Starts processes until the process limit says no (bounded), keeps them, and waits with them. (``posix_spawn``:
#: a plain fork of MXNet's process restarts its engine threads in the child, which then aborts at the limit.)
EXHAUST = """
import os, time
children = []
for _ in range(3000):
    try:
        children.append(os.posix_spawn("/bin/sleep", ["sleep", "30"], {}))
    except OSError:
        break
time.sleep(30)
"""


def write_class(folder: Path, students: dict[str, bytes]) -> None:
    folder.mkdir(parents=True)
    for student, notebook in students.items():
        (folder / f"{student}.ipynb").write_bytes(notebook)


def grade_command(submissions: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), "--jobs", "2",
            "--timeout", "120", "--unit", "plumbing", "--quiet"]


def scores(out: Path) -> dict[str, tuple[float, float, str]]:
    """``{student: (score, max, status)}`` as the batch wrote them."""
    results = [read_student(out, path.parent.name) for path in sorted(out.glob("*/results.json"))]
    return {result.student: (result.score, result.max_score, result.status) for result in results}


@pytest.mark.skipif(not detect().sandboxed or os.geteuid() != 0, reason="needs bubblewrap and root (student uids)")
def test_two_runs_at_once_one_exhausting_its_processes_and_a_self_check_beside(tmp_path):
    reference = REFERENCE.read_bytes()
    nb = nbformat.read(REFERENCE, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(EXHAUST))
    bomb = nbformat.writes(nb).encode()
    write_class(tmp_path / "a", {"a1-exhausts": bomb, "a2-honest": reference})
    write_class(tmp_path / "b", {f"b{n}-honest": reference for n in range(2)})
    env = dict(os.environ, GLUON_GRADER_MNIST=os.environ["GLUON_GRADER_MNIST"])
    run_a = subprocess.Popen(grade_command(tmp_path / "a", tmp_path / "out-a"), env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not processes_exhausting() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_exhausting(), "the exhausting notebook never started forking"
    run_b = subprocess.Popen(grade_command(tmp_path / "b", tmp_path / "out-b"), env=env, cwd=ROOT,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    self_check = subprocess.Popen([sys.executable, "-m", "pytest", "autograder", "--submission", str(REFERENCE),
                                   "-q", "-p", "no:cacheprovider"], env=env, cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
    second_on_a = subprocess.run(grade_command(tmp_path / "a", tmp_path / "out-a"), env=env, cwd=ROOT,
                                 capture_output=True, text=True, timeout=120)
    outputs = {name: process.communicate(timeout=900) for name, process in
               {"a": run_a, "b": run_b, "self-check": self_check}.items()}
    assert second_on_a.returncode == 2
    assert f"the output folder {tmp_path / 'out-a'} is being graded into by another run (pid {run_a.pid}" \
        in second_on_a.stderr
    assert (run_a.returncode, run_b.returncode, self_check.returncode) == (0, 0, 0), outputs
    full = scores(tmp_path / "out-b")["b0-honest"][1]
    assert scores(tmp_path / "out-b") == {f"b{n}-honest": (full, full, "graded") for n in range(2)}
    assert scores(tmp_path / "out-a")["a2-honest"] == (full, full, "graded")
    assert " passed" in outputs["self-check"][0] and " failed" not in outputs["self-check"][0]
    assert [uid for uid in range(FIRST_UID, FIRST_UID + 3000) if processes_of(uid)] == []


def processes_exhausting() -> bool:
    """Whether some student uid runs more than 100 processes right now (the exhausting notebook is forking)."""
    counts: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if uid >= FIRST_UID:
            counts[uid] = counts.get(uid, 0) + 1
    return any(count > 100 for count in counts.values())
