"""nbgrader's autograde with the student's code in the sandbox: a drop-in for nbgrader's ``Execute`` step.

nbgrader's own model runs the student's cells and the test cells in one kernel, where student code can rewrite
what the test cells call. :class:`SandboxedExecute` instead runs the notebook's own cells in the kit's sandboxed
worker, runs each autograded test cell's checks in this (judge) process against it, and writes each verdict
as that test cell's output: a line on stdout when it passed, an error carrying the feedback when it failed.
nbgrader's ``SaveAutoGrades`` then scores the cells from those outputs as usual. ``nbgrader_config.py`` puts it
in place of ``Execute`` in ``Autograde.autograde_preprocessors``.
"""
from __future__ import annotations

import atexit
import importlib
import re
import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute

from . import options as settings
from .pipeline import grade
from .units import UnknownUnit, all_units, unit_of

CALL = re.compile(r"\b(check|check_hidden)\(([^)]*)\)")
CHECK_ID = re.compile(r"""["']([\w.]+)["']""")
_workers: dict = {}


class SandboxedExecute(Execute):
    """Run the notebook in the sandbox and turn each autograded test cell's checks into its outputs.

    A subclass of nbgrader's ``Execute``, so ``c.Execute`` settings and ``--no-execute`` reach it; its own settings
    (and its ``timeout``, the limit of one cell, with the kit's default) are those of :mod:`autograder.options`.
    """

    # One trait per setting of autograder.options, declared there with its default (a class body is a dict).
    locals().update(settings.traits())

    def preprocess(self, nb, resources):
        """Grade ``nb``; every autograded test cell gets the outputs of its verdict."""
        tests = [cell for cell in nb.cells if is_autograded_test(cell)]
        with tempfile.TemporaryDirectory(prefix="gluon-grader-nbgrader-") as folder:
            path = Path(folder) / "submission.ipynb"
            nbformat.write(nb, path)
            verdicts = self.run_tests(path, tests, self.unit(nb, resources))
        for cell in tests:
            cell.outputs = outputs_of(verdicts[id(cell)])
        return nb, resources

    def unit(self, nb, resources):
        """The unit graded: the nbgrader assignment's, else the one the notebook's metadata names."""
        assignment = (resources.get("nbgrader") or {}).get("assignment")
        if assignment in all_units():
            return all_units()[assignment]
        try:
            return unit_of(notebook=nbformat.writes(nb).encode())
        except UnknownUnit:
            return None

    def run_tests(self, path: Path, tests: list, unit) -> dict:
        """``{id(cell): [(label, feedback or None)]}``, the checks run against the sandboxed notebook."""
        named = {id(cell): checks_of(cell) for cell in tests}
        checks = list({check.id: check for found in named.values() for check, _ in found}.values())
        if unit is None or not checks:
            return {key: [] for key in named}
        graded = grade(path, unit, self.options(), worker=self.worker(), checks=checks).by_id()
        return {key: [verdict(graded[check.id], label) for check, label in found] for key, found in named.items()}

    def options(self) -> settings.Options:
        """This run's options, MNIST's folder resolved."""
        from . import mnist

        values = settings.Options.from_traits(self)
        return values.with_mnist_dir(mnist.find_mnist_dir(values.mnist_dir))

    def worker(self):
        """One warm sandboxed worker per autograde run, kept for all its notebooks."""
        from .runner.worker import Worker

        options = self.options()
        if options not in _workers:
            _workers[options] = Worker(options=options)
            atexit.register(_workers[options].close)
        return _workers[options]


def is_autograded_test(cell) -> bool:
    """A locked, graded code cell without a solution: nbgrader's autograded test cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def checks_of(cell) -> list:
    """``[(check, label)]`` for each ``check("id")`` / ``check_hidden("id")`` call in the cell's source."""
    from .units import find_check

    found = []
    for function, arguments in CALL.findall(cell.source):
        for check_id in CHECK_ID.findall(arguments):
            if function == "check_hidden":
                hidden = importlib.import_module("instructor.hidden_checks")
                found.append((hidden.find_hidden(check_id), "hidden test"))
            else:
                found.append((find_check(check_id), None))
    return found


def verdict(result, label) -> tuple[str, str | None]:
    """``(what the passing line calls the check, feedback or None when it passed)``."""
    name = label or result.title
    if result.passed:
        return f"passed: {name} ({result.score:g}/{result.max_score:g})", None
    return name, result.feedback


def outputs_of(verdicts: list) -> list:
    """The test cell's outputs: one stdout line per passed check, one error with every failure's feedback."""
    passed = [line for line, feedback in verdicts if feedback is None]
    failed = [feedback for _, feedback in verdicts if feedback is not None]
    if not verdicts:
        failed = ["This test cell names no check the grader knows; ask your instructor."]
    outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(passed) + "\n")] if passed else []
    if failed:
        message = "\n".join(failed)
        outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue=message,
                                              traceback=["AssertionError: " + message]))
    return outputs
