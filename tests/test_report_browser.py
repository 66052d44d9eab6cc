"""report.html as a teacher sees it: headless Chromium loads the batch grader's output folder, the tests read the DOM
after load, and a screenshot is kept as an artifact (``GLUON_GRADER_ARTIFACTS``, default ``out/artifacts/``)."""
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from autograder.reporting import batch
from autograder.results import CheckResult, SubmissionResult

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get("GLUON_GRADER_ARTIFACTS", ROOT / "out" / "artifacts"))
CHECKS = [("build_mlp.forward", 2), ("MLP.is_block", 1), ("count_parameters.total", 1)]
BROWSER = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--hide-scrollbars"]

pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium: `make install` installs the Debian package "
                                                         "`chromium` as root or with passwordless sudo")


def sub(student, failures=(), notes=(), status="graded"):
    failures = dict(failures)
    results = [CheckResult(check_id, check_id.split(".")[0], f"title of {check_id}", 0 if check_id in failures
                           else most, most, "failed" if check_id in failures else "passed",
                           failures.get(check_id, "")) for check_id, most in CHECKS]
    return SubmissionResult(student, "plumbing.ipynb", results, list(notes), status=status, sandbox="bubblewrap")


NOT_DONE = "`build_mlp` is not implemented yet: replace `raise NotImplementedError()` in its cell with your code."
CLASS = [
    sub("ada"),
    sub("bob", {"build_mlp.forward": "Expected: 3 outputs\nFound: 2", "MLP.is_block": "`MLP` is not a `gluon.Block`"}),
    sub("cy", {"build_mlp.forward": "Expected: 3 outputs\nFound: 4"}),
    sub("dee", {"build_mlp.forward": NOT_DONE}),
    sub("eli", dict.fromkeys(dict(CHECKS), "Your notebook could not be graded: loop.ipynb"),
        notes=["cell 3 (`while True:`) did not finish: it was stopped after 60 s, the time limit for one cell"]),
    sub("fay", dict.fromkeys(dict(CHECKS), "Your notebook could not be graded: empty"),
        notes=["empty.ipynb is empty: it has no cells at all"]),
]


class Dom(HTMLParser):
    """The loaded page's headings, table rows (cell texts), links and sections, in document order."""

    def __init__(self, html):
        super().__init__()
        self.headings, self.rows, self.links, self.ids, self.text = [], [], [], {}, []
        self._heading = self._row = self._cell = None
        self._sections = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "h2":
            self._heading = []
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []
        elif tag == "a":
            self.links.append(attrs.get("href"))
        elif tag == "section":
            self._sections.append(attrs.get("id"))
            self.ids[attrs.get("id")] = []
        elif tag == "table" and self._sections:
            self.ids[self._sections[-1]].append("<table>")

    def handle_endtag(self, tag):
        if tag == "h2":
            self.headings.append("".join(self._heading))
            self._heading = None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self.rows.append(self._row)
            self._row = None
        elif tag == "section":
            self._sections.pop()

    def handle_data(self, data):
        self.text.append(data)
        for collecting in (self._heading, self._cell):
            if collecting is not None:
                collecting.append(data)
        if self._sections:
            self.ids[self._sections[-1]].append(data)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """The output folder written as the batch grader writes it, and the DOM Chromium has after loading it."""
    out = tmp_path_factory.mktemp("graded")
    for one in CLASS:
        batch.write_student(out, one)
    batch.write_outputs(out, CLASS)
    url = (out / "report.html").as_uri()
    profile = tmp_path_factory.mktemp("chromium-profile")
    dom = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0 and "<h1>" in dom.stdout, dom.stderr[-2000:]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    shot = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", "--window-size=1280,2400",
                           f"--screenshot={screenshot}", url], capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.read_bytes().startswith(b"\x89PNG"), shot.stderr[-2000:]
    print(f"report screenshot: {screenshot}")
    return Dom(dom.stdout)


def test_the_students_table_comes_right_after_the_summary(loaded):
    assert loaded.headings[:3] == ["Summary", "Students", "Checks"]


@pytest.mark.parametrize("student, status, note", [
    ("ada", "graded", ""), ("bob", "graded", ""), ("eli", "stopped", "cell 3 (while True:) did not finish"),
    ("fay", "empty", "empty.ipynb is empty"),
])
def test_each_student_has_a_status_and_the_notes_behind_it(loaded, student, status, note):
    row = next(row for row in loaded.rows if row and row[0] == student)
    assert row[2] == status and row[4].startswith(note)


def test_failures_are_the_real_ones_and_not_attempted_is_counted_apart(loaded):
    row = next(row for row in loaded.rows if row and row[0] == "build_mlp.forward")
    assert row[1] == "17%"  # ada alone, of 6
    failures = row[2]
    assert "2× Expected: 3 outputs" in failures and failures.count("students:") == 1  # dee did not attempt it
    assert "Found: 2 (1×)" in failures and "Found: 4 (1×)" in failures and "students: bob, cy" in failures
    assert "3 not attempted or could not run" in failures and "not implemented yet" not in failures


def test_markdown_is_rendered_not_shown_raw(loaded):
    row = next(row for row in loaded.rows if row and row[0] == "MLP.is_block")
    assert "1× MLP is not a gluon.Block" in row[2] and "`" not in row[2]


def test_one_click_from_a_student_to_their_feedback_rendered(loaded):
    for one in CLASS:
        assert f"#feedback-{one.student}" in loaded.links and f"{one.student}/feedback.md" in loaded.links
    bob = "".join(loaded.ids["feedback-bob"])
    assert "<table>" in bob and "Feedback for bob: 1/4 points" in bob and "Expected: 3 outputs" in bob
    assert not re.search(r"\|\s*---", bob)  # the score table is a table, not markdown pipes
