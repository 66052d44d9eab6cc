"""Where a notebook's grading time goes, per unit: the profile issue 30 asks for before any change is made.

Measured, on each unit's reference notebook (``solutions/<unit>/<unit>.ipynb``):

(0) baseline, in fresh interpreters: ``python -c pass``, ``python -c "import mxnet"``, and the issue's start-up
    floor: starting Python, importing MXNet and the kit (the pipeline and the unit's checks, Hypothesis with them),
    reading MNIST; that last process also times each of its steps from inside.
(1) self-check front end: wall time of ``python -m pytest autograder --submission <reference>`` as a student runs
    it (sandboxed worker), next to the baseline.
(2) the pipeline in this process (``LocalSubject``): the student's cells, then every check with its probe
    questions (asked, and round trips after :mod:`autograder.subject.remembering`), the time spent answering them,
    Hypothesis's own time (the check's time outside its example bodies) and examples run, the judge's time (the
    rest: NumPy recomputations, comparisons, remembering), and writing the results (score table, results.json,
    the batch's feedback.md/results.json).
(3) the same through a sandboxed :class:`~autograder.runner.worker.Worker` driven from this process (what each batch
    judge and the self-check do): the zygote's start, the notebook's run in the sandbox, the probes' round trips
    across it.
(4) batch path: ``autograder grade --jobs J`` on ``--copies`` copies of each reference (wall time, cost per
    submission = wall x jobs / copies, and the judge-side seconds each results.json records).

Everything is measured by wrapping functions in this process (``time.perf_counter``): ``pipeline.run_check``,
the subject's ``probe``, ``RememberingSubject.probe``, and Hypothesis's ``given`` as the checks call it. Nothing
in ``autograder/`` changes. ``--cprofile`` adds cProfile's top functions of one unit's checks.

Named ``profile_grading.py``, not ``profile.py``: run as a script, a ``profile.py`` in ``benchmarks/`` would shadow
the standard library's ``profile`` module, which ``cProfile`` imports.

A report, never a test: figures on a shared machine are noisy, so ratios are against the baseline measured in the
same run, and the load average is printed at the start and at the end. Always exits 0.

Usage: ``python benchmarks/profile_grading.py [--units plumbing,...] [--copies 3] [--jobs 2] [--no-batch] [--no-sandbox]
[--quick] [--cprofile UNIT]``. ``--quick``: plumbing only, in process only (the smoke test's run).
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("GLUON_GRADER_MNIST", str((ROOT.parent / "shared" / "data" / "mnist").resolve()))
UNITS = ("plumbing", "custom_layers", "hybridize_serialize", "convolutions")

#: The start-up floor, timed step by step from inside a fresh interpreter (printed as JSON on its last line).
STARTUP = """
import json, time
t = [time.perf_counter()]
import mxnet
t.append(time.perf_counter())
import hypothesis
from autograder import pipeline
from autograder.units import unit
for name in {units!r}:
    unit(name).checks
t.append(time.perf_counter())
from autograder.mnist import load_mnist
load_mnist("test")
t.append(time.perf_counter())
print(json.dumps({{"mxnet": t[1] - t[0], "kit": t[2] - t[1], "mnist": t[3] - t[2]}}))
"""


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPU(s)"


def timed_run(command: list[str], cwd: Path = ROOT) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    process = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=dict(os.environ))
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        print(f"warning: {' '.join(command[:6])} ... exited {process.returncode}:\n{process.stdout[-1500:]}"
              f"{process.stderr[-1500:]}", file=sys.stderr)
    return seconds, process


def baseline(units, repeat: int) -> dict:
    """Median wall times of the fresh-interpreter baselines, and the start-up floor's steps from inside."""
    runs: dict[str, list[float]] = {"python": [], "import mxnet": [], "start-up": []}
    steps: list[dict] = []
    for _ in range(repeat):
        runs["python"].append(timed_run([sys.executable, "-c", "pass"])[0])
        runs["import mxnet"].append(timed_run([sys.executable, "-c", "import mxnet"])[0])
        seconds, process = timed_run([sys.executable, "-c", STARTUP.format(units=tuple(units))])
        runs["start-up"].append(seconds)
        with contextlib.suppress(ValueError, IndexError):
            steps.append(json.loads(process.stdout.strip().splitlines()[-1]))
    figures = {name: statistics.median(values) for name, values in runs.items()}
    for step in ("mxnet", "kit", "mnist"):
        if steps:
            figures[f"  of which {step}"] = statistics.median(s[step] for s in steps)
    return figures


