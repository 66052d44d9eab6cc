"""A synthetic class of submissions of the plumbing notebook, for the batch grader's tests and benchmark.

``make_class(root, n)`` writes ``n`` submissions and returns what each must get. Every submission is one of
these kinds, drawn deterministically from ``seed``:

- ``correct``: the reference notebook (``solutions/plumbing/plumbing.ipynb``), full marks;
- ``wrong``: the reference with one or two answers replaced by wrong answers of ``tests/test_mutants.py``
  (each loses exactly the checks listed there);
- ``stub``: the released notebook (``assignments/plumbing/plumbing.ipynb``), 0 on every check;
- ``broken``: an empty file, text that is not JSON, JSON that is not a notebook (all 0), or the reference with a
  syntax error in the ``count_parameters`` answer (loses that exercise only);
- ``slow``: the reference with a cell that never ends (``while True: pass`` at top level: it uses up the
  submission's time limit, so nothing is checked, 0), or with a ``count_parameters`` that loops forever (the
  probe's time limit stops it; that exercise loses its checks). Either way the feedback names the time limit.
  Grade with a submission time limit (``--timeout``) below the per-cell limit (60 s).

Layouts: ``nbgrader`` writes ``root/<student>/plumbing/plumbing.ipynb`` (``root`` is an nbgrader ``submitted/``
folder); ``flat`` writes ``root/<student>.ipynb``.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import nbformat
from test_mutants import ALL_COUNTS, CASES

from autograder.units import unit

from notebooks import RELEASE, reference_notebook, with_answer, write_notebook

POINTS = {check.id: check.points for check in unit("plumbing").checks}
MAX_SCORE = sum(POINTS.values())
ALL_CHECKS = frozenset(POINTS)
KINDS = ("correct", "wrong", "stub", "broken", "slow")
WEIGHTS = {"correct": 7, "wrong": 8, "stub": 2, "broken": 2, "slow": 1}
ASSIGNMENT = "plumbing"

LOOP_FOREVER = "while True:\n    pass\n"
SLOW_COUNT = "def count_parameters(net):\n    while True:\n        pass\n"
SYNTAX_ERROR = "def count_parameters(net):\n    return sum(p.data().size for p in net.collect_params().values()\n"


@dataclass(frozen=True)
class Expected:
    """What one generated submission must get.

    ``score``: the visible score (the autograder's checks, no hidden ones); ``failing``: the check ids that must
    fail (all others pass), or None where that is not fixed; ``phrase``: words that the notes or the feedback
    must contain (case-insensitive), or "" for none; ``detail``: which variant of the kind it is.
    """

    kind: str
    score: float
    failing: frozenset | None
    phrase: str
    detail: str


def score_without(failing) -> float:
    """The visible score of a submission that fails exactly the checks ``failing``."""
    return MAX_SCORE - sum(POINTS[check_id] for check_id in failing)


# --- one writer per kind: each writes the notebook at ``path`` and returns its Expected -------------------------

def correct(path: Path, rng: random.Random) -> Expected:
    """The reference answers."""
    save(reference_notebook(), path)
    return Expected("correct", MAX_SCORE, frozenset(), "", "reference")


def wrong(path: Path, rng: random.Random) -> Expected:
    """One or two wrong answers of ``test_mutants.CASES``, in different exercises."""
    first = rng.choice(CASES)
    chosen = [first]
    if rng.random() < 0.5:
        chosen.append(rng.choice([case for case in CASES if case.values[0] != first.values[0]]))
    nb = reference_notebook()
    failing = frozenset()
    for case in chosen:
        grade_id, source, case_failing, _ = case.values
        nb = with_answer(nb, grade_id, source)
        failing |= case_failing
    save(nb, path)
    return Expected("wrong", score_without(failing), failing, first.values[3], " + ".join(c.id for c in chosen))


def stub(path: Path, rng: random.Random) -> Expected:
    """The released notebook, every exercise still ``raise NotImplementedError()``."""
    path.write_bytes(RELEASE.read_bytes())
    return Expected("stub", 0, ALL_CHECKS, "not implemented yet", "release")


BROKEN_FILES = {  # variant: (file content, phrase of the reason)
    "empty": ("", "is empty"),
    "not-json": ("{ this is not json", "not valid JSON"),
    "not-a-notebook": ('{"name": "plumbing", "cells": "none"}', "not a notebook"),
}


def broken(path: Path, rng: random.Random) -> Expected:
    """A file that is no notebook (empty, not JSON, JSON but not a notebook), or a syntax error in one answer."""
    variant = rng.choice([*BROKEN_FILES, "syntax-error"])
    if variant == "syntax-error":
        save(with_answer(reference_notebook(), "count_parameters", SYNTAX_ERROR), path)
        return Expected("broken", score_without(ALL_COUNTS), ALL_COUNTS, "syntax error", variant)
    content, phrase = BROKEN_FILES[variant]
    path.write_text(content)
    return Expected("broken", 0, ALL_CHECKS, phrase, variant)


def slow(path: Path, rng: random.Random) -> Expected:
    """A top-level cell that never ends, or a ``count_parameters`` that never returns."""
    nb = reference_notebook()
    if rng.random() < 0.5:
        nb.cells.insert(3, nbformat.v4.new_code_cell(LOOP_FOREVER))
        save(nb, path)
        return Expected("slow", 0, ALL_CHECKS, "stopped after", "loop-cell")
    save(with_answer(nb, "count_parameters", SLOW_COUNT), path)
    return Expected("slow", score_without(ALL_COUNTS), ALL_COUNTS, "ran out of time", "loop-count_parameters")


WRITERS = {"correct": correct, "wrong": wrong, "stub": stub, "broken": broken, "slow": slow}


def save(nb, path: Path) -> None:
    """Write the notebook ``nb`` at ``path``."""
    write_notebook(nb, path.parent, path.name)


def notebook_path(root: Path, student: str, layout: str) -> Path:
    """Where ``student``'s notebook goes in ``layout``."""
    if layout == "nbgrader":
        return root / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if layout == "flat":
        return root / f"{student}.ipynb"
    raise ValueError(f"unknown layout {layout!r}: use 'nbgrader' or 'flat'")


def plan(n: int, kinds, rng: random.Random) -> list[str]:
    """``n`` kinds: each of ``kinds`` at least once (when ``n`` allows), the rest drawn by :data:`WEIGHTS`."""
    kinds = list(kinds)
    extra = rng.choices(kinds, weights=[WEIGHTS[kind] for kind in kinds], k=max(0, n - len(kinds)))
    chosen = (kinds + extra)[:n]
    rng.shuffle(chosen)
    return chosen


def make_class(root, n: int, *, layout: str = "nbgrader", seed: int = 0, kinds=KINDS) -> dict[str, Expected]:
    """Write ``n`` submissions under ``root`` and return ``{student: Expected}``, in student order.

    Students are ``s000``, ``s001``, ...; the same ``n``, ``seed`` and ``kinds`` always give the same class.
    """
    root = Path(root)
    rng = random.Random(seed)
    expected = {}
    for number, kind in enumerate(plan(n, kinds, rng)):
        student = f"s{number:03d}"
        path = notebook_path(root, student, layout)
        path.parent.mkdir(parents=True, exist_ok=True)
        expected[student] = WRITERS[kind](path, rng)
    return expected
