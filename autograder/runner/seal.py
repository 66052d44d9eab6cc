"""Keep the grader's own modules out of the student's reach inside the subject process.

Before the notebook runs, every ``autograder`` module but the course's public MNIST loader, ``autograder.mnist``,
is dropped from ``sys.modules`` (the probes keep their own references), and an import hook refuses
``autograder.*`` except that loader, which notebooks use. So ``import autograder.units.plumbing.probes`` in a
notebook gets a fresh refusal, not the live probes to rewrite. Code that digs through frames or the garbage
collector can still find them; :mod:`autograder.screening` flags such notebooks for review (see the README's
security section).
"""
from __future__ import annotations

import importlib.abc
import sys

LOADER = "autograder.mnist"
PUBLIC = {"autograder", LOADER}


class GraderImportRefused(ImportError):
    """A notebook tried to import the grader's internals."""


class _RefuseGrader(importlib.abc.MetaPathFinder):
    def __init__(self, packages: tuple[str, ...]):
        self.packages = packages

    def find_spec(self, name, path=None, target=None):
        if name not in PUBLIC and any((name == top and top != "autograder") or name.startswith(top + ".")
                                      for top in self.packages):
            raise GraderImportRefused(f"{name} is part of the grader and cannot be imported by a notebook")


def seal(units: tuple[str, ...] | list[str] = ()) -> None:
    """Hide the grader's loaded modules and refuse new imports of them (but ``autograder.mnist``).

    ``units`` are the top-level packages of units that live outside the kit: hidden the same way. The loaded
    ``autograder.mnist`` stays, with the MNIST the zygote has already read; the package itself goes, since its
    attributes lead to every submodule.
    """
    packages = ("autograder", *units)
    for name in [name for name in sys.modules if any(name == top or name.startswith(top + ".") for top in packages)]:
        if name != LOADER:
            del sys.modules[name]
    sys.meta_path.insert(0, _RefuseGrader(packages))