@dataclass
class Row:
    """One check's (or one stage's) figures."""

    wall: float = 0.0
    asked: int = 0
    trips: int = 0
    probe: float = 0.0
    examples: int = 0
    in_examples: float = 0.0

    @property
    def hypothesis(self) -> float:
        """Hypothesis's own time: the check's time outside its example bodies (generation, the engine)."""
        return self.wall - self.in_examples if self.examples else 0.0

    @property
    def judge(self) -> float:
        """The judge's own time: the rest (NumPy recomputations, comparisons, remembering's copies)."""
        return max(0.0, self.wall - self.probe - self.hypothesis)


class Recorder:
    """Figures per check id; the wrappers below add to the row of the check that is running."""

    def __init__(self):
        self.rows: dict[str, Row] = {}
        self.current = "(notes)"

    def row(self) -> Row:
        return self.rows.setdefault(self.current, Row())


RECORDER = Recorder()


class Counted:
    """A subject whose every round trip is counted and timed for the running check."""

    def __init__(self, subject):
        self.subject = subject

    def probe(self, name, /, **args):
        started = time.perf_counter()
        try:
            return self.subject.probe(name, **args)
        finally:
            row = RECORDER.row()
            row.trips += 1
            row.probe += time.perf_counter() - started

    def __getattr__(self, attribute):
        return getattr(self.subject, attribute)


def instrument() -> None:
    """Wrap, in this process only, the functions whose time the profile splits up."""
    from hypothesis import given as real_given

    from autograder import pipeline
    from autograder.checks import examples
    from autograder.subject import remembering

    real_run_check, real_notes = pipeline.run_check, pipeline.notebook_notes
    real_remembered = remembering.RememberingSubject.probe

    def run_check(check, subject):
        RECORDER.current = check.id
        started = time.perf_counter()
        try:
            return real_run_check(check, subject)
        finally:
            RECORDER.row().wall += time.perf_counter() - started
            RECORDER.current = "(between checks)"

    def notebook_notes(subject, exercises):
        RECORDER.current = "(notes)"
        started = time.perf_counter()
        try:
            return real_notes(subject, exercises)
        finally:
            RECORDER.row().wall += time.perf_counter() - started

    def remembered(self, name, /, **args):
        RECORDER.row().asked += 1
        return real_remembered(self, name, **args)

    def given(**strategies):
        def decorate(example):
            def timed_example(**drawn):
                started = time.perf_counter()
                try:
                    return example(**drawn)
                finally:
                    row = RECORDER.row()
                    row.examples += 1
                    row.in_examples += time.perf_counter() - started

            timed_example.__name__ = timed_example.__qualname__ = example.__name__
            return real_given(**strategies)(timed_example)

        return decorate

    pipeline.run_check, pipeline.notebook_notes = run_check, notebook_notes
    remembering.RememberingSubject.probe = remembered
    examples.given = given  # for_all looks ``given`` up when a check runs


