"""Why a batch stops before its end: an output folder it cannot write or another run holds, a Dask scheduler it
cannot reach."""
from __future__ import annotations

from pathlib import Path


class OutputUnwritable(Exception):
    """The output folder cannot be written (full disk, read-only, no permission): the batch stops.

    Every file already written is whole (each is written to a temporary file, then renamed); rerun the same
    command once the folder can be written, or into another folder.
    """

    def __init__(self, out: Path, error: OSError, writing: Path | None = None):
        where = error.filename or writing or out
        super().__init__(f"cannot write the output folder {out}: {error.strerror or error} ({where}). The batch "
                         "stopped; every result written so far is whole. Free space or make the folder writable "
                         "(or choose another --out), then run the same command again.")


class OutputLocked(Exception):
    """Another run is grading into the same output folder: this one grades nothing (two runs would grade the
    same students twice, and the class files would be whichever run wrote last)."""

    def __init__(self, out: Path, holder: str):
        super().__init__(f"the output folder {out} is being graded into by another run ({holder or 'details unknown'}"
                         "). Nothing was graded; wait until it ends, or choose another --out.")


class ClusterUnreachable(Exception):
    """The Dask scheduler of ``--scheduler`` cannot be reached (or its address is not one): nothing was graded."""

    def __init__(self, address: str, error: Exception):
        super().__init__(f"cannot reach the Dask scheduler at {address} ({type(error).__name__}: {error}). Nothing "
                         "was graded; start the scheduler (`dask scheduler`) or check the address, then run the same "
                         "command again.")
