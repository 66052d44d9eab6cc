"""Similar answers across a class: which pairs of students wrote alike code, exercise by exercise, and the evidence.

Judge side only: notebooks are parsed (nbformat), never run. For each student and exercise the *answer* is the
code of the exercise's solution cell (its nbgrader ``grade_id``, else the cell that defines the exercise's name)
plus the cells the student added after it. Everything the release holds (teaching examples, stubs, test cells) is
boilerplate: its fingerprints are removed from every answer, so two students who both adapt the notebook's own
example are not alike for it.

Fingerprints are copydetect's robust winnowing (:func:`copydetect.utils.winnow`, and its overlap slices for the
evidence) of k-gram hashes over a normalised token stream (:func:`normalise`); the k-grams are hashed here
(:func:`kgram_hashes`) because copydetect hashes with Python's ``hash()``, salted per process: the same class
would get other scores on every run. The stream is made so that what copiers change does not change it: names
the student or the notebook define, numbers and strings all become one operand symbol; comments, docstrings, blank
lines and ``print(...)`` statements are dropped; library names (``nn.Dense``, ``collect_params``) and keywords are
kept, they carry the answer's shape. Fingerprints are sets, so reordered functions match as well.

Scores (:class:`PairExercise`): the shared fingerprints of two answers, each weighted by how rare it is in the
class (:func:`rarity_weights`: 1 for code only these two have, falling towards 0 for code every student has; no
hard cut, so a ring of three copiers still counts), divided by the size of the smaller answer. An exercise counts
only when the pair shares at least :data:`MIN_SHARED` weighted fingerprints of non-boilerplate code: answers the
notebook practically dictates (one line) carry no weight alone. The whole-notebook score sums the exercises that
count. A pair is reported when its notebook score or any exercise score reaches the threshold.
"""
from __future__ import annotations

import ast
import io
import json
import keyword
import math
import re
import tokenize
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from pygments import token
from pygments.lexers import PythonLexer

#: Classes smaller than this get no similarity report from the batch grader (two students are one pair: no class).
MIN_CLASS = 3
#: k: fingerprints are hashes of this many consecutive normalised tokens (about one line of code). Shorter k-grams
#: match what every answer of the course writes (``net.add(nn.Dense(V, activation=V))``); longer ones miss copies
#: that were edited every other line.
K = 10
#: Winnowing window: of every W consecutive k-grams the smallest hash is kept (a copy of W + K - 1 tokens or more
#: is always found).
WINDOW = 4
#: Weighted shared fingerprints below which an exercise does not count for a pair (about three lines of code only
#: the two have): on the test class, independent answers share at most 7.3 (MySequential, which the notebook all but
#: dictates); each copy pair has exercises sharing 8.4 and more.
MIN_SHARED = 8.0
#: Default reporting threshold of ``--threshold`` (README, "Similar submissions"; measured on the test class of
#: tests/similarity_class.py): every copy pair scores 0.74 or more, every independent pair 0 (and at most 0.56
#: even with the minimum of shared code lowered to 5): 0.6 keeps a margin on both sides.
DEFAULT_THRESHOLD = 0.6
#: The exercise name of the whole-notebook row of the CSV.
WHOLE_NOTEBOOK = "(whole notebook)"
#: The one symbol every operand (a name the student or notebook defines, a number, a string) becomes.
OPERAND = "V"

_LEXER = PythonLexer()
_OPERAND = zlib.crc32(OPERAND.encode("ascii"))
_MAGIC = re.compile(r"^\s*[%!]", re.MULTILINE)


@dataclass
class Normalised:
    """An answer's tokens as one code each (``codes``: CRC-32 of the token's normalised text), with the source span
    ``spans[i]`` of token ``i``."""

    codes: np.ndarray
    spans: list[tuple[int, int]]


