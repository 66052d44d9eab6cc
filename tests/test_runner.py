"""The runner that isolates student code: framing, the sandboxed worker, its limits and its clean-up.

Notebooks here are the released stub with one extra cell, so each costs a fraction of a second; a cell that
wants to tell the test something raises an error whose message lands in the load notes.
"""
import ast
import os
import subprocess
import time
from textwrap import dedent

import nbformat
import pytest

from autograder import judgement, pipeline, protocol
from autograder.options import Options
from autograder.runner import channel
from autograder.runner.sandbox import FIRST_UID, Isolation, detect
from autograder.runner.worker import Worker
from autograder.units import unit

from notebooks import RELEASE, ROOT

SANDBOXED = detect().sandboxed
needs_bubblewrap = pytest.mark.skipif(not SANDBOXED, reason="bubblewrap cannot run here")


def stub_with(code: str) -> bytes:
    """The released notebook with ``code`` as its first cell (code cell 1), as bytes."""
    nb = nbformat.read(RELEASE, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(dedent(code)))
    return nbformat.writes(nb).encode()


def notes_of(worker: Worker, notebook: bytes) -> tuple[list[str], object]:
    """Run ``notebook`` in ``worker``; return its load notes and the remote subject."""
    with worker.subject(notebook, unit("plumbing")) as subject:
        notes = judgement.cell_notes(subject.probe("load_report"))
    return notes, subject


@pytest.fixture(scope="module")
def worker(mnist_dir):
    """One warm worker for the module, with a short time limit."""
    with Worker(options=Options(timeout=8, memory=1024, mnist_dir=mnist_dir, cell_timeout=3)) as running:
        yield running


# --- frames ------------------------------------------------------------------------------------------------

def test_frames_round_trip_with_their_tag():
    read_end, write_end = os.pipe()
    channel.send(write_end, channel.CHILD, {"kind": "reply", "data": [1, 2.5, "x"]})
    tag, message = channel.FrameReader(read_end).read(time.monotonic() + 1)
    assert (tag, message) == (channel.CHILD, {"kind": "reply", "data": [1, 2.5, "x"]})


def test_an_oversized_frame_is_refused_from_its_header_alone():
    read_end, write_end = os.pipe()
    os.write(write_end, channel.HEADER.pack(10**9, channel.CHILD))
    with pytest.raises(protocol.ProtocolError, match="larger than"):
        channel.FrameReader(read_end, max_bytes=1000).read(time.monotonic() + 1)


def test_a_silent_pipe_times_out_and_a_closed_one_says_so():
    read_end, write_end = os.pipe()
    reader = channel.FrameReader(read_end)
    with pytest.raises(channel.ChannelTimeout):
        reader.read(time.monotonic() + 0.05)
    os.close(write_end)
    with pytest.raises(channel.ChannelClosed):
        reader.read(time.monotonic() + 1)


# --- the worker --------------------------------------------------------------------------------------------

def test_the_stub_loads_cleanly_and_answers_not_implemented(worker):
    with worker.subject(RELEASE.read_bytes(), unit("plumbing")) as subject:
        notes = judgement.cell_notes(subject.probe("load_report"))
        results = pipeline.judged(subject, unit("plumbing").checks).results
    assert notes == [] and subject.stopped is None
    assert sum(r.score for r in results) == 0
    assert all("not implemented yet" in r.feedback for r in results if r.exercise == "build_mlp")


def test_an_exit_ends_only_that_submission_and_says_where(worker):
    notes, subject = notes_of(worker, stub_with("import os\nos._exit(3)"))
    assert "ended (exit code 3) while running cell 1 (`import os`)" in subject.stopped
    assert notes == [subject.stopped]
    again, _ = notes_of(worker, RELEASE.read_bytes())
    assert again == []


def test_a_loop_that_ignores_signals_is_stopped_at_the_wall_limit(worker):
    started = time.monotonic()
    _, subject = notes_of(worker, stub_with("""
        import signal
        signal.signal(signal.SIGALRM, signal.SIG_IGN)
        while True:
            pass
    """))
    assert "stopped after 8 s" in subject.stopped and "cell 1 (`import signal`)" in subject.stopped
    assert time.monotonic() - started < 8 + 5
    assert notes_of(worker, RELEASE.read_bytes())[0] == []


