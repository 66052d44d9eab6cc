"""The similarity report on a class with known copies (tests/similarity_class.py): every copy pair over the default
threshold, no independent pair, stubs never; what the normalisation ignores; rarity; the CSV; the command line;
the batch grader's report. Nothing here runs a notebook: the report is judge side only."""
from __future__ import annotations

import csv
import io
import shutil
from dataclasses import dataclass
from pathlib import Path
from textwrap import dedent

import nbformat
import numpy as np
import pytest

from autograder import cli, similarity
from autograder.batch import grade
from autograder.reporting import batch
from autograder.reporting.similarity_csv import COLUMNS, similarity_csv
from autograder.results import SubmissionResult
from autograder.similarity import (
    DEFAULT_THRESHOLD,
    MIN_SHARED,
    WHOLE_NOTEBOOK,
    Fingerprints,
    compare_class,
    kgram_hashes,
    normalise,
    rarity_weights,
)
from autograder.units import unit

from notebooks import release_path, source_path, with_answer, write_notebook
from similarity_class import (
    COPIES,
    CUSTOM_COPIES,
    CUSTOM_STUBS,
    STUBS,
    all_pairs,
    answers,
    custom_answers,
    renamed,
    write_class,
)

PLUMBING = unit("plumbing")
CUSTOM_LAYERS = unit("custom_layers")


@pytest.fixture(scope="module")
def class_dir(tmp_path_factory) -> Path:
    return write_class(tmp_path_factory.mktemp("class"))


def submissions(folder: Path) -> list[tuple[str, Path]]:
    return [(path.stem, path) for path in sorted(folder.glob("*.ipynb"))]


@pytest.fixture(scope="module")
def report(class_dir):
    return compare_class(submissions(class_dir), PLUMBING, release_path("plumbing"))


@pytest.fixture(scope="module")
def every_pair(class_dir):
    """The same class with no threshold at all: every pair's scores."""
    found = compare_class(submissions(class_dir), PLUMBING, release_path("plumbing"), threshold=1e-9)
    return {tuple(sorted((pair.a, pair.b))): pair for pair in found.pairs}


def reported(report) -> set[tuple[str, str]]:
    return {tuple(sorted((pair.a, pair.b))) for pair in report.pairs}


# --- the test class ---------------------------------------------------------------------------------------------

def test_every_copy_pair_is_reported_and_nothing_else(report):
    assert reported(report) == COPIES
    assert report.students == len(answers()) and report.left_out == {}


@pytest.mark.parametrize("pair", sorted(COPIES))
def test_a_copy_pair_scores_over_the_default_threshold_with_room(every_pair, pair):
    assert every_pair[pair].top >= DEFAULT_THRESHOLD + 0.1, every_pair[pair]


def test_independent_pairs_stay_well_under_the_default_threshold(every_pair):
    independent = all_pairs(answers()) - COPIES
    highest = max((every_pair[pair].top for pair in independent if pair in every_pair), default=0.0)
    assert highest <= DEFAULT_THRESHOLD - 0.2


def test_stub_notebooks_share_nothing_with_anyone(every_pair):
    assert not [pair for pair, found in every_pair.items() if set(pair) & set(STUBS) and found.exercises]


@pytest.mark.parametrize("pair, exercises", [
    (("bea", "fred"), {"MLP"}),  # fred copied one exercise and wrote the rest himself
    (("bob", "dee"), {"build_mlp", "build_mlp_explicit", "MLP", "MyInit"}),
])
def test_the_exercises_over_the_threshold_are_the_copied_ones(report, pair, exercises):
    found = next(one for one in report.pairs if tuple(sorted((one.a, one.b))) == pair)
    assert {one.exercise for one in found.exercises if one.score >= DEFAULT_THRESHOLD} == exercises


def test_a_ring_of_three_is_reported_as_three_pairs_despite_sharing_code_three_ways(report):
    ring = [pair for pair in report.pairs if {pair.a, pair.b} <= {"rita", "ron", "ria"}]
    assert len(ring) == 3 and all(pair.top >= DEFAULT_THRESHOLD for pair in ring)