def _code(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


def kgram_hashes(codes: np.ndarray) -> np.ndarray:
    """The hash of every K consecutive token codes (a polynomial hash, mixed; 52 bits, so that copydetect's
    winnowing, which compares them as floats, compares them exactly)."""
    count = len(codes) - K + 1
    if count <= 0:
        return np.array([], dtype=np.int64)
    codes = codes.astype(np.uint64)
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(K):  # arrays of uint64 wrap around silently: arithmetic modulo 2**64
        hashes = hashes * np.uint64(1_000_003) + codes[offset:offset + count]
    hashes ^= hashes >> np.uint64(31)
    hashes *= np.uint64(0xBF58476D1CE4E5B9)
    hashes ^= hashes >> np.uint64(29)
    return (hashes >> np.uint64(12)).astype(np.int64)


def _tree(source: str) -> ast.Module | None:
    """``source`` parsed (IPython's ``%magic`` and ``!shell`` lines as comments), or None when it is no Python."""
    try:
        return ast.parse(_MAGIC.sub("#", source))
    except (SyntaxError, ValueError):
        return None


def defined_names(source: str, tree: ast.Module | None = None) -> set[str]:
    """Names ``source`` defines (assigned, parameters, functions, classes, attributes it sets): the author's own
    choices, which a copier renames. Imported names are the library's and are kept. Unparsable code defines none."""
    tree = tree if tree is not None else _tree(source)
    names = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def without_prints(source: str, tree: ast.Module | None = None) -> str:
    """``source`` with the lines of every ``print(...)`` statement blanked (same length: spans stay right)."""
    tree = tree if tree is not None else _tree(source)
    blank = set()
    for node in ast.walk(tree) if tree is not None else ():
        if (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                and isinstance(node.value.func, ast.Name) and node.value.func.id == "print"):
            blank.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    if not blank:
        return source
    lines = source.splitlines(keepends=True)
    return "".join(re.sub(r"[^\n]", " ", line) if number in blank else line
                   for number, line in enumerate(lines, start=1))


def normalise(source: str, names: set[str]) -> Normalised:
    """``source`` as one code per token: names it defines or ``names`` holds (defined by the notebook), numbers and
    strings as :data:`OPERAND`, every other token (keywords, operators, library names) as itself; comments,
    docstrings, whitespace and print statements dropped. Python's tokenizer, else (code it cannot tokenize, e.g.
    an unclosed bracket) pygments' lexer, which takes anything."""
    tree = _tree(source)
    names = names | defined_names(source, tree)
    text = without_prints(source, tree)
    try:
        return _with_tokenize(text, names)
    except (tokenize.TokenError, SyntaxError):
        return _with_pygments(text, names)


_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER,
            tokenize.ENCODING}
_STATEMENT_START = {tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.NL, None}


def _with_tokenize(text: str, names: set[str]) -> Normalised:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    tokens = [one for one in tokenize.generate_tokens(io.StringIO(text).readline) if one.type != tokenize.COMMENT]
    codes, spans = [], []
    before = None
    for number, one in enumerate(tokens):
        if one.type in _SKIPPED:
            before = one.type if one.type != tokenize.NL else before
            continue
        after = tokens[number + 1].type if number + 1 < len(tokens) else tokenize.ENDMARKER
        if one.type == tokenize.STRING and before in _STATEMENT_START and after in (tokenize.NEWLINE,
                                                                                   tokenize.ENDMARKER):
            before = one.type
            continue  # a docstring (or any string alone as a statement): words, not code
        before = one.type
        start = starts[one.start[0] - 1] + one.start[1]
        end = starts[one.end[0] - 1] + one.end[1]
        operand = one.type in (tokenize.NUMBER, tokenize.STRING) or (
            one.type == tokenize.NAME and one.string in names and not keyword.iskeyword(one.string))
        codes.append(_OPERAND if operand else _code(one.string))
        spans.append((start, end))
    return Normalised(np.array(codes, dtype=np.int64), spans)


def _with_pygments(text: str, names: set[str]) -> Normalised:
    codes, spans = [], []
    in_string = False
    for start, kind, part in _LEXER.get_tokens_unprocessed(text):
        end = start + len(part)
        if kind in token.Comment or kind in token.Text or kind in token.String.Doc or not part.strip():
            in_string = False
            continue
        if kind in token.String and kind not in token.String.Interpol:
            if in_string:  # one string is several tokens (quotes, body, escapes): one operand
                spans[-1] = (spans[-1][0], end)
                continue
            in_string = True
            codes.append(_OPERAND)
            spans.append((start, end))
            continue
        in_string = kind in token.String.Interpol and in_string
        codes.append(_OPERAND if kind in token.Number or (kind in token.Name and part in names) else _code(part))
        spans.append((start, end))
    return Normalised(np.array(codes, dtype=np.int64), spans)


