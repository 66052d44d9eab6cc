"""The batch reporters: feedback.md, grades.csv, junit.xml, report.html, and the output folder they fill."""
from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import xml.etree.ElementTree as ET

import pytest

from autograder.reporting import batch, feedback, files, grades_csv, html_report, junit
from autograder.results import CheckResult, SubmissionResult

SCRIPT = "</td><script>alert(1)</script>"
HOSTILE = f"Expected: 3 outputs\nFound: {SCRIPT}\n```\n````` end\x00\x1b[31m\x0b\ufffe"
FORMULA = "=cmd|' /C calc'!A0"
CHECKS = [("build_mlp.shapes", 2), ("build_mlp.forward", 1.5), ("MLP.is_block", 1), ("count_parameters.total", 1)]
CHECK_IDS = [check_id for check_id, _ in CHECKS]


def check(check_id, max_score, feedback_text=None):
    """A passed check, or a failed one if ``feedback_text`` is given."""
    failed = feedback_text is not None
    return CheckResult(check_id, check_id.split(".")[0], f"title of {check_id}", 0 if failed else max_score,
                       max_score, "failed" if failed else "passed", feedback_text or "")


def submission(student, failures=(), notes=(), sandbox="bubblewrap"):
    """A graded submission of every check in CHECKS; ``failures`` maps check ids to their feedback."""
    results = [check(check_id, maximum, dict(failures).get(check_id)) for check_id, maximum in CHECKS]
    return SubmissionResult(student, "plumbing.ipynb", results, list(notes), sandbox=sandbox, seconds=2.5,
                            sha256="ab" * 32)


ALL_PASS = submission("zoe")
PARTLY = submission("bob", {"build_mlp.forward": "Expected: 3 outputs\nFound: 2",
                            "MLP.is_block": "`MLP` is not defined in your notebook."},
                    notes=["cell 4 (`import torch`) raised ModuleNotFoundError: No module named 'torch'"])
HOSTILE_SUB = submission(FORMULA, {"build_mlp.shapes": HOSTILE, "MLP.is_block": SCRIPT},
                         sandbox="plain processes (bubblewrap not found)")
ERROR = SubmissionResult("eve", "plumbing.ipynb", [], [f"the grader crashed: MemoryError {SCRIPT}"], status="error")


@pytest.fixture
def subs():
    """A class: all passed, partly wrong (twice the same failure), hostile strings, one the grader could not grade."""
    return [ALL_PASS, PARTLY, submission("carol", {"build_mlp.forward": "Expected: 3 outputs\nFound: 4"}),
            submission("dave", {"build_mlp.forward": "Expected: 3 outputs\nFound: 2"}), HOSTILE_SUB, ERROR]


# --- files: atomic writes and folder names -------------------------------------------------------------------

def test_write_text_replaces_atomically_and_leaves_no_temporary_file(tmp_path):
    destination = tmp_path / "deep" / "grades.csv"
    files.write_text(destination, "a,b\r\n1,2\r\n")
    before = os.stat(destination).st_ino
    files.write_text(destination, "new")
    assert destination.read_bytes() == b"new" and os.stat(destination).st_ino != before
    assert os.listdir(destination.parent) == ["grades.csv"]
    assert os.stat(destination).st_mode & 0o777 == 0o644


def test_write_text_keeps_crlf_as_written(tmp_path):
    files.write_text(tmp_path / "x.csv", "a\r\nb\n")
    assert (tmp_path / "x.csv").read_bytes() == b"a\r\nb\n"


def test_write_text_leaves_the_old_file_when_writing_fails(tmp_path):
    destination = tmp_path / "report.html"
    destination.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        files.write_text(destination, "half \udc80 written")
    assert destination.read_text() == "old" and os.listdir(tmp_path) == ["report.html"]


@pytest.mark.parametrize("student, folder", [
    ("alice", "alice"), ("zoë o'neil", "zoë o'neil"), ("../../etc", "_._.._etc"), ("..", "_."), (".", "_"),
    ("a/b\\c", "a_b_c"), ("", "_"), (".hidden", "_hidden"), ("tab\there\x00", "tab_here_"), ("a..b", "a..b"),
])
def test_safe_folder_name(student, folder):
    assert files.safe_folder_name(student) == folder


