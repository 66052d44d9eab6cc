"""The batch grader's output folder.

Layout of ``OUT``::

    OUT/grades.csv            one row per student          (grades_csv.py)
    OUT/junit.xml             one suite per student         (junit.py)
    OUT/report.html           the class at a glance         (html_report.py)
    OUT/similarity.csv        pairs of similar answers      (similarity_csv.py; unless --no-similarity)
    OUT/<folder>/feedback.md  what the student reads        (feedback.py)
    OUT/<folder>/results.json Gradescope's format, plus the whole SubmissionResult in ``extra_data``

``<folder>`` is ``safe_folder_name(student)``: the student id with path separators, control characters and a
leading dot replaced by ``_``, so no id can write outside ``OUT``. Every file is written atomically, and a
student's results.json is written last: its presence means that student is done.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..results import SubmissionResult
from ..similarity import SimilarityReport
from .feedback import feedback_markdown
from .files import safe_folder_name, write_text
from .grades_csv import grades_csv
from .gradescope import results_json, write_json
from .html_report import CLASS_REPORT, class_report_html
from .junit import junit_xml
from .similarity_csv import similarity_csv

#: Key of the SubmissionResult inside results.json's ``extra_data``.
EXTRA_KEY = "gluon_grader"


def report_title(unit) -> str:
    """The class report's title: the unit's own title (every unit's report says which unit it is)."""
    return f"{unit.title} ({unit.name}): class report" if unit is not None else CLASS_REPORT


def write_outputs(out_dir: str | os.PathLike, subs: list[SubmissionResult], unit=None,
                  similarity: SimilarityReport | None = None) -> dict[str, Path]:
    """Write the class's grades.csv, junit.xml and report.html (titled after ``unit``, when the class is one unit's)
    into ``out_dir``; return their paths by name.

    With a ``similarity`` report, also similarity.csv, and report.html gets its section."""
    writers = {"grades.csv": grades_csv, "junit.xml": junit_xml,
               "report.html": lambda subs: class_report_html(subs, report_title(unit), similarity=similarity)}
    if similarity is not None:
        writers["similarity.csv"] = lambda _: similarity_csv(similarity)
    paths = {}
    for name, render in writers.items():
        paths[name] = Path(out_dir) / name
        write_text(paths[name], render(subs))
    return paths


def student_dir(out_dir: str | os.PathLike, student: str) -> Path:
    """The folder of ``student``'s files: ``out_dir/safe_folder_name(student)``."""
    return Path(out_dir) / safe_folder_name(student)


def write_student(out_dir: str | os.PathLike, sub: SubmissionResult) -> Path:
    """Write ``sub``'s feedback.md, then its results.json (Gradescope's, with ``sub`` in ``extra_data``) last.

    Returns the student's folder.
    """
    folder = student_dir(out_dir, sub.student)
    write_text(folder / "feedback.md", feedback_markdown(sub))
    data = results_json(sub.results, sandbox_warning(sub) + sub.notes)
    data["extra_data"] = {EXTRA_KEY: sub.to_dict()}
    write_json(folder / "results.json", data)
    return folder


def sandbox_warning(sub: SubmissionResult) -> list[str]:
    """A loud first line of output when the student's code did not run under bubblewrap."""
    if sub.sandbox.startswith("bubblewrap"):
        return []
    return [f"WARNING: this submission was graded without the bubblewrap sandbox: {sub.sandbox or 'not recorded'}"]


def read_student(out_dir: str | os.PathLike, student: str) -> SubmissionResult | None:
    """``student``'s SubmissionResult as :func:`write_student` stored it, or None if it is missing, unreadable,
    corrupt, or belongs to another id sharing the folder."""
    try:
        data = json.loads((student_dir(out_dir, student) / "results.json").read_text(encoding="utf-8"))
        sub = SubmissionResult.from_dict(data["extra_data"][EXTRA_KEY])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return sub if sub.student == student else None
