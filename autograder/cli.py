"""``autograder grade SUBMISSIONS --out OUT``: the batch grader's command line (also ``python -m autograder``)."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .runner.sandbox import ONE_THREAD, Limits

INTERRUPTED = 130
#: The output folder cannot be written (full disk, read-only, no permission): the batch stopped, rerun later.
OUTPUT_UNWRITABLE = 3


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    main = argparse.ArgumentParser(prog="autograder", description="Grade notebooks of the Gluon plumbing unit.")
    commands = main.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a class (or one notebook) into an output folder")
    grade.add_argument("submissions", type=Path,
                       help="nbgrader submitted/ tree (<student>/<assignment>/*.ipynb), a folder of "
                            "<student>.ipynb files, or one notebook")
    grade.add_argument("--out", type=Path, required=True, help="output folder (results are kept across runs)")
    grade.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: cores)")
    grade.add_argument("--assignment", default="plumbing", help="assignment folder name in an nbgrader tree")
    grade.add_argument("--timeout", type=float, default=120.0, metavar="S", help="wall-time limit per submission")
    grade.add_argument("--memory", type=int, default=2048, metavar="MB", help="memory limit per submission")
    grade.add_argument("--cell-timeout", type=float, default=60.0, metavar="S", help="time limit per cell")
    grade.add_argument("--mnist-dir", help="folder of the four MNIST idx .gz files")
    grade.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    grade.add_argument("--quiet", action="store_true", help="no progress bar (for CI logs)")
    return main


def main(argv: list[str] | None = None) -> int:
    """Run the command; exit code 0 when every submission got a result, whatever the scores."""
    args = parser().parse_args(argv)
    for name, value in ONE_THREAD.items():  # the judge processes (spawned) run NumPy one thread each
        os.environ.setdefault(name, value)
    return grade_command(args)


def grade_command(args) -> int:
    """``autograder grade``."""
    from . import mnist
    from .batch.grade import BatchOptions, OutputUnwritable, grade_class

    try:
        mnist_dir = str(mnist.find_mnist_dir(args.mnist_dir))
    except mnist.MnistNotFound as error:
        print(f"autograder: cannot grade without MNIST: {error}", file=sys.stderr)
        return 2
    options = BatchOptions(out=args.out, jobs=args.jobs, mnist_dir=mnist_dir, assignment=args.assignment,
                           limits=Limits(wall_s=args.timeout, memory_mb=args.memory),
                           cell_timeout=args.cell_timeout, force=args.force, quiet=args.quiet)
    try:
        summary = grade_class(args.submissions, options)
    except FileNotFoundError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    except OutputUnwritable as error:
        print(f"autograder: {error}", file=sys.stderr)
        return OUTPUT_UNWRITABLE
    except KeyboardInterrupt:
        print("\nautograder: interrupted; finished results are kept. Run the same command again to grade the rest.",
              file=sys.stderr)
        return INTERRUPTED
    print(summary_text(summary, args.out))
    return 1 if summary.failed else 0


def summary_text(summary, out: Path) -> str:
    """The lines printed at the end of a batch."""
    graded = [r for r in summary.results if r.status == "graded"]
    lines = [(f"graded {len(summary.results)} submissions ({summary.graded_now} now) in {summary.seconds:.1f} s; "
              f"results in {out}")]
    if graded:
        mean = sum(r.score for r in graded) / len(graded)
        lines.append(f"mean score {mean:.2f}/{graded[0].max_score:g}")
    if not summary.isolation.sandboxed:
        lines.append(f"WARNING: student code ran as {summary.isolation.describe()}")
    lines += summary.fault_lines()
    if summary.failed:
        lines.append(f"the grader could not grade {len(summary.failed)} (not graded yet: run the same command again): "
                     + ", ".join(f"{r.student} ({r.notes[0] if r.notes else r.status})" for r in summary.failed))
    return "\n".join(lines)
