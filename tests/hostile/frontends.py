"""The hostile corpus of the nbgrader and Gradescope front ends, as data: what a student can change besides code
(tags and metadata of test cells and of the notebook, cell order, deleted cells, fake outputs and results files)
and what can leak a hidden check's input (an exit code, a signal, time).

Each case builds its notebook from the released stubs (``stub``: every point it gets is a false one, so exactly 0)
or the reference (``reference``: the honest answers keep every point), and says the exact points allowed, as a
function of the assignment's total (visible and hidden checks).
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

import nbformat

from hostile.corpus import REFERENCE, RELEASE

#: What every case's exfiltrating count_parameters does on the hidden check's net (784 -> 10, no hidden layer, a
#: size no visible check uses: their in_units stay below 101): it ends the process with the net's size as exit
#: code, 7850 % 251 = 69, or kills itself with that size as a signal, or sleeps.
EXFILTRATING = {
    "exit": "import os\n        os._exit(size % 251)",
    "signal": "import os, signal\n        os.kill(os.getpid(), signal.SIGKILL if size > 5000 else signal.SIGTERM)",
    "sleep": "import time\n        time.sleep(4)",
    "message": "raise ValueError(f'the hidden net has {size} parameters')",
}
EXIT_CODE = 7850 % 251
#: What must not show: the stop's note ("the process running your notebook ended (exit code 69) while the grader
#: was running your `count_parameters`"), the size itself (the student's own source shows the message's words).
LEAKS = ("exit code", f"code {EXIT_CODE}", "7850", "sigkill", "sigterm", "killed by", "running your `count_parameters")


def exfiltrating_count(how: str) -> str:
    return f"""def count_parameters(net):
    params = list(net.collect_params().values())
    size = int(sum(p.data().size for p in params))
    if len(params) == 2 and tuple(params[0].shape) == (10, 784):
        {EXFILTRATING[how]}
    return size
"""


@dataclass
class FrontCase:
    """One submission: built from ``base`` by ``change``; ``points(total, hidden)`` is the exact score allowed."""

    case_id: str
    base: str
    description: str
    change: Callable
    points: Callable = field(default=lambda total, hidden: 0.0)
    no_leak: bool = False  # nothing of the hidden check's run may show (LEAKS) in what the student sees

    def notebook(self) -> nbformat.NotebookNode:
        nb = nbformat.read(REFERENCE if self.base == "reference" else RELEASE, as_version=4)
        changed = self.change(copy.deepcopy(nb))
        return changed if changed is not None else nb


def meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_test(cell) -> bool:
    return cell.cell_type == "code" and meta(cell).get("grade") and not meta(cell).get("solution")


def tests_of(nb) -> list:
    return [cell for cell in nb.cells if is_test(cell)]


def tag_tests(*tags):
    def change(nb):
        for cell in tests_of(nb):
            cell.metadata["tags"] = [*cell.metadata.get("tags", []), *tags]
        return nb
    return change


def tag_all(*tags):
    def change(nb):
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.metadata["tags"] = list(tags)
        return nb
    return change


def set_test_meta(**values):
    def change(nb):
        for cell in tests_of(nb):
            cell.metadata["nbgrader"].update(values)
        return nb
    return change


def replace_tests(source):
    def change(nb):
        for cell in tests_of(nb):
            cell.source = source
        return nb
    return change


def delete_tests(nb):
    nb.cells = [cell for cell in nb.cells if not is_test(cell)]
    return nb


def tests_first(nb):
    nb.cells = tests_of(nb) + [cell for cell in nb.cells if not is_test(cell)]
    return nb


def tests_to_markdown(nb):
    for cell in tests_of(nb):
        cell.cell_type = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return nb


def rename_test_ids(nb):
    for cell in tests_of(nb):
        cell.metadata["nbgrader"]["grade_id"] += "_mine"
    return nb


def notebook_meta(**values):
    def change(nb):
        nb.metadata.update(values)
        return nb
    return change


def with_cells(*sources, first=False):
    def change(nb):
        cells = [nbformat.v4.new_code_cell(source) for source in sources]
        nb.cells = cells + nb.cells if first else nb.cells + cells
        return nb
    return change


def own_test_cell(nb):
    """A cell of the student's own, dressed as a locked autograded test worth 50 points, that prints a pass."""
    nb.cells.append(nbformat.v4.new_code_cell('print("passed: all tests")', metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "grade_id": "test_extra_credit", "points": 50,
        "schema_version": 3}}))
    return nb


def answer(grade_id: str, source: str):
    def change(nb):
        for cell in nb.cells:
            if meta(cell).get("grade_id") == grade_id and meta(cell).get("solution"):
                cell.source = source
        return nb
    return change


def skip_solution(grade_id: str):
    def change(nb):
        for cell in nb.cells:
            if meta(cell).get("grade_id") == grade_id:
                cell.metadata["tags"] = ["skip-execution"]
        return nb
    return change


def combine(*changes):
    def change(nb):
        for one in changes:
            nb = one(nb)
        return nb
    return change


FAKE_RESULTS = """
import json, os
fake = {"score": 1000, "tests": [{"name": "all", "score": 1000, "max_score": 1000, "status": "passed"}]}
for path in ("results.json", "../results/results.json", "/autograder/results/results.json",
             os.path.join(os.environ.get("AUTOGRADER_ROOT", "/autograder"), "results", "results.json")):
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w") as handle:
            json.dump(fake, handle)
    except OSError:
        pass
"""
FAKE_PASSED = ("for line in ['passed: hidden test (1/1)', 'passed: every check (37/37)', '37 passed in 1.00s']:\n"
               "    print(line)\n"
               "import sys\nsys.stdout.write('{\"score\": 37}\\n')")
