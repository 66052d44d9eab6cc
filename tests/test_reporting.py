"""autograder/results.py, reporting/table.py, reporting/gradescope.py: what the student and Gradescope see."""
from __future__ import annotations

import json
import os

import pytest

from autograder.reporting import gradescope, table
from autograder.results import CheckResult


def result(check_id, score, max_score, feedback="", title=None):
    exercise = check_id.split(".")[0]
    status = "passed" if score == max_score else "failed"
    return CheckResult(check_id, exercise, title or f"title of {check_id}", score, max_score, status, feedback)


@pytest.fixture
def results():
    return [
        result("build_mlp.shapes", 2, 2),
        result("MLP.is_block", 0, 1, "`MLP` is not defined in your notebook."),
        result("build_mlp.forward", 0, 1.5, "Expected: 3 outputs\nFound: 2"),
        result("count_parameters.explicit_net", 1, 1),
        result("MLP.forward", 2, 2),
        result("build_mlp.names", 0.5, 0.5),
    ]


def rows_of(text):
    """The table's rows as {first column: (checks, points)}."""
    rows = {}
    for line in text.splitlines()[2:]:
        parts = line.split()
        if len(parts) == 3 and "/" in parts[1]:
            rows[parts[0]] = (parts[1], parts[2])
    return rows


# --- CheckResult ---------------------------------------------------------------------------------------------

def test_check_result_passed_and_to_dict():
    passed, failed = result("a.b", 1, 1), result("a.c", 0, 1, "why")
    assert passed.passed and not failed.passed
    assert failed.to_dict() == {"check_id": "a.c", "exercise": "a", "title": "title of a.c", "score": 0,
                                "max_score": 1, "status": "failed", "feedback": "why", "seconds": 0.0}
    assert CheckResult("x.y", "x", "t", 0.0, 1.0, "failed").feedback == ""


# --- the score table ---------------------------------------------------------------------------------------

def test_totals(results):
    assert table.totals(results) == (5.5, 8.0)
    assert table.totals([]) == (0, 0)


def test_by_exercise_groups_in_first_seen_order(results):
    groups = table.by_exercise(results)
    assert list(groups) == ["build_mlp", "MLP", "count_parameters"]
    assert [r.check_id for r in groups["build_mlp"]] == ["build_mlp.shapes", "build_mlp.forward", "build_mlp.names"]
    assert [r.check_id for r in groups["MLP"]] == ["MLP.is_block", "MLP.forward"]


def test_points_drops_a_useless_decimal():
    assert [table.points(value) for value in (2.0, 0, 1.5, 0.25, 10)] == ["2", "0", "1.5", "0.25", "10"]


def test_score_table_has_a_row_per_exercise_in_order_then_the_total(results):
    text = table.score_table(results, "plumbing.ipynb")
    lines = text.splitlines()
    assert lines[0] == "plumbing.ipynb"
    assert lines[1].split() == ["exercise", "checks", "points"]
    exercise_lines = [line.split()[0] for line in lines[2:] if line and not line.startswith("-")]
    assert exercise_lines == ["build_mlp", "MLP", "count_parameters", "total"]
    rows = rows_of(text)
    assert rows["build_mlp"] == ("2/3", "2.5/4")
    assert rows["MLP"] == ("1/2", "2/3")
    assert rows["count_parameters"] == ("1/1", "1/1")
    assert rows["total"] == ("4/6", "5.5/8")
    separator = lines.index(next(line for line in lines if line.startswith("---")))
    assert lines[separator + 1].startswith("total") and separator == len(lines) - 2


def test_score_table_columns_line_up_with_long_exercise_names():
    text = table.score_table([result("a_very_long_exercise_name_indeed.x", 1, 1), result("b.y", 0, 2)], "t")
    body = text.splitlines()[1:]
    widths = {len(line) for line in body if not line.startswith("-")}
    assert len(widths) == 1  # every row has the same width: the columns line up
    dashes = next(line for line in body if line.startswith("-"))
    assert len(dashes) == widths.pop()


