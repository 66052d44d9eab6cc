"""Memory and file descriptors of the batch grader's long-lived processes over a long batch.

Builds a flat class of ``--n`` submissions (the released stub, with a reference copy every ``--every``-th, so
that real nets are built and trained now and then) plus a few more, grades it with ``python -m autograder grade
--jobs J``, and when ``50`` and then ``--n`` results exist reads, from ``/proc/<pid>/status`` and
``/proc/<pid>/fd``, the resident memory (VmRSS) and open descriptors of the batch process, each judge process and
each zygote. The extra submissions keep every process alive at the last reading. Printed: one row per process
with both readings and the change; a replaced process (a new pid) is flagged. A report, not a test: exits 0.

Usage: ``python benchmarks/long_batch.py [--n 1000] [--jobs 2] [--every 10]``. ``GLUON_GRADER_MNIST`` defaults
to ``../shared/data/mnist`` relative to the repo root.
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

ZYGOTE = "autograder.runner.zygote"
JUDGE = "spawn_main"


def make_class(root: Path, n: int, every: int) -> None:
    """``n`` flat submissions: a reference copy every ``every``-th, stubs otherwise."""
    rng = random.Random(0)  # noqa: S311  (a reproducible class, not a secret)
    root.mkdir(parents=True)
    for number in range(n):
        WRITERS["correct" if number % every == every - 1 else "stub"](root / f"s{number:04d}.ipynb", rng)


def process_table() -> dict[int, tuple[int, list[str]]]:
    """``{pid: (parent pid, argv)}`` of every live process."""
    table = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            argv = Path(f"/proc/{entry}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        table[int(entry)] = (int(stat[stat.rindex(")") + 2:].split()[1]), argv)
    return table


def long_lived(batch: int) -> dict[str, int]:
    """``{role: pid}``: the batch process, its judges (``judge-1``, ...) and their zygotes (``zygote-1``, ...)."""
    table = process_table()
    roles = {"batch": batch}
    judges = sorted(pid for pid, (parent, argv) in table.items() if parent == batch and JUDGE in " ".join(argv))
    for number, judge in enumerate(judges, 1):
        roles[f"judge-{number}"] = judge
        for pid in below(judge, table):
            if is_zygote(table[pid][1]) and not is_zygote(table[table[pid][0]][1]):  # not a submission's child
                roles[f"zygote-{number}"] = pid
    return roles


def is_zygote(argv: list[str]) -> bool:
    """Whether ``argv`` is a zygote's (or a child it forked): Python running the zygote module, not bubblewrap."""
    return ZYGOTE in argv and "bwrap" not in argv[0]


def below(root: int, table: dict) -> list[int]:
    """Every process under ``root``."""
    found, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, (parent, _) in table.items() if parent in frontier}
        found += sorted(frontier)
    return found


def reading(pid: int) -> tuple[int, int]:
    """``(VmRSS in kB, open descriptors)`` of ``pid``."""
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS:"))
    return rss, len(os.listdir(f"/proc/{pid}/fd"))


def count_results(out: Path) -> int:
    """How many students have a results.json."""
    try:
        return sum(1 for entry in os.scandir(out) if entry.is_dir() and os.path.exists(f"{entry.path}/results.json"))
    except FileNotFoundError:
        return 0


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--n", type=int, default=1000)
    arguments.add_argument("--jobs", type=int, default=2)
    arguments.add_argument("--every", type=int, default=10)
    args = arguments.parse_args()
    marks = sorted({50, *(args.n * share // 4 for share in (1, 2, 3)), args.n})
    with tempfile.TemporaryDirectory(prefix="gluon-grader-long-") as folder:
        base = Path(folder)
        make_class(base / "class", args.n + 4 * args.jobs, args.every)
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(base / "class"), "--out",
                                    str(base / "out"), "--jobs", str(args.jobs), "--quiet"], cwd=ROOT,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        readings: dict[int, dict[str, tuple[int, int, int]]] = {}
        while marks and process.poll() is None:
            done = count_results(base / "out")
            if done >= marks[0]:
                roles = long_lived(process.pid)
                readings[marks.pop(0)] = {role: (pid, *reading(pid)) for role, pid in roles.items()}
                print(f"after {done} results ({time.monotonic() - started:.0f} s): read {len(roles)} processes",
                      flush=True)
            time.sleep(0.1)
        stdout, stderr = process.communicate()
        print(f"batch exit {process.returncode} in {time.monotonic() - started:.0f} s: {stdout.strip()}")
        if stderr.strip():
            print(stderr[-2000:])
    report(readings)
    return 0


def report(readings: dict) -> None:
    """One row per process: RSS and descriptors at each reading, and the change from the first to the last."""
    if len(readings) < 2:
        print(f"only {len(readings)} reading(s): the batch ended early")
        return
    marks = sorted(readings)
    first, last = readings[marks[0]], readings[marks[-1]]
    print(f"{'process':10} {'pid':>15} " + " ".join(f"{'MB@' + str(mark):>8}" for mark in marks)
          + f" {'change':>7} " + " ".join(f"{'fds@' + str(mark):>8}" for mark in marks))
    for role in sorted(set(first) | set(last)):
        if not all(role in readings[mark] for mark in marks):
            print(f"{role:10} not in every reading")
            continue
        pid0, rss0, _ = first[role]
        pid1, rss1, _ = last[role]
        pids = str(pid0) if pid0 == pid1 else f"{pid0}->{pid1} (new)"
        print(f"{role:10} {pids:>15} " + " ".join(f"{readings[mark][role][1] / 1024:8.1f}" for mark in marks)
              + f" {100 * (rss1 - rss0) / rss0:+6.1f}% " + " ".join(f"{readings[mark][role][2]:8d}" for mark in marks))


if __name__ == "__main__":
    sys.exit(main())