def test_a_stop_while_a_probe_runs_names_the_students_class_not_the_probe(worker):
    nb = nbformat.read(RELEASE, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(dedent("""
        import signal
        class MyInit:
            def __init__(self):
                signal.signal(signal.SIGALRM, signal.SIG_IGN)  # outlives the probe's own time limit
                while True:
                    pass
    """)))
    with worker.subject(nbformat.writes(nb).encode(), unit("plumbing")) as subject:
        reply = subject.probe("my_init", units=3, in_units=2)
    assert reply == {"status": "stopped", "reason": subject.stopped}
    assert "stopped after 8 s" in subject.stopped and "while the grader was running your `MyInit`" in subject.stopped
    assert "my_init" not in subject.stopped


def test_memory_beyond_the_limit_fails_that_cell_and_names_the_limit(worker):
    notes, _ = notes_of(worker, stub_with("hog = bytearray(3 * 2**30)"))
    assert any("MemoryError" in note and "cell 1" in note and "more than the 1024 MB of memory a notebook may use"
               in note for note in notes), notes


@needs_bubblewrap
def test_a_dataloader_with_worker_processes_is_told_to_use_none(worker):
    notes, _ = notes_of(worker, stub_with("""
        import numpy as np
        from mxnet import gluon
        data = gluon.data.ArrayDataset(np.zeros((8, 2), dtype="float32"), np.zeros(8))
        batches = list(gluon.data.DataLoader(data, batch_size=4, num_workers=2))"""))
    (note,) = [note for note in notes if note.startswith("cell 1 ")]
    assert "PermissionError: [Errno 13]" in note and "use DataLoader(..., num_workers=0)" in note, note
    assert "at most 256 processes" in note


@needs_bubblewrap
def test_the_sandbox_hides_the_course_and_runs_as_an_unprivileged_uid(worker):
    notes, _ = notes_of(worker, stub_with(f"""
        import os, socket
        seen = {{"uid": os.getuid(), "solutions": os.path.exists({str(ROOT / 'solutions')!r}),
                "instructor": os.path.exists({str(ROOT / 'instructor')!r}), "cwd_writable": os.access(".", os.W_OK)}}
        try:
            socket.create_connection(("127.0.0.1", 22), timeout=1)
            seen["network"] = True
        except OSError:
            seen["network"] = False
        raise RuntimeError(repr(seen))
    """))
    (note,) = notes
    seen = ast.literal_eval(note.split("RuntimeError: ", 1)[1])  # the dict the cell built from literals
    assert seen["uid"] >= FIRST_UID
    assert seen == {**seen, "solutions": False, "instructor": False, "network": False, "cwd_writable": True}


@needs_bubblewrap
def test_processes_left_behind_are_killed_when_the_submission_ends(worker):
    notes_of(worker, stub_with("""
        import subprocess
        subprocess.Popen(["sleep", "300"], start_new_session=True)
    """))
    time.sleep(0.5)
    uids = subprocess.run(["ps", "-eo", "uid=,comm="], capture_output=True, text=True).stdout.split("\\n")
    assert not [line for line in uids if line.split() and int(line.split()[0]) >= FIRST_UID]


def test_plain_processes_still_grade_and_say_they_are_not_sandboxed(mnist_dir):
    plain = Isolation("plain", "test")
    with Worker(options=Options(timeout=8, memory=1024, mnist_dir=mnist_dir), isolation=plain) as unsandboxed:
        _, subject = notes_of(unsandboxed, stub_with("import os\nos._exit(4)"))
        assert "exit code 4" in subject.stopped
        assert notes_of(unsandboxed, RELEASE.read_bytes())[0] == []
    assert plain.describe().startswith("plain processes, NOT sandboxed")


# --- wiping between submissions ----------------------------------------------------------------------------

