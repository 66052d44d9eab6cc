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
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Float, Integer

from .checks import find
from .judge import notebook_notes, run_check, with_load_notes
from .screening import review_note
from .subject.remembering import remembering

CALL = re.compile(r"\b(check|check_hidden)\(([^)]*)\)")
CHECK_ID = re.compile(r"""["']([\w.]+)["']""")
_workers: dict = {}


class SandboxedExecute(NbGraderPreprocessor):
    """Run the notebook in the sandbox and turn each autograded test cell's checks into its outputs."""

    timeout = Float(300.0, help="Wall-time limit (s) for the notebook and its checks.").tag(config=True)
    memory_mb = Integer(2048, help="Memory limit (MB) of the notebook's process.").tag(config=True)
    cell_timeout = Float(60.0, help="Time limit (s) of one cell.").tag(config=True)

    def preprocess(self, nb, resources):
        """Grade ``nb``; every autograded test cell gets the outputs of its verdict."""
        tests = [cell for cell in nb.cells if is_autograded_test(cell)]
        with tempfile.TemporaryDirectory(prefix="gluon-grader-nbgrader-") as folder:
            path = Path(folder) / "submission.ipynb"
            nbformat.write(nb, path)
            note = review_note(path)
            if note:
                verdicts = {id(cell): [(None, note)] for cell in tests}
            else:
                verdicts = self.run_tests(path.read_bytes(), tests)
        for cell in tests:
            cell.outputs = outputs_of(verdicts[id(cell)])
        return nb, resources

    def run_tests(self, notebook: bytes, tests: list) -> dict:
        """``{id(cell): [(label, feedback or None)]}``, the checks run against the sandboxed notebook."""
        with self.worker().subject(notebook) as remote:
            subject = remembering(remote)
            notes = notebook_notes(subject)
            return {id(cell): [verdict(check, label, subject, notes) for check, label in checks_of(cell)]
                    for cell in tests}

    def worker(self):
        """One warm sandboxed worker per autograde run, kept for all its notebooks."""
        from . import mnist
        from .runner.sandbox import Limits
        from .runner.worker import Worker

        key = (self.timeout, self.memory_mb, self.cell_timeout)
        if key not in _workers:
            _workers[key] = Worker(limits=Limits(wall_s=self.timeout, memory_mb=self.memory_mb),
                                   mnist_dir=str(mnist.find_mnist_dir()), cell_timeout=self.cell_timeout)
            atexit.register(_workers[key].close)
        return _workers[key]


def is_autograded_test(cell) -> bool:
    """A locked, graded code cell without a solution: nbgrader's autograded test cell."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def checks_of(cell) -> list:
    """``[(check, label)]`` for each ``check("id")`` / ``check_hidden("id")`` call in the cell's source."""
    found = []
    for function, arguments in CALL.findall(cell.source):
        for check_id in CHECK_ID.findall(arguments):
            if function == "check_hidden":
                hidden = importlib.import_module("instructor.hidden_checks")
                found.append((hidden.find_hidden(check_id), "hidden test"))
            else:
                found.append((find(check_id), None))
    return found


def verdict(check, label, subject, notes) -> tuple[str, str | None]:
    """``(what the passing line calls the check, feedback or None when it passed)``."""
    result = with_load_notes(run_check(check, subject), notes)
    name = label or check.title
    return (f"passed: {name} ({result.score:g}/{result.max_score:g})", None) if result.passed else (name, result.feedback)


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
