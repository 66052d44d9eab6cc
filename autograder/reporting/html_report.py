"""report.html: the class at a glance, for the instructor; one self-contained file (plots embedded as PNG).

Every piece of text goes through ``html.escape``: student ids, notebook names and feedback are the students'.
The plots are drawn on a bare matplotlib ``Figure`` with the Agg canvas: pyplot's global state is not touched.
matplotlib and mistune come with the course's extra (``gluon-grader[course]``); where they are not installed (the
student kit's wheel in a student's CI) the report is written without plots and with each feedback as plain text.
"""
from __future__ import annotations

import base64
import importlib.util
import io
import statistics
from collections import Counter
from html import escape
from urllib.parse import quote

from ..results import NOT_GRADED_YET, SubmissionResult
from ..similarity import SimilarityReport
from .feedback import feedback_markdown
from .files import safe_folder_name
from .similarity_html import similarity_section
from .summary import by_student, check_order, first_line, results_of
from .table import points

_STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}td.n{text-align:right}
ul{margin:0;padding-left:1.2em}li.quiet{color:#777}section.feedback{border-top:2px solid #ccc;margin-top:2em}"""

#: What a student's notes say when their submission did not run as a notebook should, and the status shown for it
#: in the Students table (first match wins); otherwise the status is the grader's own (``graded``, ``error``).
STATUS_OF_NOTES = (("held for review", "held for review"), ("killed by", "crashed"), ("exit code", "crashed"),
                   ("stopped after", "stopped"), ("is empty", "empty"), ("is not a notebook", "not a notebook"))
#: Headlines of failed checks the student did not attempt (or that could not run): counted apart from the failures.
NOT_ATTEMPTED = ("not implemented yet", "is not defined in your notebook", "Not checked:",
                 "Your notebook could not be graded", "Held for review")


#: Said in place of the plots where matplotlib is not installed.
NO_PLOTS = "<p>(No plots: matplotlib is not installed here; <code>pip install 'gluon-grader[course]'</code>.)</p>"


def _png(figure) -> str:
    """``figure`` as an ``<img>`` with the PNG inline (base64)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode("ascii")}">'


def score_histogram(scores: list[float], max_score: float) -> str:
    """A histogram of the total scores, as an inline ``<img>``."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(6, 3), layout="constrained")
    axes = figure.add_subplot()
    axes.hist(scores, bins=20, range=(0, max_score or 1), color="#4c72b0")
    axes.set(xlabel="total score", ylabel="students", title="Total scores")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))  # students come in whole numbers
    return _png(figure)


