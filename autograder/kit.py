"""What leaves the course: the student kit (``autograder student-kit OUT``) and the Gradescope autograder
(``autograder gradescope OUT.zip``).

Both are built from the course folder (the one with ``nbgrader_config.py``), and both carry the grader as a wheel
of the ``autograder`` package built by pip from a copy of ``pyproject.toml`` and ``autograder/`` alone: the wheel
cannot pick up ``solutions/``, ``instructor/`` or anything else of the course, whatever the packaging settings say.
Before anything is written, :func:`leaks` reads every file that goes out for what must not: solution regions,
hidden-test regions, hidden checks and the reference answers' code.

The student kit::

    OUT/README.md                          install, check a notebook, read the feedback
    OUT/gluon_grader-<version>-*.whl       the grader (``pip install`` it; ``pytest --pyargs autograder``)
    OUT/assignments/<unit>/<unit>.ipynb    the released notebook of every unit

The Gradescope zip follows Gradescope's layout (https://gradescope-autograders.readthedocs.io): ``setup.sh`` and
``run_autograder`` at its root, unpacked into ``/autograder/source``; ``run_autograder`` grades
``/autograder/submission/*.ipynb`` into ``/autograder/results/results.json`` (:mod:`autograder.gradescope_run`).
Unlike the student kit it holds the hidden checks (``instructor/<unit>.py``): only staff can read an autograder.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from . import mnist

#: nbgrader's markers of a solution region, in no file that leaves the course (written in two pieces so that this
#: module, which goes out in the wheel, does not hold them itself).
SOLUTION_MARKERS = ("### BEGIN " + "SOLUTION", "### END " + "SOLUTION")
#: nbgrader's marker of a hidden-test region, in no notebook that leaves the course (the kit's own code names it).
HIDDEN_TESTS_MARKER = "### BEGIN HIDDEN TESTS"


class KitError(RuntimeError):
    """The kit cannot be built (no release, a leak, pip failed); the message says what to do."""


def course_root(start: str | Path = ".") -> Path:
    """The course folder: ``start`` or the nearest folder above it holding ``nbgrader_config.py``."""
    start = Path(start).resolve()
    for folder in [start, *start.parents]:
        if (folder / "nbgrader_config.py").is_file() and (folder / "autograder").is_dir():
            return folder
    raise KitError(f"{start} is not inside a course (no nbgrader_config.py beside an autograder/ folder); "
                   "run the command from the course's folder or pass --course")


def released_notebooks(course: Path, units) -> dict[str, Path]:
    """``assignments/<unit>/<unit>.ipynb`` of each unit, by unit name; a unit without a release is an error."""
    found = {unit.name: course / "assignments" / unit.name / f"{unit.name}.ipynb" for unit in units}
    missing = [name for name, path in found.items() if not path.is_file()]
    if missing:
        raise KitError(f"no released notebook for {', '.join(missing)}: run "
                       f"`nbgrader generate_assignment {missing[0]} --force` first")
    return found


def build_wheel(course: Path, out: Path, readme: str) -> Path:
    """A wheel of the ``autograder`` package in ``out``, built by pip from a copy of the package alone.

    ``readme`` becomes the package's description (what ``pip show`` and an index page show).
    """
    with tempfile.TemporaryDirectory(prefix="gluon-grader-wheel-") as folder:
        source = Path(folder) / "source"
        source.mkdir()
        shutil.copy2(course / "pyproject.toml", source / "pyproject.toml")
        (source / "README.md").write_text(readme, encoding="utf-8")
        shutil.copytree(course / "autograder", source / "autograder",
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
        built = Path(folder) / "built"
        process = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir",
                                  str(built), str(source)], capture_output=True, text=True)
        wheels = sorted(built.glob("*.whl"))
        if process.returncode != 0 or len(wheels) != 1:
            raise KitError(f"pip could not build the grader's wheel:\n{process.stdout}{process.stderr}")
        out.mkdir(parents=True, exist_ok=True)
        return Path(shutil.copy2(wheels[0], out / wheels[0].name))


def normalized(text: str) -> str:
    """``text`` with every line stripped and blank lines dropped: code compared whatever its indentation."""
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def answer_regions(course: Path) -> list[str]:
    """The reference answers: every solution region of the course's source notebooks (``solutions/``), normalized.

    A whole region of two lines or more is what would give an answer away; single lines (``net.save_parameters(path)``,
    a one-line answer such as ``return F.broadcast_sub(x, F.mean(x))``) are also what the notebooks teach and the
    checks' hints quote.
    """
    regions = []
    for notebook in sorted((course / "solutions").glob("*/*.ipynb")):
        for cell in json.loads(notebook.read_text(encoding="utf-8")).get("cells", []):
            inside, lines = False, []
            for line in "".join(cell.get("source", "")).splitlines():
                if line.strip().startswith(SOLUTION_MARKERS[0]):
                    inside, lines = True, []
                elif line.strip().startswith(SOLUTION_MARKERS[1]):
                    inside = False
                    regions.append(normalized("\n".join(lines)))
                elif inside:
                    lines.append(line)
    return [region for region in regions if "\n" in region]


def secrets(course: Path, units) -> list[str]:
    """What no file for students may hold: solution markers, hidden check ids and the reference answers."""
    hidden = [check.id for unit in units for check in unit.hidden_checks]
    return [*SOLUTION_MARKERS, *hidden, *answer_regions(course)]


def texts_of(path: Path) -> dict[str, str]:
    """Every file under ``path`` (a folder, a wheel or a zip, wheels and zips inside opened too), by name, as text;
    a notebook as its cells' sources, one after the other."""
    if path.is_dir():
        found = {}
        for file in sorted(p for p in path.rglob("*") if p.is_file()):
            found.update({f"{file.relative_to(path)}{inner}": text for inner, text in texts_of(file).items()})
        return found
    if path.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(path) as archive:
            return {f"!{name}": as_text(name, archive.read(name)) for name in archive.namelist()}
    return {"": as_text(path.name, path.read_bytes())}


