"""Keep the grader's own modules out of the student's reach inside the subject process.

Before the notebook runs, every ``autograder`` module but the course's public MNIST loader, ``autograder.mnist``,
is dropped from ``sys.modules`` (the probes keep their own references), and an import hook refuses
``autograder.*`` except that loader, which notebooks use. So ``import autograder.subject.probes`` in a notebook gets a fresh
refusal, not the live probes to rewrite. Code that digs through frames or the garbage collector can still find
them; :mod:`autograder.screening` flags such notebooks for review (see the README's security section).
"""
from __future__ import annotations

import importlib.abc
import sys

LOADER = "autograder.mnist"
PUBLIC = {"autograder", LOADER}


class GraderImportRefused(ImportError):
    """A notebook tried to import the grader's internals."""


class _RefuseGrader(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.startswith("autograder.") and name not in PUBLIC:
            raise GraderImportRefused(f"{name} is part of the grader and cannot be imported by a notebook")


def seal() -> None:
    """Hide the grader's loaded modules and refuse new imports of them (but ``autograder.mnist``).

    The loaded ``autograder.mnist`` stays, with the MNIST the zygote has already read; the package itself goes,
    since its attributes lead to every submodule.
    """
    for name in [name for name in sys.modules if name == "autograder" or name.startswith("autograder.")]:
        if name != LOADER:
            del sys.modules[name]
    sys.meta_path.insert(0, _RefuseGrader())
