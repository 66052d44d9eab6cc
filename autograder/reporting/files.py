"""Where and how the reporters write: atomic writes, and the folder each student's files go in."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

#: Characters a student id may not keep in a folder name: path separators, NUL and other control characters.
_UNSAFE = re.compile(r"[/\\\x00-\x1f\x7f]")


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` to ``path`` atomically: a temporary file in the same folder, then ``os.replace``.

    Readers see the old file or the whole new one, never a half; on any error the temporary file is removed and
    the old file is left as it was. Missing parent folders are created. The file is readable by all (0644).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def safe_folder_name(student: str) -> str:
    """The name of ``student``'s folder under the output folder: one path component that cannot leave it.

    Path separators (``/`` and ``\\``), NUL and control characters become ``_``, and so does a leading ``.``
    (which also rules out ``.`` and ``..`` and hidden folders); an empty id becomes ``_``. Any other id, Unicode
    included, is kept as it is. Two ids that differ only in those characters share a folder: ``read_student``
    notices (the stored student id differs) and returns None for the other.
    """
    name = _UNSAFE.sub("_", student)
    if name.startswith("."):
        name = "_" + name[1:]
    return name or "_"
