"""The graded checks of the plumbing unit: one test per check, worth its points."""
import pytest

from autograder.checks import REGISTRY

CHECKS = [pytest.param(check, marks=pytest.mark.points(check.points), id=check.id)
          for check in REGISTRY if not check.hidden]


@pytest.mark.parametrize("check", CHECKS)
def test_check(grade_check, check):
    grade_check(check)