def as_text(name: str, data: bytes) -> str:
    """A file's bytes as text; a notebook's raw JSON followed by its cells' sources (where it parses)."""
    text = data.decode("utf-8", "replace")
    if name.endswith(".ipynb"):
        try:
            cells = json.loads(text).get("cells", [])
            text += "\n" + "\n".join("".join(cell.get("source", "")) for cell in cells)
        except (ValueError, AttributeError):
            pass  # not a notebook after all: its raw text is searched
    return text


def leaks(path: Path, forbidden: list[str]) -> list[str]:
    """``file: secret`` for every forbidden string found in a file under ``path`` (none: the kit is clean)."""
    texts = {name: normalized(text) for name, text in texts_of(path).items()}
    found = [f"{name}: {secret.splitlines()[0]!r}..." for name, text in texts.items() for secret in forbidden
             if secret in text]
    found += [f"{name}: a hidden-test region" for name, text in texts.items()
              if name.endswith(".ipynb") and HIDDEN_TESTS_MARKER in text]
    found += [f"{name}: an instructor module" for name in texts if "instructor/" in name]
    return found


def student_readme(units, wheel_name: str) -> str:
    """The student kit's README: install, check a notebook, read the feedback."""
    notebooks = "\n".join(f"- `assignments/{unit.name}/{unit.name}.ipynb`: {unit.title}" for unit in units)
    first = next(iter(units)).name
    return f"""# Your notebooks and the course's grader

{notebooks}

## Install (once)

You need Python 3.11 (MXNet 1.9.1, which the course uses, has no wheels for later versions). In this folder:

```sh
python3.11 -m venv .venv && .venv/bin/pip install "./{wheel_name}[notebook]"
```

That installs MXNet, the grader and JupyterLab (leave out `[notebook]` if you open notebooks with an editor you
already have). Then activate the environment in every new terminal: `source .venv/bin/activate` (Windows:
`.venv\\Scripts\\activate`).

## Open the notebooks

With the environment active, in this folder: `jupyter lab`, then open `assignments/<unit>/<unit>.ipynb` in the
file browser on the left. In VS Code or another editor, open the notebook and choose this folder's `.venv` as its
Python (kernel): the notebook's code needs that environment's MXNet.

The notebooks and the grader read MNIST's test files. They look in the folder named by `GLUON_GRADER_MNIST`, then
in `~/.mxnet/datasets/mnist`, and download them there when your machine is online. Offline, put the four idx
`.gz` files in a folder and `export GLUON_GRADER_MNIST=/path/to/that/folder`.

## Check a notebook

From this folder, with the environment active:

```sh
pytest --pyargs autograder                                          # every notebook under assignments/
pytest --pyargs autograder --unit {first}                          # assignments/{first}/{first}.ipynb
pytest --pyargs autograder --submission path/to/my.ipynb            # any notebook, from any folder
```

Each check is one test, worth its points; a score table per notebook closes the run, then one "to fix" line per
failed check. The notebooks' "check your answer" cells give the command for that notebook.

## Read the feedback

A failed check says what was expected, what your code gave, and a hint, for example:

```
Expected: shape (64, 128) for sequential0_dense1_weight right after initialize()
Found: sequential0_dense1_weight has shape (64, 784) but the layer before it outputs 128 units
```

"not implemented yet" means the exercise still has its `raise NotImplementedError()`. Notes under the score table
name the cells of your notebook that failed to run: fix those first. This is a preview: your instructor grades the
notebook you hand in, with some further checks.
"""


