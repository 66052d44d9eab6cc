"""Find the submissions to grade (an nbgrader ``submitted/`` tree, a folder of notebooks, or one notebook) and read
each through the intake (:mod:`autograder.intake`), as every front end reads a notebook."""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ..intake import Notebook, Refused, Unreadable, read_file, take


@dataclass(frozen=True)
class Submission:
    """One student's notebook; ``path`` is None when the student's folder holds no notebook at all. ``folder`` is
    the class folder it was found in: nothing outside it is read."""

    student: str
    path: Path | None
    where: str
    folder: Path | None = None

    def digest(self) -> str:
        """SHA-256 of the notebook file (empty for a missing or unreadable one): a changed file is regraded."""
        try:
            return hashlib.sha256(read_file(self.path, self.folder)).hexdigest() if self.path else ""
        except Refused:
            return ""


def read_submission(submission: Submission, unit) -> Notebook | Unreadable:
    """The submission as the intake reads it, for ``unit`` (None: the unit each notebook says it is of)."""
    if submission.path is None:
        return Unreadable(submission.where, f"no notebook was found in {submission.where}", unit)
    return take(submission.path, folder=submission.folder, unit_name=unit.name if unit is not None else None)


def unit_of_submissions(root: str | Path, named: str | None = None):
    """The unit a class is graded for: ``named`` (``--assignment``), else what the submissions say; None when each
    notebook is graded for the unit it says it is of (a folder of several units' notebooks, or one notebook).

    An nbgrader tree says it by its ``<student>/<assignment>/`` folders; a folder of notebooks by the unit their
    metadata name when they all name the same one (a broken notebook names none), else by a folder named after a
    unit. With one unit in the course, that one.
    """
    from ..units import UnknownUnit, all_units, unit

    if named:
        return unit(named)
    root = Path(root)
    units = all_units()
    if len(units) == 1:
        return next(iter(units.values()))
    if not root.is_dir() or root.is_symlink():
        return None
    folders = {child.name for student in root.iterdir() if student.is_dir() and not student.is_symlink()
               for child in student.iterdir() if child.is_dir()}
    found = sorted(folders & set(units))
    if len(found) == 1:
        return units[found[0]]
    if len(found) > 1:
        raise UnknownUnit(f"{root} holds several assignments ({', '.join(found)}): name one with --assignment")
    named_units = Counter(filter(None, (metadata_unit_of(path, root) for path in sorted(root.glob("*.ipynb")))))
    if len(named_units) == 1:
        return unit(next(iter(named_units)))
    if named_units:
        return None  # several units' notebooks: each is graded for its own
    return next((units[folder.name] for folder in root.resolve().parents if folder.name in units), None)


def metadata_unit_of(path: Path, root: Path) -> str | None:
    """The unit a notebook's metadata names, read as the intake reads a file (None: none, or not readable)."""
    from ..units import metadata_unit

    try:
        return metadata_unit(read_file(path, root))
    except Refused:
        return None


def discover(root: str | Path, assignment: str | None) -> list[Submission]:
    """Every submission under ``root``, sorted by student.

    - a single ``.ipynb`` file: one submission, the student named after the file;
    - ``<student>.ipynb`` entries: one submission each, whatever they are (a link, a pipe, a folder: the intake
      says why it is not a notebook, in that student's row);
    - ``<student>/<assignment>/*.ipynb`` (nbgrader's ``submitted/``): the notebook named after the assignment,
      else the only one; a student folder without a notebook still counts, as a missing submission.
    """
    root = Path(root)
    if root.suffix == ".ipynb" and (root.is_symlink() or root.exists()) and not root.is_dir():
        return [Submission(root.stem, root, root.name, root.parent)]
    if not root.is_dir():
        raise FileNotFoundError(f"no such file or folder: {root}")
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, entry, entry.name, root))
        elif entry.is_dir() and not entry.is_symlink():
            found.append(in_student_folder(entry, assignment, root))
    return found


def in_student_folder(folder: Path, assignment: str | None, root: Path) -> Submission:
    """The notebook of one student's nbgrader folder (any assignment's, when none is named)."""
    place = folder / assignment if assignment else folder
    pattern = "*.ipynb" if assignment else "*/*.ipynb"
    notebooks = sorted(place.glob(pattern)) if place.is_dir() and not place.is_symlink() else []
    preferred = [path for path in notebooks if path.stem == assignment]
    chosen = (preferred or notebooks or [None])[0]
    where = str((chosen or place).relative_to(root))
    return Submission(folder.name, chosen, where, root)
