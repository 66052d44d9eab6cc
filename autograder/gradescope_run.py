"""What Gradescope's ``run_autograder`` runs: ``python -m autograder.gradescope_run --root /autograder [--unit NAME]``.

It grades the submitted notebook (``ROOT/submission/*.ipynb``) through :func:`autograder.pipeline.grade`, visible
and hidden checks, and writes ``ROOT/results/results.json`` in Gradescope's documented format
(https://gradescope-autograders.readthedocs.io/en/latest/specs/): per test ``score``, ``max_score``, ``status``,
``output`` (markdown, ``output_format: md``) and ``visibility`` (hidden checks ``after_published``: students see
them once the grades are published); at the top ``execution_time`` in seconds and the notes. A submission
without a notebook, or a grader that cannot start, still gets a results.json that says why.

Gradescope runs this as root, in a container where bubblewrap often cannot start. Following Gradescope's advice
(student code as an unprivileged user; the autograder's files unreadable to it), before any student code runs it
makes ``ROOT/source`` (the hidden checks in ``instructor/``, the wheel, MNIST), ``ROOT/results``,
``ROOT/submission`` and ``ROOT/submission_metadata.json`` root's alone (:func:`lock_down`); the notebook reads a
public copy of MNIST and runs as a student uid of its own (bubblewrap or not). It refuses to run a notebook as root:
without bubblewrap that takes a Python the student uid can read (Gradescope's, from setup.sh, is). results.json is
written once the worker is closed and nothing runs as the student uid any more.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from . import mnist
from .options import Options
from .reporting.feedback import fenced
from .reporting.gradescope import write_json
from .reporting.table import points

#: Gradescope's visibility of a hidden check's test: shown once the instructor publishes the grades.
HIDDEN_VISIBILITY = "after_published"
#: What under ROOT no student code may read or write: the autograder's files (hidden checks among them), the
#: results, the submission as uploaded and its metadata (names and emails of the submitters).
PRIVATE = ("source", "results", "submission", "submission_metadata.json")
#: Why a run that would have to run student code as root refuses.
AS_ROOT = ("The autograder is set up wrongly: it would run your notebook with the grader's rights (no sandbox, and "
           "its Python cannot be read by an unprivileged user). Nothing was graded; tell your instructor.")


def lock_down(root: Path) -> None:
    """Make :data:`PRIVATE` root's alone (0700 folders, 0600 files), as root; nothing to do otherwise."""
    if os.geteuid() != 0:
        return
    (root / "results").mkdir(exist_ok=True)
    for name in PRIVATE:
        path = root / name
        if path.exists() and not path.is_symlink():
            os.chown(path, 0, 0)
            os.chmod(path, 0o700 if path.is_dir() else 0o600)


@contextlib.contextmanager
def public_mnist(folder: Path):
    """MNIST's folder as student code may read it: as root, a world-readable copy (the original is in the locked
    ``source/``), removed afterwards; else ``folder`` itself."""
    if os.geteuid() != 0:
        yield folder
        return
    copy = Path(tempfile.mkdtemp(prefix="gluon-grader-mnist-"))
    try:
        os.chmod(copy, 0o755)  # noqa: S103  (MNIST is public: the notebooks read it)
        for path in folder.iterdir():
            if path.is_file():
                shutil.copyfile(path, copy / path.name)
                os.chmod(copy / path.name, 0o644)
        yield copy
    finally:
        shutil.rmtree(copy, ignore_errors=True)


def would_run_as_root() -> bool:
    """Whether student code would run with the grader's rights: root, no sandbox, no student uid it can use."""
    from .runner.sandbox import detect, student_uid

    return os.geteuid() == 0 and student_uid(0, detect()) is None


def submitted_notebook(folder: Path, unit_name: str | None) -> tuple[Path | None, list[Path], str]:
    """The notebook to grade, the notebooks left out, and what to tell the student about them.

    Gradescope's convention: the assignment expects one file name, ``<unit>.ipynb`` (with no ``--unit``, the name
    of any unit of the course). A submission holding it is graded from it, and any other notebook is named as not
    graded. A submission with a single notebook is graded whatever its name. Several notebooks, none of them the
    expected one: nothing is graded (guessing could grade a scratch notebook) and the message names them all.
    """
    notebooks = sorted(path for path in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in path.parts)
    expected = [f"{unit_name}.ipynb"] if unit_name else [f"{name}.ipynb" for name in all_unit_names()]
    named = [path for path in notebooks if path.name in expected]
    if named or len(notebooks) == 1:
        chosen = (named or notebooks)[0]
        ignored = [path for path in notebooks if path != chosen]
        said = (f"Graded `{chosen.relative_to(folder)}`; not graded: "
                + ", ".join(f"`{path.relative_to(folder)}`" for path in ignored)
                + f" (only one notebook is graded: the one named {' or '.join(f'`{n}`' for n in expected)}).")
        return chosen, ignored, said if ignored else ""
    if not notebooks:
        return None, [], "No notebook (`.ipynb` file) was found in your submission: upload your notebook."
    return None, notebooks, (
        f"Your submission has {len(notebooks)} notebooks ("
        + ", ".join(f"`{path.relative_to(folder)}`" for path in notebooks)
        + f") and none is named {' or '.join(f'`{name}`' for name in expected)}, so none was graded: submit again "
        "with your notebook under that name (other notebooks may stay; only that one is graded).")


