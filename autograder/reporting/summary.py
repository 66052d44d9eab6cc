"""Facts about a class of submissions that several reporters need."""
from __future__ import annotations

from collections import Counter

from ..results import CheckResult, SubmissionResult


def by_student(subs: list[SubmissionResult]) -> list[SubmissionResult]:
    """The submissions sorted by student id."""
    return sorted(subs, key=lambda sub: sub.student)


def check_order(subs: list[SubmissionResult]) -> list[str]:
    """Every check id, in the course's order: the order in which the ids first appear."""
    return list(dict.fromkeys(r.check_id for sub in subs for r in sub.results))


def results_of(subs: list[SubmissionResult], check_id: str) -> list[CheckResult]:
    """That check's result in every submission that has it."""
    return [r for sub in subs for r in sub.results if r.check_id == check_id]


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped ("" if there is none): a feedback's headline."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def common_failures(results: list[CheckResult], top: int = 3) -> list[tuple[str, int]]:
    """The ``top`` most common headlines of the failed ``results``, with how many had each, most common first."""
    return Counter(first_line(r.feedback) for r in results if not r.passed).most_common(top)
