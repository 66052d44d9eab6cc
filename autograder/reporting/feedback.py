"""feedback.md: what one student reads about their submission.

Everything the student controls (their id, the notebook's name, load notes, feedback that quotes their error
messages) goes in a code span or a fenced code block whose fence is longer than any backtick run inside, so it is
shown as typed and cannot open markdown or HTML of its own. Check titles and exercise names are the kit's own.
"""
from __future__ import annotations

import re

from ..results import SubmissionResult
from .table import by_exercise, exercise_rows, points

_BACKTICK_RUN = re.compile(r"`+")
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f]")


def _longest_backtick_run(text: str) -> int:
    """The length of the longest run of backticks in ``text`` (0 if none)."""
    return max((len(run) for run in _BACKTICK_RUN.findall(text)), default=0)


def fenced(text: str) -> str:
    """``text`` as a fenced code block that no line of ``text`` can close."""
    fence = "`" * max(3, _longest_backtick_run(text) + 1)
    body = text.rstrip("\n")
    return f"{fence}text\n{body}\n{fence}"


def code_span(text: str) -> str:
    """``text`` on one line as an inline code span that no backtick inside can close."""
    text = _LINE_BREAKS.sub(" ", text)
    delimiter = "`" * (_longest_backtick_run(text) + 1)
    return f"{delimiter} {text} {delimiter}"


def _warnings(sub: SubmissionResult) -> list[str]:
    """Blockquoted notes about how the submission was graded: an error, or no bubblewrap sandbox."""
    warnings = []
    if sub.status == "error":
        warnings.append("> **The grader could not grade this notebook.** The notes below say why; "
                        "please tell your instructor.")
    if not sub.sandbox.startswith("bubblewrap"):
        warnings.append(f"> **Note:** your code ran without the bubblewrap sandbox "
                        f"({code_span(sub.sandbox or 'not recorded')}).")
    return warnings


def _exercise_table(sub: SubmissionResult) -> list[str]:
    """The per-exercise markdown table, the total in bold last."""
    lines = ["| exercise | checks passed | points |", "| --- | ---: | ---: |"]
    rows = exercise_rows(sub.results)
    lines += [f"| {name} | {passed} | {earned} |" for name, passed, earned in rows[:-1]]
    lines.append("| **total** | **{}** | **{}** |".format(*rows[-1][1:]))
    return lines


def _failed_checks(sub: SubmissionResult) -> list[str]:
    """One section per failed check: title, points lost, the feedback as typed."""
    lines = []
    for r in (r for r in sub.results if not r.passed):
        lost = f"lost {points(r.max_score - r.score)} of {points(r.max_score)} points"
        lines += ["", f"### {r.check_id}: {r.title} ({lost})", "", fenced(r.feedback or "(no feedback)")]
    return lines


def _passed_checks(sub: SubmissionResult) -> list[str]:
    """One bullet per passed check, grouped by exercise order."""
    return [f"- {r.check_id}: {r.title} ({points(r.score)}/{points(r.max_score)})"
            for group in by_exercise(sub.results).values() for r in group if r.passed]


def feedback_markdown(sub: SubmissionResult) -> str:
    """The student's feedback.md: total score, warnings, load notes, per-exercise table, failed then passed checks."""
    lines = [f"# Feedback for {code_span(sub.student)}: {points(sub.score)}/{points(sub.max_score)} points", "",
             f"Notebook: {code_span(sub.notebook)}"]
    warnings = _warnings(sub)
    if warnings:
        lines += ["", *"\n>\n".join(warnings).splitlines()]
    if sub.notes:
        lines += ["", "## Notes", "",
                  "What the grader noticed while running your notebook (cells that failed, names it does not define, "
                  "the array mode of the checks, or why it could not be graded):", "",
                  fenced("\n".join(sub.notes))]
    if sub.results:
        lines += ["", "## Score by exercise", "", *_exercise_table(sub)]
    failed = _failed_checks(sub)
    if failed:
        lines += ["", "## What to fix", *failed]
    passed = _passed_checks(sub)
    if passed:
        lines += ["", "## Passed", "", *passed]
    return "\n".join(lines) + "\n"