def test_safe_folder_name_never_leaves_the_folder(tmp_path):
    for student in ["../x", "/abs", "..", "a/../../b", "\\..\\..", ".", "x/.."]:
        name = files.safe_folder_name(student)
        assert (tmp_path / name).resolve().parent == tmp_path.resolve()


# --- feedback.md -------------------------------------------------------------------------------------------

def fenced_blocks(markdown):
    """The contents of the top-level backtick-fenced blocks, CommonMark's way: a block closes only at a line of
    backticks at least as long as its opening fence."""
    blocks, lines, fence = [], [], None
    for line in re.split(r"\r\n|\r|\n", markdown):
        if fence is None:
            opening = re.match(r"(`{3,})[^`]*$", line)
            if opening:
                fence, lines = opening.group(1), []
        elif re.fullmatch(rf"`{{{len(fence)},}}\s*", line):
            blocks.append("\n".join(lines))
            fence = None
        else:
            lines.append(line)
    assert fence is None, "a fenced block was never closed"
    return blocks


def outside_fences(markdown):
    """The markdown with every fenced block's content removed."""
    blocks = fenced_blocks(markdown)
    for block in blocks:
        markdown = markdown.replace(block, "", 1)
    return markdown


def test_feedback_of_a_partly_wrong_submission():
    text = feedback.feedback_markdown(PARTLY)
    assert text.splitlines()[0] == "# Feedback for ` bob `: 3/5.5 points"
    assert "| build_mlp | 1/2 | 2/3.5 |" in text and "| MLP | 0/1 | 0/1 |" in text
    assert "| **total** | **2/4** | **3/5.5** |" in text
    assert "### build_mlp.forward: title of build_mlp.forward (lost 1.5 of 1.5 points)" in text
    blocks = fenced_blocks(text)
    assert "Expected: 3 outputs\nFound: 2" in blocks  # Expected/Found keep their lines
    assert "`MLP` is not defined in your notebook." in blocks
    assert PARTLY.notes[0] in blocks  # the load notes, as typed
    assert "- build_mlp.shapes: title of build_mlp.shapes (2/2)" in text
    assert "bubblewrap" not in text and "could not grade" not in text


def test_feedback_of_an_all_pass_submission_has_nothing_to_fix():
    text = feedback.feedback_markdown(ALL_PASS)
    assert "5.5/5.5 points" in text.splitlines()[0]
    assert "What to fix" not in text and "## Notes" not in text
    assert text.count("\n- ") == len(CHECKS)


def test_feedback_fences_cannot_be_broken_by_student_text():
    text = feedback.feedback_markdown(HOSTILE_SUB)
    blocks = fenced_blocks(text)
    assert HOSTILE in blocks and SCRIPT in blocks  # each feedback is whole inside one block
    rest = outside_fences(text)
    assert "<script>" not in rest and "Found:" not in rest
    assert "without the bubblewrap sandbox" in rest and "plain processes (bubblewrap not found)" in rest


def test_feedback_code_spans_hold_backticks_and_newlines():
    assert feedback.code_span("a``b") == "``` a``b ```"
    assert feedback.code_span("x\ny") == "` x y `"
    text = feedback.feedback_markdown(submission("`evil`\n# heading"))
    assert text.splitlines()[0].startswith("# Feedback for `` `evil` # heading ``:")


def test_feedback_of_a_submission_that_could_not_be_graded():
    text = feedback.feedback_markdown(ERROR)
    assert "0/0 points" in text.splitlines()[0]
    assert "could not grade" in text and "without the bubblewrap sandbox" in text
    assert ERROR.notes[0] in fenced_blocks(text) and "<script>" not in outside_fences(text)
    assert "Score by exercise" not in text


# --- grades.csv --------------------------------------------------------------------------------------------

def test_grades_csv_parses_back_with_the_right_columns_and_totals(subs):
    rows = list(csv.DictReader(io.StringIO(grades_csv.grades_csv(subs))))
    assert list(rows[0]) == ["student", "notebook", "status", "score", "max_score", *CHECK_IDS]
    by_student = {row["student"]: row for row in rows}
    assert [row["student"] for row in rows] == sorted(by_student)  # sorted by the student id as written
    assert by_student["zoe"]["score"] == "5.5" and by_student["zoe"]["max_score"] == "5.5"
    assert by_student["bob"]["score"] == "3" and by_student["bob"]["build_mlp.forward"] == "0"
    assert by_student["bob"]["build_mlp.shapes"] == "2"
    for row in rows:
        if row["status"] == "graded":
            assert sum(float(row[check_id]) for check_id in CHECK_IDS) == float(row["score"])
    assert by_student["eve"]["status"] == "error" and by_student["eve"]["score"] == "not graded yet, rerun"
    assert all(by_student["eve"][check_id] == "" for check_id in CHECK_IDS)