def test_score_table_prints_notes_after_the_table(results):
    notes = ["cell 3 (`import mxnet as mx`) raised ImportError: no module", "cell 9 (`while True:`) was stopped"]
    lines = table.score_table(results, "t", notes).splitlines()
    assert lines[-2:] == [f"note: {note}" for note in notes]
    assert lines[-3].startswith("total")


def test_score_table_without_notes_ends_with_the_total(results):
    assert table.score_table(results, "t").splitlines()[-1].startswith("total")


def test_score_table_of_no_results_has_only_a_zero_total():
    text = table.score_table([], "empty")
    assert rows_of(text) == {"total": ("0/0", "0/0")}


# --- Gradescope's results.json ------------------------------------------------------------------------------

def test_results_json_matches_gradescope_format(results):
    notes = ["cell 2 (`x = 1/0`) raised ZeroDivisionError: division by zero", "second note"]
    data = gradescope.results_json(results, notes)
    assert data["score"] == 5.5 and data["max_score"] == 8.0
    assert data["output"] == "\n".join(notes)
    assert len(data["tests"]) == len(results)
    for test, source in zip(data["tests"], results, strict=True):
        assert set(test) == {"name", "score", "max_score", "output", "status"}
        assert test["name"] == f"{source.check_id}: {source.title}"
        assert (test["score"], test["max_score"], test["output"], test["status"]) == (
            source.score, source.max_score, source.feedback, source.status)
        assert test["status"] in ("passed", "failed")
    assert json.loads(json.dumps(data)) == data


def test_results_json_name_prefix_and_no_notes(results):
    data = gradescope.results_json(results[:1], name_prefix="mine.ipynb ")
    assert data["output"] == ""
    assert data["tests"][0]["name"] == "mine.ipynb build_mlp.shapes: title of build_mlp.shapes"


def test_write_json_writes_valid_json_and_leaves_no_temporary_files(tmp_path, results):
    destination = tmp_path / "out" / "results.json"
    data = gradescope.results_json(results, ["a note"])
    gradescope.write_json(destination, data)
    assert json.loads(destination.read_text(encoding="utf-8")) == data
    assert destination.read_text().endswith("\n")
    assert os.listdir(destination.parent) == ["results.json"]


def test_write_json_overwrites_an_existing_file(tmp_path):
    destination = tmp_path / "results.json"
    destination.write_text('{"score": 99, "old": "' + "x" * 10_000 + '"}')
    gradescope.write_json(str(destination), {"score": 1, "max_score": 2, "tests": []})
    assert json.loads(destination.read_text()) == {"score": 1, "max_score": 2, "tests": []}
    assert os.listdir(tmp_path) == ["results.json"]


def test_write_json_replaces_the_file_rather_than_writing_into_it(tmp_path):
    destination = tmp_path / "results.json"
    destination.write_text("{}")
    before = os.stat(destination).st_ino
    gradescope.write_json(destination, {"score": 0})
    assert os.stat(destination).st_ino != before  # a new file renamed over the old one: readers never see a half


def test_write_json_keeps_unicode_feedback(tmp_path):
    destination = tmp_path / "results.json"
    gradescope.write_json(destination, {"output": "Expected: ✓ — Found: ✗"})
    assert json.loads(destination.read_text(encoding="utf-8"))["output"] == "Expected: ✓ — Found: ✗"


def test_write_json_leaves_nothing_behind_when_the_data_cannot_be_written(tmp_path):
    destination = tmp_path / "results.json"
    destination.write_text('{"score": 1}')
    with pytest.raises(TypeError):
        gradescope.write_json(destination, {"bad": {1, 2}})
    assert json.loads(destination.read_text()) == {"score": 1}  # the old file is untouched
    assert os.listdir(tmp_path) == ["results.json"]
