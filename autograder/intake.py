"""One intake for every front end: a submission read once, the same way, before anything of it runs.

:func:`take` is where ``pytest autograder``, ``autograder grade`` (and its Dask tasks), nbgrader's autograde and
Gradescope's ``run_autograder`` read a student's notebook. In order:

1. the file: only a regular file inside the class folder is opened (a link out of it, a named pipe, a device, a
   folder named ``x.ipynb`` is refused from its ``lstat``, before it is opened; it is opened with ``O_NOFOLLOW`` and
   ``O_NONBLOCK`` and checked again with ``fstat``, so nothing swapped in between is read), and at most
   :data:`READ_LIMIT` bytes of it;
2. the notebook: UTF-8 JSON, read and validated by nbformat (an old format upgraded as nbformat upgrades it), so a
   cell without ``source`` or of an unknown type is refused as nbgrader refuses it;
3. its outputs stripped (they are never graded), and only then the size limit (:data:`MAX_NOTEBOOK_BYTES`);
4. its unit: the one named (``--unit``, nbgrader's assignment), else its ``gluon_grader.unit`` metadata, else a
   folder named after a unit, else the unit whose exercises it defines. A notebook that is plainly another unit's
   (it defines none of the named unit's exercises, and another unit's metadata or exercises) is named as such.

The answer is a :class:`Notebook` (its bytes as the pipeline grades them) or one :class:`Unreadable` reason in the
student's terms, the same in every front end, so the same file gets the same score and message everywhere.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from .options import MAX_NOTEBOOK_BYTES
from .units import Unit, UnknownUnit, all_units, unit

#: The most bytes read of a file handed in: a notebook with its outputs may be larger than what is graded (outputs
#: are stripped first), but a file larger than this is refused without being read to its end.
READ_LIMIT = 128 * 2**20
#: What the first bytes of an archive look like, with the name a student knows it by.
ARCHIVES = ((b"PK\x03\x04", "a zip archive"), (b"PK\x05\x06", "an (empty) zip archive"),
            (b"\x1f\x8b", "a gzip-compressed file"), (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
            (b"Rar!", "a RAR archive"), (b"%PDF", "a PDF document"))
#: What a file that is not a regular one is, by its mode, in the student's words.
FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
              (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a link"))
#: Top-level names a code cell defines (``def f``, ``class C``, ``f = ...``), read without running anything.
DEFINED = re.compile(r"^(?:async\s+def|def|class)\s+([A-Za-z_]\w*)|^([A-Za-z_]\w*)\s*(?::[^=\n]*)?=(?!=)",
                     re.MULTILINE)

#: A JSON string, escapes included (to count brackets outside strings).
STRINGS = re.compile(r'"(?:[^"\\\n]|\\.)*"')


@dataclass(frozen=True)
class Notebook:
    """A notebook ready to grade: its file name, its bytes as graded (nbformat 4, outputs stripped), its unit (None
    only where asked for: see :func:`take`) and the SHA-256 of the file as handed in (what a rerun compares)."""

    name: str
    data: bytes
    unit: Unit | None
    sha256: str


@dataclass(frozen=True)
class Unreadable:
    """A submission that cannot be graded, and why, in the student's terms; ``unit`` is the unit it is graded
    for (every check at 0), None where no unit could be told."""

    name: str
    reason: str
    unit: Unit | None
    sha256: str = ""


class Refused(Exception):
    """Why a file handed in is not read or not a notebook (the message is the student's)."""


def take(path: str | os.PathLike | None = None, *, data: bytes | None = None, name: str | None = None,
         folder: str | os.PathLike | None = None, unit_name: str | None = None,
         unit_required: bool = True) -> Notebook | Unreadable:
    """Read one submission: the file at ``path`` inside the class folder ``folder`` (default: its own folder), or
    ``data`` already read (nbgrader hands its step a notebook, not a file); graded for ``unit_name`` when given.
    A notebook of no unit is :class:`Unreadable`, or, without ``unit_required`` (nbgrader runs notebooks of no
    unit, its own test notebooks), a :class:`Notebook` whose ``unit`` is None.

    Never raises for what the student handed in; :class:`~autograder.units.UnknownUnit` for a ``unit_name`` no
    unit has (the caller's mistake, not the student's).
    """
    named = unit(unit_name) if unit_name else None
    name = name or (Path(path).name if path is not None else "submission.ipynb")
    digest = ""
    try:
        if data is None:
            if path is None:
                raise Refused("no notebook (`.ipynb` file) was handed in")
            data = read_file(Path(path), Path(folder) if folder is not None else None)
        digest = hashlib.sha256(data).hexdigest()
        document = parsed(data, name)
        graded = stripped(document, name)
        found = unit_of_notebook(document, name, Path(path) if path is not None else None, named)
    except Refused as reason:  # graded for the unit named, else the one its folder is named after (if any)
        return Unreadable(name, str(reason), named or folder_unit(Path(path) if path is not None else None), digest)
    if isinstance(found, str) and (unit_required or named is not None):
        return Unreadable(name, found, named, digest)
    if isinstance(found, str):
        found = None
    return Notebook(name, graded, found, digest)


# --- 1. the file -------------------------------------------------------------------------------------------------

def read_file(path: Path, folder: Path | None = None) -> bytes:
    """The bytes of the regular file at ``path`` inside ``folder``, at most :data:`READ_LIMIT`, or :class:`Refused`.

    Looked at before it is opened (``lstat``: a link out of the folder, a pipe or a device is never opened) and
    again once open (``fstat`` of what was opened, without following links or waiting for a writer).
    """
    shown = f"`{path.name}`"
    folder = Path(os.path.realpath(folder if folder is not None else path.parent))
    try:
        before = os.lstat(path)
    except FileNotFoundError:
        raise Refused(f"{shown} does not exist") from None
    except OSError as error:
        raise Refused(f"{shown} could not be read ({error.strerror})") from None
    target = path
    if stat.S_ISLNK(before.st_mode):
        target = Path(os.path.realpath(path))
        if not target.is_relative_to(folder):
            raise Refused(f"{shown} is a link to a file outside the folder handed in, not a notebook: hand in the "
                          "notebook file itself")
        try:
            before = os.lstat(target)
        except OSError:
            raise Refused(f"{shown} is a link to nothing (a broken link): hand in the notebook file itself") from None
    refuse_unless_regular(before.st_mode, shown)
    try:
        handle = os.open(target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise Refused(f"{shown} is a link, not a notebook: hand in the notebook file itself") from None
        raise Refused(f"{shown} could not be read ({error.strerror})") from None
    with os.fdopen(handle, "rb") as file:
        after = os.fstat(file.fileno())
        refuse_unless_regular(after.st_mode, shown)
        if (after.st_dev, after.st_ino) != (before.st_dev, before.st_ino):
            raise Refused(f"{shown} changed while it was being read: hand it in again")
        if after.st_size > READ_LIMIT:
            raise Refused(too_large(shown, after.st_size, READ_LIMIT, "on disk"))
        try:
            data = file.read(READ_LIMIT + 1)
        except OSError as error:
            raise Refused(f"{shown} could not be read ({error.strerror})") from None
    if len(data) > READ_LIMIT:
        raise Refused(too_large(shown, len(data), READ_LIMIT, "on disk"))
    return data


def refuse_unless_regular(mode: int, shown: str) -> None:
    """:class:`Refused` naming what the file is, unless it is a regular file."""
    if stat.S_ISREG(mode):
        return
    kind = next((what for test, what in FILE_KINDS if test(mode)), "not a regular file")
    raise Refused(f"{shown} is {kind}, not a notebook file: hand in the `.ipynb` file itself")


def too_large(shown: str, size: int, limit: int, how: str) -> str:
    """The reason a notebook is too large, in MB."""
    return (f"{shown} is {size / 2**20:.0f} MB {how}, larger than the {limit // 2**20} MB a notebook may be: "
            "clear large data or images out of its cells and hand it in again")


# --- 2. the notebook ---------------------------------------------------------------------------------------------

def parsed(data: bytes, name: str):
    """The notebook in ``data`` as nbformat reads it (version 4, validated), or :class:`Refused` saying what it is."""
    shown = f"`{name}`"
    if not data.strip():
        raise Refused(f"{shown} is empty: it has no cells at all")
    for magic, kind in ARCHIVES:
        if data.startswith(magic):
            raise Refused(f"{shown} is {kind}, not a notebook: hand in the `.ipynb` file itself, not compressed")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(f"{shown} is not a notebook: it is not UTF-8 text (byte {data[error.start]:#04x} at position "
                      f"{error.start}); save it again from Jupyter") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        what = error.msg[:-3] + " there" if error.msg.endswith(" at") else error.msg  # not "starting at at line"
        ending = " (the file looks cut short: save it again from Jupyter)" if cut_short(text, error) else ""
        raise Refused(f"{shown} is not a notebook: it is not valid JSON (line {error.lineno}, column "
                      f"{error.colno}: {what.lower()}){ending}") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells", document.get("worksheets")), list):
        raise Refused(f"{shown} is not a notebook: it holds JSON, but not a notebook's (no list of cells)")
    if not isinstance(document.get("nbformat"), int):
        raise Refused(f"{shown} is not a notebook: its nbformat version is missing or not a number")
    return validated(document, shown)


def cut_short(text: str, error: json.JSONDecodeError) -> bool:
    """Whether JSON text broke because it ends too soon (a file cut short): the error is at its very end (an
    unterminated string runs to the end), and brackets are left open there, strings aside."""
    rest = text[error.pos:].strip()
    at_end = (error.msg.startswith("Unterminated string") or not rest
              or any(word.startswith(rest) for word in ("true", "false", "null")))  # cut inside a literal
    code = STRINGS.sub('""', text)
    return at_end and (code.count('"') % 2 == 1
                       or code.count("{") + code.count("[") > code.count("}") + code.count("]"))


def validated(document: dict, shown: str):
    """``document`` read, upgraded to version 4 and validated by nbformat, as nbgrader reads a notebook."""
    nbformat = imported_nbformat()
    from nbformat.reader import get_version

    try:
        major, minor = get_version(document)
    except Exception:  # noqa: BLE001  (nbformat's own reasons)
        raise Refused(f"{shown} is not a notebook: its nbformat version is missing or not a number") from None
    if not isinstance(major, int) or major not in nbformat.versions:
        raise Refused(f"{shown} is not a notebook nbformat can read (nbformat version {major!r})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat warns of ids it adds; nothing a student must act on
        try:
            nb = nbformat.versions[major].to_notebook_json(document, minor=minor)
            if major < 4:
                nb = nbformat.convert(nb, 4)
            nbformat.validate(nb)
        except nbformat.ValidationError as error:
            raise Refused(f"{shown} is not a valid notebook: {invalid(error, nb)}") from None
        except Exception as error:  # noqa: BLE001  (nbformat's converters raise many kinds on broken input)
            raise Refused(f"{shown} is not a valid notebook ({type(error).__name__}: {str(error)[:200]})") from None
    return nb


def imported_nbformat():
    """nbformat, imported without building rfc3987_syntax's grammars where jsonschema is not imported yet.

    nbformat imports jsonschema, whose format checkers import rfc3987_syntax if it is installed (nbgrader's
    dependencies install it), and that builds about 40 grammars at import: over a second on every grading process
    (the self-check, each judge process), for the ``iri`` formats no notebook schema uses. Hidden while jsonschema
    is first imported, it is left out of jsonschema's format checkers only; it can still be imported afterwards.
    """
    import sys

    if "nbformat.validator" not in sys.modules and "jsonschema" not in sys.modules and \
            "rfc3987_syntax" not in sys.modules:
        sys.modules["rfc3987_syntax"] = None  # an import of it raises ImportError: jsonschema does without
        try:
            import nbformat.validator
        finally:
            del sys.modules["rfc3987_syntax"]
    import nbformat

    return nbformat


def invalid(error, nb) -> str:
    """What nbformat's validation error says, in the student's terms: the cell (counted from 1) and what is wrong."""
    place = list(getattr(error, "absolute_path", None) or getattr(error, "path", None) or [])
    message = str(getattr(error, "message", error)).splitlines()[0][:200]
    if len(place) >= 2 and place[0] == "cells" and isinstance(place[1], int):
        cells = nb.get("cells") or []
        cell = cells[place[1]] if place[1] < len(cells) and isinstance(cells[place[1]], dict) else {}
        where = f"cell {place[1] + 1}"
        kind = cell.get("cell_type")
        if kind not in ("code", "markdown", "raw"):
            return (f"{where} has an unknown cell type ({kind!r}); a notebook's cells are code, markdown or raw "
                    "(nbgrader refuses it too)")
        missing = re.match(r"'(\w+)' is a required property", message)
        if missing:
            return f"{where} (a {kind} cell) has no `{missing.group(1)}` (nbgrader refuses it too)"
        field = ".".join(str(part) for part in place[2:])
        return f"{where} (a {kind} cell){' in `' + field + '`' if field else ''}: {message}"
    return message


def stripped(nb, name: str) -> bytes:
    """The notebook's bytes without outputs (never graded), within :data:`MAX_NOTEBOOK_BYTES`, or :class:`Refused`."""
    from nbformat.v4.nbjson import writes

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    data = writes(nb).encode()
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise Refused(too_large(f"`{name}`", len(data), MAX_NOTEBOOK_BYTES, "without its outputs"))
    return data


# --- 4. its unit ---------------------------------------------------------------------------------------------------

def unit_of_notebook(nb, name: str, path: Path | None, named: Unit | None) -> Unit | str:
    """The unit the notebook is graded for, or why it cannot be graded for the one named (or for any)."""
    units = all_units()
    defines = defined_names(nb)
    said = metadata_unit(nb)
    if named is not None:
        other = other_unit(named, said, defines, units)
        return named if other is None else wrong_unit(name, named, other, said, defines)
    if said in units:
        return units[said]
    if folder_unit(path) is not None:
        return folder_unit(path)
    if len(units) == 1:
        return next(iter(units.values()))
    best = most_exercises(defines, units)
    if best is not None:
        return best
    return (f"`{name}` does not say which unit it belongs to (no gluon_grader metadata, not in a folder named after "
            f"a unit, none of a unit's exercises defined); name it with --unit, one of: {', '.join(units)}")


def folder_unit(path: Path | None) -> Unit | None:
    """The unit a folder above ``path`` is named after (nbgrader's ``<student>/<assignment>/``), or None."""
    units = all_units()
    for folder in Path(os.path.abspath(path)).parents if path is not None else ():
        if folder.name in units:
            return units[folder.name]
    return None


def metadata_unit(nb) -> str | None:
    """``metadata.gluon_grader.unit`` of a notebook, or None."""
    meta = (nb.get("metadata") or {}).get("gluon_grader") if isinstance(nb.get("metadata"), dict) else None
    return meta.get("unit") if isinstance(meta, dict) and isinstance(meta.get("unit"), str) else None


def defined_names(nb) -> set[str]:
    """The top-level names the notebook's code cells define."""
    names: set[str] = set()
    for cell in nb.get("cells") or []:
        if cell.get("cell_type") == "code" and isinstance(cell.get("source"), str):
            names.update(a or b for a, b in DEFINED.findall(cell["source"]))
    return names


def most_exercises(defines: set[str], units: dict[str, Unit]) -> Unit | None:
    """The one unit of which the notebook defines the most exercises (None: no unit's, or a tie)."""
    counts = sorted(((len(defines & {e.name for e in one.exercises}), one.name) for one in units.values()),
                    reverse=True)
    if not counts or counts[0][0] == 0 or (len(counts) > 1 and counts[1][0] == counts[0][0]):
        return None
    return units[counts[0][1]]


def other_unit(named: Unit, said: str | None, defines: set[str], units: dict[str, Unit]) -> Unit | None:
    """The unit the notebook plainly is instead of ``named``: it defines none of ``named``'s exercises, and its
    metadata names another unit or it defines another unit's exercises. None when it may well be ``named``'s."""
    if defines & {exercise.name for exercise in named.exercises}:
        return None
    if said in units and said != named.name:
        return units[said]
    best = most_exercises(defines, units)
    return best if best is not None and best.name != named.name else None


def wrong_unit(name: str, named: Unit, other: Unit, said: str | None, defines: set[str]) -> str:
    """The reason a notebook of another unit gets 0, naming that unit."""
    theirs = sorted(defines & {exercise.name for exercise in other.exercises})
    because = (f"its metadata says unit {other.name}" if said == other.name else
               "it defines " + ", ".join(f"`{one}`" for one in theirs[:4]))
    return (f"`{name}` is the notebook of unit {other.name} ({other.title}), not of unit {named.name}, which this "
            f"assignment grades ({because}, and none of {named.name}'s exercises): hand in your {named.name} notebook")


__all__ = ["MAX_NOTEBOOK_BYTES", "READ_LIMIT", "Notebook", "Refused", "UnknownUnit", "Unreadable", "read_file",
           "take"]
