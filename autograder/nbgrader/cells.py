"""The autograder inside an nbgrader test cell: ``check("build_mlp.deferred_shapes")`` grades the notebook's names.

A passing check prints one line and writes nothing to stderr (nbgrader gives 0 to a cell with stderr output);
a failing one raises ``AssertionError`` carrying only the feedback, which is what nbgrader shows the student.
"""
from __future__ import annotations

import io
import shutil
import sys
import tempfile
import warnings
from contextlib import redirect_stderr


def check(*check_ids: str, namespace: dict | None = None) -> None:
    """Run the checks ``check_ids`` against ``namespace`` (default: the calling cell's globals)."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        from ..units import find_check  # imports mxnet: keep its warnings off stderr too

        checks = [find_check(check_id) for check_id in check_ids]
    run_in_cell(checks, namespace)


def run_in_cell(checks, namespace: dict, *, label=None) -> None:
    """Grade ``checks`` against ``namespace``: print one line per passed check, raise with the feedback of the rest.

    ``label(check)`` is what the printed line calls a check (default: its title); hidden checks pass a label
    that does not give them away.
    """
    label = label or (lambda one: one.title)
    failures = []
    if not checks:
        return
    with warnings.catch_warnings(), redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        from ..pipeline import judged  # Hypothesis's folder is a temporary one there, not the student's folder
        from ..subject.local import LocalSubject
        from ..subject.notebook import LoadReport
        from ..units import unit_of_check

        scratch = tempfile.mkdtemp(prefix="gluon-grader-cell-")
        try:
            subject = LocalSubject(namespace, LoadReport(notebook="this notebook"), unit_of_check(checks[0]),
                                   scratch=scratch)
            results = list(zip(checks, judged(subject, checks).results, strict=True))
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    for one, result in results:
        if result.passed:
            print(f"passed: {label(one)} ({result.score:g}/{result.max_score:g})")
        else:
            failures.append(result.feedback.strip() or f"{label(one)} failed")
    if failures:
        raise AssertionError("\n".join(failures))
