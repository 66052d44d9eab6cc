"""``autograder grade SUBMISSIONS --out OUT``: the batch grader's command line (also ``python -m autograder``).

``autograder student-kit OUT`` and ``autograder gradescope OUT.zip`` build what leaves the course (:mod:`.kit`);
``autograder similarity CLASS --out OUT`` compares a class's answers (:mod:`.similarity`).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import options as settings
from .runner.sandbox import ONE_THREAD

INTERRUPTED = 130
#: Exit code after SIGTERM (`timeout`, CI cancellation): handled as Ctrl-C is, with the shell's 128 + 15.
TERMINATED = 143
#: The output folder cannot be written (full disk, read-only, no permission): the batch stopped, rerun later.
OUTPUT_UNWRITABLE = 3


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    main = argparse.ArgumentParser(prog="autograder", description="Grade notebooks of the course's units.")
    commands = main.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a class (or one notebook) into an output folder")
    grade.add_argument("submissions", type=Path,
                       help="nbgrader submitted/ tree (<student>/<assignment>/*.ipynb), a folder of "
                            "<student>.ipynb files, or one notebook")
    grade.add_argument("--out", type=Path, required=True, help="output folder (results are kept across runs)")
    where = grade.add_mutually_exclusive_group()
    where.add_argument("--jobs", type=int, default=settings.DEFAULT_JOBS,
                       help="parallel judge processes on this machine (default: cores)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="grade on the workers of this Dask scheduler (tcp://host:8786; tls://... with Dask's "
                            "security settings from its config)")
    where.add_argument("--cluster", metavar="local:N", type=local_cluster,
                       help="grade on a Dask cluster of N local worker processes started for the run")
    grade.add_argument("--assignment", "--unit", dest="unit", metavar="NAME",
                       help="the unit (nbgrader assignment) graded; default: found from the submissions")
    settings.add_arguments(grade.add_argument)
    grade.add_argument("--no-similarity", dest="similarity", action="store_false",
                       help="leave out the similar answers (report.html's section and similarity.csv; on by default "
                            "for 3 notebooks or more)")
    grade.add_argument("--hidden", action="store_true",
                       help="also grade the unit's hidden checks (instructor/<unit>.py, from the course folder), as "
                            "nbgrader autograde and the Gradescope autograder do: the same totals")
    grade.add_argument("--force", action="store_true", help="regrade submissions that already have a result")
    grade.add_argument("--quiet", action="store_true", help="no progress bar (for CI logs)")
    similar = commands.add_parser("similarity", help="pairs of students whose answer code is alike, per exercise "
                                                     "and whole notebook, with the evidence (nothing is run)")
    similar.add_argument("submissions", type=Path, nargs="?",
                         help="a folder of <student>.ipynb files or an nbgrader submitted/ tree")
    similar.add_argument("--nbgrader", metavar="ASSIGNMENT",
                         help="compare nbgrader's submitted/<student>/ASSIGNMENT/ of the course (--course)")
    similar.add_argument("--unit", metavar="NAME", help="the unit; default: found from the submissions")
    similar.add_argument("--out", type=Path, required=True,
                         help="output folder: similarity.html and similarity.csv are written there")
    similar.add_argument("--threshold", type=threshold, default=None,
                         help="report pairs whose notebook or exercise score reaches this (0-1; default "
                              "0.6, see README)")
    kit = commands.add_parser("student-kit", help="build what students get: released notebooks, the grader's "
                                                   "wheel (no solutions, no hidden checks), a README")
    kit.add_argument("out", type=Path, help="output folder")
    gradescope = commands.add_parser("gradescope", help="build a Gradescope autograder zip (setup.sh, "
                                                        "run_autograder, the wheel, hidden checks, MNIST)")
    gradescope.add_argument("out", type=Path, help="the zip file to write")
    gradescope.add_argument("--unit", metavar="NAME", help="the unit it grades; default: found from each notebook")
    for command in (similar, kit, gradescope):
        command.add_argument("--course", type=Path, default=Path("."),
                             help="the course folder, with nbgrader_config.py (default: the current folder)")
    return main


def local_cluster(text: str) -> str:
    """``--cluster local:N`` with N a positive number, as argparse checks a value."""
    kind, _, number = text.partition(":")
    if kind != "local" or not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"expected local:N with N >= 1 worker processes, not {text!r}")
    return f"local:{int(number)}"


def threshold(text: str) -> float:
    """``--threshold`` between 0 and 1, as argparse checks a value."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a score between 0 (excluded) and 1, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> int:
    """Run the command; exit code 0 when every submission got a result, whatever the scores."""
    args = parser().parse_args(argv)
    for name, value in ONE_THREAD.items():  # the judge processes (spawned) run NumPy one thread each
        os.environ.setdefault(name, value)
    if args.command == "student-kit":
        return student_kit_command(args)
    if args.command == "gradescope":
        return gradescope_command(args)
    if args.command == "similarity":
        return similarity_command(args)
    return grade_command(args)


def student_kit_command(args) -> int:
    """``autograder student-kit OUT``."""
    from .kit import KitError, course_root, student_kit
    from .units import all_units

    try:
        made = student_kit(course_root(args.course), args.out, all_units().values())
    except KitError as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    print(f"student kit in {args.out}: {', '.join(str(path.relative_to(args.out)) for path in made.values())}")
    return 0