def pass_rate_chart(rates: dict[str, float]) -> str:
    """A horizontal bar per check of the share of students who passed it, first check on top, as an ``<img>``."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 1 + 0.3 * len(rates)), layout="constrained")
    axes = figure.add_subplot()
    names = list(rates)[::-1]
    axes.barh(names, [100 * rates[name] for name in names], color="#55a868")
    axes.set(xlim=(0, 100), xlabel="% of graded students who passed", title="Pass rate per check")
    return _png(figure)


def _table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table; ``header`` is escaped here, the cells must already be HTML."""
    head = "".join(f"<th>{escape(name)}</th>" for name in header)
    body = "".join("<tr>" + "".join(cells) + "</tr>" for cells in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(text: str, numeric: bool = False) -> str:
    """A ``<td>`` holding ``text``, escaped."""
    return f'<td class="n">{escape(text)}</td>' if numeric else f"<td>{escape(text)}</td>"


def _summary(subs: list[SubmissionResult], graded: list[SubmissionResult]) -> str:
    """Counts and the mean, median, min and max total score of the graded submissions."""
    scores = [sub.score for sub in graded]
    facts = [("students", str(len(subs))), ("graded", str(len(graded))),
             ("could not grade", str(len(subs) - len(graded)))]
    if scores:
        facts += [("max score possible", points(max(sub.max_score for sub in graded))),
                  ("mean", f"{statistics.mean(scores):.2f}"), ("median", points(statistics.median(scores))),
                  ("min", points(min(scores))), ("max", points(max(scores)))]
    return _table(["", "value"], [[_cell(name), _cell(value, numeric=True)] for name, value in facts])


def inline_markdown(text: str) -> str:
    """One line of feedback as HTML: its `code spans` as ``<code>``, everything else escaped."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: shown as typed
        return escape(text)
    return "".join(f"<code>{escape(part)}</code>" if odd else escape(part) for odd, part in
                   ((index % 2 == 1, part) for index, part in enumerate(parts)))


def _headline(message: str) -> str:
    """A failure's headline: markdown rendered where it has code spans, else the message in ``<code>``."""
    if not message:
        return "<code>(no message)</code>"
    return inline_markdown(message) if "`" in message else f"<code>{escape(message)}</code>"


def not_attempted(result) -> bool:
    """Whether a failed check failed because the exercise was not attempted, or could not run at all."""
    return any(words in result.feedback for words in NOT_ATTEMPTED)


#: Students named under one failure in the Checks table; the rest are counted ("and 12 more").
STUDENTS_SHOWN = 20


def failure_groups(graded: list[SubmissionResult], check_id: str, top: int = 3) -> list[tuple[str, list]]:
    """The ``top`` most common headlines of the attempted failures of ``check_id``, most common first (ties in the
    order met), each with its ``(student, result)`` pairs by student id."""
    groups: dict[str, list] = {}
    for sub in by_student(graded):
        for r in sub.results:
            if r.check_id == check_id and not r.passed and not not_attempted(r):
                groups.setdefault(first_line(r.feedback), []).append((sub.student, r))
    return sorted(groups.items(), key=lambda group: -len(group[1]))[:top]


def _labelled(results: list, label: str) -> list[tuple[str, int]]:
    """The distinct ``label`` lines (``Found:``, ``Hint:``) of ``results``' feedback, most common first, counted."""
    lines = [next((line.strip() for line in r.feedback.splitlines() if line.strip().startswith(label)), "")
             for r in results]
    return Counter(line for line in lines if line).most_common(3)


def _failure_item(message: str, members: list) -> str:
    """One failure of the Checks table: how many, its headline, what was found (each distinct line, counted when
    several), its hint, and the students, each linked to their feedback below."""
    parts = [f"{len(members)}× {_headline(message)}"]
    results = [r for _, r in members]
    for label in ("Found:", "Hint:"):
        lines = _labelled(results, label)
        parts += [inline_markdown(line) + (f" ({count}×)" if len(lines) > 1 else "") for line, count in lines]
    names = [f'<a href="#{escape(feedback_anchor(student))}">{escape(student)}</a>'
             for student, _ in members[:STUDENTS_SHOWN]]
    more = f" and {len(members) - STUDENTS_SHOWN} more" if len(members) > STUDENTS_SHOWN else ""
    parts.append('<span class="students">students: ' + ", ".join(names) + more + "</span>")
    return "<li>" + "<br>".join(parts) + "</li>"


def _checks_table(graded: list[SubmissionResult], rates: dict[str, float]) -> str:
    """One row per check: pass rate, then its most common failures (headline, found, hint, students); the students
    who did not attempt it (or whose notebook could not run) are counted apart, after them."""
    rows = []
    for check_id, rate in rates.items():
        results = results_of(graded, check_id)
        items = "".join(_failure_item(message, members) for message, members in failure_groups(graded, check_id))
        skipped = sum(1 for r in results if not r.passed and not_attempted(r))
        if skipped:
            items += f'<li class="quiet">{skipped} not attempted or could not run</li>'
        rows.append([_cell(check_id), _cell(f"{100 * rate:.0f}%", numeric=True),
                     f"<td><ul>{items}</ul></td>" if items else "<td></td>"])
    return _table(["check", "passed", "most common failures"], rows)


def feedback_anchor(student: str) -> str:
    """The id of the student's feedback section in the report."""
    return "feedback-" + quote(safe_folder_name(student), safe="")


def _feedback_link(student: str) -> str:
    """A ``<td>`` linking to the student's feedback rendered in the report, and to their feedback.md beside it."""
    href = quote(safe_folder_name(student)) + "/feedback.md"
    return (f'<td><a href="{escape(href)}">feedback.md</a> · '
            f'<a href="#{escape(feedback_anchor(student))}">read it here</a></td>')


def student_status(sub: SubmissionResult) -> str:
    """What happened to the submission, in a word: from its notes (stopped, crashed, empty, held for review), else
    the grader's status."""
    notes = " ".join(sub.notes).lower()
    return next((status for words, status in STATUS_OF_NOTES if words in notes), sub.status)


def _score(sub: SubmissionResult) -> str:
    """The score cell: ``earned/max``, or "not graded yet, rerun" for a result that is not a grade."""
    if not sub.is_grade:
        return _cell(NOT_GRADED_YET)
    return _cell(f"{points(sub.score)}/{points(sub.max_score)}", numeric=True)


def _students_table(subs: list[SubmissionResult]) -> str:
    """One row per student: score, status, links to their feedback, and the notes that explain the status."""
    return _table(["student", "score", "status", "feedback", "notes"],
                  [[_cell(sub.student), _score(sub),
                    _cell(student_status(sub)), _feedback_link(sub.student),
                    "<td>" + "<br>".join(inline_markdown(note) for note in sub.notes) + "</td>"]
                   for sub in by_student(subs)])


def _feedback_sections(subs: list[SubmissionResult]) -> str:
    """Each student's feedback.md rendered as HTML (raw HTML in it escaped), one section each, linked from the
    Students table."""
    try:
        import mistune  # nbconvert's markdown renderer, installed with nbgrader (the course's extra)
    except ImportError:
        def render(text):
            return f"<pre>{escape(text)}</pre>"
    else:
        render = mistune.create_markdown(escape=True, plugins=["table"])
    return "".join(f'<section class="feedback" id="{escape(feedback_anchor(sub.student))}">'
                   f"{render(feedback_markdown(sub))}</section>" for sub in by_student(subs))


def _lines(notes: list[str]) -> str:
    """The notes, one per line."""
    return "\n".join(notes)


def _errors_section(errors: list[SubmissionResult]) -> str:
    """The submissions the grader could not grade, each with its notes."""
    if not errors:
        return ""
    items = "".join(f"<li>{escape(sub.student)}<pre>{escape(_lines(sub.notes))}</pre></li>"
                    for sub in by_student(errors))
    return (f"<h2>Could not grade</h2><p>{escape(NOT_GRADED_YET.capitalize())}: the grader failed on these, not the "
            f"students; run the same command again to grade them.</p><ul>{items}</ul>")


def pass_rates(graded: list[SubmissionResult]) -> dict[str, float]:
    """Each check id, in course order, with the share of the submissions having it that passed it."""
    rates = {}
    for check_id in check_order(graded):
        results = results_of(graded, check_id)
        rates[check_id] = sum(r.passed for r in results) / len(results)
    return rates


#: The report's title when the class is not one unit's (the batch names the unit: "<unit title>: class report").
CLASS_REPORT = "Class report"


def class_report_html(subs: list[SubmissionResult], title: str = CLASS_REPORT,
                      similarity: SimilarityReport | None = None) -> str:
    """The class report as one self-contained HTML page: summary, students (status, notes, links to their
    feedback), score histogram, pass rate per check, checks with their most common failures, those that could not
    be graded, similar answers (with a ``similarity`` report), and every student's feedback rendered."""
    graded = [sub for sub in subs if sub.is_grade]
    rates = pass_rates(graded)
    plots = ""
    if graded and importlib.util.find_spec("matplotlib") is None:
        plots = NO_PLOTS
    elif graded:
        plots = score_histogram([sub.score for sub in graded], max(sub.max_score for sub in graded))
        plots += pass_rate_chart(rates) if rates else ""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>", f"<h1>{escape(title)}</h1>",
        "<h2>Summary</h2>", _summary(subs, graded),
        "<h2>Students</h2>", _students_table(subs), plots,
        "<h2>Checks</h2>", _checks_table(graded, rates),
        _errors_section([sub for sub in subs if not sub.is_grade]),
        similarity_section(similarity) if similarity is not None else "",
        "<h2>Feedback</h2>", _feedback_sections(subs),
        "</body></html>", ""])
