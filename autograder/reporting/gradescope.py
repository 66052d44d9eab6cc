"""Gradescope's ``results.json``: top-level score and max_score, one test per check."""
from __future__ import annotations

import json
import os

from ..results import CheckResult
from .files import write_text
from .table import totals


def results_json(results: list[CheckResult], notes: list[str] = (), name_prefix: str = "") -> dict:
    """The results in Gradescope's format; ``notes`` (e.g. cells that failed to run) go in the top-level output."""
    score, maximum = totals(results)
    return {
        "score": score,
        "max_score": maximum,
        "output": "\n".join(notes),
        "tests": [
            {"name": f"{name_prefix}{r.check_id}: {r.title}", "score": r.score, "max_score": r.max_score,
             "output": r.feedback, "status": r.status}
            for r in results
        ],
    }


def write_json(path: str | os.PathLike, data: dict) -> None:
    """Write ``data`` as JSON atomically: readers see the old file or the whole new one, never a half."""
    write_text(path, json.dumps(data, indent=2) + "\n")
