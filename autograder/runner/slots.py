"""Student-uid slots, one allocator for every grader of a host: the pytest self-check, each judge of an
``autograder grade --jobs`` batch, each judge of an ``nbgrader autograde`` run, Gradescope's run and every Dask
worker claim their slot here (uid ``FIRST_UID + slot``), so no two of them share a uid, hence a process limit
(RLIMIT_NPROC counts per uid, host-wide) or the right to signal each other's processes.

A slot is a lock file held (``flock``) for the grader's lifetime and let go by the kernel when the process ends,
however it ends. Whoever claims a slot first kills anything still running as its uid (a grader killed before it
could clean up leaves nothing to its successor). A grader that finds every slot taken waits, up to
:data:`WAIT_SECONDS`, then says so.
"""
from __future__ import annotations

import fcntl
import os
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from .errors import WorkerError
from .sandbox import FIRST_UID
from .zygote import processes_of

#: The first slot (uid 61000 + slot): uids 62000 and up, a range no earlier kit gave out by number (its batch
#: judges, self-checks and Gradescope runs took 61000, 61001, ...), so a host running both shares no uid.
FIRST_SLOT = 1000
#: How many graders one host may run at once.
SLOTS = 1000
#: How long a grader waits for a free slot before it gives up.
WAIT_SECONDS = 120.0
#: Where the graders of one host claim their slots: a folder only root can write when the grader is root (the
#: lock files decide whose processes get killed), else the temporary folder.
SLOT_FOLDER = (Path("/run/gluon-grader-slots") if os.geteuid() == 0 and os.path.isdir("/run")
               else Path(tempfile.gettempdir()) / "gluon-grader-slots")


def claim_slot(folder: Path = SLOT_FOLDER, *, first: int = FIRST_SLOT, slots: int = SLOTS,
               wait: float = WAIT_SECONDS) -> tuple[int, int]:
    """The lowest free slot of this host (from ``first``, ``slots`` of them) and its locked file's descriptor
    (:func:`release_slot` lets it go).

    Waits up to ``wait`` seconds while every slot is taken, then raises :class:`WorkerError` saying so.
    """
    ensure_folder(folder)
    deadline = time.monotonic() + wait
    while True:
        for slot in range(first, first + slots):
            descriptor = os.open(folder / f"slot-{slot}.lock", os.O_CREAT | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW,
                                 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(descriptor)
                continue
            os.ftruncate(descriptor, 0)
            os.write(descriptor, f"{os.getpid()}\n".encode())
            sweep(FIRST_UID + slot)
            return slot, descriptor
        if time.monotonic() >= deadline:
            raise WorkerError(f"all {slots} student-uid slots of this host are taken (lock files in {folder}): "
                              f"{slots} graders already run here; waited {wait:g} s for one to end")
        time.sleep(0.5)


def release_slot(slot: int, descriptor: int) -> None:
    """Kill whatever still runs as the slot's uid, then let the slot go."""
    sweep_slot(slot)
    os.close(descriptor)


def sweep_slot(slot: int) -> None:
    """:func:`sweep` the slot's uid."""
    sweep(FIRST_UID + slot)


def ensure_folder(folder: Path) -> None:
    """Make the slots' folder; refuse one that someone else owns or may write (they could hold slots or plant
    links)."""
    folder.mkdir(mode=0o700 if os.geteuid() == 0 else 0o755, parents=True, exist_ok=True)
    info = folder.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
        raise WorkerError(f"{folder} (the graders' slot locks) must be a folder of uid {os.geteuid()} that nobody "
                          "else can write; remove it and run again")


def sweep(uid: int) -> None:
    """SIGKILL every process of ``uid`` (as root; nothing to do otherwise) and wait, a few seconds at most, until
    none is left alive (a zombie is its parent's to reap). ``kill -9 -1`` run as ``uid`` reaches all of them at
    once; as a separate program it works from any process, threads and all (a Dask worker)."""
    if os.geteuid() != 0:
        return
    deadline = time.monotonic() + 5.0
    while True:
        subprocess.run(["kill", "-KILL", "-1"], user=uid, group=uid, extra_groups=[], check=False,
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not processes_of(uid, zombies=False) or time.monotonic() > deadline:
            return
        time.sleep(0.02)
