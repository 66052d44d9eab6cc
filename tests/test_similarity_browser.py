"""report.html's "Similar answers" as an instructor sees it: headless Chromium loads the batch grader's output folder
with the similarity report of the test class (tests/similarity_class.py); the tests read the DOM after load, and a
screenshot is kept as an artifact beside report.png (``GLUON_GRADER_ARTIFACTS``)."""
import subprocess
from html.parser import HTMLParser

import pytest

from autograder.reporting import batch
from autograder.similarity import compare_class
from autograder.units import unit

from notebooks import release_path
from similarity_class import COPIES, write_class
from test_report_browser import ARTIFACTS, BROWSER, CLASS, FLAGS

pytestmark = pytest.mark.skipif(BROWSER is None, reason="no Chromium: `make install` installs the Debian package "
                                                         "`chromium` as root or with passwordless sudo")


class SimilarityDom(HTMLParser):
    """The similarity section of the loaded page: its pairs table rows, and per pair section the answers shown
    (student, code text, marked texts and their titles)."""

    def __init__(self, html):
        super().__init__()
        self.headings, self.rows, self.pairs, self.text = [], [], {}, []
        self._sections, self._row, self._cell, self._heading = [], None, None, None
        self._pair = self._answer = self._mark = self._code = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "section":
            self._sections.append("similarity" in classes)
        if not any(self._sections):
            return
        if tag == "h2":
            self._heading = []
        elif tag == "table" and "pairs" in classes:
            self._row = None
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "section" and "pair" in classes:
            self._pair = self.pairs[attrs["id"]] = {"answers": []}
        elif tag == "h5" and self._pair is not None:
            self._answer = {"student": [], "code": [], "marks": []}
            self._pair["answers"].append(self._answer)
        elif tag == "pre" and "code" in classes and self._answer is not None:
            self._code = True
        elif tag == "mark" and self._answer is not None:
            self._mark = [attrs.get("title"), []]
            self._answer["marks"].append(self._mark)

    def handle_endtag(self, tag):
        if tag == "section" and self._sections:
            self._sections.pop()
        if tag == "h2" and self._heading is not None:
            self.headings.append("".join(self._heading))
            self._heading = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None
        elif tag == "h5" and self._answer is not None:
            self._answer["student"] = "".join(self._answer["student"])
        elif tag == "pre":
            self._code = None
        elif tag == "mark":
            self._mark = None

    def handle_data(self, data):
        if not any(self._sections):
            return
        self.text.append(data)
        for collecting in (self._heading, self._cell):
            if collecting is not None:
                collecting.append(data)
        if self._answer is not None and isinstance(self._answer["student"], list):
            self._answer["student"].append(data)
        if self._code:
            self._answer["code"].append(data)
        if self._mark is not None:
            self._mark[1].append(data)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """report.html of a class whose similarity report is the test class's, as Chromium has it after loading."""
    folder = write_class(tmp_path_factory.mktemp("class"))
    report = compare_class([(path.stem, path) for path in sorted(folder.glob("*.ipynb"))], unit("plumbing"),
                           release_path("plumbing"))
    out = tmp_path_factory.mktemp("graded")
    batch.write_outputs(out, CLASS, similarity=report)
    url = (out / "report.html").as_uri() + "#similarity"
    profile = tmp_path_factory.mktemp("chromium-profile")
    dom = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url], capture_output=True,
                         text=True, timeout=120)
    assert dom.returncode == 0 and "<h1>" in dom.stdout, dom.stderr[-2000:]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "similarity.png"
    screenshot.unlink(missing_ok=True)
    shot = subprocess.run([BROWSER, *FLAGS, f"--user-data-dir={profile}", "--window-size=1400,2400",
                           f"--screenshot={screenshot}", url], capture_output=True, text=True, timeout=120)
    assert shot.returncode == 0 and screenshot.read_bytes().startswith(b"\x89PNG"), shot.stderr[-2000:]
    print(f"similarity screenshot: {screenshot}")
    return SimilarityDom(dom.stdout), report


def test_the_section_lists_the_copy_pairs_ranked_and_nothing_else(loaded):
    dom, report = loaded
    assert dom.headings == ["Similar answers"]
    table = [row for row in dom.rows if row and row[0].isdigit()]
    assert {tuple(sorted(row[1:3])) for row in table} == COPIES
    assert [row[1:3] for row in table] == [[pair.a, pair.b] for pair in report.pairs]
    assert all(row[6] == "side by side" for row in table)


def test_the_wording_is_evidence_to_read_not_an_accusation(loaded):
    text = " ".join(loaded[0].text).lower()
    assert "evidence to look at, not a finding" in text and "innocent causes" in text
    assert not any(word in text for word in ("plagiari", "cheat", "guilty", "copied from"))


def test_each_pair_shows_both_answers_side_by_side_with_the_matches_marked(loaded):
    dom, report = loaded
    assert len(dom.pairs) == len(report.pairs)
    for number, pair in enumerate(report.pairs, start=1):
        shown = dom.pairs[f"pair-{number}"]["answers"]
        counting = [one for one in pair.exercises if one.counts]
        assert [answer["student"] for answer in shown] == [pair.a, pair.b] * len(counting)
        for answer, (one, side) in zip(shown, [(one, side) for one in sorted(counting, key=lambda e: -e.score)
                                               for side in "ab"], strict=True):
            source = one.source_a if side == "a" else one.source_b
            assert "".join(answer["code"]) == source  # the whole answer, as written, marks and all
            assert answer["marks"] and all(title.startswith("found in ") and title.endswith(
                f" of {report.students} notebooks") for title, _ in answer["marks"])
            assert all("".join(marked).strip() in source for _, marked in answer["marks"])


def test_the_partial_copier_is_shown_only_on_the_copied_exercise(loaded):
    dom, report = loaded
    number = next(n for n, pair in enumerate(report.pairs, start=1) if {pair.a, pair.b} == {"bea", "fred"})
    row = next(row for row in dom.rows if row and row[0] == str(number))
    assert row[3].startswith("MLP: ") and row[5] == "MLP"
    assert len(dom.pairs[f"pair-{number}"]["answers"]) == 2
