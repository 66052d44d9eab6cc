"""The outcome of one check, as every reporter sees it."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class CheckResult:
    """One graded check: ``status`` is ``passed`` or ``failed``; ``feedback`` is what the student reads."""

    check_id: str
    exercise: str
    title: str
    score: float
    max_score: float
    status: str
    feedback: str = ""

    @property
    def passed(self) -> bool:
        """Whether the check earned its points."""
        return self.status == "passed"

    def to_dict(self) -> dict:
        """Plain data, e.g. for JSON."""
        return asdict(self)
