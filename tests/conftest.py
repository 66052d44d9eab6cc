"""Fixtures shared by the kit's tests: where MNIST is, and the reference notebook graded once per session."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def mnist_dir() -> str:
    """``GLUON_GRADER_MNIST``: as set by the caller, or else the shared MNIST beside the repo (as the Makefile does)."""
    return os.environ.setdefault("GLUON_GRADER_MNIST", str(ROOT.parent / "shared" / "data" / "mnist"))


@pytest.fixture(scope="session")
def reference_results(mnist_dir) -> dict:
    """``{check_id: CheckResult}`` for the reference notebook, graded once for the whole session."""
    from notebooks import REFERENCE, grade_notebook

    return grade_notebook(REFERENCE)
