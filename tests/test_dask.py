"""``autograder grade`` on Dask workers: ``--cluster local:N`` and ``--scheduler ADDRESS``, against ``--jobs 2``.

A class of 12 (released stubs, which grade in a fraction of a second, and two reference copies,
``test_batch_faults.make_small_class``) is graded with ``--jobs 2``, with ``--cluster local:2`` and on a real
``dask scheduler`` with two ``dask worker`` processes (one thread each) started here on 127.0.0.1: every way gives
the same grades.csv and the same results.json but for timings. On that cluster, a copy of the results with three
students removed is resumed (only those three are graded), and a class of 13 is graded while this test SIGKILLs the
worker process grading a reference copy, and one more student's notebook kills its worker every time (the grader's
TEST-ONLY hook, set in the workers' environment): every student gets exactly one result, the grades equal the clean
run's, and the killer's result names each death.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_batch import ROOT, TIMEOUT, failures, results_of, without_timing
from test_batch_faults import JUDGE_VICTIM, descendants, judge_of, make_small_class, process_table, running_children

from autograder.batch import grade as batch
from autograder.batch import scheduler
from autograder.runner.sandbox import ONE_THREAD

CLASS_SIZE = 12
KILLER = f"s{CLASS_SIZE:03d}"  # only in the faulty class: the 13th student
RESUMED = ["s001", "s005", "s009"]
DASK = str(Path(sys.executable).parent / "dask")
#: The scheduler settings the README asks of a scheduler the grader did not start (autograder.batch.cluster).
SCHEDULER_ENV = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": str(batch.FAULT_BOUND - 1),
                 "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}


def command(submissions: Path, out: Path, *where: str) -> list[str]:
    """The batch grader's command line, graded ``where`` (``--jobs 2``, ``--cluster local:2``, ...)."""
    return [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
            "--timeout", str(TIMEOUT), "--quiet", *where]


def grade(submissions: Path, out: Path, *where: str) -> subprocess.CompletedProcess:
    """Run the batch grader to its end."""
    return subprocess.run(command(submissions, out, *where), cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)


def grades_csv(out: Path) -> str:
    return (out / "grades.csv").read_text()


# --- a real scheduler and two workers, as processes of their own ------------------------------------------------

@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker --nthreads 1`` on 127.0.0.1 (free ports, found through the
    scheduler file): ``{"address", "workers"}`` (the workers' pids); all stopped at the end."""
    base = tmp_path_factory.mktemp("cluster")
    scheduler_file = base / "scheduler.json"
    env = {**os.environ, **ONE_THREAD, **SCHEDULER_ENV, scheduler.KILL_JUDGE_FOR: KILLER}
    started = [subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                 "--scheduler-file", str(scheduler_file)], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        started += [subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--host", "127.0.0.1",
                                      "--no-dashboard", "--name", f"worker-{number}"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                    for number in range(2)]
        yield {"address": address, "workers": [process.pid for process in started[1:]]}
    finally:
        for process in reversed(started):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, cluster):
    """The class graded three ways: ``{"students", "class", "jobs", "local", "scheduler"}`` (each an output
    folder, with its run as ``<way>-run``)."""
    base = tmp_path_factory.mktemp("dask")
    found = {"students": make_small_class(base / "class", CLASS_SIZE), "class": base / "class"}
    for way, where in [("jobs", ["--jobs", "2"]), ("local", ["--cluster", "local:2"]),
                       ("scheduler", ["--scheduler", cluster["address"]])]:
        found[f"{way}-run"] = grade(base / "class", base / way, *where)
        found[way] = base / way
    return found


@pytest.mark.parametrize("way", ["jobs", "local", "scheduler"])
def test_every_way_grades_everyone_with_exit_zero(graded, way):
    assert graded[f"{way}-run"].returncode == 0, failures(graded[f"{way}-run"])
    assert sorted(results_of(graded[way])) == graded["students"]
    assert f"({CLASS_SIZE} now)" in graded[f"{way}-run"].stdout


