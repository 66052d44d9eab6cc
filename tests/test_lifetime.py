"""One submission, one lifetime: nothing a notebook starts outlives its grading (issue 24).

Every kind of lingering process below is started by a notebook graded in the same warm worker (the same zygote,
the same student uid) just before honest ones: each lingerer hunts the processes of its own uid (which, after its
notebook, are the next submissions'), so a survivor shows as an honest notebook stopped or scored lower. After
every notebook no lingerer may be left anywhere on the host (they name themselves ``gg-linger``).

A lingerer never hunts as root: without bubblewrap and a student uid the notebook runs with the grader's rights,
and ``kill(-1)`` would take the test machine down.
"""
import os
import time
from pathlib import Path
from textwrap import dedent

import nbformat
import pytest

from autograder import intake, judgement, pipeline
from autograder.options import Options
from autograder.runner.sandbox import Isolation, detect
from autograder.runner.worker import Worker
from autograder.units import unit

from notebooks import REFERENCE, RELEASE

NAME = "gg-linger"
#: What every lingerer runs: name itself, then kill every process of its uid but its fellow lingerers, forever.
HUNTER = f"""
import ctypes, os, signal, sys, threading, time
_libc = ctypes.CDLL(None, use_errno=True)

def _name():
    _libc.prctl(15, {NAME.encode()!r}, 0, 0, 0)  # PR_SET_NAME: /proc/<pid>/comm

def _hunt():
    _name()
    me = os.getuid()
    while True:
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            try:
                comm = open(f"/proc/{{entry}}/comm").read().strip()
                uid = int(next(l for l in open(f"/proc/{{entry}}/status") if l.startswith("Uid:")).split()[1])
            except (OSError, StopIteration, ValueError):
                continue
            if me != 0 and uid == me and comm != {NAME!r}:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass
        time.sleep(0.02)
"""
#: Each kind of lingerer: code run in a notebook cell after HUNTER's definitions.
LINGERERS = {
    "background process": """
        if os.fork() == 0:
            _hunt()
    """,
    "setsid and a double fork (a daemon)": """
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                _hunt()
            os._exit(0)
    """,
    "main thread exits alone (a zombie leader with a live thread)": """
        if os.fork() == 0:
            threading.Thread(target=_hunt).start()
            time.sleep(0.2)
            _libc.syscall(60, 0)  # SYS_exit: this thread only; the process shows as a zombie, its thread runs on
    """,
    "ignores every signal it can": """
        if os.fork() == 0:
            for number in range(1, 65):
                try:
                    signal.signal(number, signal.SIG_IGN)
                except (OSError, ValueError):
                    pass
            _hunt()
    """,
    "stopped (SIGSTOP) with a hunting child": """
        if os.fork() == 0:
            if os.fork() == 0:
                _hunt()
            _name()
            os.kill(os.getpid(), signal.SIGSTOP)
            os._exit(0)
    """,
    "flees: a new pid every few milliseconds": """
        if os.fork() == 0:
            _name()
            deadline = time.time() + 60
            while time.time() < deadline:
                time.sleep(0.005)
                if os.fork() != 0:
                    os._exit(0)
                _name()
                if os.getuid() != 0:
                    try:
                        os.kill(-1, 0)
                    except OSError:
                        pass
    """,
    "own process group, parent gone (reparented)": """
        if os.fork() == 0:
            os.setpgid(0, 0)
            if os.fork() == 0:
                _hunt()
            os._exit(0)
    """,
    "exec'd program in its own session": """
        import subprocess
        subprocess.Popen(["/bin/sh", "-c", "exec -a gg-linger sleep 301.5"], start_new_session=True)
        subprocess.Popen(["sleep", "301.5"], start_new_session=True)
    """,
    "thread of the notebook's own process": """
        threading.Thread(target=_hunt, daemon=False).start()
    """,
}