def test_every_submission_finds_an_empty_usable_tmp(worker):
    for turn in range(2):
        notes, _ = notes_of(worker, stub_with("""
            import os, stat, tempfile
            mode = stat.S_IMODE(os.stat("/tmp").st_mode) if os.path.isdir("/tmp") else None
            left = [name for name in os.listdir("/tmp") if name.startswith("left-by-")]
            with tempfile.NamedTemporaryFile(dir="/tmp", prefix="left-by-") as stream:
                stream.write(b"x")
            open(tempfile.mktemp(prefix="left-by-", dir="/tmp"), "w").close()
            raise RuntimeError(f"tmp mode {mode:o}, left {left}")
        """))
        assert "tmp mode 1777, left []" in notes[0], (turn, notes)


def test_a_wipe_keeps_the_mounts_under_tmp_and_the_folders_leading_to_them(tmp_path):
    from autograder.runner.zygote import wipe_around

    venv = tmp_path / "ci" / "main" / ".venv"
    (venv / "lib").mkdir(parents=True)
    (venv / "lib" / "site.py").write_text("kept")
    (tmp_path / "ci" / "main" / "planted.txt").write_text("a student's file beside the venv")
    (tmp_path / "ci" / "other").mkdir()
    (tmp_path / "stray").mkdir()
    (tmp_path / "stray" / "deep.txt").write_text("x")
    tmp_path.chmod(0o1777)
    wipe_around(tmp_path, [str(venv)])
    assert (venv / "lib" / "site.py").read_text() == "kept"
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "ci", "ci/main", "ci/main/.venv", "ci/main/.venv/lib", "ci/main/.venv/lib/site.py"]
    assert oct(tmp_path.stat().st_mode & 0o7777) == oct(0o1777)


def test_a_failed_removal_never_changes_the_folder_that_holds_it(tmp_path, monkeypatch):
    from autograder.runner import zygote

    holder = tmp_path / "tmp"
    (holder / "stuck").mkdir(parents=True)
    holder.chmod(0o1777)
    real_rmdir = os.rmdir
    monkeypatch.setattr(os, "rmdir", lambda path, *a, **k: (_ for _ in ()).throw(OSError(16, "busy"))
                        if str(path).endswith("stuck") else real_rmdir(path, *a, **k))
    zygote.rmtree(holder / "stuck")
    assert oct(holder.stat().st_mode & 0o7777) == oct(0o1777)


def test_the_notebook_gets_the_workers_mnist_loader_but_nothing_else_of_the_grader(worker):
    notes, _ = notes_of(worker, stub_with("""
        import autograder.mnist as loader
        try:
            import autograder.units.plumbing.probes
            refused = False
        except ImportError:
            refused = True
        raise RuntimeError(f"splits already read: {len(loader._READ)}, internals refused: {refused}")
    """))
    assert "splits already read: 1, internals refused: True" in notes[0], notes


def raised_in(filename: str, error: BaseException) -> BaseException:
    """``error`` as raised by code whose file is ``filename`` (where the hint looks for processes being started)."""
    try:
        exec(compile("raise error", filename, "exec"), {"error": error})  # noqa: S102  (a traceback from that file)
    except BaseException as raised:  # noqa: BLE001
        return raised
    raise AssertionError("not raised")


@pytest.mark.parametrize("error, limits, said", [
    (MemoryError("Unable to allocate 3 GiB"), {"memory_mb": 2048}, "more than the 2048 MB of memory"),
    (MemoryError(), {}, "more than the memory a notebook may use"),
    (raised_in("/usr/lib/python3.11/multiprocessing/synchronize.py", PermissionError(13, "Permission denied")),
     {"processes": 64}, "at most 64 processes, no shared memory; use DataLoader(..., num_workers=0)"),
    (raised_in("/x/mxnet/gluon/data/dataloader.py", BlockingIOError(11, "Resource temporarily unavailable")),
     {"processes": 64}, "at most 64 processes"),
    (PermissionError(13, "Permission denied: 'data.txt'"), {"processes": 64}, ""),   # a file, not a process
    (ValueError("bad"), {"memory_mb": 2048}, ""),
])
def test_limit_hints_name_the_limit_that_was_hit(error, limits, said):
    from autograder.subject import limits as subject_limits

    subject_limits.set_limits(limits)
    try:
        hint = subject_limits.limit_hint(error)
    finally:
        subject_limits.set_limits(None)
    assert (said in hint) if said else hint == ""
