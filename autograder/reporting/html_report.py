"""report.html: the class at a glance, for the instructor; one self-contained file (plots embedded as PNG).

Every piece of text goes through ``html.escape``: student ids, notebook names and feedback are the students'.
The plots are drawn on a bare matplotlib ``Figure`` with the Agg canvas: pyplot's global state is not touched.
"""
from __future__ import annotations

import base64
import io
import statistics
from html import escape
from urllib.parse import quote

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..results import NOT_GRADED_YET, SubmissionResult
from .files import safe_folder_name
from .summary import by_student, check_order, common_failures, results_of
from .table import points

_STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}td.n{text-align:right}
ul{margin:0;padding-left:1.2em}"""


def _png(figure: Figure) -> str:
    """``figure`` as an ``<img>`` with the PNG inline (base64)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return f'<img alt="" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode("ascii")}">'


def score_histogram(scores: list[float], max_score: float) -> str:
    """A histogram of the total scores, as an inline ``<img>``."""
    figure = Figure(figsize=(6, 3), layout="constrained")
    axes = figure.add_subplot()
    axes.hist(scores, bins=20, range=(0, max_score or 1), color="#4c72b0")
    axes.set(xlabel="total score", ylabel="students", title="Total scores")
    return _png(figure)


def pass_rate_chart(rates: dict[str, float]) -> str:
    """A horizontal bar per check of the share of students who passed it, first check on top, as an ``<img>``."""
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


def _checks_table(graded: list[SubmissionResult], rates: dict[str, float]) -> str:
    """One row per check: pass rate, then its most common failure headlines with their counts."""
    rows = []
    for check_id, rate in rates.items():
        failures = common_failures(results_of(graded, check_id))
        items = "".join(f"<li>{count}× <code>{escape(message or '(no message)')}</code></li>"
                        for message, count in failures)
        rows.append([_cell(check_id), _cell(f"{100 * rate:.0f}%", numeric=True),
                     f"<td><ul>{items}</ul></td>" if items else "<td></td>"])
    return _table(["check", "passed", "most common failures"], rows)


def _feedback_link(student: str) -> str:
    """A ``<td>`` linking to the student's feedback.md beside the report."""
    href = quote(safe_folder_name(student)) + "/feedback.md"
    return f'<td><a href="{escape(href)}">feedback.md</a></td>'


def _score(sub: SubmissionResult) -> str:
    """The score cell: ``earned/max``, or "not graded yet, rerun" for a result that is not a grade."""
    if not sub.is_grade:
        return _cell(NOT_GRADED_YET)
    return _cell(f"{points(sub.score)}/{points(sub.max_score)}", numeric=True)


def _students_table(subs: list[SubmissionResult]) -> str:
    """One row per student: score, status, link to their feedback."""
    return _table(["student", "score", "status", "feedback"],
                  [[_cell(sub.student), _score(sub), _cell(sub.status), _feedback_link(sub.student)]
                   for sub in by_student(subs)])


def _lines(notes: list[str]) -> str:
    """The notes, one per line."""
    return "\n".join(notes)


def _errors_section(errors: list[SubmissionResult]) -> str:
    """The submissions the grader could not grade, each with its notes."""
    if not errors:
        return ""
    items = "".join(f"<li>{escape(sub.student)}<pre>{escape(_lines(sub.notes))}</pre></li>" for sub in by_student(errors))
    return (f"<h2>Could not grade</h2><p>{escape(NOT_GRADED_YET.capitalize())}: the grader failed on these, not the "
            f"students; run the same command again to grade them.</p><ul>{items}</ul>")


def pass_rates(graded: list[SubmissionResult]) -> dict[str, float]:
    """Each check id, in course order, with the share of the submissions having it that passed it."""
    rates = {}
    for check_id in check_order(graded):
        results = results_of(graded, check_id)
        rates[check_id] = sum(r.passed for r in results) / len(results)
    return rates


def class_report_html(subs: list[SubmissionResult], title: str = "Gluon plumbing: class report") -> str:
    """The class report as one self-contained HTML page: summary, score histogram, pass rate per check, checks
    with their most common failures, students with links to their feedback, and those that could not be graded."""
    graded = [sub for sub in subs if sub.is_grade]
    rates = pass_rates(graded)
    plots = ""
    if graded:
        plots = score_histogram([sub.score for sub in graded], max(sub.max_score for sub in graded))
        plots += pass_rate_chart(rates) if rates else ""
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">', f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>", f"<h1>{escape(title)}</h1>",
        "<h2>Summary</h2>", _summary(subs, graded), plots,
        "<h2>Checks</h2>", _checks_table(graded, rates),
        "<h2>Students</h2>", _students_table(subs),
        _errors_section([sub for sub in subs if not sub.is_grade]),
        "</body></html>", ""])