def warm_up(units) -> dict[str, float]:
    """Import MXNet, the kit (every unit's checks, Hypothesis) and read MNIST here, timed, so that the first unit's
    "student's cells" are the cells alone, as in a warm process."""
    steps, started = {}, time.perf_counter()
    import mxnet  # noqa: F401

    steps["import mxnet"] = time.perf_counter() - started
    started = time.perf_counter()
    import hypothesis  # noqa: F401

    from autograder import pipeline  # noqa: F401
    from autograder.units import unit

    for name in units:
        assert unit(name).checks, name  # importing a unit's checks module registers them
    steps["import kit"] = time.perf_counter() - started
    started = time.perf_counter()
    from autograder.mnist import load_mnist

    load_mnist("test")
    steps["read MNIST"] = time.perf_counter() - started
    return steps


def write_results(graded, unit_name: str) -> float:
    """Seconds to write what every front end writes: the score table, results.json, the batch's student files."""
    from autograder.reporting.batch import write_student
    from autograder.reporting.gradescope import results_json, write_json
    from autograder.reporting.table import score_table
    from autograder.results import SubmissionResult

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-profile-out-") as out:
        score_table(graded.results, unit_name, graded.notes)
        write_json(Path(out) / "results.json", results_json(graded.results, graded.notes))
        write_student(out, SubmissionResult("student", f"{unit_name}.ipynb", graded.results, graded.notes))
    return time.perf_counter() - started


def judged(subject, checks) -> tuple[object, dict[str, Row]]:
    """``pipeline.judged`` on ``subject`` with every round trip counted; the graded result and the rows."""
    from autograder import pipeline

    RECORDER.rows, RECORDER.current = {}, "(notes)"
    graded = pipeline.judged(Counted(subject), checks)
    return graded, dict(RECORDER.rows)


def profile_local(unit) -> dict:
    """The pipeline in this process: the student's cells, then the checks."""
    from autograder.subject.local import LocalSubject

    notebook = ROOT / "solutions" / unit.name / f"{unit.name}.ipynb"
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        copy = Path(folder) / notebook.name
        copy.write_bytes(notebook.read_bytes())
        started = time.perf_counter()
        subject = LocalSubject.from_notebook(copy, unit)
        cells = time.perf_counter() - started
        try:
            started = time.perf_counter()
            graded, rows = judged(subject, unit.checks)
            checks = time.perf_counter() - started
        finally:
            subject.close()
    return {"cells": cells, "checks": checks, "rows": rows, "graded": graded, "write": write_results(graded, unit.name)}


def profile_sandbox(unit, worker) -> dict:
    """The same through the sandboxed worker: the notebook's run in the sandbox, probes across it, its clean-up."""
    notebook = (ROOT / "solutions" / unit.name / f"{unit.name}.ipynb").read_bytes()
    started = time.perf_counter()
    context = worker.subject(notebook, unit, f"{unit.name}.ipynb")
    remote = context.__enter__()
    cells = time.perf_counter() - started
    try:
        started = time.perf_counter()
        graded, rows = judged(remote, unit.checks)
        checks = time.perf_counter() - started
    finally:
        started = time.perf_counter()
        context.__exit__(None, None, None)
        finish = time.perf_counter() - started
    return {"cells": cells, "checks": checks, "rows": rows, "graded": graded, "finish": finish}


def batch(unit_name: str, copies: int, jobs: int) -> dict:
    """``autograder grade --jobs J`` on ``copies`` copies of the reference: wall, per submission, judge-side."""
    source = (ROOT / "solutions" / unit_name / f"{unit_name}.ipynb").read_bytes()
    with tempfile.TemporaryDirectory(prefix=f"bench-profile-{unit_name}-") as folder:
        submitted = Path(folder) / "submitted"
        submitted.mkdir()
        for number in range(copies):
            (submitted / f"student{number:03d}.ipynb").write_bytes(source)
        wall, _ = timed_run([sys.executable, "-m", "autograder", "grade", str(submitted), "--unit", unit_name,
                             "--out", str(Path(folder) / "out"), "--jobs", str(jobs), "--quiet"])
        graded = [json.loads(path.read_text())["extra_data"]["gluon_grader"]
                  for path in sorted((Path(folder) / "out").glob("*/results.json"))]
        seconds = [one["seconds"] for one in graded]
        failed = sum(result.get("status") != "passed" for one in graded for result in one["results"])
    # A judge's first submission also starts its worker (the zygote: Python, MXNet, MNIST in the sandbox); the
    # fastest is a warm one. What the wall holds beyond copies x warm / jobs is start-up and scheduling.
    warm, cold = (min(seconds), max(seconds)) if seconds else (float("nan"), float("nan"))
    return {"wall": wall, "per": wall * jobs / copies, "warm": warm, "cold": cold,
            "fixed": wall - copies * warm / jobs, "graded": len(seconds),
            "failed": failed}


