"""Find the submissions to grade: an nbgrader ``submitted/`` tree, a folder of notebooks, or one notebook."""
from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Submission:
    """One student's notebook; ``path`` is None when the student's folder holds no notebook at all."""

    student: str
    path: Path | None
    where: str

    def digest(self) -> str:
        """SHA-256 of the notebook file (empty for a missing or unreadable one): a changed file is regraded."""
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path else ""
        except OSError:
            return ""


def unit_of_submissions(root: str | Path, named: str | None = None):
    """The unit a class is graded for: ``named`` (``--assignment``), else what the submissions say.

    An nbgrader tree says it by its ``<student>/<assignment>/`` folders, a notebook by its metadata or folders;
    a folder of notebooks by the unit most of their metadata name (a broken notebook names none, and one notebook
    cannot decide for the class), else by its first notebook. With one unit in the course, that one.
    """
    from ..units import all_units, metadata_unit, unit_of

    if named:
        return unit_of(named=named)
    root = Path(root)
    if root.is_dir():
        units = all_units()
        folders = {child.name for student in root.iterdir() if student.is_dir() for child in student.iterdir()
                   if child.is_dir()}
        found = sorted(folders & set(units))
        if len(found) == 1:
            return units[found[0]]
        notebooks = sorted(root.glob("*.ipynb"))
        named_units = Counter(filter(None, (metadata_unit(_bytes_of(notebook)) for notebook in notebooks)))
        if named_units:
            return unit_of(named=named_units.most_common(1)[0][0])
        return unit_of(notebooks[0] if notebooks else root)
    return unit_of(root)


def _bytes_of(path: Path) -> bytes | None:
    """A notebook's bytes, or None when it cannot be read."""
    try:
        return path.read_bytes()
    except OSError:
        return None


def discover(root: str | Path, assignment: str) -> list[Submission]:
    """Every submission under ``root``, sorted by student.

    - a single ``.ipynb`` file: one submission, the student named after the file;
    - ``<student>.ipynb`` files: one submission each;
    - ``<student>/<assignment>/*.ipynb`` (nbgrader's ``submitted/``): the notebook named after the assignment,
      else the only one; a student folder without a notebook still counts, as a missing submission.
    """
    root = Path(root)
    if root.is_file():
        return [Submission(root.stem, root, root.name)]
    if not root.is_dir():
        raise FileNotFoundError(f"no such file or folder: {root}")
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and entry.suffix == ".ipynb":
            found.append(Submission(entry.stem, entry, entry.name))
        elif entry.is_dir():
            found.append(in_student_folder(entry, assignment, root))
    return found


def in_student_folder(folder: Path, assignment: str, root: Path) -> Submission:
    """The notebook of one student's nbgrader folder."""
    place = folder / assignment
    notebooks = sorted(place.glob("*.ipynb")) if place.is_dir() else []
    preferred = [path for path in notebooks if path.stem == assignment]
    chosen = (preferred or notebooks or [None])[0]
    where = str((chosen or place).relative_to(root))
    return Submission(folder.name, chosen, where)
