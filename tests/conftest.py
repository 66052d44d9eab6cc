"""Fixtures shared by the kit's tests: where MNIST is, and the reference notebook graded once per session."""
import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def mnist_dir() -> str:
    """``GLUON_GRADER_MNIST``: as set by the caller, or else the shared MNIST beside the repo (as the Makefile does)."""
    return os.environ.setdefault("GLUON_GRADER_MNIST", str(ROOT.parent / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session")
def reference_results(mnist_dir) -> dict:
    """``{check_id: CheckResult}`` for the reference notebook, graded once for the whole session."""
    from notebooks import REFERENCE, grade_notebook

    return grade_notebook(REFERENCE)


@pytest.fixture(autouse=True)
def feedback_is_clean():
    """Suite-wide guard: no feedback graded during a test says "could not check", names a sandbox path, or
    shows a traceback (every notebook graded through tests/notebooks.py is scanned after its test)."""
    from notebooks import FEEDBACK_SEEN, forbidden_in

    seen = len(FEEDBACK_SEEN)
    yield
    dirty = [(forbidden_in(text), text) for text in FEEDBACK_SEEN[seen:] if forbidden_in(text)]
    assert not dirty, f"feedback a student would read contains {dirty[0][0]}:\n{dirty[0][1]}"


#: What ``make install`` puts in .venv for the kit itself, left out of a fresh environment that gets the wheel.
EDITABLE_INSTALL = ("__editable__", "gluon_grader")


@pytest.fixture(scope="session")
def venv_with_wheel():
    """``make(wheel, folder[, base])``: a fresh virtual environment in ``folder`` (made by the Python ``base``, this
    one by default) with the grader's ``wheel`` installed by pip, as a student or Gradescope's setup.sh installs it;
    returns its python.

    The dependencies (MXNet, NumPy, nbgrader, ...) are hard links to this .venv's, minus the kit's own editable
    install, so it takes seconds and no network: the only grader in the new environment is the wheel's.
    """
    import subprocess
    import sys
    import sysconfig

    def make(wheel: Path, folder: Path, base: str = sys.executable, only_requirements: bool = False) -> Path:
        """A venv of ``base`` with ``wheel``; ``only_requirements``: only the distributions the wheel requires
        (without extras), and theirs, as ``pip install WHEEL`` would bring; else everything in this .venv."""
        subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=120)
        python = folder / "bin" / "python"
        site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                   capture_output=True, text=True, check=True).stdout.strip())
        here = Path(sysconfig.get_path("purelib"))
        if only_requirements:
            for dist in requirement_closure(wheel_requirements(wheel)):
                for file in dist.files or ():
                    if not file.parts or file.parts[0] == ".." or "__pycache__" in file.parts:
                        continue
                    (site / file).parent.mkdir(parents=True, exist_ok=True)
                    link_or_copy(here / file, site / file)
            # pip itself, to install the wheel below (a student's venv has it)
            shutil.copytree(here / "pip", site / "pip", symlinks=True, copy_function=link_or_copy)
        else:
            for entry in here.iterdir():
                if entry.name.startswith(EDITABLE_INSTALL) or entry.name == "__pycache__":
                    continue
                if entry.is_dir():
                    shutil.copytree(entry, site / entry.name, symlinks=True, copy_function=link_or_copy)
                else:
                    link_or_copy(entry, site / entry.name)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
                       check=True, timeout=300)
        return python

    return make


def link_or_copy(source, destination):
    """A hard link where the file system allows it (fast, no space), else a copy."""
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def wheel_requirements(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of a wheel's METADATA."""
    import zipfile
    from email.parser import Parser

    with zipfile.ZipFile(wheel) as archive:
        name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode()).get_all("Requires-Dist") or []


def requirement_closure(requirements: list[str]) -> list:
    """The installed distributions (of this .venv) that ``requirements`` need, with theirs, extras as asked and
    markers evaluated: what ``pip install`` of a wheel with these requirements puts in an empty environment."""
    from importlib import metadata

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    found, seen, todo = {}, set(), [(Requirement(line), "") for line in requirements]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        dist = found.setdefault(name, found.get(name) or metadata.distribution(requirement.name))
        for wanted in ("", *requirement.extras):  # its own requirements, and those of the extras asked for
            if (name, wanted) not in seen:
                seen.add((name, wanted))
                todo += [(Requirement(line), wanted) for line in dist.requires or ()]
    return list(found.values())
