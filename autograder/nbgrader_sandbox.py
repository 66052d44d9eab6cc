"""The old path of :mod:`autograder.nbgrader.execute`:
the course's Execute step (course configs name it by this path).
"""
from .nbgrader.execute import SandboxedExecute, _pools  # noqa: F401  (re-exported under the old path)