def test_grades_csv_defuses_formulas(subs):
    rows = list(csv.DictReader(io.StringIO(grades_csv.grades_csv(subs))))
    students = [row["student"] for row in rows]
    assert "'" + FORMULA in students and FORMULA not in students
    for value in (row[column] for row in rows for column in ("student", "notebook", "status")):
        assert not value.startswith(("=", "@")) and grades_csv.defuse(value) == value  # nothing left to defuse


def test_grades_csv_keeps_a_student_id_that_starts_with_a_dash(subs):
    """A gradebook import matches rows by id: "-dash" must stay "-dash" (it can run nothing in a spreadsheet)."""
    dash = SubmissionResult("-dash", "-dash.ipynb", subs[0].results, [], "graded")
    rows = list(csv.DictReader(io.StringIO(grades_csv.grades_csv([*subs, dash]))))
    assert "-dash" in [row["student"] for row in rows]


@pytest.mark.parametrize("text, cell", [
    ("=1+1", "'=1+1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=x", "'\t=x"), ("\r-x", "'\r-x"),   # always a formula
    ("-2+3", "'-2+3"), ("+x(1)", "'+x(1)"), ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),  # signed, then more
    ("-dash", "-dash"), ("-2", "-2"), ("+x", "+x"), ("-a.b_c-d", "-a.b_c-d"),            # ids kept as written
    ("alice", "alice"), ("a=b", "a=b"), ("", "")])
def test_defuse(text, cell):
    assert grades_csv.defuse(text) == cell


def test_grades_csv_of_no_submissions_is_just_the_header():
    assert grades_csv.grades_csv([]) == "student,notebook,status,score,max_score\r\n"


# --- junit.xml ---------------------------------------------------------------------------------------------

def test_junit_xml_parses_and_counts_match(subs):
    root = ET.fromstring(junit.junit_xml(subs).encode("utf-8"))
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert sorted(suites) == sorted(sub.student for sub in subs)
    for suite in suites.values():
        cases = suite.findall("testcase")
        assert int(suite.get("tests")) == len(cases)
        assert int(suite.get("failures")) == sum(case.find("failure") is not None for case in cases)
        assert int(suite.get("errors")) == sum(case.find("error") is not None for case in cases)
    for attribute in ("tests", "failures", "errors"):
        assert int(root.get(attribute)) == sum(int(suite.get(attribute)) for suite in suites.values())
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("21", "6", "1")


def test_junit_xml_testcases_and_failures(subs):
    root = ET.fromstring(junit.junit_xml(subs).encode("utf-8"))
    bob = root.find("testsuite[@name='bob']")
    assert [case.get("name") for case in bob] == CHECK_IDS
    assert [case.get("classname") for case in bob][:2] == ["bob.build_mlp", "bob.build_mlp"]
    failure = bob.find("testcase[@name='build_mlp.forward']/failure")
    assert failure.get("message") == "Expected: 3 outputs" and failure.text == "Expected: 3 outputs\nFound: 2"
    assert bob.find("testcase[@name='build_mlp.shapes']/failure") is None


def test_junit_xml_testcases_say_how_long_their_check_took():
    timed = submission("tim")
    timed.results[0].seconds, timed.results[1].seconds = 0.25, 1.5
    times = [case.get("time") for case in ET.fromstring(junit.junit_xml([timed]).encode()).iter("testcase")]
    assert times[:2] == ["0.250", "1.500"]


def test_junit_xml_strips_characters_xml_cannot_hold(subs):
    root = ET.fromstring(junit.junit_xml(subs).encode("utf-8"))
    failure = root.find(f"testsuite[@name=\"{FORMULA}\"]/testcase[@name='build_mlp.shapes']/failure")
    assert failure.text == HOSTILE.replace("\x00", "").replace("\x1b", "").replace("\x0b", "").replace("\ufffe", "")
    assert junit.xml_text("ok\t\n\r\x01\x08\ud800✓") == "ok\t\n\r✓"