def summary(rows: dict[str, Row]) -> Row:
    total = Row()
    for row in rows.values():
        total.wall += row.wall
        total.asked += row.asked
        total.trips += row.trips
        total.probe += row.probe
        total.examples += row.examples
        total.in_examples += row.in_examples
    return total


def stage_table(title: str, figures: dict, floor: float) -> None:
    """One unit's stages: seconds, share of the path, ratio to the start-up floor."""
    rows, total = figures["rows"], summary(figures["rows"])
    hypothesis = sum(row.hypothesis for row in rows.values())
    judge = sum(row.judge for row in rows.values())
    failed = [result.check_id for result in figures["graded"].results if not result.passed]
    lines = [("student's cells (load)", figures["cells"], "")]
    lines.append(("probe round trips", total.probe, f"{total.trips} trips ({total.asked} questions asked), "
                  f"{1000 * total.probe / max(1, total.trips):.1f} ms each"))
    lines.append(("Hypothesis's own time", hypothesis, f"{total.examples} examples"))
    lines.append(("judge (NumPy, compare)", judge, ""))
    for key in ("write", "finish"):
        if key in figures:
            lines.append(({"write": "writing results", "finish": "sandbox clean-up"}[key], figures[key], ""))
    whole = sum(line[1] for line in lines)
    print(f"\n{title}: {len(rows) - ('(notes)' in rows)} checks, {len(failed)} failed"
          f"{' (' + ', '.join(failed[:3]) + ')' if failed else ''}")
    print(f"  {'stage':<26}{'seconds':>8}{'share':>7}{'/ floor':>9}  detail")
    for name, seconds, detail in [*lines, ("total", whole, "")]:
        print(f"  {name:<26}{seconds:>8.3f}{seconds / whole:>7.0%}{seconds / floor:>9.2f}  {detail}".rstrip())


def check_table(rows: dict[str, Row], top: int) -> None:
    """The ``top`` slowest checks: where each one's time goes."""
    print(f"  {'slowest checks':<42}{'wall':>7}{'trips':>6}{'probe':>7}{'ex':>4}{'hyp':>7}{'judge':>7}")
    for check_id, row in sorted(rows.items(), key=lambda item: -item[1].wall)[:top]:
        print(f"  {check_id[:41]:<42}{row.wall:>7.3f}{row.trips:>6}{row.probe:>7.3f}{row.examples:>4}"
              f"{row.hypothesis:>7.3f}{row.judge:>7.3f}")


