"""The old path of :mod:`autograder.nbgrader.feedback`:
feedback without hidden tests (course configs name it by this path).
"""
from .nbgrader.feedback import HideHiddenTests  # noqa: F401  (re-exported under the old path)