@pytest.mark.parametrize("way", ["local", "scheduler"])
def test_a_dask_cluster_gives_the_same_grades_as_jobs(graded, way):
    assert grades_csv(graded[way]) == grades_csv(graded["jobs"])
    clean = {student: without_timing(data) for student, data in results_of(graded["jobs"]).items()}
    assert {student: without_timing(data) for student, data in results_of(graded[way]).items()} == clean
    assert {data["score"] for data in clean.values()} == {0, 35}  # stubs and reference copies, both kinds graded


def test_a_rerun_on_the_cluster_grades_only_the_missing_ones(graded, cluster, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(graded["scheduler"], out)
    for student in RESUMED:
        shutil.rmtree(out / student)
    kept = {path.parent.name: path.stat().st_mtime_ns for path in out.glob("*/results.json")}
    again = grade(graded["class"], out, "--scheduler", cluster["address"])
    assert again.returncode == 0 and f"({len(RESUMED)} now)" in again.stdout, failures(again)
    assert {path.parent.name: path.stat().st_mtime_ns for path in out.glob("*/results.json")
            if path.parent.name not in RESUMED} == kept
    assert grades_csv(out) == grades_csv(graded["jobs"])


def test_an_unreachable_scheduler_is_named_with_exit_two(tmp_path, monkeypatch):
    make_small_class(tmp_path / "class", 1)
    monkeypatch.setenv("DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT", "2s")  # Dask's own setting: else 30 s of retries
    refused = grade(tmp_path / "class", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9")
    assert refused.returncode == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in refused.stderr, \
        failures(refused)
    assert "Traceback" not in refused.stderr and not list((tmp_path / "out").glob("*/results.json"))


# --- a worker killed mid-batch ---------------------------------------------------------------------------------

def kill_worker_grading(student: str, batch_run: subprocess.Popen, workers: list[int]) -> int | None:
    """SIGKILL (once) the Dask worker process running ``student``'s submission; return its pid."""
    while batch_run.poll() is None:
        table = process_table()
        for worker in workers:
            running = running_children(descendants(worker, table), table)
            if student in running:
                victim = judge_of(running[student][0], worker, table)  # the worker process, the nanny's child
                os.kill(victim, signal.SIGKILL)
                return victim
        time.sleep(0.02)
    return None


@pytest.fixture(scope="module")
def faulty(tmp_path_factory, cluster, graded):
    """A class of 13 graded on the cluster while the worker grading a reference copy is killed, and the 13th
    student's notebook kills its worker every time."""
    base = tmp_path_factory.mktemp("faulty")
    make_small_class(base / "class", CLASS_SIZE + 1)
    run = subprocess.Popen(command(base / "class", base / "out", "--scheduler", cluster["address"]), cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = kill_worker_grading(JUDGE_VICTIM, run, cluster["workers"])
    stdout, stderr = run.communicate(timeout=600)
    return {"run": subprocess.CompletedProcess(run.args, run.returncode, stdout, stderr), "killed": killed,
            "results": results_of(base / "out"), "clean": results_of(graded["jobs"])}


def test_a_killed_worker_loses_nothing_and_grades_nothing_twice(faulty):
    run = faulty["run"]
    assert faulty["killed"] is not None and run.returncode == 0, failures(run)
    assert sorted(faulty["results"]) == [f"s{number:03d}" for number in range(CLASS_SIZE + 1)]
    assert f"({CLASS_SIZE + 1} now)" in run.stdout, run.stdout  # one result written per student, no more
    assert {student: without_timing(data) for student, data in faulty["results"].items() if student != KILLER} == {
        student: without_timing(data) for student, data in faulty["clean"].items()}


def test_the_summary_names_the_killed_workers_submission(faulty):
    line = next(line for line in faulty["run"].stdout.splitlines() if line.startswith("grader faults"))
    assert f"{JUDGE_VICTIM} (its Dask worker ended (tcp://127.0.0.1:" in line, line


def test_a_notebook_that_kills_its_worker_every_time_is_held_with_a_clear_result(faulty):
    one = faulty["results"][KILLER]["extra_data"]["gluon_grader"]
    assert (one["status"], sum(r["score"] for r in one["results"])) == ("graded", 0)
    note = one["notes"][0]
    assert note.startswith(f"held for review: grading this notebook ended the grader's processes "
                           f"{batch.FAULT_BOUND} times"), note
    assert note.count("its Dask worker ended (tcp://127.0.0.1:") == batch.FAULT_BOUND and "likely cause" in note