def student_kit(course: Path, out: Path, units) -> dict[str, Path]:
    """Build the student kit into ``out``: released notebooks, the grader's wheel, a README. Raises
    :class:`KitError` (and leaves nothing in ``out``) when anything of it would leak a solution or a hidden check."""
    units = list(units)
    notebooks = released_notebooks(course, units)
    with tempfile.TemporaryDirectory(prefix="gluon-grader-kit-") as folder:
        staging = Path(folder)
        wheel = build_wheel(course, staging, student_readme(units, "WHEEL"))
        readme = student_readme(units, wheel.name)
        (staging / "README.md").write_text(readme, encoding="utf-8")
        for name, path in notebooks.items():
            (staging / "assignments" / name).mkdir(parents=True)
            shutil.copy2(path, staging / "assignments" / name / path.name)
        found = leaks(staging, secrets(course, units))
        if found:
            raise KitError("the student kit would give away instructor material:\n  " + "\n  ".join(found[:20]))
        out.mkdir(parents=True, exist_ok=True)
        for item in staging.iterdir():
            target = out / item.name
            if target.is_dir():
                shutil.rmtree(target)
            shutil.move(str(item), target)
    return {"wheel": out / wheel.name, "readme": out / "README.md",
            **{name: out / "assignments" / name / f"{name}.ipynb" for name in notebooks}}


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (base image: Ubuntu 22.04).
# It installs Python 3.11 (MXNet 1.9.1 has no wheels for later versions), bubblewrap (the sandbox around student
# code; inside Gradescope's container it may be unavailable, and the grader then says so in every result) and the
# grader's wheel with its dependencies from PyPI, into /autograder/venv.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
cd "$(dirname "$0")"
if ! command -v python3.11 >/dev/null; then
    apt-get update
    apt-get install -y software-properties-common
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update
    apt-get install -y python3.11 python3.11-venv
fi
apt-get install -y bubblewrap || echo "bubblewrap not installed: student code will run in plain processes"
python3.11 -m venv "$ROOT/venv"
"$ROOT/venv/bin/pip" install --upgrade pip
"$ROOT/venv/bin/pip" install ./gluon_grader-*.whl
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: it grades $ROOT/submission/*.ipynb into $ROOT/results/results.json.
# ROOT is $AUTOGRADER_ROOT, /autograder on Gradescope (tests run it in a temporary folder).
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$ROOT/source"
PYTHON="${GLUON_GRADER_PYTHON:-$ROOT/venv/bin/python}"
# MNIST ships in the zip (mnist/); else the grader looks in ~/.mxnet/datasets/mnist and downloads it there.
if [ -z "${GLUON_GRADER_MNIST:-}" ] && [ -d "$SOURCE/mnist" ]; then
    export GLUON_GRADER_MNIST="$SOURCE/mnist"
fi
# The hidden checks (instructor/) are importable from the source folder only: they are not in the wheel.
export PYTHONPATH="$SOURCE${PYTHONPATH:+:$PYTHONPATH}"
exec "$PYTHON" -m autograder.gradescope_run --root "$ROOT" __UNIT__
"""


def gradescope_zip(course: Path, destination: Path, units, unit_name: str | None = None) -> Path:
    """Build Gradescope's autograder zip at ``destination``: setup.sh, run_autograder, the wheel, the hidden
    checks of ``units`` and MNIST's four files (where they are found here; else ``run_autograder`` downloads them)."""
    units = list(units)
    with tempfile.TemporaryDirectory(prefix="gluon-grader-gradescope-") as folder:
        wheel = build_wheel(course, Path(folder), student_readme(units, "gluon_grader wheel"))
        files = {"setup.sh": SETUP_SH,
                 "run_autograder": RUN_AUTOGRADER.replace("__UNIT__", f"--unit {unit_name}" if unit_name else "")}
        destination.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(destination, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                info = zipfile.ZipInfo(name)
                info.external_attr = 0o100755 << 16  # executable: Gradescope runs both files directly
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, text)
            archive.write(wheel, wheel.name, compress_type=zipfile.ZIP_STORED)
            for path in hidden_modules(course, units):
                archive.write(path, str(path.relative_to(course)))
            for path in mnist_files():
                archive.write(path, f"mnist/{path.name}", compress_type=zipfile.ZIP_STORED)
    return destination


def hidden_modules(course: Path, units) -> list[Path]:
    """``instructor/__init__.py``, ``instructor/hidden_checks.py`` and ``instructor/<unit>.py`` where they exist."""
    folder = course / "instructor"
    names = ["__init__.py", "hidden_checks.py", *(f"{unit.name}.py" for unit in units)]
    return [folder / name for name in names if (folder / name).is_file()]


def mnist_files() -> list[Path]:
    """The four MNIST files, where this machine has them (verified); none otherwise."""
    try:
        folder = mnist.find_mnist_dir()
    except mnist.MnistNotFound:
        return []
    return [folder / name for name in mnist.FILES if (folder / name).is_file()]
