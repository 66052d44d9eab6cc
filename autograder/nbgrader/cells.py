"""The autograder inside an nbgrader test cell: ``check("build_mlp.deferred_shapes")`` grades the notebook's names.

A passing check prints one line and writes nothing to stderr (nbgrader gives 0 to a cell with stderr output);
a failing one raises :class:`CheckNotPassed` (an ``AssertionError``) carrying only the feedback, which is what
nbgrader shows the student. In Jupyter the student reads that feedback under the cell: IPython shows what an
exception's ``_render_traceback_`` gives instead of a traceback, so the kit's own frames never appear there. The
grader's own trouble (no MNIST files here) is said as the grader's, once per kernel in full, never as a fault of the
student's code; a test cell run before its exercise's cell says to run that cell first.
"""
from __future__ import annotations

import contextlib
import io
import shutil
import sys
import tempfile
import warnings


class CheckNotPassed(AssertionError):
    """A test cell's checks did not all pass; the message is the feedback (expected, found, hint)."""

    def _render_traceback_(self) -> list[str]:
        """What Jupyter shows under the cell (IPython calls this in place of formatting a traceback)."""
        return str(self).splitlines()


class GraderNotReady(RuntimeError):
    """The grader cannot check anything in this kernel (its own trouble, not the student's code)."""

    def _render_traceback_(self) -> list[str]:
        """Shown under the cell as the message alone, like :class:`CheckNotPassed`."""
        return str(self).splitlines()


#: The grader problems this kernel has been told of in full already: later test cells say them in one line.
_told: set[str] = set()
#: What this kernel found once (MNIST's folder, checked against its SHA-1s), so later cells do not look again.
_found: dict[str, str] = {}


def check(*check_ids: str, namespace: dict | None = None) -> None:
    """Run the checks ``check_ids`` against ``namespace`` (default: the calling cell's globals)."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
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
    if not checks:
        return
    mnist_dir = mnist_here()
    # A test cell run before its exercise's cell: the one thing to say, instead of feedback about a missing name.
    failures = [not_run_yet(one.exercise) for one in checks if one.exercise not in namespace]
    checks = [one for one in checks if one.exercise in namespace]
    with warnings.catch_warnings(), contextlib.redirect_stderr(io.StringIO()):
        warnings.simplefilter("ignore")
        from ..pipeline import judged  # Hypothesis's folder is a temporary one there, not the student's folder
        from ..subject.local import LocalSubject
        from ..subject.notebook import LoadReport
        from ..units import unit_of_check

        scratch = tempfile.mkdtemp(prefix="gluon-grader-cell-")
        try:
            subject = LocalSubject(namespace, LoadReport(notebook="this notebook"), unit_of_check(checks[0]),
                                   scratch=scratch, mnist_dir=mnist_dir) if checks else None
            results = list(zip(checks, judged(subject, checks).results, strict=True)) if checks else []
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    for one, result in results:
        if result.passed:
            print(f"passed: {label(one)} ({result.score:g}/{result.max_score:g})")
        else:
            failures.append(result.feedback.strip() or f"{label(one)} failed")
    if failures:
        raise CheckNotPassed("\n".join(failures))


def not_run_yet(name: str) -> str:
    """What a test cell says when the exercise it checks has not been defined in this kernel yet."""
    return (f"`{name}` is not defined yet in this notebook: run the cell where you write `{name}` (and the cells "
            "above it), then run this test cell again.")


def mnist_here() -> str:
    """The MNIST folder the checks read, or :class:`GraderNotReady` saying what to set (in full once per kernel)."""
    from .. import mnist

    if "mnist_dir" in _found:
        return _found["mnist_dir"]
    try:
        # MXNet says "Downloading ..." on stdout while it tries; once told, the kernel does not try again.
        with contextlib.redirect_stdout(io.StringIO()):
            _found["mnist_dir"] = str(mnist.find_split("test", download="mnist" not in _told)[0].parent)
        return _found["mnist_dir"]
    except mnist.MnistNotFound as error:
        if "mnist" in _told:
            raise GraderNotReady(
                f"The grader still cannot find the MNIST files, so this cell's checks did not run (set "
                f"{mnist.ENV_VAR}, as the first test cell you ran said). This is not about your code.") from None
        _told.add("mnist")
        raise GraderNotReady(
            "The grader cannot check your answers here: it needs the MNIST data files and cannot find them. This is "
            "not about your code.\n"
            f"To fix it: set the environment variable {mnist.ENV_VAR} to the folder that holds the four MNIST "
            "files (t10k-images-idx3-ubyte.gz and the others) before you start Jupyter, or ask your instructor "
            "where they are.\n"
            f"Details: {error}") from None