def test_the_evidence_names_lines_of_both_answers_and_how_rare_they_are(report):
    pair = next(one for one in report.pairs if {one.a, one.b} == {"bea", "fred"})
    mlp = next(one for one in pair.exercises if one.exercise == "MLP")
    assert mlp.regions_a and mlp.regions_b and mlp.only_these_two >= MIN_SHARED
    assert min(region.found_in for region in mlp.regions_a) == 2  # only bea and fred wrote that code
    for region, source in [(r, mlp.source_a) for r in mlp.regions_a] + [(r, mlp.source_b) for r in mlp.regions_b]:
        assert 1 <= region.first_line <= region.last_line <= source.count("\n") + 1
        assert source[region.start:region.end].strip()
    assert mlp.matched_lines.startswith("A: ") and " | B: " in mlp.matched_lines


@pytest.fixture(scope="module")
def custom_pairs(tmp_path_factory):
    """The custom_layers class with no threshold at all: every pair's scores."""
    folder = write_class(tmp_path_factory.mktemp("custom"), "custom_layers")
    found = compare_class(submissions(folder), CUSTOM_LAYERS, release_path("custom_layers"), threshold=1e-9)
    return {tuple(sorted((pair.a, pair.b))): pair for pair in found.pairs}


def test_the_custom_layers_class_too_every_copy_over_the_threshold_and_nothing_else(custom_pairs):
    over = {pair for pair, found in custom_pairs.items() if found.top >= DEFAULT_THRESHOLD}
    assert over == CUSTOM_COPIES
    assert min(custom_pairs[pair].top for pair in CUSTOM_COPIES) >= DEFAULT_THRESHOLD + 0.1
    independent = all_pairs(custom_answers()) - CUSTOM_COPIES
    assert max((custom_pairs[pair].top for pair in independent if pair in custom_pairs), default=0.0) <= 0.4
    assert not [pair for pair, found in custom_pairs.items() if set(pair) & set(CUSTOM_STUBS) and found.exercises]


def test_answers_that_are_the_notebooks_own_examples_are_alike_to_no_one(custom_pairs):
    # rex hands in the reference answers: MyDense is the notebook's FCDense, build_tied_mlp its sharing example.
    assert not [pair for pair, found in custom_pairs.items() if "rex" in pair and found.top > 0]


# --- what the normalisation ignores and keeps --------------------------------------------------------------------

ORIGINAL = """
def count(net):
    total = 0
    for name, param in net.collect_params().items():
        total += param.data().size
    return int(total)
"""


def fingerprints(source: str) -> set[int]:
    code = dedent(source).strip()
    return Fingerprints.of(normalise(code, similarity.defined_names(code)), np.array([], dtype=np.int64)).hashes


@pytest.mark.parametrize("edit, same", [
    ("renamed", True), ("comments and a docstring", True), ("blank lines and prints", True),
    ("numbers and strings changed", True), ("another library call", False),
])
def test_what_copiers_change_does_not_change_the_fingerprints(edit, same):
    edited = {
        "renamed": renamed(ORIGINAL, {"total": "acc", "param": "p", "name": "key", "count": "how_many"}),
        "comments and a docstring": ORIGINAL.replace("    total = 0", '    """Counts."""\n    total = 0  # start')
                                            .replace("    return", "    # done\n    return"),
        "blank lines and prints": ORIGINAL.replace("\n    ", "\n\n    ").replace(
            "    return", "    print('total is', total)\n    return"),
        "numbers and strings changed": ORIGINAL.replace("total = 0", "total = 0.0"),
        "another library call": ORIGINAL.replace("collect_params().items()", "params.items()"),
    }[edit]
    assert (fingerprints(edited) == fingerprints(ORIGINAL)) is same


def test_k_gram_hashes_are_the_same_in_every_process():
    # copydetect's own hashes use Python's salted hash(): these must not, or reports would change run to run.
    # The values were computed once and written here: a change of the hash function shows as a failure.
    assert kgram_hashes(np.arange(12, dtype=np.int64)).tolist() == [4095722110846790, 1654883497961925,
                                                                      755215219032735]


@pytest.mark.parametrize("found_in, students, weight", [
    (2, 13, 1.0), (1, 13, 1.0), (3, 13, 0.8), (13, 13, 0.0), (3, 3, 0.4), (2, 500, 1.0), (3, 500, 0.9),
])
def test_rare_code_weighs_more_and_nothing_is_cut_off(found_in, students, weight):
    assert rarity_weights(np.array([found_in]), students)[0] == pytest.approx(weight, abs=0.05)


