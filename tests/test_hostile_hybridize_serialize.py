"""The hybridize_serialize unit against its hostile corpus (``tests/hostile/hybridize_serialize.py``), graded through
the real pipeline in one warm sandboxed worker (plain processes where bubblewrap cannot run).

For every attack: each check gets exactly the points the table allows (the honest part, never more), the grade is
the sum, and the feedback is clean (no traceback, no sandbox path); for the class: the pickle bomb never ran on the
judge's side.
"""
from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path
from textwrap import dedent

import nbformat
import pytest

from autograder import intake, pipeline
from autograder.options import Options
from autograder.runner.worker import Worker
from autograder.units import unit

from hostile.hybridize_serialize import ATTACKS, PWNED, by_id
from notebooks import forbidden_in

UNIT = unit("hybridize_serialize")
MAX = {check.id: check.points for check in UNIT.checks}


@pytest.fixture(scope="module")
def worker(mnist_dir):
    """One warm worker for the whole corpus."""
    if os.path.exists(PWNED):
        os.remove(PWNED)
    with Worker(options=Options(timeout=120, memory=2048, mnist_dir=mnist_dir, cell_timeout=30)) as running:
        yield running


@functools.cache
def graded(case_id: str, worker) -> pipeline.Graded:
    """The attack's notebook graded once, as every front end grades it (screening first)."""
    with tempfile.TemporaryDirectory(prefix="hostile-hybridize-") as folder:
        path = Path(folder) / f"{case_id}.ipynb"
        nbformat.write(by_id(case_id).notebook(), path)
        return pipeline.grade(intake.take(path, unit_name=UNIT.name), worker=worker)


def expected_points(case_id: str) -> dict:
    """The exact points of every check: the base's (0 for the stub, full for the reference), then the table's."""
    attack = by_id(case_id)
    base = {check_id: (points if attack.base == "reference" else 0) for check_id, points in MAX.items()}
    return {**base, **attack.points}


def test_the_corpus_is_sound():
    assert len(ATTACKS) >= 20
    assert len({attack.case_id for attack in ATTACKS}) == len(ATTACKS)
    for attack in ATTACKS:
        assert set(attack.points) <= set(MAX), attack.case_id
        assert attack.answers or attack.cells, attack.case_id
        for source in [*attack.answers.values(), *attack.cells]:
            compile(dedent(source), attack.case_id, "exec")
    # Gain-seeking attacks on the stub: something of every exercise is attacked.
    attacked = {grade_id for attack in ATTACKS if attack.base == "stub" for grade_id in attack.answers}
    assert attacked == {exercise.cell for exercise in UNIT.exercises}


@pytest.mark.parametrize("case_id", [attack.case_id for attack in ATTACKS])
def test_attack_gets_exactly_the_points_of_its_honest_part(worker, case_id):
    result = graded(case_id, worker)
    found = {one.check_id: one.score for one in result.results}
    expected = expected_points(case_id)
    assert found == expected, "\n".join(
        f"--- {one.check_id}: {one.score} (allowed {expected[one.check_id]})\n{one.feedback}"
        for one in result.results if one.score != expected[one.check_id])
    for one in result.results:
        assert not forbidden_in(one.feedback), (one.check_id, one.feedback)
    if case_id == "held-gc-reach":
        assert result.held and "held for review" in result.notes[0].lower()


def test_no_file_the_judge_reads_runs_code(worker):
    graded("checkpoint-pickle-bomb", worker)
    assert not os.path.exists(PWNED)
