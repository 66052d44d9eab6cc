"""The batch grader as an instructor runs it: ``python -m autograder grade SUBMISSIONS --out OUT``, as a subprocess.

A class of 40 generated submissions (``tests/classroom.py``, nbgrader layout) is graded once with ``--jobs 2`` and
shared: every student gets the score the generator expects, and results.json, grades.csv, junit.xml, report.html
and feedback.md agree with each other. A smaller class in the flat layout is graded, interrupted (Ctrl-C, or
killed) and graded again: finished results are left alone, the rest are graded once, and a ``--force`` rerun
gives the same results.
"""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograder.results import SubmissionResult
from autograder.units import unit

from classroom import make_class

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 25  # --timeout per submission: well above a normal notebook on a busy 2-core machine, below the cell limit
TIMING_FIELDS = {"seconds", "execution_time"}
CHECK_IDS = [check.id for check in unit("plumbing").checks]


def command(submissions: Path, out: Path, *args) -> list[str]:
    """The batch grader's command line."""
    return [sys.executable, "-m", "autograder", "grade", str(submissions), "--out", str(out), "--jobs", "2",
            "--timeout", str(TIMEOUT), "--quiet", *args]


def grade(submissions: Path, out: Path, *args) -> subprocess.CompletedProcess:
    """Run the batch grader to its end."""
    return subprocess.run(command(submissions, out, *args), check=False, cwd=ROOT, capture_output=True, text=True,
                          timeout=600)


def results_of(out: Path) -> dict:
    """``{student: results.json as data}`` of every student graded in ``out``."""
    return {path.parent.name: json.loads(path.read_text()) for path in sorted(out.glob("*/results.json"))}


def said(results: dict) -> str:
    """Everything a student reads in a results.json: the notes and every check's feedback."""
    notes = results["extra_data"]["gluon_grader"]["notes"]
    return "\n".join([results["output"], *notes, *(test["output"] for test in results["tests"])])


def failed_checks(results: dict) -> frozenset:
    """The check ids a results.json did not give full points."""
    return frozenset(one["check_id"] for one in results["extra_data"]["gluon_grader"]["results"]
                     if one["status"] != "passed")


def without_timing(data):
    """``data`` with every timing field (``seconds``, ``execution_time``) left out, at any depth."""
    if isinstance(data, dict):
        return {key: without_timing(value) for key, value in data.items() if key not in TIMING_FIELDS}
    if isinstance(data, list):
        return [without_timing(value) for value in data]
    return data


def failures(process: subprocess.CompletedProcess) -> str:
    """The end of a run's output, for assertion messages."""
    return f"exit {process.returncode}\n{process.stdout[-3000:]}\n{process.stderr[-3000:]}"


# --- a class of 40, nbgrader layout, graded once ---------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A class of 40 (every kind, slow ones included) graded with --jobs 2: ``(expected, out, process)``."""
    base = tmp_path_factory.mktemp("class")
    expected = make_class(base / "submitted", 40, layout="nbgrader", seed=0)
    process = grade(base / "submitted", base / "out")
    return expected, base / "out", process


def test_every_student_is_graded_and_the_exit_code_is_zero(graded):
    expected, out, process = graded
    assert process.returncode == 0, failures(process)
    assert sorted(results_of(out)) == sorted(expected)


def test_every_student_gets_the_expected_score(graded):
    expected, out, _ = graded
    results = results_of(out)
    wrong = []
    for student, one in expected.items():
        got = results[student]
        if got["score"] != one.score:
            wrong.append(f"{student} ({one.kind} {one.detail}): score {got['score']}, expected {one.score}")
        if one.failing is not None and failed_checks(got) != one.failing:
            wrong.append(f"{student} ({one.kind} {one.detail}): failed {sorted(failed_checks(got))}, "
                         f"expected {sorted(one.failing)}")
        if one.phrase.casefold() not in said(got).casefold():
            wrong.append(f"{student} ({one.kind} {one.detail}): nothing says {one.phrase!r}:\n{said(got)[:1500]}")
    assert wrong == [], "\n".join(wrong)


def test_results_json_is_gradescope_format_with_the_submission_result(graded):
    _, out, _ = graded
    for student, results in results_of(out).items():
        assert {"score", "max_score", "output", "tests"} <= set(results), student
        assert results["max_score"] == sum(check.points for check in unit("plumbing").checks), student
        assert [set(test) >= {"name", "score", "max_score", "output", "status"} for test in results["tests"]] == [
            True] * len(CHECK_IDS), student
        submission = SubmissionResult.from_dict(results["extra_data"]["gluon_grader"])
        assert (submission.student, submission.status) == (student, "graded"), student
        assert [one.check_id for one in submission.results] == CHECK_IDS, student
        assert submission.score == results["score"] == sum(test["score"] for test in results["tests"]), student