def test_answers_adapted_from_the_notebooks_own_example_are_boilerplate(tmp_path):
    # build_tied_mlp is the release's sharing example with 8 changed to `width`: two students who both adapt it
    # (one as the reference does, one renamed) share nothing that counts.
    release = nbformat.read(release_path("custom_layers"), as_version=4)
    adapted = dedent("""
        def build_tied_mlp(width=64, num_outputs=10):
            model = nn.Sequential()
            with model.name_scope():
                tied = nn.Dense(width, activation="relu")
                model.add(nn.Dense(width, activation="relu"), tied, nn.Dense(width, activation="relu",
                          params=tied.params), nn.Dense(num_outputs))
            return model
        """).strip()
    reference = nbformat.read(source_path("custom_layers"), as_version=4)
    for name, nb in [("adapted", with_answer(release, "build_tied_mlp", adapted)), ("reference", reference),
                     ("stub", release)]:
        write_notebook(nb, tmp_path, f"{name}.ipynb")
    found = compare_class(submissions(tmp_path), CUSTOM_LAYERS, release_path("custom_layers"), threshold=1e-9)
    tied = [one for pair in found.pairs for one in pair.exercises if one.exercise == "build_tied_mlp"]
    assert all(one.shared < MIN_SHARED and not one.counts for one in tied), tied
    assert found.pairs == [] or max(pair.top for pair in found.pairs) == 0.0


def test_answers_are_found_without_nbgrader_metadata_by_the_names_they_define(tmp_path):
    cells = [nbformat.v4.new_code_cell(dedent(source).strip()) for source in answers()["bea"].values()]
    for student in ("plain", "copy", "other"):
        nb = nbformat.v4.new_notebook(cells=cells if student != "other" else cells[:1])
        write_notebook(nb, tmp_path, f"{student}.ipynb")
    found = compare_class(submissions(tmp_path), PLUMBING, release_path("plumbing"))
    pair = next(one for one in found.pairs if {one.a, one.b} == {"copy", "plain"})
    assert {one.exercise for one in pair.exercises if one.counts} >= {"MLP", "MySequential", "count_parameters"}


def test_an_unreadable_or_missing_notebook_is_left_out_with_the_reason(tmp_path, class_dir):
    for path in sorted(class_dir.glob("*.ipynb"))[:3]:
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "zed.ipynb").write_text("{not json")
    found = compare_class([*submissions(tmp_path), ("nobody", None)], PLUMBING, release_path("plumbing"))
    assert found.left_out == {"zed": "zed.ipynb is not a notebook (not JSON)",
                              "nobody": "no notebook"}
    assert found.students == 3


# --- similarity.csv ----------------------------------------------------------------------------------------------

def test_the_csv_has_a_notebook_row_then_the_exercises_of_each_reported_pair(report):
    rows = list(csv.reader(io.StringIO(similarity_csv(report))))
    assert rows[0] == COLUMNS
    notebook_rows = [row for row in rows[1:] if row[0] == WHOLE_NOTEBOOK]
    assert {tuple(sorted(row[1:3])) for row in notebook_rows} == COPIES
    for pair in report.pairs:
        mine = [row for row in rows[1:] if row[1:3] == [pair.a, pair.b]]
        assert mine[0][0] == WHOLE_NOTEBOOK and float(mine[0][3]) == pytest.approx(pair.score, abs=1e-3)
        over = {one.exercise: one for one in pair.exercises if one.counts and one.score >= DEFAULT_THRESHOLD}
        assert [row[0] for row in mine[1:]] == list(over)
        for row in mine[1:]:
            assert float(row[3]) == pytest.approx(over[row[0]].score, abs=1e-3)
            assert row[4] == over[row[0]].matched_lines and row[4].startswith("A: ")


def test_a_student_id_that_looks_like_a_formula_is_defused_in_the_csv(tmp_path, class_dir):
    for path in sorted(class_dir.glob("*.ipynb")):
        shutil.copy(path, tmp_path / ("=cmd" + path.name if path.stem == "bob" else path.name))
    rows = list(csv.reader(io.StringIO(similarity_csv(compare_class(submissions(tmp_path), PLUMBING,
                                                                    release_path("plumbing"))))))
    assert any("'=cmdbob" in row[1:3] for row in rows) and not any(cell.startswith("=") for row in rows for cell in row)


# --- the command line and the batch grader ------------------------------------------------------------------------

