"""The score table printed at the end of a run: one row per exercise, then the total."""
from __future__ import annotations

from ..results import CheckResult


def totals(results: list[CheckResult]) -> tuple[float, float]:
    """(score, max_score) over ``results``."""
    return sum(r.score for r in results), sum(r.max_score for r in results)


def by_exercise(results: list[CheckResult]) -> dict[str, list[CheckResult]]:
    """Results grouped by exercise, in the order they first appear."""
    groups: dict[str, list[CheckResult]] = {}
    for result in results:
        groups.setdefault(result.exercise, []).append(result)
    return groups


def points(value: float) -> str:
    """Points without a useless .0."""
    return f"{value:g}"


def summary_row(name: str, results: list[CheckResult]) -> tuple[str, str, str]:
    """(name, "checks passed/checks", "points/max points") for ``results``."""
    score, maximum = totals(results)
    return name, f"{sum(r.passed for r in results)}/{len(results)}", f"{points(score)}/{points(maximum)}"


def exercise_rows(results: list[CheckResult]) -> list[tuple[str, str, str]]:
    """One :func:`summary_row` per exercise, in order, then the ``total`` row."""
    rows = [summary_row(exercise, group) for exercise, group in by_exercise(results).items()]
    return [*rows, summary_row("total", results)]


def score_table(results: list[CheckResult], title: str, notes: list[str] = ()) -> str:
    """A plain-text table: exercise, checks passed, points; the total last; load notes below."""
    rows = exercise_rows(results)
    width = max([len("exercise")] + [len(row[0]) for row in rows])
    lines = [title, f"{'exercise':<{width}}  {'checks':>7}  {'points':>7}"]
    for index, (exercise, passed, earned) in enumerate(rows):
        if index == len(rows) - 1:
            lines.append("-" * (width + 18))
        lines.append(f"{exercise:<{width}}  {passed:>7}  {earned:>7}")
    lines += [f"note: {note}" for note in notes]
    return "\n".join(lines)