def all_unit_names() -> list[str]:
    """Every unit's name, which is also its notebook's expected name."""
    from .units import all_units

    return list(all_units())


def failure_json(message: str, seconds: float) -> dict:
    """A results.json that gives 0 and says why (shown to the student)."""
    return {"score": 0, "execution_time": round(seconds, 3), "output": message, "output_format": "md",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": []}


def gradescope_results(graded, checks, seconds: float, sandbox: str) -> dict:
    """Gradescope's results.json for one graded notebook: one test per check, hidden ones after publishing."""
    hidden = {check.id for check in checks if check.hidden}
    notes = [f"Graded in {sandbox}."] + (["Notes:", fenced("\n".join(graded.notes))] if graded.notes else [])
    tests = [{"name": f"{r.check_id}: {r.title}", "score": r.score, "max_score": r.max_score, "status": r.status,
              "output": fenced(r.feedback) if r.feedback else "", "output_format": "md",
              "visibility": HIDDEN_VISIBILITY if r.check_id in hidden else "visible"} for r in graded.results]
    return {"score": sum(r.score for r in graded.results), "execution_time": round(seconds, 3),
            "output": "\n\n".join(notes), "output_format": "md", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def grade_handed_in(root: Path, unit_name: str | None) -> dict:
    """Grade ``root/submission``'s notebook, read by the intake as every front end reads it; the results.json
    data (never raises for what a student hands in)."""
    from .intake import take
    from .pipeline import grade
    from .runner.worker import Worker
    from .units import UnknownUnit

    start = time.monotonic()
    folder = root / "submission"
    notebook, _, said = submitted_notebook(folder, unit_name)
    if notebook is None:
        return failure_json(said, time.monotonic() - start)
    try:
        taken = take(notebook, folder=folder, unit_name=unit_name)
    except UnknownUnit as error:  # run_autograder names a unit the kit does not have: the instructor's to fix
        return failure_json(f"Your notebook could not be graded: {error}", time.monotonic() - start)
    if taken.unit is None:
        return failure_json(f"Your notebook could not be graded: {taken.reason}", time.monotonic() - start)
    if would_run_as_root():
        return failure_json(AS_ROOT, time.monotonic() - start)
    checks = [*taken.unit.checks, *taken.unit.hidden_checks]
    with public_mnist(Path(Options().with_mnist_found().mnist_dir)) as readable:
        options = Options().with_mnist_dir(readable)
        # Closing the worker kills its sandbox and every process of the student uid, and waits until none is left.
        with Worker(options=options) as worker:
            graded = grade(taken, options, worker=worker, checks=checks)
            sandbox = worker.isolation.describe()
    # The time shown stops where the hidden checks begin: how long the student's code took on their inputs is theirs.
    data = gradescope_results(graded, checks, (graded.hidden_started or time.monotonic()) - start, sandbox)
    if said:  # the notebooks left out, first thing the student reads
        data["output"] = f"{said}\n\n{data['output']}"
    print(f"{notebook.name} (unit {taken.unit.name}): {points(data['score'])}/"
          f"{points(sum(check.points for check in checks))} in {data['execution_time']} s; {sandbox}")
    return data


def main(argv: list[str] | None = None) -> int:
    """Write ``ROOT/results/results.json``; exit code 1 only when the grader itself could not run."""
    arguments = argparse.ArgumentParser(prog="python -m autograder.gradescope_run", description=__doc__)
    arguments.add_argument("--root", type=Path, default=Path(os.environ.get("AUTOGRADER_ROOT", "/autograder")))
    arguments.add_argument("--unit", metavar="NAME", help="the unit graded; default: found from the notebook")
    args = arguments.parse_args(argv)
    destination = args.root / "results" / "results.json"
    lock_down(args.root)
    try:
        data = grade_handed_in(args.root, args.unit)
    except mnist.MnistNotFound as error:
        write_json(destination, failure_json(f"The autograder is missing MNIST; tell your instructor.\n\n"
                                             f"{fenced(str(error))}", 0.0))
        print(error, file=sys.stderr)
        return 1
    write_json(destination, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
