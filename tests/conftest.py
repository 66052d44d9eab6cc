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


@pytest.fixture(autouse=True)
def feedback_is_clean():
    """Suite-wide guard: no feedback graded during a test says "could not check", names a sandbox path, or
    shows a traceback (every notebook graded through tests/notebooks.py is scanned after its test)."""
    from notebooks import FEEDBACK_SEEN, forbidden_in

    seen = len(FEEDBACK_SEEN)
    yield
    dirty = [(forbidden_in(text), text) for text in FEEDBACK_SEEN[seen:] if forbidden_in(text)]
    assert not dirty, f"feedback a student would read contains {dirty[0][0]}:\n{dirty[0][1]}"
