"""How long a student's self-check takes, next to baselines measured in the same run.

Measures, ``--repeat`` times each (median reported):

(a) ``import mxnet``: wall time of ``python -c "import mxnet"`` in a fresh interpreter (the same one running
    this script). MXNet's import is the floor under any self-check, and the unit of comparison.
(b) self-check: wall time of the full front end as a student runs it,
    ``python -m pytest autograder -q -p no:cacheprovider --submission solutions/plumbing/plumbing.ipynb``
    from the repo root: interpreter start, pytest, MXNet, running the reference notebook, every check, the
    score table.
(c) checks only: in this process, the reference notebook is loaded once, then only ``pipeline.judged(subject, checks)``
    is timed: the nets' own compute (building, initializing, forward passes, Hypothesis examples), with no
    import or notebook loading in it.

Targets (README, "Benchmarks"; figures in docs/benchmarks.md): self-check < 3 s, and self-check < 2 x import +
checks-only, i.e. the kit's own overhead (pytest, notebook loading, reporting) costs less than one more MXNet import.

Why ratios: machines are noisy (CI runners, laptops on battery, a busy 2-core VM), so absolute seconds from
different days or machines do not compare. The baselines are measured in the same run, on the same machine,
interleaved with the self-check, and the ratios are what should stay stable. This is a report, not a test:
it always exits 0.

Usage: ``python benchmarks/selfcheck.py [--repeat N]`` (``make bench``). ``GLUON_GRADER_MNIST`` defaults to
``../shared/data/mnist`` relative to the repo root.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = Path("solutions") / "plumbing" / "plumbing.ipynb"
TARGET_SECONDS = 3.0


def environment() -> dict:
    env = dict(os.environ)
    env.setdefault("GLUON_GRADER_MNIST", str((ROOT.parent / "shared" / "data" / "mnist").resolve()))
    return env


def timed_run(command: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    """Wall time of one subprocess run from the repo root."""
    started = time.perf_counter()
    process = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    return time.perf_counter() - started, process


def time_import(env: dict) -> float:
    seconds, process = timed_run([sys.executable, "-c", "import mxnet"], env)
    if process.returncode != 0:
        print(f"warning: `import mxnet` failed:\n{process.stderr[-2000:]}", file=sys.stderr)
    return seconds


def time_selfcheck(env: dict) -> float:
    command = [sys.executable, "-m", "pytest", "autograder", "--assert=plain", "-q", "-p", "no:cacheprovider",
               "--submission", str(SOLUTION)]
    seconds, process = timed_run(command, env)
    if process.returncode != 0:
        print(f"warning: the self-check of the reference solution did not pass (exit {process.returncode}):\n"
              f"{process.stdout[-3000:]}{process.stderr[-2000:]}", file=sys.stderr)
    return seconds


class ChecksOnly:
    """The reference notebook loaded once in this process; each call times one ``pipeline.judged`` of its checks."""

    def __init__(self, env: dict):
        os.environ["GLUON_GRADER_MNIST"] = env["GLUON_GRADER_MNIST"]
        sys.path.insert(0, str(ROOT))
        from autograder import pipeline
        from autograder.subject.local import LocalSubject
        from autograder.units import unit

        self.unit, self.pipeline = unit("plumbing"), pipeline
        self.subject = LocalSubject.from_notebook(ROOT / SOLUTION, self.unit)
        if self.subject.report.unreadable or self.subject.report.problems:
            print(f"warning: the reference notebook did not load cleanly: {self.subject.report}", file=sys.stderr)
        self.failed: list[str] = []

    def __call__(self) -> float:
        started = time.perf_counter()
        results = self.pipeline.judged(self.subject, self.unit.checks).results
        seconds = time.perf_counter() - started
        self.failed = [r.check_id for r in results if not r.passed]
        return seconds

    def close(self) -> None:
        self.subject.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the median is reported")
    args = parser.parse_args(argv)
    repeat = max(1, args.repeat)
    env = environment()
    if not Path(env["GLUON_GRADER_MNIST"]).is_dir():
        print(f"warning: GLUON_GRADER_MNIST={env['GLUON_GRADER_MNIST']} is not a folder", file=sys.stderr)

    imports, selfchecks, checks = [], [], []
    for round_number in range(repeat):  # interleaved, so that a slow patch of the machine hits all three
        imports.append(time_import(env))
        selfchecks.append(time_selfcheck(env))
        print(f"round {round_number + 1}/{repeat}: import {imports[-1]:.2f} s, self-check {selfchecks[-1]:.2f} s",
              file=sys.stderr)
    grader = ChecksOnly(env)
    try:
        for _ in range(repeat):
            checks.append(grader())
    finally:
        grader.close()
    if grader.failed:
        print(f"warning: checks failed on the reference solution: {', '.join(grader.failed)}", file=sys.stderr)

    imported, selfcheck, checked = (statistics.median(values) for values in (imports, selfchecks, checks))
    budget = 2 * imported + checked
    rows = [
        ("import mxnet", f"{imported:.2f} s", " ".join(f"{v:.2f}" for v in imports)),
        ("self-check", f"{selfcheck:.2f} s", " ".join(f"{v:.2f}" for v in selfchecks)),
        ("checks only", f"{checked:.2f} s", " ".join(f"{v:.2f}" for v in checks)),
        ("self-check / import", f"{selfcheck / imported:.2f}", ""),
        ("self-check / (2 x import + checks)", f"{selfcheck / budget:.2f}", ""),
    ]
    width = max(len(row[0]) for row in rows)
    print(f"median of {repeat} run(s) on {os.cpu_count()} CPU(s), {sys.executable}")
    print(f"{'measure':<{width}}  {'median':>8}  runs")
    for name, value, runs in rows:
        print(f"{name:<{width}}  {value:>8}  {runs}".rstrip())
    print(f"target self-check < {TARGET_SECONDS:g} s: {'holds' if selfcheck < TARGET_SECONDS else 'MISSED'} "
          f"({selfcheck:.2f} s)")
    print(f"target self-check < 2 x import + checks-only: {'holds' if selfcheck < budget else 'MISSED'} "
          f"({selfcheck:.2f} s vs {budget:.2f} s)")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # noqa: BLE001  (a report, not a test: say what went wrong, exit 0 anyway)
        print(f"benchmark could not finish: {type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(0)
