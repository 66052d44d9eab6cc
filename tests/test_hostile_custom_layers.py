"""The batch grader against the custom_layers hostile corpus (``tests/hostile/custom_layers.py``), graded once.

Every case and two honest students (a reference copy and the released stub) are graded in one run of
``python -m autograder grade`` (one warm sandboxed worker, a child per notebook). Per case, every check gets exactly
the points the table allows: 0 for what the hostile part tries to gain, full points for the answers it leaves alone;
the honest students get exactly what they get when graded alone.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.units import unit

from hostile.custom_layers import CORPUS, REFERENCE, RELEASE, by_id

UNIT = unit("custom_layers")
CHECKS = [check for check in UNIT.checks if not check.hidden]
HONEST = {"honest-reference": REFERENCE, "honest-stub": RELEASE}


def grade_class(folder: Path, notebooks: dict[str, bytes]) -> Path:
    """Grade ``{student: notebook bytes}`` in one batch; return the output folder."""
    submissions, out = folder / "submissions", folder / "out"
    submissions.mkdir(parents=True)
    for student, content in notebooks.items():
        (submissions / f"{student}.ipynb").write_bytes(content)
    command = [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), "--unit",
               UNIT.name, "--jobs", "2", "--timeout", "120", "--memory", "2048", "--quiet"]
    process = subprocess.run(command, cwd=folder, check=False, capture_output=True, text=True, timeout=1200)
    assert process.returncode == 0, process.stderr[-3000:]
    return out


def per_check(out: Path, student: str) -> dict[str, tuple[float, str]]:
    """``{check id: (score, feedback)}`` of one student."""
    results = json.loads((out / student / "results.json").read_text())
    return {test["name"].split(":")[0]: (test["score"], test["output"]) for test in results["tests"]}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> Path:
    """The whole corpus and the honest students, graded in one batch."""
    notebooks = {case.case_id: case.notebook_bytes() for case in CORPUS}
    notebooks.update({student: path.read_bytes() for student, path in HONEST.items()})
    return grade_class(tmp_path_factory.mktemp("hostile-custom-layers"), notebooks)


def test_corpus_is_sound():
    assert len(CORPUS) >= 20
    assert len({case.case_id for case in CORPUS}) == len(CORPUS)
    ids = {check.id for check in CHECKS}
    for case in CORPUS:
        assert case.keeps <= ids and case.loses <= ids, case.case_id
        assert case.base == "reference" or not case.loses, case.case_id
        assert case.cells or case.answers, case.case_id


@pytest.mark.parametrize("case_id", [case.case_id for case in CORPUS])
def test_case_gets_exactly_its_honest_points(graded, case_id):
    case = by_id(case_id)
    found = per_check(graded, case_id)
    expected = case.expected(CHECKS)
    scores = {check_id: found[check_id][0] for check_id in expected}
    wrong = {check_id: (scores[check_id], points, found[check_id][1][:300]) for check_id, points in expected.items()
             if scores[check_id] != points}
    assert not wrong, wrong


def test_honest_students_get_what_they_get_alone(graded, tmp_path):
    alone = grade_class(tmp_path, {student: path.read_bytes() for student, path in HONEST.items()})
    for student in HONEST:
        assert per_check(graded, student) == per_check(alone, student), student
    assert sum(score for score, _ in per_check(graded, "honest-reference").values()) == UNIT.points
    assert sum(score for score, _ in per_check(graded, "honest-stub").values()) == 0


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="the sandbox's own report")
def test_cases_were_graded_in_the_sandbox(graded):
    for case in CORPUS:
        sandbox = json.loads((graded / case.case_id / "results.json").read_text())["extra_data"]["gluon_grader"]
        assert not sandbox["sandbox"].startswith("plain processes"), case.case_id
