"""The batch grader on a synthetic class, next to real ``nbgrader autograde`` on the same class.

Steps:

1. builds a class of ``--n`` submissions with ``tests/classroom.make_class`` (no ``slow`` kind, so that no
   submission waits on a time limit), in an nbgrader ``submitted/`` tree of a throw-away course;
2. grades it with the kit: ``python -m autograder grade submitted --out OUT --jobs J`` (wall time);
3. unless ``--skip-nbgrader``: grades it with ``nbgrader autograde plumbing --create --force`` in that course,
   configured by the course's ``nbgrader_config.py`` as ``tests/test_nbgrader.py`` does but with nbgrader's stock
   ``Execute`` step (a Jupyter kernel per notebook, what nbgrader users know; ``--sandboxed-nbgrader`` keeps the
   course's ``SandboxedExecute`` instead), timing autograde only, and checks that both agree on every student,
   check by check: nbgrader's score of each test cell ``test_<check id>`` (from its Gradebook) against the
   kit's score of that check. Hidden checks exist only in nbgrader and are left out; a notebook nbgrader could
   not grade at all (e.g. an empty file) counts as 0;
4. grades the reference notebook in this process, already warm (one run first, then the median of
   ``--repeat``): the cost of one submission with no process start, import or scheduling in it.

5. for every unit, ``--unit-copies`` copies of its reference graded with ``autograder grade --unit NAME``: each
   unit's cost per submission (wall time x jobs / copies), side by side (``--units-only`` runs this step alone).

Printed: both wall times and their ratio (target: the kit at least 10x faster than nbgrader), and the kit's
cost per submission (wall time x jobs / n) over the warm in-process cost (target: at most 1.5). The class
mixes kinds (stubs and broken files cost less than the reference, wrong answers about the same), so the
per-submission ratio is indicative, not exact. A report, not a test: it always exits 0.

Usage: ``python benchmarks/batch.py [--n 100] [--jobs 2] [--skip-nbgrader] [--seed 0] [--repeat 5]``.
``GLUON_GRADER_MNIST`` defaults to ``../shared/data/mnist`` relative to the repo root.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("GLUON_GRADER_MNIST", str((ROOT.parent / "shared" / "data" / "mnist").resolve()))

# After the path above: the kit and the tests' helpers, from this checkout.
from autograder.units import unit  # noqa: E402

from classroom import KINDS, make_class  # noqa: E402
from test_nbgrader import COURSE_ID, SOURCE, config, environment, grade_id  # noqa: E402

NBGRADER_TARGET = 10.0
PER_SUBMISSION_TARGET = 1.5


def timed(command: list, cwd: Path, env: dict) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time and outcome of one subprocess."""
    started = time.perf_counter()
    process = subprocess.run(command, check=False, cwd=cwd, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, process


def complain(what: str, process: subprocess.CompletedProcess) -> None:
    """Say on stderr that ``what`` exited non-zero, with the end of its output."""
    if process.returncode != 0:
        print(f"warning: {what} exited {process.returncode}:\n{process.stdout[-2000:]}\n{process.stderr[-3000:]}",
              file=sys.stderr)


def kit_grade(submitted: Path, out: Path, jobs: int, env: dict) -> tuple[float, dict]:
    """Grade with the batch grader; return its wall time and ``{student: {check_id: score}}``."""
    command = [sys.executable, "-m", "autograder", "grade", str(submitted), "--out", str(out), "--jobs", str(jobs),
               "--quiet"]
    seconds, process = timed(command, ROOT, env)
    complain("the batch grader", process)
    scores = {}
    for path in sorted(out.glob("*/results.json")):
        result = json.loads(path.read_text())["extra_data"]["gluon_grader"]
        scores[path.parent.name] = {one["check_id"]: one["score"] for one in result["results"]}
    return seconds, scores


STOCK_PIPELINE = ("from nbgrader.converters import Autograde\n"
                  "c.Autograde.sanitize_preprocessors = "
                  "Autograde.class_traits()['sanitize_preprocessors'].default()\n"
                  "c.Autograde.autograde_preprocessors = "
                  "Autograde.class_traits()['autograde_preprocessors'].default()\n")


def make_course(base: Path, stock: bool) -> tuple[Path, Path, dict]:
    """A throw-away nbgrader course under ``base`` with the assignment generated; ``(course, db, env)``.

    ``stock``: autograde with nbgrader's own ``Execute`` (a kernel per notebook) instead of the kit's sandbox.
    """
    home, course = base / "home", base / "course"
    db = base / "gradebook.db"
    (course / "source" / "plumbing").mkdir(parents=True)
    home.mkdir()
    config(course, course, base / "exchange", db)
    if stock:
        with (course / "nbgrader_config.py").open("a") as stream:
            stream.write(STOCK_PIPELINE)
    (course / "source" / "plumbing" / "plumbing.ipynb").write_bytes(SOURCE.read_bytes())
    env = environment(home)
    process = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "plumbing"],
                             check=False, cwd=course, env=env, capture_output=True, text=True)
    complain("nbgrader generate_assignment", process)
    return course, db, env