def cprofiled(unit) -> None:
    """cProfile's top functions (by own time) of one unit's checks, in this process."""
    from autograder.subject.local import LocalSubject

    subject = LocalSubject.from_notebook(ROOT / "solutions" / unit.name / f"{unit.name}.ipynb", unit)
    profiler = cProfile.Profile()
    try:
        profiler.enable()
        judged(subject, unit.checks)
        profiler.disable()
    finally:
        subject.close()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(15)
    print(f"\ncProfile of {unit.name}'s checks (top 15 by own time, with the profiler's overhead):")
    print("\n".join(line for line in text.getvalue().splitlines() if line.strip())[-3000:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", default=",".join(UNITS), help="comma-separated units (default: all four)")
    parser.add_argument("--copies", type=int, default=4, help="copies of each reference for the batch path")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each baseline (median)")
    parser.add_argument("--top", type=int, default=5, help="slowest checks listed per unit")
    parser.add_argument("--no-batch", action="store_true", help="skip `autograder grade` (4)")
    parser.add_argument("--no-sandbox", action="store_true", help="skip the worker (3) and the self-check (1)")
    parser.add_argument("--quick", action="store_true", help="plumbing only, in process only, one baseline run")
    parser.add_argument("--cprofile", metavar="UNIT", help="also cProfile this unit's checks")
    args = parser.parse_args(argv)
    units = ["plumbing"] if args.quick else [name for name in args.units.split(",") if name]
    if args.quick:
        args.no_batch = args.no_sandbox = True
        args.repeat = 1
    print(f"profile of grading, {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {load()}, {sys.executable}")

    base = baseline(units, args.repeat)
    floor = base["start-up"]
    print(f"\n(0) baseline, fresh interpreters, median of {args.repeat}:")
    for name, seconds in base.items():
        print(f"  {name:<26}{seconds:>8.3f} s")

    if not args.no_sandbox:
        print("\n(1) self-check front end (pytest autograder --submission <reference>, sandboxed):")
        for name in units:
            wall, _ = timed_run([sys.executable, "-m", "pytest", "autograder", "--assert=plain", "-q", "-p",
                                 "no:cacheprovider", "--submission", f"solutions/{name}/{name}.ipynb"])
            print(f"  {name:<26}{wall:>8.3f} s  {wall / floor:.2f} x start-up")

    print("\n(2) the pipeline in this process (LocalSubject); '/ floor' = seconds / start-up baseline")
    steps = warm_up(units)
    print("  this process's start-up, paid once before the first unit: " +
          ", ".join(f"{name} {seconds:.3f} s" for name, seconds in steps.items()))
    instrument()
    from autograder.units import unit

    for name in units:
        figures = profile_local(unit(name))
        stage_table(f"{name}, in process", figures, floor)
        check_table(figures["rows"], args.top)

    if not args.no_sandbox:
        from autograder.mnist import find_mnist_dir
        from autograder.options import Options
        from autograder.runner.worker import Worker

        # MNIST's folder resolved as the front ends do (pytest_plugin.run_options): the sandbox mounts only that.
        with Worker(options=Options().with_mnist_dir(find_mnist_dir())) as worker:
            started = time.perf_counter()
            worker.start()
            start = time.perf_counter() - started
            print(f"\n(3) through a sandboxed worker ({worker.isolation.describe()}); zygote start (Python, MXNet, "
                  f"MNIST, in the sandbox) {start:.3f} s = {start / floor:.2f} x start-up")
            for name in units:
                figures = profile_sandbox(unit(name), worker)
                stage_table(f"{name}, sandboxed", figures, floor)

    if not args.no_batch:
        print(f"\n(4) batch path: autograder grade --jobs {args.jobs} on {args.copies} copies of each reference")
        print(f"  {'unit':<22}{'wall':>8}{'per sub':>9}{'warm':>7}{'cold':>7}{'fixed':>7}  (per sub = wall x jobs / "
              "copies; warm, cold: fastest, slowest seconds in results.json; fixed = wall - copies x warm / jobs)")
        for name in units:
            result = batch(name, args.copies, args.jobs)
            short = "" if result["graded"] == args.copies else f"  only {result['graded']} graded"
            short += f"  {result['failed']} checks failed on the reference" if result["failed"] else ""
            print(f"  {name:<22}{result['wall']:>8.2f}{result['per']:>9.2f}{result['warm']:>7.2f}{result['cold']:>7.2f}"
                  f"{result['fixed']:>7.2f}{short}")

    if args.cprofile:
        cprofiled(unit(args.cprofile))
    print(f"\nend: {load()}")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001  (a report, not a test: say what went wrong, exit 0 anyway)
        import traceback

        traceback.print_exc()
        print(f"benchmark could not finish: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(0)
