"""``nbgrader autograde`` in the sandbox, next to stock ``nbgrader autograde`` and ``autograder grade``, in one run.

Steps:

1. builds a class of ``--n`` submissions with ``tests/classroom.make_class`` (reference answers, partly wrong
   answers, stubs) in the ``submitted/`` trees of two throw-away courses configured by the course's
   ``nbgrader_config.py`` (as ``benchmarks/batch.py`` does): one with nbgrader's stock preprocessors (its
   ``Execute``: a Jupyter kernel per notebook), one with the course's (``SandboxedExecute``: judge processes with
   warm sandboxed workers, grading the notebooks nbgrader will ask for next ahead of it; and
   ``CheckCellMetadataOnce``);
2. times ``nbgrader autograde plumbing --create --force`` in each course, and ``autograder grade submitted
   --jobs J`` on the same notebooks;
3. times nbgrader's own overhead: ``autograde --force --no-execute`` in each course (the gradebook, copying,
   sanitizing, conversion and scoring; no notebook runs), per notebook;
4. checks that the three give every student the same score on every visible check (nbgrader's test cell
   ``test_<check id>`` against the kit's check).

Printed: each wall time, per notebook (with the machine's load averages: on a shared machine they say how far
to trust it), the ratios (target: the sandboxed ``nbgrader autograde`` at least 5x faster
than stock), and the sandboxed run's cost per notebook without nbgrader's own overhead. A report, not a test: it
always exits 0.

Usage: ``python benchmarks/nbgrader_autograde.py [--n 40] [--jobs 2] [--seed 0]``.
``GLUON_GRADER_MNIST`` defaults to ``../shared/data/mnist`` relative to the repo root.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent)]

from batch import ROOT, complain, disagreements, kit_grade, make_course, nbgrader_grade, timed, verdict  # noqa: E402

from classroom import make_class  # noqa: E402

TARGET = 5.0
KINDS = ("correct", "wrong", "stub")


def load() -> str:
    """The machine's load averages (1, 5, 15 min): wall times on a shared machine are only as good as this."""
    return "load average " + " ".join(f"{value:.1f}" for value in os.getloadavg())


def overhead(course: Path, env: dict) -> float:
    """Wall time of ``nbgrader autograde --no-execute`` on the course: nbgrader's own work, no notebook run."""
    seconds, process = timed([sys.executable, "-m", "nbgrader", "autograde", "plumbing", "--create", "--force",
                              "--no-execute"], course, env)
    complain("nbgrader autograde --no-execute", process)
    return seconds


def report(what: str, seconds: float, n: int) -> None:
    """One line: wall seconds, in all and per notebook, and the machine's load meanwhile."""
    print(f"{what}: {seconds:.1f} s ({seconds / n:.2f} s per notebook; {load()})", flush=True)


def agreement(name: str, ours: dict, theirs: dict, n: int) -> None:
    """Print how many students two graders agree on, check by check, and who differs."""
    differ = disagreements(ours, theirs)
    print(f"agreement {name}: {n - len(differ)}/{n} students, every visible check")
    for line in differ:
        print(f"  differs: {line}")


def main(argv=None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="submissions in the class")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs of autograder grade")
    parser.add_argument("--seed", type=int, default=0, help="seed of the class")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))

    with tempfile.TemporaryDirectory(prefix="bench-nbgrader-") as folder:
        base = Path(folder)
        stock, stock_db, stock_env = make_course(base / "stock", stock=True)
        sandboxed, sandboxed_db, sandboxed_env = make_course(base / "sandboxed", stock=False)
        expected = make_class(stock / "submitted", args.n, seed=args.seed, kinds=KINDS)
        shutil.copytree(stock / "submitted", sandboxed / "submitted")
        counts = {kind: sum(one.kind == kind for one in expected.values()) for kind in KINDS}
        print(f"class: {args.n} submissions ({', '.join(f'{k} {v}' for k, v in counts.items())}), "
              f"{os.cpu_count()} CPU(s)", flush=True)

        kit_seconds, kit_scores = kit_grade(sandboxed / "submitted", base / "out", args.jobs, env)
        report(f"autograder grade --jobs {args.jobs}", kit_seconds, args.n)
        box_seconds, box_scores = nbgrader_grade(sandboxed, sandboxed_db, sandboxed_env, expected)
        report("nbgrader autograde, sandboxed", box_seconds, args.n)
        stock_seconds, stock_scores = nbgrader_grade(stock, stock_db, stock_env, expected)
        report("nbgrader autograde, stock (a kernel per notebook)", stock_seconds, args.n)
        own = overhead(sandboxed, sandboxed_env)
        report("nbgrader's own overhead, the course's steps (autograde --no-execute: start, gradebook, copying, "
               "conversion, scoring)", own, args.n)
        stock_own = overhead(stock, stock_env)
        report("nbgrader's own overhead, stock steps", stock_own, args.n)

        ratio = stock_seconds / box_seconds
        print(f"stock / sandboxed = {ratio:.1f}x (target >= {TARGET:g}x: {verdict(ratio >= TARGET)}); "
              f"sandboxed / autograder grade = {box_seconds / kit_seconds:.1f}x")
        print(f"per notebook without nbgrader's own overhead: sandboxed {(box_seconds - own) / args.n:.2f} s, "
              f"stock {(stock_seconds - stock_own) / args.n:.2f} s")
        agreement("sandboxed nbgrader / autograder grade", box_scores, kit_scores, args.n)
        agreement("stock nbgrader / autograder grade", stock_scores, kit_scores, args.n)
        agreement("sandboxed nbgrader / stock nbgrader", box_scores, stock_scores, args.n)
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 -- a report, not a test: say what went wrong, exit 0 anyway
        print(f"benchmark could not finish: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(0)