def nbgrader_grade(course: Path, db: Path, env: dict, students) -> tuple[float, dict]:
    """``nbgrader autograde`` the course; return its wall time and ``{student: {check_id: score}}`` (visible)."""
    from nbgrader.api import Gradebook, MissingEntry

    seconds, process = timed([sys.executable, "-m", "nbgrader", "autograde", "plumbing", "--create", "--force"],
                             course, env)
    complain("nbgrader autograde", process)
    scores = {}
    with Gradebook("sqlite:///" + str(db), course_id=COURSE_ID) as gradebook:
        for student in students:
            try:
                notebook = gradebook.find_submission_notebook("plumbing", "plumbing", student)
            except MissingEntry:
                scores[student] = {}
                continue
            by_name = {grade.name: grade.score for grade in notebook.grades}
            scores[student] = {check.id: by_name.get(grade_id(check), 0) for check in unit("plumbing").checks}
    return seconds, scores


def disagreements(kit: dict, nbgrader: dict) -> list[str]:
    """One line per student whose per-check scores differ (a student missing on one side counts as 0)."""
    lines = []
    for student in sorted(set(kit) | set(nbgrader)):
        ours, theirs = kit.get(student, {}), nbgrader.get(student, {})
        differ = {cid: (ours.get(cid, 0), theirs.get(cid, 0)) for cid in (check.id for check in unit("plumbing").checks)
                  if ours.get(cid, 0) != theirs.get(cid, 0)}
        if differ:
            shown = ", ".join(f"{cid} kit {a:g} nbgrader {b:g}" for cid, (a, b) in differ.items())
            lines.append(f"{student}: {shown}")
    return lines


def warm_per_submission(repeat: int) -> float:
    """Median seconds to grade the reference notebook in this process, after one warm-up run."""
    from notebooks import REFERENCE, grade_notebook

    grade_notebook(REFERENCE)
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        grade_notebook(REFERENCE)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs)


def unit_costs(copies: int, jobs: int, env: dict) -> dict[str, float]:
    """Seconds per submission of each unit's reference, graded ``copies`` times by the batch grader."""
    from autograder.units import all_units

    from notebooks import source_path

    costs = {}
    for name in all_units():
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
            submitted = Path(folder) / "submitted"
            submitted.mkdir()
            for number in range(copies):
                (submitted / f"student{number:03d}.ipynb").write_bytes(source_path(name).read_bytes())
            command = [sys.executable, "-m", "autograder", "grade", str(submitted), "--unit", name,
                       "--out", str(Path(folder) / "out"), "--jobs", str(jobs), "--quiet"]
            seconds, process = timed(command, ROOT, env)
            complain(f"the batch grader on {name}", process)
            costs[name] = seconds * jobs / copies
    return costs


