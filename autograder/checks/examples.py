"""Hypothesis as the grader runs it: the same examples for every submission, nothing stored between runs."""
from __future__ import annotations

from hypothesis import HealthCheck, Phase, Verbosity, given, settings

#: Fixed seed (derandomize), no example database, no deadline, quiet: every submission meets the same examples.
GRADING = settings(
    max_examples=10,
    derandomize=True,
    database=None,
    deadline=None,
    verbosity=Verbosity.quiet,
    report_multiple_bugs=False,
    print_blob=False,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)


def for_all(**strategies):
    """Run the decorated judgement for every drawn example; the shrunk failure propagates with its feedback.

    ``judge(subject, **example)`` raises :class:`~autograder.checks.base.CheckFailed` naming the example it
    failed on; the decorated check takes only ``subject``.
    """

    def decorate(judge):
        def run(subject):
            def example(**drawn):
                judge(subject, **drawn)

            example.__name__ = example.__qualname__ = judge.__name__
            GRADING(given(**strategies)(example))()

        run.__name__, run.__module__ = judge.__name__, judge.__module__
        return run

    return decorate