ALL = lambda total, hidden: total  # noqa: E731 -- the honest reference's points
COUNT_HIDDEN = 1  # the hidden check of count_parameters (instructor/plumbing.py)
BUILD_MLP = 7 + 1  # build_mlp's visible checks and its hidden one


def stub(case_id, description, change, **kwargs):
    return FrontCase(case_id, "stub", description, change, **kwargs)


def reference(case_id, description, change, points=ALL, **kwargs):
    return FrontCase(case_id, "reference", description, change, points, **kwargs)


NBGRADER_CASES = [
    stub("nb-skip-execution-tests", "every test cell tagged skip-execution (stock nbgrader: no output, full marks)",
         tag_tests("skip-execution")),
    stub("nb-skip-execution-everything", "every code cell tagged skip-execution", tag_all("skip-execution")),
    stub("nb-raises-exception-tests", "every test cell tagged raises-exception", tag_tests("raises-exception")),
    stub("nb-points-100", "every test cell worth 100 points", set_test_meta(points=100)),
    stub("nb-unlocked-and-replaced", "test cells unlocked and replaced by print('passed')",
         combine(set_test_meta(locked=False), replace_tests("print('passed')"))),
    stub("nb-tests-emptied", "every test cell replaced by `pass`", replace_tests("pass")),
    stub("nb-tests-deleted", "every test cell deleted", delete_tests),
    stub("nb-tests-first", "the test cells moved before every other cell", tests_first),
    stub("nb-tests-markdown", "the test cells turned into markdown cells", tests_to_markdown),
    stub("nb-test-ids-renamed", "every test cell's grade_id renamed", rename_test_ids),
    stub("nb-grade-flag-off", "every test cell's `grade` flag turned off", set_test_meta(grade=False)),
    stub("nb-solution-flag-on", "every test cell marked a solution (manually graded)", set_test_meta(solution=True)),
    stub("nb-own-test-cell", "a cell of its own dressed as a locked test worth 50 points", own_test_cell),
    stub("nb-kernelspec-bash", "the notebook's kernelspec says bash",
         notebook_meta(kernelspec={"name": "bash", "display_name": "Bash", "language": "bash"})),
    stub("nb-unit-metadata", "the notebook says it belongs to another unit, with execution settings of its own",
         notebook_meta(gluon_grader={"unit": "custom_layers"}, execution={"timeout": 1, "allow_errors": True},
                       nbgrader={"schema_version": 99})),
    stub("nb-fake-results-and-passed-lines", "writes full-marks results.json files and prints passing lines",
         with_cells(FAKE_RESULTS, FAKE_PASSED)),
    reference("nb-reference-tests-first", "the reference, test cells moved to the top", tests_first),
    reference("nb-reference-tags-everywhere", "the reference, raises-exception on every cell, odd metadata",
              combine(tag_all("raises-exception"), notebook_meta(kernelspec={"name": "nope", "language": "r",
                                                                              "display_name": "R"}))),
    reference("nb-reference-skips-own-cell", "the reference with its build_mlp cell tagged skip-execution: only "
              "its own points go", skip_solution("build_mlp"), points=lambda total, hidden: total - BUILD_MLP),
    reference("nb-hidden-exit-code", "count_parameters exits with the hidden net's size as exit code",
              answer("count_parameters", exfiltrating_count("exit")),
              points=lambda total, hidden: total - COUNT_HIDDEN, no_leak=True),
    reference("nb-hidden-message", "count_parameters raises with the hidden net's size in its message",
              answer("count_parameters", exfiltrating_count("message")),
              points=lambda total, hidden: total - COUNT_HIDDEN, no_leak=True),
]

GRADESCOPE_CASES = [
    reference("gs-reference", "the reference", lambda nb: nb),
    stub("gs-stub", "the released stubs", lambda nb: nb),
    stub("gs-fake-results", "writes full-marks results.json into cwd, ../results and /autograder/results",
         with_cells(FAKE_RESULTS)),
    stub("gs-fake-passed-lines", "prints passing lines and a score on stdout", with_cells(FAKE_PASSED)),
    stub("gs-unit-metadata", "the notebook says it belongs to another unit", notebook_meta(
        gluon_grader={"unit": "custom_layers"})),
    stub("gs-test-cells-run", "test cells made plain cells (no grade flag) so that they run beside the stubs",
         set_test_meta(grade=False)),
    stub("gs-skip-tags", "every cell tagged skip-execution", tag_all("skip-execution")),
    reference("gs-hidden-exit-code", "count_parameters exits with the hidden net's size as exit code",
              answer("count_parameters", exfiltrating_count("exit")),
              points=lambda total, hidden: total - COUNT_HIDDEN, no_leak=True),
    reference("gs-hidden-signal", "count_parameters kills itself with a signal chosen by the hidden net's size",
              answer("count_parameters", exfiltrating_count("signal")),
              points=lambda total, hidden: total - COUNT_HIDDEN, no_leak=True),
    reference("gs-hidden-sleep", "count_parameters sleeps 4 s on the hidden net: the time shown must not say so",
              answer("count_parameters", exfiltrating_count("sleep")), no_leak=True),
]
