"""Student-uid slots claimed per host with lock files, by graders that come and go (Dask workers, the judge
processes of an ``nbgrader autograde`` run), so that none of them shares a uid with another or with a ``--jobs``
batch (whose judges take slots 0, 1, ... by number)."""
from __future__ import annotations

import fcntl
import os
import tempfile
from pathlib import Path

from .worker import WorkerError

#: The first slot claimed by lock file (uid 61000 + slot): above a ``--jobs`` batch's slots (0, 1, ...), so both
#: can run on one host without sharing a uid.
FIRST_SLOT = 100
#: How many such graders one host may run.
SLOTS = 900
#: Where the graders of one host claim their slots: one lock file per slot, held while the grader lives.
SLOT_FOLDER = Path(tempfile.gettempdir()) / "gluon-grader-slots"


def claim_slot(folder: Path = SLOT_FOLDER) -> tuple[int, int]:
    """The lowest free slot of this host and its locked file's descriptor: held for the grader's lifetime, and
    let go by the kernel when the process ends, however it ends (a restarted grader takes the slot again)."""
    folder.mkdir(parents=True, exist_ok=True)
    for slot in range(FIRST_SLOT, FIRST_SLOT + SLOTS):
        descriptor = os.open(folder / f"slot-{slot}.lock", os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            continue
        return slot, descriptor
    raise WorkerError(f"more than {SLOTS} grading workers on this host (lock files in {folder})")
