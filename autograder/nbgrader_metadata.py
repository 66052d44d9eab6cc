"""The old path of :mod:`autograder.nbgrader.metadata`:
the metadata check (course configs name it by this path).
"""
from .nbgrader.metadata import CheckCellMetadataOnce, MetadataValidatorOnce  # noqa: F401  (re-exported under the old path)
