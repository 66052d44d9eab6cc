"""grades.csv: one row per student, one column per check, for the instructor's spreadsheet."""
from __future__ import annotations

import csv
import io
import re

from ..results import NOT_GRADED_YET, SubmissionResult
from .summary import by_student, check_order
from .table import points

#: Leading characters that make a spreadsheet read a cell as a formula (tab and CR too: some apps strip them).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: A cell that starts with ``-`` or ``+`` and holds nothing but letters, digits, ``_``, ``.`` and ``-`` after it:
#: a student id such as ``-dash`` or ``+42``. A spreadsheet may read it as a number or a name, but it can call no
#: function (no ``(``), run nothing (no ``|`` as in DDE's ``cmd|...``) and reach no other sheet (no ``!``).
_PLAIN_SIGNED = re.compile(r"[-+][\w.-]*")
COLUMNS = ["student", "notebook", "status", "score", "max_score"]


def defuse(text: str) -> str:
    """``text`` with a leading ``'`` if a spreadsheet could otherwise run it as a formula (CSV injection).

    Student ids are what a gradebook import matches rows on, so an id is kept exactly as written unless it could
    be a formula that does something: ``=``, ``@``, a tab or CR first always get the ``'``; ``-`` or ``+`` first
    only when more than a plain word follows (``-dash`` stays, ``-2+3`` and ``-cmd|' /C calc'!A0`` do not).
    """
    if not text.startswith(_FORMULA_STARTS) or _PLAIN_SIGNED.fullmatch(text):
        return text
    return "'" + text


def _row(sub: SubmissionResult, check_ids: list[str]) -> list[str]:
    """The student's row: who, status, totals, then each check's score ("" for a check they have no result for).

    A result that is not a grade (status ``error``: the grader failed) says "not graded yet, rerun" in place of
    its score and leaves every check empty, so no sum or mean in a spreadsheet counts it as a 0.
    """
    if not sub.is_grade:
        return ([defuse(sub.student), defuse(sub.notebook), defuse(sub.status), NOT_GRADED_YET,
                 points(sub.max_score)] + [""] * len(check_ids))
    scores = {r.check_id: points(r.score) for r in sub.results}
    return ([defuse(sub.student), defuse(sub.notebook), defuse(sub.status), points(sub.score), points(sub.max_score)]
            + [scores.get(check_id, "") for check_id in check_ids])


def grades_csv(subs: list[SubmissionResult]) -> str:
    """The class's grades as CSV: columns student, notebook, status, score, max_score, then each check id in the
    course's order; one row per student, sorted by student id."""
    check_ids = check_order(subs)
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(COLUMNS + [defuse(check_id) for check_id in check_ids])
    writer.writerows(_row(sub, check_ids) for sub in by_student(subs))
    return stream.getvalue()
