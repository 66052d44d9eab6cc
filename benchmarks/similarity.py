"""The similarity report on synthetic classes of 50, 200 and 500 submissions: wall time and how it grows.

Steps:

1. builds each class by mutating the test class of ``tests/similarity_class.py`` (plumbing unit): each synthetic
   student takes each exercise's answer from a random author of the test class, renames its identifiers at random,
   inserts a statement of his own at a random line of some answers (so that fingerprints differ, not only names),
   and adds comments, blank lines and prints; about one student in ten copies another synthetic student's whole
   notebook (renamed), and about one in twenty hands in the release untouched;
2. runs ``autograder similarity CLASS --out OUT`` as an instructor would (a fresh process: imports, reading every
   notebook with nbformat, fingerprints, every pair scored, the evidence of the reported pairs, both files
   written), ``--repeat`` times, on the cores the process is given (``taskset`` to the first ``--cores``);
3. prints the median wall time per class size, the reported pairs, and the growth from 50 to 500 submissions
   (10x the submissions: linear work would take 10x, pairwise work 100x).

Target: 500 submissions under one minute on 2 cores. A report, not a test: it always exits 0.

Usage: ``python benchmarks/similarity.py [--sizes 50 200 500] [--repeat 3] [--cores 2] [--seed 0]``.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import nbformat  # noqa: E402

from notebooks import release_path, with_answer  # noqa: E402
from similarity_class import STUBS, answers  # noqa: E402

EXTRA = ["seen = []", "assert True", "checked = len(str(hidden)) if 'hidden' in dir() else 0", "pass"]


def mutated(source: str, rng: random.Random) -> str:
    """One student's version of an answer: names renamed, maybe a statement of his own, comments and prints."""
    names = sorted(set(re.findall(r"^\s*(?:for )?([a-z_][a-z0-9_]*) (?:=|in) ", source, re.MULTILINE)))
    for name in names:
        source = re.sub(rf"\b{name}\b", f"{name}_{rng.randrange(1000)}", source)
    lines = source.splitlines()
    if len(lines) > 2 and rng.random() < 0.5:
        at = rng.randrange(1, len(lines))
        indent = re.match(r"\s*", lines[at]).group(0)
        lines.insert(at, indent + rng.choice(EXTRA))
    if rng.random() < 0.3:
        lines = [line + ("  # mine" if rng.random() < 0.3 else "") for line in lines]
    if rng.random() < 0.3:
        lines.append(f"print('done', {rng.randrange(100)})")
    return "\n".join(line for line in lines for line in ([line, ""] if rng.random() < 0.1 else [line]))


def synthetic_class(folder: Path, size: int, seed: int) -> None:
    """``size`` notebooks ``folder/s<number>.ipynb`` mutated from the test class (see the module's docstring)."""
    rng = random.Random(seed)  # noqa: S311 -- a reproducible synthetic class, not secrets
    authors = {student: given for student, given in answers().items() if student not in STUBS}
    release = nbformat.read(release_path("plumbing"), as_version=4)
    made: list[dict[str, str]] = []
    for number in range(size):
        roll = rng.random()
        if roll < 0.05:
            given = {}
        elif roll < 0.15 and made:
            given = {key: mutated(value, rng) for key, value in rng.choice(made).items()}
        else:
            given = {}
            for grade_id in next(iter(authors.values())):
                author = authors[rng.choice(sorted(authors))]
                if grade_id in author:
                    given[grade_id] = mutated(author[grade_id], rng)
        made.append(given)
        nb = release
        for grade_id, source in given.items():
            nb = with_answer(nb, grade_id, source)
        nbformat.write(nb, folder / f"s{number:03d}.ipynb")


def run(folder: Path, out: Path, cores: int) -> tuple[float, float, str]:
    """One ``autograder similarity`` of ``folder``: its wall time, its CPU time (user + system: on a machine
    shared with other work, the wall time also counts the waits) and what it printed."""
    command = [sys.executable, "-m", "autograder", "similarity", str(folder), "--out", str(out),
               "--course", str(ROOT)]
    if shutil.which("taskset"):
        command = ["taskset", "-c", ",".join(str(core) for core in range(cores)), *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    if done.returncode != 0:
        return seconds, cpu, f"FAILED ({done.returncode}): {done.stderr[-500:]}"
    return seconds, cpu, done.stdout.splitlines()[0].split(":")[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"cores available: {os.cpu_count()}, used: {args.cores}; median of {args.repeat} runs")
    medians = {}
    with tempfile.TemporaryDirectory(prefix="similarity-bench-") as scratch:
        for size in args.sizes:
            folder = Path(scratch) / f"class{size}"
            folder.mkdir()
            synthetic_class(folder, size, args.seed)
            times, cpus, said = [], [], ""
            for attempt in range(args.repeat):
                seconds, cpu, said = run(folder, Path(scratch) / f"out{size}-{attempt}", args.cores)
                times.append(seconds)
                cpus.append(cpu)
            medians[size] = statistics.median(times)
            print(f"{size:4d} submissions: {medians[size]:6.2f} s wall, {statistics.median(cpus):6.2f} s CPU "
                  f"(runs: {', '.join(f'{t:.2f}' for t in times)})  [{said}]")
    if len(medians) > 1:
        small, large = min(medians), max(medians)
        growth = medians[large] / medians[small]
        print(f"growth {small} -> {large} submissions ({large / small:g}x): {growth:.1f}x the time "
              f"(linear would be {large / small:g}x, pairwise {(large / small) ** 2:g}x)")
        if large >= 500:
            print(f"target 500 submissions under 60 s: {'met' if medians[large] < 60 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