def test_the_command_writes_the_page_and_the_csv(tmp_path, class_dir, capsys):
    assert cli.main(["similarity", str(class_dir), "--out", str(tmp_path / "out"), "--course", str(ROOT)]) == 0
    assert f"13 notebooks compared; {len(COPIES)} pairs at or over 0.6" in capsys.readouterr().out
    assert "Similar answers" in (tmp_path / "out" / "similarity.html").read_text()
    assert len(list(csv.reader(io.StringIO((tmp_path / "out" / "similarity.csv").read_text())))) > len(COPIES)


def test_the_command_reads_nbgraders_submitted_folder(tmp_path, class_dir, capsys):
    course = tmp_path / "course"
    for path in sorted(class_dir.glob("*.ipynb")):
        (course / "submitted" / path.stem / "plumbing").mkdir(parents=True)
        shutil.copy(path, course / "submitted" / path.stem / "plumbing" / "plumbing.ipynb")
    (course / "assignments" / "plumbing").mkdir(parents=True)
    shutil.copy(release_path("plumbing"), course / "assignments" / "plumbing" / "plumbing.ipynb")
    code = cli.main(["similarity", "--nbgrader", "plumbing", "--course", str(course), "--out", str(tmp_path / "o"),
                     "--threshold", "0.95"])
    assert code == 0 and "pairs at or over 0.95" in capsys.readouterr().out
    rows = list(csv.reader(io.StringIO((tmp_path / "o" / "similarity.csv").read_text())))
    assert rows[1:] and all(float(row[3]) >= 0.95 for row in rows[1:] if row[0] != WHOLE_NOTEBOOK)


@pytest.mark.parametrize("argv, says", [
    (["similarity", "--out", "x"], "give a class folder or --nbgrader ASSIGNMENT"),
    (["similarity", "/nonexistent/class", "--unit", "plumbing", "--out", "x"], "no such file or folder"),
])
def test_the_command_says_what_is_wrong(argv, says, capsys):
    assert cli.main(argv) == 2 and says in capsys.readouterr().err


@pytest.mark.parametrize("value", ["0", "1.5", "high"])
def test_a_threshold_outside_zero_to_one_is_refused(value, capsys):
    with pytest.raises(SystemExit):
        cli.main(["similarity", "x", "--out", "y", "--threshold", value])
    assert "expected a score between 0 (excluded) and 1" in capsys.readouterr().err


ROOT = Path(__file__).resolve().parents[1]


@dataclass
class _NoGrading:
    done: int = 0
    regraded: dict = None


@pytest.mark.parametrize("flag, students, section", [
    ([], 13, "side by side"), (["--no-similarity"], 13, None), ([], 2, "Not computed: 2 notebooks"),
])
def test_the_batch_grader_adds_the_section_and_the_csv_unless_told_not_to(tmp_path, class_dir, monkeypatch, flag,
                                                                         students, section):
    # The grading itself is not what is tested here: no judge runs, every student is "not graded yet".
    monkeypatch.setattr(grade, "run_all", lambda todo, options, isolation: _NoGrading(regraded={}))
    folder = tmp_path / "class"
    folder.mkdir()
    for path in sorted(class_dir.glob("*.ipynb"))[:students]:
        shutil.copy(path, folder / path.name)
    args = cli.parser().parse_args(["grade", str(folder), "--out", str(tmp_path / "out"), *flag])
    options = grade.BatchOptions(out=args.out, unit=PLUMBING, similarity=args.similarity)
    grade.grade_class(folder, options)
    html = (tmp_path / "out" / "report.html").read_text()
    assert ("Similar answers" in html) is (section is not None)
    assert (tmp_path / "out" / "similarity.csv").exists() is (section is not None)
    if section:
        assert section in html


def test_a_broken_release_leaves_the_batch_a_note_not_a_crash(tmp_path, class_dir):
    (tmp_path / "assignments" / "plumbing").mkdir(parents=True)
    (tmp_path / "assignments" / "plumbing" / "plumbing.ipynb").write_text("{broken")
    found = similarity.class_similarity([grade.Submission(path.stem, path, path.name) for path in
                                         sorted(class_dir.glob("*.ipynb"))], PLUMBING, course=tmp_path)
    assert found.pairs == [] and found.note.startswith("Not computed: the released notebook cannot be read")


def test_write_outputs_without_a_report_writes_the_three_files_it_always_did(tmp_path):
    paths = batch.write_outputs(tmp_path, [SubmissionResult("ann", "ann.ipynb", [], [])])
    assert sorted(paths) == ["grades.csv", "junit.xml", "report.html"]