def test_grades_csv_agrees_with_every_results_json(graded):
    expected, out, _ = graded
    results = results_of(out)
    with open(out / "grades.csv", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = {row[0]: dict(zip(header, row, strict=True)) for row in reader}
    assert header == ["student", "notebook", "status", "score", "max_score", *CHECK_IDS]
    assert sorted(rows) == sorted(expected)
    for student, row in rows.items():
        submission = results[student]["extra_data"]["gluon_grader"]
        per_check = {one["check_id"]: one["score"] for one in submission["results"]}
        assert (row["notebook"], row["status"]) == (submission["notebook"], submission["status"]), student
        assert float(row["score"]) == results[student]["score"], student
        assert float(row["max_score"]) == results[student]["max_score"], student
        assert {cid: float(row[cid]) for cid in CHECK_IDS} == per_check, student


def test_junit_counts_agree_with_the_results(graded):
    _, out, _ = graded
    results = results_of(out)
    root = ET.parse(out / "junit.xml").getroot()
    cases = list(root.iter("testcase"))
    failed = [case for case in cases if case.find("failure") is not None or case.find("error") is not None]
    errors = sum(one["extra_data"]["gluon_grader"]["status"] == "error" for one in results.values())
    assert len(cases) == sum(len(one["tests"]) for one in results.values()) + errors
    assert len(failed) == sum(test["status"] != "passed" for one in results.values() for test in one["tests"]) + errors
    assert (int(root.get("tests")), int(root.get("failures")), int(root.get("errors"))) == (
        len(cases), len(failed) - errors, errors)
    for suite in root.iter("testsuite"):
        suite_cases = suite.findall("testcase")
        suite_failed = [case for case in suite_cases if case.find("failure") is not None]
        suite_errors = [case for case in suite_cases if case.find("error") is not None]
        assert int(suite.get("tests")) == len(suite_cases), suite.get("name")
        assert int(suite.get("failures", 0)) == len(suite_failed), suite.get("name")
        assert int(suite.get("errors", 0)) == len(suite_errors), suite.get("name")
        # each case's real time (the check's probes and judgement), within the submission's total time
        assert sum(float(case.get("time")) for case in suite_cases) <= float(suite.get("time")) + 0.01
    assert sum(float(case.get("time")) > 0 for case in cases) > len(cases) / 2  # measured, not time="0.000"


def test_report_and_feedback_are_written(graded):
    expected, out, _ = graded
    assert (out / "report.html").stat().st_size > 0
    assert [student for student in expected if not (out / student / "feedback.md").is_file()] == []
    for student in expected:
        assert (out / student / "feedback.md").read_text().strip(), student


def test_a_class_of_broken_notebooks_is_graded_with_exit_code_zero(tmp_path):
    expected = make_class(tmp_path / "class", 4, layout="flat", seed=1, kinds=("broken",))
    process = grade(tmp_path / "class", tmp_path / "out")
    assert process.returncode == 0, failures(process)
    assert {student: data["score"] for student, data in results_of(tmp_path / "out").items()} == {
        student: one.score for student, one in expected.items()}


# --- interrupted and resumed, flat layout --------------------------------------------------------------------

def snapshot(out: Path) -> dict:
    """``{student: (inode, mtime_ns, content)}`` of every results.json in ``out``."""
    found = {}
    for path in out.glob("*/results.json"):
        stat = path.stat()
        found[path.parent.name] = (stat.st_ino, stat.st_mtime_ns, path.read_bytes())
    return found


def interrupt_after_first_results(submissions: Path, out: Path, signum: int, n: int) -> int:
    """Start a batch, send ``signum`` to its process group once some (not all) results exist; return how many did."""
    process = subprocess.Popen(command(submissions, out), cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while not list(out.glob("*/results.json")) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signum)  # a Ctrl-C reaches the whole foreground group, so does a CI kill
        process.wait(timeout=120)
    done = len(list(out.glob("*/results.json")))
    assert 0 < done < n, f"the batch should have been stopped part-way, but {done}/{n} results exist"
    return done


@pytest.fixture(scope="module", params=[signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def resumed(request, tmp_path_factory):
    """A flat class of 8, interrupted by the signal, then graded again: the facts before and after the rerun."""
    base = tmp_path_factory.mktemp(f"resume-{request.param.name}")
    expected = make_class(base / "class", 8, layout="flat", seed=2, kinds=("correct", "wrong", "stub", "broken"))
    interrupt_after_first_results(base / "class", base / "out", request.param, len(expected))
    before = snapshot(base / "out")
    started = time.time_ns()
    process = grade(base / "class", base / "out")
    return {"expected": expected, "base": base, "out": base / "out", "before": before, "started": started,
            "process": process, "after": snapshot(base / "out")}


def test_resume_grades_the_rest(resumed):
    assert resumed["process"].returncode == 0, failures(resumed["process"])
    assert sorted(resumed["after"]) == sorted(resumed["expected"])
    scores = {student: data["score"] for student, data in results_of(resumed["out"]).items()}
    assert scores == {student: one.score for student, one in resumed["expected"].items()}


def test_resume_leaves_finished_results_untouched(resumed):
    before, after = resumed["before"], resumed["after"]
    assert {student: after[student] for student in before} == before
    for _, _, content in before.values():
        json.loads(content)  # written whole, even by a run that was killed


def test_resume_grades_only_what_was_missing(resumed):
    before, after = resumed["before"], resumed["after"]
    new = {student for student in after if student not in before}
    assert new == set(resumed["expected"]) - set(before)
    assert all(after[student][1] >= resumed["started"] for student in new)
    assert all(after[student][1] < resumed["started"] for student in before)
    assert f"({len(new)} now)" in resumed["process"].stdout, resumed["process"].stdout


def test_force_regrades_to_identical_results(resumed):
    out = resumed["out"]
    first = {student: without_timing(data) for student, data in results_of(out).items()}
    process = grade(resumed["base"] / "class", out, "--force")
    assert process.returncode == 0, failures(process)
    again = snapshot(out)
    assert all(again[student][1] > resumed["after"][student][1] for student in again), "--force regrades everyone"
    assert {student: without_timing(data) for student, data in results_of(out).items()} == first


def nbgrader_points(notebook: Path) -> float:
    """The points of every graded cell of an nbgrader source notebook: the gradebook's maximum for it."""
    cells = json.loads(notebook.read_text())["cells"]
    return sum(cell["metadata"].get("nbgrader", {}).get("points", 0) for cell in cells
               if cell["metadata"].get("nbgrader", {}).get("grade"))


def test_hidden_includes_the_hidden_checks_for_nbgraders_totals(tmp_path):
    plumbing = unit("plumbing")
    source = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "ref.ipynb").write_bytes(source.read_bytes())
    (tmp_path / "class" / "stub.ipynb").write_bytes((ROOT / "assignments" / "plumbing" / "plumbing.ipynb").read_bytes())
    hidden = grade(tmp_path / "class", tmp_path / "hidden", "--unit", "plumbing", "--hidden")
    assert hidden.returncode == 0, failures(hidden)
    with_hidden = results_of(tmp_path / "hidden")
    assert with_hidden["ref"]["max_score"] == nbgrader_points(source) > plumbing.points  # nbgrader's maximum
    assert with_hidden["ref"]["score"] == with_hidden["ref"]["max_score"] and with_hidden["stub"]["score"] == 0
    hidden_ids = {check.id for check in plumbing.hidden_checks}
    assert hidden_ids <= {test["name"].split(":")[0] for test in with_hidden["stub"]["tests"]}
    header = next(csv.reader((tmp_path / "hidden" / "grades.csv").read_text().splitlines()))
    assert hidden_ids <= set(header)
    # Outside the course (no instructor/ to import): said at once, nothing graded without them.
    elsewhere = subprocess.run(command(tmp_path / "class", tmp_path / "elsewhere", "--unit", "plumbing", "--hidden"),
                               cwd=tmp_path, capture_output=True, text=True, timeout=600,
                               env={**os.environ, "PYTHONPATH": ""})
    assert elsewhere.returncode == 2 and "instructor/plumbing.py" in elsewhere.stderr, elsewhere.stderr
    assert not (tmp_path / "elsewhere" / "ref").exists()


def test_sigterm_stops_the_batch_as_ctrl_c_does(tmp_path):
    """`timeout` and CI cancellations send SIGTERM to the grader's own process: the same stop as Ctrl-C (judges
    stopped, finished results kept, "run again"), exit 143, and no traceback from judges that lost their batch."""
    expected = make_class(tmp_path / "class", 6, layout="flat", seed=3, kinds=("correct", "wrong", "stub"))
    stderr = tmp_path / "stderr.txt"
    with stderr.open("w") as sink:
        process = subprocess.Popen(command(tmp_path / "class", tmp_path / "out"), cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=sink, start_new_session=True)
        deadline = time.monotonic() + 300
        while not list((tmp_path / "out").glob("*/results.json")) and process.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)  # to the main process only, as `timeout` does
        code = process.wait(timeout=120)
    time.sleep(1)  # what a judge would print after its batch is gone
    said = stderr.read_text()
    assert 0 < len(list((tmp_path / "out").glob("*/results.json"))) < len(expected)
    assert code == 143, said
    assert "terminated (SIGTERM); finished results are kept. Run the same command again" in said
    assert "Traceback" not in said and "BrokenPipeError" not in said, said
