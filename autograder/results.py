"""The outcome of one check, as every reporter sees it."""
from __future__ import annotations

from dataclasses import asdict, dataclass

#: ``status`` of a submission the kit graded (whatever its score): the only results that count as grades.
GRADED = "graded"
#: ``status`` of a submission the grader could not grade (its own fault): not a grade; rerun the batch.
ERROR = "error"
#: ``status`` a judge reports when the sandbox ended under the submission; the batch grades it again and never
#: writes it (see ``autograder/batch/grade.py``).
LOST = "lost"
#: What the class reports show instead of a score for a result that is not a grade.
NOT_GRADED_YET = "not graded yet, rerun"


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
    #: How long the check took (its probes and judgement), in seconds; 0 for a check that did not run.
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        """Whether the check earned its points."""
        return self.status == "passed"

    def to_dict(self) -> dict:
        """Plain data, e.g. for JSON."""
        return asdict(self)


@dataclass
class SubmissionResult:
    """Everything the batch grader knows about one student's submission, as every batch reporter sees it.

    ``status`` is ``graded`` when the kit could grade it (whatever the score; a broken notebook is graded 0 with
    the reason in ``notes``) and ``error`` when the grader itself failed (``notes`` says why): an ``error`` result
    is not the student's grade, whatever its score, and the reports say "not graded yet, rerun". ``sandbox`` says
    how the student's code was isolated, e.g. ``bubblewrap`` or ``plain processes (bubblewrap not found)``.
    """

    student: str
    notebook: str
    results: list[CheckResult]
    notes: list[str]
    status: str = "graded"
    sandbox: str = ""
    seconds: float = 0.0
    sha256: str = ""

    @property
    def is_grade(self) -> bool:
        """Whether this result is the student's grade (``graded``), not a fault of the grader to rerun."""
        return self.status == GRADED

    @property
    def score(self) -> float:
        """Points earned over all checks."""
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        """Points available over all checks."""
        return sum(r.max_score for r in self.results)

    def to_dict(self) -> dict:
        """Plain data, e.g. for the ``extra_data`` of results.json."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SubmissionResult:
        """Inverse of :meth:`to_dict`."""
        fields = dict(data)
        fields["results"] = [CheckResult(**r) for r in fields["results"]]
        return cls(**fields)