@dataclass
class Fingerprints:
    """The winnowed fingerprints of one answer, boilerplate removed: each hash with its token positions."""

    hashes: set[int]
    positions: dict[int, list[int]]

    @classmethod
    def of(cls, normalised: Normalised, boilerplate: np.ndarray) -> Fingerprints:
        if len(normalised.codes) < K:
            return cls(set(), {})
        from copydetect.utils import winnow  # copydetect's package imports matplotlib.pyplot: only when comparing

        hashes, where = winnow(kgram_hashes(normalised.codes), WINDOW, remove_duplicates=False)
        keep = ~np.isin(hashes, boilerplate)
        positions: dict[int, list[int]] = defaultdict(list)
        for value, index in zip(hashes[keep].tolist(), where[keep].tolist(), strict=True):
            positions[value].append(index)
        return cls(set(positions), dict(positions))


def all_kgrams(normalised: Normalised) -> np.ndarray:
    """Every k-gram hash of ``normalised`` (boilerplate is every k-gram of the release, not a winnowed sample)."""
    return kgram_hashes(normalised.codes)


# --- answers out of notebooks --------------------------------------------------------------------------------

class UnreadableNotebook(ValueError):
    """A notebook that cannot be parsed; the similarity report leaves that student out and says so."""


def read_notebook(path: str | Path) -> dict:
    """The notebook at ``path`` as nbformat 4's JSON. A version 4 notebook is read as the JSON it is, older formats
    go through nbformat's converter: ``import nbformat`` costs seconds (jsonschema's format checkers), as
    :mod:`autograder.subject.notebook` found, which is most of a class's time here."""
    from .intake import Refused, read_file  # a regular file only, bounded: never a pipe, a device or a link out

    name = Path(path).name
    try:
        text = read_file(Path(path)).decode("utf-8")
        notebook = json.loads(text)
        if isinstance(notebook, dict) and isinstance(notebook.get("nbformat"), int) and notebook["nbformat"] < 4:
            import nbformat

            notebook = nbformat.reads(text, as_version=4)
    except Refused as reason:
        raise UnreadableNotebook(str(reason)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise UnreadableNotebook(f"{name} cannot be read ({type(error).__name__})") from None
    except json.JSONDecodeError:
        raise UnreadableNotebook(f"{name} is not a notebook (not JSON)") from None
    except Exception as error:  # noqa: BLE001 -- nbformat's converter raises many kinds on an old broken notebook
        raise UnreadableNotebook(f"{name} is an old notebook format that cannot be converted ({error})") from None
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        raise UnreadableNotebook(f"{name} is not a notebook (no list of cells)")
    return notebook


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _grade_id(cell) -> str | None:
    meta = cell.get("metadata", {})
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    grade_id = nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None
    return grade_id if isinstance(grade_id, str) else None


def _top_level_names(source: str) -> set[str]:
    tree = _tree(source)
    if tree is None:
        return set()
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def answers_of(notebook, unit, release_ids: set[str]) -> dict[str, str]:
    """The student's answer code per exercise name: the exercise's solution cell (by ``grade_id``, or the cell
    defining the exercise's name when the notebook lost its nbgrader metadata), then every cell the student added
    after it; the release's other cells (examples, test cells) are left out."""
    by_cell = {exercise.cell: exercise.name for exercise in unit.exercises}
    by_name = {exercise.name: exercise.name for exercise in unit.exercises}
    found: dict[str, list[str]] = defaultdict(list)
    current = None
    for cell in notebook["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source, grade_id = _source(cell), _grade_id(cell)
        if grade_id in by_cell:
            current = by_cell[grade_id]
        elif grade_id in release_ids:
            continue  # the release's own cell: boilerplate
        else:
            named = [by_name[name] for name in _top_level_names(source) if name in by_name]
            if named:
                current = named[0]
            if current is None:
                continue
        found[current].append(source.strip("\n"))
    return {name: "\n\n".join(parts) for name, parts in found.items()}


@dataclass
class Release:
    """The released notebook of a unit: its cells' ids and every k-gram of its code (the boilerplate)."""

    ids: set[str]
    names: set[str]
    boilerplate: np.ndarray

    @classmethod
    def of(cls, path: str | Path | None) -> Release:
        if path is None:
            return cls(set(), set(), np.array([], dtype=np.int64))
        notebook = read_notebook(path)
        cells = [_source(cell) for cell in notebook["cells"]
                 if isinstance(cell, dict) and cell.get("cell_type") == "code"]
        names = set().union(*(defined_names(cell) for cell in cells)) if cells else set()
        grams = [all_kgrams(normalise(cell, names)) for cell in cells]
        ids = {grade_id for cell in notebook["cells"] if isinstance(cell, dict) and (grade_id := _grade_id(cell))}
        return cls(ids, names, np.unique(np.concatenate(grams)) if grams else np.array([], dtype=np.int64))


def release_notebook(unit, course: str | Path | None = None) -> Path | None:
    """The unit's released notebook, ``assignments/<unit>/<unit>.ipynb``, in ``course`` (default: the current
    folder, then the folder the kit is installed from), or None when there is none."""
    relative = Path("assignments") / unit.name / f"{unit.name}.ipynb"
    places = [Path(course)] if course is not None else [Path.cwd(), Path(__file__).resolve().parents[1]]
    return next((place / relative for place in places if (place / relative).is_file()), None)


def class_similarity(submissions, unit, course: str | Path | None = None,
                     threshold: float = DEFAULT_THRESHOLD) -> SimilarityReport:
    """The batch grader's similarity report of ``submissions`` (objects with ``student`` and ``path``): computed
    for :data:`MIN_CLASS` notebooks or more, against the unit's release (:func:`release_notebook`); otherwise a
    report without pairs whose ``note`` says why."""
    present = [(one.student, one.path) for one in submissions]
    notebooks = sum(1 for _, path in present if path is not None)
    if notebooks < MIN_CLASS:
        return SimilarityReport(unit.name, notebooks, threshold, [], {}, [one.name for one in unit.exercises],
                                note=f"Not computed: {notebooks} notebook{'s' if notebooks != 1 else ''}; "
                                     f"it takes {MIN_CLASS} or more.")
    release = release_notebook(unit, course)
    if release is None:
        return SimilarityReport(unit.name, notebooks, threshold, [], {}, [one.name for one in unit.exercises],
                                note=f"Not computed: no released notebook assignments/{unit.name}/{unit.name}.ipynb "
                                     "here, and without it the notebook's own code would count as the students'.")
    try:
        return compare_class(present, unit, release, threshold)
    except ImportError as error:  # copydetect is a course tool (extra `course`), not in the student wheel
        return SimilarityReport(unit.name, notebooks, threshold, [], {}, [one.name for one in unit.exercises],
                                note=f"Not computed: {error.name or 'copydetect'} is not installed here "
                                     "(pip install 'gluon-grader[course]').")
    except UnreadableNotebook as error:  # the release itself: the grades are still written, with this note
        return SimilarityReport(unit.name, notebooks, threshold, [], {}, [one.name for one in unit.exercises],
                                note=f"Not computed: the released notebook cannot be read: {error}.")


# --- scoring ---------------------------------------------------------------------------------------------------

def rarity_weights(counts: np.ndarray, students: int) -> np.ndarray:
    """Weight of a fingerprint found in ``counts`` submissions of a class of ``students``: 1 when only two have
    it, log-falling towards 0 when every student has it (an IDF, scaled so a pair's own code weighs 1)."""
    scale = math.log((students + 1) / 2)
    if scale <= 0:
        return np.ones_like(counts, dtype=float)
    return np.clip(np.log((students + 1) / np.maximum(counts, 1)) / scale, 0.0, 1.0)


@dataclass
class Region:
    """A matched stretch of one answer: its characters, lines (from 1) and in how many submissions its rarest
    fingerprint is found."""

    start: int
    end: int
    first_line: int
    last_line: int
    found_in: int


@dataclass
class PairExercise:
    """Two students' answers to one exercise: the score, the evidence behind it, and both answers."""

    exercise: str
    score: float
    shared: float
    counts: bool
    source_a: str = ""
    source_b: str = ""
    regions_a: list[Region] = field(default_factory=list)
    regions_b: list[Region] = field(default_factory=list)
    only_these_two: int = 0
    fingerprints: int = 0

    @property
    def matched_lines(self) -> str:
        """``A: 2-6, 9 | B: 3-7``: the lines of each answer inside a matched region."""
        return f"A: {line_ranges(self.regions_a)} | B: {line_ranges(self.regions_b)}"

    def line_count(self, side: str) -> int:
        regions = self.regions_a if side == "a" else self.regions_b
        return len({line for region in regions for line in range(region.first_line, region.last_line + 1)})


@dataclass
class Pair:
    """Two students, their whole-notebook score and every exercise where they share any code (each exercise's
    ``counts`` says whether that reaches :data:`MIN_SHARED`)."""

    a: str
    b: str
    score: float
    exercises: list[PairExercise]

    @property
    def top(self) -> float:
        """What ranks the pair: its highest score, notebook or exercise."""
        return max([self.score, *(one.score for one in self.exercises)])


@dataclass
class SimilarityReport:
    """The class's pairs at or over ``threshold``, ranked, and the submissions left out (with why)."""

    unit: str
    students: int
    threshold: float
    pairs: list[Pair]
    left_out: dict[str, str]
    exercises: list[str]
    #: Why there are no pairs, when the report was not computed (a class too small, no release to subtract).
    note: str = ""

    def rows(self) -> list[tuple[str, str, str, float, str]]:
        """The CSV's rows: per reported pair, its notebook row then each exercise at or over the threshold."""
        rows = []
        for pair in self.pairs:
            counting = [one for one in pair.exercises if one.counts]
            lines = "; ".join(f"{one.exercise} A: {one.line_count('a')} lines, B: {one.line_count('b')} lines"
                              for one in counting)
            rows.append((WHOLE_NOTEBOOK, pair.a, pair.b, round(pair.score, 3), lines))
            rows += [(one.exercise, pair.a, pair.b, round(one.score, 3), one.matched_lines)
                     for one in counting if one.score >= self.threshold]
        return rows


def line_ranges(regions: list[Region]) -> str:
    """``2-6, 9``: the lines covered by ``regions``, merged."""
    lines = sorted({line for region in regions for line in range(region.first_line, region.last_line + 1)})
    ranges: list[list[int]] = []
    for line in lines:
        if ranges and line == ranges[-1][1] + 1:
            ranges[-1][1] = line
        else:
            ranges.append([line, line])
    return ", ".join(f"{first}-{last}" if last > first else str(first) for first, last in ranges)


@dataclass
class _Answer:
    source: str
    normalised: Normalised
    fingerprints: Fingerprints


def compare_class(submissions: list[tuple[str, Path | None]], unit, release_path: str | Path | None,
                  threshold: float = DEFAULT_THRESHOLD) -> SimilarityReport:
    """The similarity report of ``submissions`` (``(student, notebook path)``; a None path is a missing notebook)
    for ``unit``, with the release at ``release_path`` as boilerplate."""
    release = Release.of(release_path)
    left_out: dict[str, str] = {}
    answers: dict[str, dict[str, _Answer]] = {}
    for student, path in submissions:
        if path is None:
            left_out[student] = "no notebook"
            continue
        try:
            found = answers_of(read_notebook(path), unit, release.ids)
        except UnreadableNotebook as error:
            left_out[student] = str(error)
            continue
        answers[student] = {}
        for exercise, source in found.items():
            normalised = normalise(source, release.names)
            answers[student][exercise] = _Answer(source, normalised, Fingerprints.of(normalised, release.boilerplate))
    students = sorted(answers)
    names = [exercise.name for exercise in unit.exercises]
    scored = {name: _score_exercise(name, students, answers) for name in names}
    pairs = _pairs(students, names, scored, answers, threshold)
    return SimilarityReport(unit.name, len(students), threshold, pairs, left_out, names)


@dataclass
class _Scored:
    """One exercise over the class: each pair's weighted shared fingerprints, the answers' sizes, the counts."""

    shared: np.ndarray
    sizes: np.ndarray
    found_in: dict[int, int]


def _score_exercise(name: str, students: list[str], answers: dict) -> _Scored:
    """The weighted shared fingerprints of every pair at once: a student x fingerprint matrix times its transpose,
    the fingerprints weighted by their rarity."""
    sets = [answers[student][name].fingerprints.hashes if name in answers[student] else set()
            for student in students]
    column: dict[int, int] = {}
    rows, cols = [], []
    for row, hashes in enumerate(sets):
        for value in hashes:
            rows.append(row)
            cols.append(column.setdefault(value, len(column)))
    matrix = np.zeros((len(students), len(column)), dtype=np.float32)
    matrix[rows, cols] = 1.0
    counts = matrix.sum(axis=0)
    weights = rarity_weights(counts, len(students)).astype(np.float32)
    shared = (matrix * weights) @ matrix.T
    found_in = {value: int(counts[index]) for value, index in column.items()}
    return _Scored(shared, matrix.sum(axis=1), found_in)


def _pairs(students: list[str], names: list[str], scored: dict[str, _Scored], answers: dict,
           threshold: float) -> list[Pair]:
    """Every pair whose notebook or exercise score reaches ``threshold``, with its evidence, highest first."""
    n = len(students)
    if n < 2:
        return []
    shared = np.stack([scored[name].shared for name in names])  # exercises x n x n
    sizes = np.stack([scored[name].sizes for name in names])  # exercises x n
    smaller = np.minimum(sizes[:, :, None], sizes[:, None, :])
    counts = shared >= MIN_SHARED
    exercise_scores = np.where(counts & (smaller > 0), shared / np.maximum(smaller, 1), 0.0)
    notebook_shared = np.where(counts, shared, 0.0).sum(axis=0)
    notebook_sizes = np.minimum(sizes.sum(axis=0)[:, None], sizes.sum(axis=0)[None, :])
    notebook_scores = notebook_shared / np.maximum(notebook_sizes, 1)
    top = np.maximum(notebook_scores, exercise_scores.max(axis=0))
    pairs = []
    for i, j in zip(*np.nonzero(np.triu(top >= threshold, k=1)), strict=True):
        exercises = [_evidence(name, students[i], students[j], answers, scored[name],
                               float(exercise_scores[e, i, j]), float(shared[e, i, j]), bool(counts[e, i, j]))
                     for e, name in enumerate(names) if shared[e, i, j] > 0]
        pairs.append(Pair(students[i], students[j], float(notebook_scores[i, j]), exercises))
    return sorted(pairs, key=lambda pair: (-pair.top, -pair.score, pair.a, pair.b))


def _evidence(name: str, a: str, b: str, answers: dict, scored: _Scored, score: float, shared: float,
              counts: bool) -> PairExercise:
    """The matched regions of both answers (copydetect's overlap slices), with how rare each is."""
    from copydetect.utils import find_fingerprint_overlap
    one, other = answers[a][name], answers[b][name]
    first, second = one.fingerprints, other.fingerprints
    where_a, where_b = find_fingerprint_overlap(first.hashes, second.hashes, first.positions, second.positions)
    common = first.hashes & second.hashes
    return PairExercise(
        name, score, shared, counts, one.source, other.source,
        _regions(one, where_a, scored.found_in), _regions(other, where_b, scored.found_in),
        only_these_two=sum(1 for value in common if scored.found_in.get(value, 0) <= 2), fingerprints=len(common))


def _regions(answer: _Answer, where: np.ndarray, found_in: dict[int, int]) -> list[Region]:
    """Copied slices of ``answer`` (token positions) as source regions with lines and rarity."""
    from copydetect.utils import get_copied_slices
    slices = get_copied_slices(where, K)
    rarest_at: dict[int, int] = {}
    for value, positions in answer.fingerprints.positions.items():
        for position in positions:
            rarest_at[position] = min(rarest_at.get(position, 10**9), found_in.get(value, 10**9))
    regions = []
    spans = answer.normalised.spans
    for start, end in zip(slices[0].tolist(), slices[1].tolist(), strict=True):
        begin, finish = spans[int(start)][0], spans[min(int(end), len(spans)) - 1][1]
        rarest = min((count for position, count in rarest_at.items() if start <= position < end), default=0)
        regions.append(Region(begin, finish, answer.source.count("\n", 0, begin) + 1,
                              answer.source.count("\n", 0, max(begin, finish - 1)) + 1, rarest))
    return regions