def test_junit_xml_error_submission_gets_an_error_element(subs):
    root = ET.fromstring(junit.junit_xml(subs).encode("utf-8"))
    error = root.find("testsuite[@name='eve']/testcase[@name='grading']/error")
    assert error is not None and error.text == ERROR.notes[0] and error.get("message") == ERROR.notes[0]


def test_junit_xml_of_no_submissions():
    root = ET.fromstring(junit.junit_xml([]).encode("utf-8"))
    assert (root.get("tests"), root.get("failures"), root.get("errors"), len(root)) == ("0", "0", "0", 0)


# --- report.html -------------------------------------------------------------------------------------------

@pytest.fixture
def report(subs):
    return html_report.class_report_html(subs, title="Plumbing <b>2024</b>")


def test_report_escapes_student_text(report):
    assert "<script>" not in report and "&lt;script&gt;" in report
    assert "<b>2024</b>" not in report and "Plumbing &lt;b&gt;2024&lt;/b&gt;" in report


def test_report_embeds_two_png_plots(report):
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', report)
    assert len(images) == 2
    assert all(base64.b64decode(image).startswith(b"\x89PNG\r\n\x1a\n") for image in images)


def test_report_lists_the_pass_rate_and_failures_of_each_check(report):
    row = re.search(r"<tr><td>build_mlp\.forward</td>.*?</tr>", report).group(0)
    assert '<td class="n">40%</td>' in row  # 2 of the 5 graded students passed
    item = re.search(r"<li>3× <code>Expected: 3 outputs</code>.*?</li>", row).group(0)  # the headline: line 1
    # what was found (each distinct line, counted) and who: every student, linked to their feedback
    assert "<br>Found: 2 (2×)<br>Found: 4 (1×)<br>" in item
    assert re.findall(r'<a href="#feedback-(\w+)">', item) == ["bob", "carol", "dave"]
    assert re.search(r"<tr><td>count_parameters\.total</td><td class=\"n\">100%</td><td></td></tr>", report)


def test_report_lists_the_top_three_failures_most_common_first():
    messages = ["A: a"] * 3 + ["B: b"] * 2 + ["C: c", "D: d"] + [None] * 2
    subs = [submission(f"s{index}", {"MLP.is_block": message} if message else {})
            for index, message in enumerate(messages)]
    row = re.search(r"<tr><td>MLP\.is_block</td>.*?</tr>", html_report.class_report_html(subs)).group(0)
    items = re.findall(r"<li>(\d+)× <code>(.*?)</code><br>", row)
    assert items[:2] == [("3", "A: a"), ("2", "B: b")] and len(items) == 3 and items[2][0] == "1"
    assert '<td class="n">22%</td>' in row  # 2 of 9 passed


def test_report_failure_rows_show_found_hint_and_students():
    feedback_text = "Expected: 3 outputs\nFound: `2` outputs\nHint: check `out_units`"
    subs = [submission(f"s{index:02}", {"MLP.is_block": feedback_text}) for index in range(23)]
    row = re.search(r"<tr><td>MLP\.is_block</td>.*?</tr>", html_report.class_report_html(subs)).group(0)
    assert "<br>Found: <code>2</code> outputs<br>Hint: check <code>out_units</code><br>" in row  # one Found: no count
    assert row.count('<a href="#feedback-') == html_report.STUDENTS_SHOWN and "s00</a>" in row
    assert " and 3 more</span>" in row


def test_the_report_is_titled_after_the_unit(tmp_path, subs):
    from autograder.units import unit

    for name in ("plumbing", "custom_layers"):
        batch.write_outputs(tmp_path / name, subs, unit(name))
        title = re.search("<title>(.*?)</title>", (tmp_path / name / "report.html").read_text()).group(1)
        assert title == f"{unit(name).title} ({name}): class report".replace("'", "&#x27;")
    assert "plumbing" not in (tmp_path / "custom_layers" / "report.html").read_text().split("<h2>")[0]


