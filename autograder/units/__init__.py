"""The course's units: each a plug-in package that holds every fact about its exercises, graded by one pipeline.

A unit is a package whose ``__init__`` defines ``UNIT = Unit(...)``: its name (also its nbgrader assignment and
folder name: ``solutions/<name>/<name>.ipynb``, ``assignments/<name>/<name>.ipynb``), its exercises in course
order (name, the ``grade_id`` of the notebook cell that holds the answer, title), and two modules beside it:

- ``<package>.checks``: the judgements, registered with :func:`autograder.checks.base.check` (points, titles);
- ``<package>.probes``: what runs next to the student's code, registered with
  :func:`autograder.subject.probing.probe`; only this module is imported inside the sandbox.

Hidden checks of a unit live outside what students receive, in ``instructor/<name>.py``.

The kit's own units are the packages under ``autograder/units/``; more come from the ``gluon_grader.units`` entry
point group, or from ``GLUON_GRADER_UNITS`` (comma-separated package names, e.g. for a unit being written).
"""
from __future__ import annotations

import functools
import importlib
import json
import os
import pkgutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

#: Environment variable naming more unit packages (comma-separated).
UNITS_VARIABLE = "GLUON_GRADER_UNITS"
ENTRY_POINTS = "gluon_grader.units"


class UnknownUnit(LookupError):
    """No unit has that name, or a notebook does not say which unit it belongs to."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: the name the student defines, the ``grade_id`` of its answer cell, and a title."""

    name: str
    cell: str
    title: str


@dataclass(frozen=True)
class Unit:
    """One unit of the course: its exercises, and where its checks and probes are."""

    name: str
    title: str
    package: str
    exercises: tuple[Exercise, ...]
    hidden_module: str = field(default="", compare=False)

    @property
    def checks_module(self) -> str:
        """The module whose import registers the unit's checks."""
        return f"{self.package}.checks"

    @property
    def probes_module(self) -> str:
        """The module whose import registers the unit's probes (imported inside the sandbox)."""
        return f"{self.package}.probes"

    @property
    def top_package(self) -> str:
        """The top-level package the unit lives in (``autograder`` for the kit's own units)."""
        return self.package.partition(".")[0]

    @property
    def checks(self) -> list:
        """The unit's visible checks, in course order."""
        return self._ordered(self.checks_module)

    @property
    def hidden_checks(self) -> list:
        """The unit's hidden checks (``instructor/<unit>.py``), or none where that module is not here."""
        module = self.hidden_module or f"instructor.{self.name}"
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as error:
            if error.name not in (module, module.partition(".")[0]):
                raise
            return []
        return self._ordered(module)

    @property
    def points(self) -> float:
        """The points of the visible checks."""
        return sum(check.points for check in self.checks)

    def exercise(self, name: str) -> Exercise:
        """The exercise called ``name``."""
        for exercise in self.exercises:
            if exercise.name == name:
                return exercise
        raise KeyError(f"unit {self.name!r} has no exercise {name!r}")

    def find(self, check_id: str):
        """The visible or hidden check ``exercise.name``."""
        for check in [*self.checks, *self.hidden_checks]:
            if check.id == check_id:
                return check
        raise KeyError(f"unit {self.name!r} has no check {check_id!r}")

    def _ordered(self, module: str) -> list:
        from ..checks.base import LOADED

        importlib.import_module(module)
        mine = [check for check in LOADED if check.module == module or check.module.startswith(module + ".")]
        order = {exercise.name: number for number, exercise in enumerate(self.exercises)}
        unknown = sorted({check.exercise for check in mine} - set(order))
        if unknown:
            raise ValueError(f"unit {self.name!r}: checks of exercises it does not declare: {unknown}")
        return sorted(mine, key=lambda check: order[check.exercise])


def unit_packages() -> list[str]:
    """The package of every unit: the kit's own, then entry points, then ``GLUON_GRADER_UNITS``."""
    here = [f"{__name__}.{info.name}" for info in pkgutil.iter_modules(__path__) if info.ispkg]
    plugged = [entry.value for entry in metadata.entry_points(group=ENTRY_POINTS)]
    named = [name.strip() for name in os.environ.get(UNITS_VARIABLE, "").split(",") if name.strip()]
    return list(dict.fromkeys([*here, *plugged, *named]))


@functools.cache
def _load(packages: tuple[str, ...]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for package in packages:
        unit = importlib.import_module(package).UNIT
        if unit.name in units:
            raise ValueError(f"two units are called {unit.name!r}: {units[unit.name].package} and {package}")
        units[unit.name] = unit
    return units


def all_units() -> dict[str, Unit]:
    """Every unit, by name, in the order of :func:`unit_packages`."""
    return _load(tuple(unit_packages()))


def unit(name: str) -> Unit:
    """The unit called ``name``, or :class:`UnknownUnit` naming the ones there are."""
    units = all_units()
    if name not in units:
        raise UnknownUnit(f"there is no unit {name!r}; the units are: {', '.join(units)}")
    return units[name]


def unit_of(path: str | Path | None = None, notebook: bytes | None = None, *, named: str | None = None) -> Unit:
    """The unit a notebook belongs to: ``named`` (``--unit``), the notebook's metadata, then its folders.

    The metadata is ``metadata.gluon_grader.unit`` (the kit's notebooks carry it, and nbgrader keeps it in the
    release); the folders are nbgrader's (``<student>/<assignment>/x.ipynb``, ``assignments/<unit>/<unit>.ipynb``).
    With a single unit in the course, that one.
    """
    if named:
        return unit(named)
    units = all_units()
    from_metadata = metadata_unit(notebook if notebook is not None else _read(path))
    if from_metadata:
        return unit(from_metadata)
    if path is not None:
        for folder in Path(path).resolve().parents:
            if folder.name in units:
                return units[folder.name]
    if len(units) == 1:
        return next(iter(units.values()))
    where = f"`{Path(path).name}`" if path is not None else "this notebook"
    raise UnknownUnit(f"{where} does not say which unit it belongs to (no gluon_grader metadata, not in a folder "
                      f"named after a unit); name it with --unit, one of: {', '.join(units)}")


def metadata_unit(notebook: bytes | None) -> str | None:
    """``metadata.gluon_grader.unit`` of a notebook's JSON, or None."""
    if not notebook:
        return None
    try:
        meta = json.loads(notebook).get("metadata", {}).get("gluon_grader", {})
    except (ValueError, AttributeError, UnicodeDecodeError):
        return None
    return meta.get("unit") if isinstance(meta, dict) and isinstance(meta.get("unit"), str) else None


def _read(path) -> bytes | None:
    try:
        return Path(path).read_bytes() if path is not None else None
    except OSError:
        return None


def find_check(check_id: str):
    """The check ``exercise.name`` in whichever unit has it (test cells name checks by id alone)."""
    for one in all_units().values():
        try:
            return one.find(check_id)
        except KeyError:
            continue
    raise KeyError(f"no unit has a check {check_id!r}")


def unit_of_check(check) -> Unit:
    """The unit that owns ``check`` (by the module that defined it: its checks, or its hidden checks)."""
    for one in all_units().values():
        if any(check.module == module or check.module.startswith(module + ".")
               for module in (one.checks_module, one.hidden_module or f"instructor.{one.name}")):
            return one
    raise KeyError(f"no unit owns the check {check.id!r}")