def with_cell(path, code: str) -> bytes:
    """The notebook at ``path`` with ``code`` as one more last cell."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(dedent(code)))
    return nbformat.writes(nb).encode()


def lingering(kind: str) -> bytes:
    """The released stub that starts a lingerer of ``kind`` in its last cell, then waits a moment."""
    return with_cell(RELEASE, HUNTER + dedent(LINGERERS[kind]) + "\ntime.sleep(0.5)\n")


def lingerers() -> list[str]:
    """``pid comm`` of every process on this host that calls itself a lingerer (or is its ``sleep 301.5``), over
    half a second (one that flees changes its pid between two reads of /proc)."""
    found = set()
    for _ in range(5):
        for entry in os.listdir("/proc"):
            try:
                comm = Path(f"/proc/{entry}/comm").read_text().strip()
                cmdline = Path(f"/proc/{entry}/cmdline").read_text()
            except OSError:
                continue
            if comm == NAME or cmdline.startswith(("sleep\x00301.5", f"{NAME}\x00")):
                found.add(f"{entry} {comm}")
        time.sleep(0.1)
    return sorted(found)


def victim_survives(worker: Worker) -> str | None:
    """Run an honest notebook that takes a second; None when nothing stopped it, else why it stopped."""
    notebook = with_cell(RELEASE, "import time\ntime.sleep(1.0)\n")
    with worker.subject(notebook, unit("plumbing")) as subject:
        notes = judgement.cell_notes(subject.probe("load_report"))
    return subject.stopped or (notes[0] if notes else None)


ISOLATIONS = {"sandbox": None, "plain": Isolation("plain", "test")}


@pytest.fixture(scope="module", params=list(ISOLATIONS))
def worker(request, mnist_dir):
    """One warm worker per isolation for the module: every notebook of a test goes through the same zygote."""
    isolation = ISOLATIONS[request.param]
    if request.param == "sandbox" and not detect().sandboxed:
        pytest.skip("bubblewrap cannot run here")
    with Worker(options=Options(timeout=20, memory=1024, mnist_dir=mnist_dir, cell_timeout=10),
                isolation=isolation) as running:
        yield running


#: Without bubblewrap (and, on this machine, without a student uid) only the kinds the descendant walk once missed.
PLAIN_KINDS = ("setsid and a double fork (a daemon)", "main thread exits alone (a zombie leader with a live thread)",
               "flees: a new pid every few milliseconds")


@pytest.mark.parametrize("kind", list(LINGERERS))
def test_nothing_a_notebook_starts_outlives_it(worker, kind):
    if worker.isolation.kind == "plain" and kind not in PLAIN_KINDS:
        pytest.skip("run sandboxed; without the sandbox only the kinds the descendant walk once missed")
    with worker.subject(lingering(kind), unit("plumbing")) as subject:
        judgement.cell_notes(subject.probe("load_report"))
    assert subject.finished and "left" not in subject.finished, subject.finished
    assert lingerers() == []
    assert victim_survives(worker) is None


def test_honest_notebooks_after_every_lingerer_score_as_alone(worker, mnist_dir, tmp_path):
    if worker.isolation.kind == "plain" and detect().sandboxed:
        pytest.skip("graded sandboxed; the plain worker's clean-up is shown kind by kind")
    options = Options(timeout=60, mnist_dir=mnist_dir)
    everything = HUNTER + "".join(dedent(code) for code in LINGERERS.values()) + "\ntime.sleep(1.0)\n"
    hostile = tmp_path / "hostile.ipynb"
    hostile.write_bytes(with_cell(REFERENCE, everything))
    alone = pipeline.grade(intake.take(REFERENCE, unit_name="plumbing"), options, worker=worker)
    pipeline.grade(intake.take(hostile, unit_name="plumbing"), options, worker=worker)
    assert lingerers() == []
    after = pipeline.grade(intake.take(REFERENCE, unit_name="plumbing"), options, worker=worker)
    assert [(r.check_id, r.score) for r in after.results] == [(r.check_id, r.score) for r in alone.results]
    assert after.notes == alone.notes
    assert all(r.score == r.max_score for r in after.results)
    assert lingerers() == []