def verdict(holds: bool, complete: bool = True) -> str:
    """``holds`` or ``MISSED``; ``not measured`` when the kit did not grade the whole class."""
    if not complete:
        return "not measured: the kit did not grade the whole class"
    return "holds" if holds else "MISSED"


def main(argv=None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="submissions in the class")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs of the batch grader")
    parser.add_argument("--seed", type=int, default=0, help="seed of the class")
    parser.add_argument("--repeat", type=int, default=5, help="warm in-process runs (median reported)")
    parser.add_argument("--skip-nbgrader", action="store_true", help="time the kit only")
    parser.add_argument("--sandboxed-nbgrader", action="store_true",
                        help="time nbgrader with the course's SandboxedExecute instead of its stock Execute")
    parser.add_argument("--unit-copies", type=int, default=10, help="copies of each unit's reference to grade")
    parser.add_argument("--units-only", action="store_true", help="only each unit's cost per submission")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    if args.units_only:
        print_unit_costs(args, env)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-batch-") as folder:
        base = Path(folder)
        course, db, nb_env = make_course(base, stock=not args.sandboxed_nbgrader)
        kinds = [kind for kind in KINDS if kind != "slow"]
        expected = make_class(course / "submitted", args.n, seed=args.seed, kinds=kinds)
        counts = {kind: sum(one.kind == kind for one in expected.values()) for kind in kinds}
        print(f"class: {args.n} submissions ({', '.join(f'{k} {v}' for k, v in counts.items())}), "
              f"{os.cpu_count()} CPU(s)", flush=True)

        kit_seconds, kit_scores = kit_grade(course / "submitted", base / "out", args.jobs, env)
        complete = len(kit_scores) == args.n
        wrong = [s for s, one in expected.items() if sum(kit_scores.get(s, {}).values()) != one.score]
        print(f"kit: {kit_seconds:.1f} s with --jobs {args.jobs}, {len(kit_scores)}/{args.n} graded, "
              f"{len(wrong)} score(s) off the expected{': ' + ', '.join(wrong) if wrong else ''}", flush=True)

        if not args.skip_nbgrader:
            nb_seconds, nb_scores = nbgrader_grade(course, db, nb_env, expected)
            differ = disagreements(kit_scores, nb_scores)
            pipeline = "the course's SandboxedExecute" if args.sandboxed_nbgrader else "stock Execute, a kernel each"
            print(f"nbgrader autograde ({pipeline}): {nb_seconds:.1f} s; "
                  f"nbgrader / kit = {nb_seconds / kit_seconds:.1f}x "
                  f"(target >= {NBGRADER_TARGET:g}x: {verdict(nb_seconds / kit_seconds >= NBGRADER_TARGET, complete)})")
            print(f"agreement on the visible checks: {args.n - len(differ)}/{args.n} students")
            for line in differ:
                print(f"  differs: {line}")

    warm = warm_per_submission(args.repeat)
    batch = kit_seconds * args.jobs / args.n
    print(f"per submission: batch {batch:.2f} s (wall x jobs / n), warm in-process {warm:.2f} s "
          f"(median of {args.repeat}); batch / warm = {batch / warm:.2f} "
          f"(target <= {PER_SUBMISSION_TARGET:g}: {verdict(batch / warm <= PER_SUBMISSION_TARGET, complete)})")
    print_unit_costs(args, env)
    return 0


def print_unit_costs(args, env: dict) -> None:
    """Each unit's cost per submission of its reference, side by side."""
    costs = unit_costs(args.unit_copies, args.jobs, env)
    print(f"per submission by unit ({args.unit_copies} copies of each reference, --jobs {args.jobs}): "
          + ", ".join(f"{name} {seconds:.2f} s" for name, seconds in costs.items()))


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001 -- a report, not a test: say what went wrong, exit 0 anyway
        print(f"benchmark could not finish: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(0)
