"""The batch grader on a Dask cluster next to its single-machine judges, on the same class, in one run.

Steps:

1. builds a flat class of ``--n`` small submissions (the released stub, a reference copy every ``--every``-th) and
   a class of its first ``--few`` (what both ways cost before the first submission: imports, processes, zygotes);
2. grades each with ``autograder grade --jobs W`` and with ``autograder grade --cluster local:W`` (wall times), and
   checks both give the same grades.csv;
3. times ``--tasks`` no-op tasks on a local Dask cluster of W one-thread workers with the grader's scheduler
   settings: the scheduler's cost per task, with no grading in it.

Printed: each way's cost per submission, ``(T(n) - T(few)) x W / (n - few)`` (start-up taken out), their ratio
(target: the cluster within 10% of ``--jobs``), the per-task overhead, and a worked estimate of 10,000
submissions on 50 workers from those figures. A report, not a test: it always exits 0.

Usage: ``python benchmarks/dask_batch.py [--n 200] [--workers 2] [--every 10] [--few 8] [--tasks 400]``.
``GLUON_GRADER_MNIST`` defaults to ``../shared/data/mnist`` relative to the repo root.
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("GLUON_GRADER_MNIST", str((ROOT.parent / "shared" / "data" / "mnist").resolve()))

from classroom import WRITERS  # noqa: E402

ESTIMATE_N, ESTIMATE_WORKERS = 10_000, 50


def make_class(root: Path, n: int, every: int) -> None:
    """``n`` flat submissions: a reference copy every ``every``-th, stubs otherwise."""
    rng = random.Random(0)  # noqa: S311  (a fixed class, not a secret)
    root.mkdir(parents=True)
    for number in range(n):
        WRITERS["correct" if number % every == every - 1 else "stub"](root / f"s{number:04d}.ipynb", rng)


def timed_grade(submissions: Path, out: Path, where: list[str]) -> float:
    """Wall time of one ``autograder grade`` run (it must exit 0)."""
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out),
                           "--quiet", *where], cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"autograder grade {' '.join(where)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def task_overhead(workers: int, tasks: int) -> float:
    """Seconds per no-op task on a local cluster of ``workers`` one-thread workers (the grader's settings)."""
    import dask
    from distributed import Client, LocalCluster, wait

    from autograder.batch.cluster import CLUSTER_CONFIG

    with dask.config.set(CLUSTER_CONFIG), LocalCluster(n_workers=workers, threads_per_worker=1,
                                                       dashboard_address=None) as cluster, Client(cluster) as client:
        wait(client.map(abs, range(-20, 0), pure=False))  # warm: connections, function cache
        started = time.monotonic()
        wait(client.map(abs, range(tasks), pure=False))
        return (time.monotonic() - started) * workers / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--few", type=int, default=8)
    parser.add_argument("--tasks", type=int, default=400)
    args = parser.parse_args()
    ways = {"--jobs": ["--jobs", str(args.workers)], "--cluster": ["--cluster", f"local:{args.workers}"]}
    with tempfile.TemporaryDirectory(prefix="gluon-grader-dask-bench-") as folder:
        base = Path(folder)
        make_class(base / "class", args.n, args.every)
        make_class(base / "few", args.few, args.every)
        per_submission = {}
        for way, where in ways.items():
            few = timed_grade(base / "few", base / f"few{way}", where)
            full = timed_grade(base / "class", base / f"out{way}", where)
            per_submission[way] = (full - few) * args.workers / (args.n - args.few)
            print(f"{way} {args.workers}: {args.n} submissions in {full:.1f} s, {args.few} in {few:.1f} s: "
                  f"{per_submission[way]:.3f} s per submission per worker")
        same = (base / "out--jobs" / "grades.csv").read_text() == (base / "out--cluster" / "grades.csv").read_text()
    overhead = task_overhead(args.workers, args.tasks)
    ratio = per_submission["--cluster"] / per_submission["--jobs"]
    print(f"same grades.csv both ways: {same}")
    print(f"per submission, cluster over jobs: {ratio:.3f} (target <= 1.10)")
    print(f"Dask's own cost per no-op task on {args.workers} one-thread workers: {overhead * 1000:.1f} ms per worker")
    cost = per_submission["--cluster"]
    hours = ESTIMATE_N * (cost + overhead) / ESTIMATE_WORKERS
    print(f"ESTIMATE, {ESTIMATE_N:,} submissions on {ESTIMATE_WORKERS} workers: {ESTIMATE_N:,} x ({cost:.3f} s + "
          f"{overhead * 1000:.1f} ms) / {ESTIMATE_WORKERS} = {hours:.0f} s ({hours / 60:.1f} min), plus start-up; "
          f"the scheduler itself handles them in about {ESTIMATE_N * overhead / args.workers:.0f} s of its time")


if __name__ == "__main__":
    main()
