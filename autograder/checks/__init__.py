"""What every unit's checks are made of: the check decorator, failures with feedback, Hypothesis as grading runs
it, and the judge's NumPy model of dense nets. The checks themselves live in each unit (``autograder/units/``).
"""
from .base import Check, CheckFailed, Unanswered, check

__all__ = ["Check", "CheckFailed", "Unanswered", "check"]
