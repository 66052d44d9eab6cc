"""similarity.csv: the pairs of the similarity report, for the course's academic-integrity records."""
from __future__ import annotations

import csv
import io

from ..similarity import SimilarityReport
from .grades_csv import defuse

COLUMNS = ["exercise", "student A", "student B", "score", "matched lines"]


def similarity_csv(report: SimilarityReport) -> str:
    """One row per reported pair for the whole notebook (its matched lines counted per exercise), then one per
    exercise of that pair at or over the threshold (the lines of each answer inside a matched region), ranked as
    the report ranks the pairs. Student ids are defused against spreadsheet formulas."""
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(COLUMNS)
    writer.writerows([defuse(exercise), defuse(a), defuse(b), f"{score:.3f}", lines]
                     for exercise, a, b, score, lines in report.rows())
    return stream.getvalue()