def gradescope_command(args) -> int:
    """``autograder gradescope OUT.zip [--unit NAME]``."""
    from .kit import KitError, course_root, gradescope_zip
    from .units import UnknownUnit, all_units, unit

    try:
        units = [unit(args.unit)] if args.unit else list(all_units().values())
        made = gradescope_zip(course_root(args.course), args.out, units, args.unit)
    except (KitError, UnknownUnit) as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    print(f"Gradescope autograder in {made}: upload it as the assignment's autograder (base image Ubuntu 22.04)")
    return 0


def similarity_command(args) -> int:
    """``autograder similarity CLASS_DIR --out OUT`` (or ``--nbgrader ASSIGNMENT``): judge side only."""
    from .batch.submissions import discover, unit_of_submissions
    from .reporting.files import write_text
    from .reporting.similarity_csv import similarity_csv
    from .reporting.similarity_html import similarity_page
    from .similarity import DEFAULT_THRESHOLD, UnreadableNotebook, compare_class, release_notebook
    from .units import UnknownUnit

    if (args.submissions is None) == (args.nbgrader is None):
        print("autograder: give a class folder or --nbgrader ASSIGNMENT (one of them)", file=sys.stderr)
        return 2
    root = args.course / "submitted" if args.nbgrader else args.submissions
    try:
        unit = unit_of_submissions(root, args.unit or args.nbgrader)
        submissions = discover(root, unit.name)
    except (UnknownUnit, FileNotFoundError) as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    release = release_notebook(unit, args.course)
    if release is None:
        print(f"autograder: no released notebook assignments/{unit.name}/{unit.name}.ipynb in {args.course}: the "
              "notebook's own code cannot be told from the students' (give the course folder with --course)",
              file=sys.stderr)
        return 2
    try:
        report = compare_class([(one.student, one.path) for one in submissions], unit, release,
                               args.threshold or DEFAULT_THRESHOLD)
    except UnreadableNotebook as error:  # the release itself
        print(f"autograder: the release: {error}", file=sys.stderr)
        return 2
    write_text(args.out / "similarity.csv", similarity_csv(report))
    write_text(args.out / "similarity.html", similarity_page(report, f"{unit.title}: similar answers"))
    print(f"{report.students} notebooks compared; {len(report.pairs)} pairs at or over {report.threshold:g}: "
          f"{args.out / 'similarity.html'}, {args.out / 'similarity.csv'}")
    for student, why in sorted(report.left_out.items()):
        print(f"left out {student}: {why}")
    return 0


def grade_command(args) -> int:
    """``autograder grade``."""
    from . import mnist
    from .batch.errors import ClusterUnreachable, OutputLocked, OutputUnwritable
    from .batch.grade import BatchOptions, grade_class
    from .batch.judging import HiddenChecksMissing
    from .batch.submissions import unit_of_submissions
    from .units import UnknownUnit

    values = settings.Options.from_values(args)
    try:
        values = values.with_mnist_found()
    except mnist.MnistNotFound as error:
        print(f"autograder: cannot grade without MNIST: {error}", file=sys.stderr)
        return 2
    try:
        unit = unit_of_submissions(args.submissions, args.unit)
        if args.hidden and unit is None:
            raise UnknownUnit("--hidden grades one unit's hidden checks, and these notebooks are of several units (or "
                              "say none): name the unit with --unit")
        if args.hidden:
            unit = with_hidden_checks(unit)
    except (UnknownUnit, HiddenChecksMissing) as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    options = BatchOptions(out=args.out, unit=unit, jobs=args.jobs, options=values, force=args.force,
                           quiet=args.quiet, cluster=args.scheduler or args.cluster, similarity=args.similarity)
    signal.signal(signal.SIGTERM, terminated)
    try:
        summary = grade_class(args.submissions, options)
    except (FileNotFoundError, ClusterUnreachable, OutputLocked) as error:
        print(f"autograder: {error}", file=sys.stderr)
        return 2
    except OutputUnwritable as error:
        print(f"autograder: {error}", file=sys.stderr)
        return OUTPUT_UNWRITABLE
    except KeyboardInterrupt as stop:
        how = "terminated (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
        print(f"\nautograder: {how}; finished results are kept. Run the same command again to grade the rest.",
              file=sys.stderr)
        return TERMINATED if isinstance(stop, Terminated) else INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    print(summary_text(summary, args.out))
    return 1 if summary.failed else 0


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: the batch stops as for Ctrl-C (judges stopped, finished results kept)."""


def terminated(signum, frame) -> None:
    """SIGTERM's handler during a batch: stop the way Ctrl-C stops it."""
    raise Terminated


def with_hidden_checks(unit):
    """``unit`` with its hidden checks (``autograder grade --hidden``): ``instructor/`` is imported from the course
    folder around the current one (the judge processes inherit this path), and must hold some for ``unit``."""
    from .batch.judging import WithHidden

    course = next((folder for folder in [Path.cwd(), *Path.cwd().parents]
                   if (folder / "instructor" / "__init__.py").is_file()), None)
    if course is not None and str(course) not in sys.path:
        sys.path.insert(0, str(course))
    graded = WithHidden(unit)
    graded.checks  # noqa: B018  (HiddenChecksMissing now, with the fix, rather than in every judge)
    return graded


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