def test_report_summary_students_and_could_not_grade(report):
    summary = report[report.index("<h2>Summary</h2>"):report.index("<h2>Checks</h2>")]
    for name, value in [("students", "6"), ("graded", "5"), ("could not grade", "1"), ("mean", "3.80"),
                        ("median", "4"), ("min", "2.5"), ("max", "5.5")]:
        assert f'<td>{name}</td><td class="n">{value}</td>' in summary
    students = report[report.index("<h2>Students</h2>"):report.index("<h2>Could not grade</h2>")]
    assert re.search(r'<td>bob</td><td class="n">3/5.5</td><td>graded</td><td><a href="bob/feedback.md">', students)
    assert "<td>=cmd|&#x27; /C calc&#x27;!A0</td>" in students
    assert '<a href="%3Dcmd%7C%27%20/C%20calc%27%21A0/feedback.md">' not in students  # "/" must not survive
    assert 'href="%3Dcmd%7C%27%20_C%20calc%27%21A0/feedback.md"' in students
    assert "<td>eve</td>" in students and "eve<pre>the grader crashed" in report.split("<h2>Could not grade</h2>")[1]


def test_report_of_a_class_nobody_could_grade_has_no_plots():
    report = html_report.class_report_html([ERROR])
    assert "data:image/png" not in report and "Could not grade" in report


def test_report_does_not_touch_pyplot(subs):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    html_report.class_report_html(subs)
    assert plt.get_fignums() == before


# --- the output folder -------------------------------------------------------------------------------------

def test_write_outputs_writes_the_three_class_files(tmp_path, subs):
    paths = batch.write_outputs(tmp_path, subs)
    assert sorted(os.listdir(tmp_path)) == ["grades.csv", "junit.xml", "report.html"]  # no temporary files left
    assert paths == {name: tmp_path / name for name in ("grades.csv", "junit.xml", "report.html")}
    with open(tmp_path / "grades.csv", encoding="utf-8", newline="") as stream:
        assert stream.read() == grades_csv.grades_csv(subs)
    ET.parse(tmp_path / "junit.xml")
    assert (tmp_path / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_write_student_then_read_student_round_trips(tmp_path, subs):
    for sub in subs:
        folder = batch.write_student(tmp_path, sub)
        assert sorted(os.listdir(folder)) == ["feedback.md", "results.json"]
        assert batch.read_student(tmp_path, sub.student) == sub
    assert sorted(os.listdir(tmp_path)) == sorted(files.safe_folder_name(sub.student) for sub in subs)


def test_results_json_is_gradescopes_plus_extra_data(tmp_path):
    folder = batch.write_student(tmp_path, PARTLY)
    data = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert (data["score"], data["max_score"], len(data["tests"])) == (3, 5.5, len(CHECKS))
    assert data["output"] == PARTLY.notes[0]
    assert data["extra_data"] == {"gluon_grader": PARTLY.to_dict()}
    assert (folder / "feedback.md").read_text(encoding="utf-8") == feedback.feedback_markdown(PARTLY)


def test_results_json_is_written_after_feedback(tmp_path, monkeypatch):
    written = []
    monkeypatch.setattr(batch, "write_text", lambda path, text: written.append(path.name))
    monkeypatch.setattr(batch, "write_json", lambda path, data: written.append(path.name))
    batch.write_student(tmp_path, PARTLY)
    assert written == ["feedback.md", "results.json"]


def test_hostile_student_ids_stay_inside_the_output_folder(tmp_path):
    out = tmp_path / "out"
    for student in ["../escape", "..", "/etc/passwd"]:
        sub = submission(student)
        batch.write_student(out, sub)
        assert batch.read_student(out, student) == sub
    assert sorted(os.listdir(tmp_path)) == ["out"]
    assert sorted(os.listdir(out)) == ["_.", "_._escape", "_etc_passwd"]


@pytest.mark.parametrize("content", [None, "", "{not json", "[]", '"text"', "{}", '{"extra_data": {}}',
                                     '{"extra_data": {"gluon_grader": {"student": "bob"}}}',
                                     ('{"extra_data": {"gluon_grader": {"student": "bob", "notebook": "n", '
                                      '"results": [1], "notes": []}}}')])
def test_read_student_returns_none_when_missing_or_corrupt(tmp_path, content):
    if content is not None:
        (tmp_path / "bob").mkdir()
        (tmp_path / "bob" / "results.json").write_text(content)
    assert batch.read_student(tmp_path, "bob") is None


def test_read_student_returns_none_for_another_id_sharing_the_folder(tmp_path):
    batch.write_student(tmp_path, submission("a/b"))
    assert batch.read_student(tmp_path, "a_b") is None
    assert batch.read_student(tmp_path, "a/b") is not None
