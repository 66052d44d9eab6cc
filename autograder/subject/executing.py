"""nbgrader's autograde inside the sandbox: run the chosen cells in order as a kernel would, keeping their outputs.

The judge (:mod:`autograder.nbgrader.plan`) decides which cells run (every code cell but the test cells that
call the kit's checks, which it judges itself) and sends the assignment folder's files along with the job. The
subject child writes those files into a work folder, runs the cells there, and keeps each cell's outputs the way
a Jupyter kernel reports them to nbgrader (stream text, the last expression's value, the error). The judge asks
for them, with the files the cells wrote, through :data:`OUTPUTS_PROBE` before any check's probe runs.
"""
from __future__ import annotations

import ast
import base64
import hashlib
import io
import json
import linecache
import os
import sys
import traceback
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from .limits import TimeLimitExceeded, time_limit
from .notebook import CellProblem, CodeCell, LoadReport, _QuietShell, first_line_of, is_autograded_test, to_python

#: The probe name the judge asks for the cells' outputs and the files they wrote (answered by the server itself).
OUTPUTS_PROBE = "__nbgrader_outputs__"
#: The folder, inside the job's scratch, the cells run in: the assignment's files, and what the cells write.
WORK = "work"
#: Text kept per cell and per notebook (nbgrader's LimitOutput trims further): a flood costs no memory in the judge.
CELL_TEXT_LIMIT = 200_000
NOTEBOOK_TEXT_LIMIT = 4_000_000
#: What the cells wrote, sent back to nbgrader's autograded folder: at most this many files and bytes.
MAX_FILES, MAX_FILE_BYTES = 200, 16 * 2**20


class CellOutputs(io.TextIOBase):
    """One stream (``stdout`` or ``stderr``) of a running cell, appended to the cell's outputs as a kernel would."""

    def __init__(self, name: str, outputs: list, budget: list):
        self.name, self.outputs, self.budget = name, outputs, budget

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        kept = text[:max(0, min(self.budget[0], self.budget[1]))]
        self.budget[0] -= len(kept)
        self.budget[1] -= len(kept)
        if kept:
            last = self.outputs[-1] if self.outputs else None
            if last and last["output_type"] == "stream" and last["name"] == self.name:
                last["text"] += kept
            else:
                self.outputs.append({"output_type": "stream", "name": self.name, "text": kept})
        return len(text)


def run_cells(path, run: list[int], *, cell_timeout: float | None, workdir: str, on_cell=None):
    """Run the code cells of the notebook at ``path`` whose indices are ``run``, in ``workdir``.

    Returns ``(namespace, LoadReport, outputs)``; ``outputs`` is the plain data :data:`OUTPUTS_PROBE` answers
    except the written files (see :func:`written_files`). The report counts the student's cells only: test cells
    are nbgrader's, and their failures are scores, not notes on the student's code.
    """
    namespace = {"__name__": "__main__"}
    shell = _QuietShell(namespace)
    namespace["get_ipython"] = lambda: shell
    report = LoadReport(notebook=Path(path).name)
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    numbers = {index: number for number, index in enumerate(
        (i for i, cell in enumerate(cells) if cell.get("cell_type") == "code"), start=1)}
    budget = [0, NOTEBOOK_TEXT_LIMIT]
    results = []
    saved_argv, previous = sys.argv, os.getcwd()
    os.chdir(workdir)
    sys.path.insert(0, workdir)  # like a kernel started in the assignment's folder: its .py files import
    try:
        for index in run:
            cell = CodeCell(numbers.get(index, 0), _joined(cells[index].get("source", "")))
            if on_cell is not None:
                on_cell(cell)
            budget[0] = CELL_TEXT_LIMIT
            outcome = run_one(cell, namespace, cell_timeout, budget)
            results.append({"index": index, **outcome})
            if not is_autograded_test(cells[index]):
                report.cells_run += 1
                if outcome.get("problem"):
                    report.problems.append(CellProblem(**outcome["problem"]))
    finally:
        sys.argv = saved_argv
        if sys.path and sys.path[0] == workdir:
            del sys.path[0]
        os.chdir(previous)
    return namespace, report, results


def run_one(cell: CodeCell, namespace: dict, timeout: float | None, budget: list) -> dict:
    """Run one cell; ``{"outputs": [...], "timeout": bool, "problem": CellProblem as dict or None}``."""
    outputs: list = []
    filename = f"<cell {cell.number}>"
    try:
        body, last = compiled(cell.source, filename)
    except (SyntaxError, ValueError) as error:
        outputs.append(error_output(error, None))
        detail = f"{getattr(error, 'msg', error)} (line {getattr(error, 'lineno', '?')})"
        return {"outputs": outputs, "timeout": False,
                "problem": vars(CellProblem(cell.number, cell.first_line, "syntax", type(error).__name__, detail))}
    linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
    stdout, stderr = CellOutputs("stdout", outputs, budget), CellOutputs("stderr", outputs, budget)
    problem, timed_out = None, False
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr), time_limit(timeout):
            exec(body, namespace)  # noqa: S102  (running the student's cell is the point)
            value = eval(last, namespace) if last is not None else None  # noqa: S307
            if value is not None:
                outputs.append({"output_type": "execute_result", "metadata": {},
                                "data": {"text/plain": pretty(value)[:CELL_TEXT_LIMIT]}})
    except TimeLimitExceeded as error:
        timed_out = True
        problem = CellProblem(cell.number, cell.first_line, "timeout", "TimeLimitExceeded", str(error))
    except SystemExit as error:
        outputs.append(error_output(error, error.__traceback__))
        problem = CellProblem(cell.number, cell.first_line, "exit", "SystemExit", f"sys.exit({error.code!r})")
    except BaseException as error:  # noqa: BLE001  (student code may raise anything)
        outputs.append(error_output(error, error.__traceback__))
        problem = CellProblem(cell.number, cell.first_line, "error", type(error).__name__, first_line_of(error))
    return {"outputs": outputs, "timeout": timed_out, "problem": vars(problem) if problem else None}


def compiled(source: str, filename: str):
    """``(code of every statement but a trailing expression, code of that expression or None)``, as IPython splits
    a cell so that its last expression's value is shown."""
    tree = ast.parse(to_python(source), filename)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = compile(ast.Expression(tree.body.pop().value), filename, "eval")
    return compile(tree, filename, "exec"), last


def pretty(value) -> str:
    """The ``text/plain`` of a value as IPython shows it (its pretty printer), else its ``repr``."""
    try:
        from IPython.lib.pretty import pretty as ipython_pretty

        return ipython_pretty(value)
    except Exception:  # noqa: BLE001  (a student's __repr__ may raise anything)
        try:
            return repr(value)
        except Exception:  # noqa: BLE001
            return f"<{type(value).__name__} object>"


def error_output(error: BaseException, tb) -> dict:
    """An ``error`` output as a kernel sends it: ename, evalue, the traceback from the cell's own frame on."""
    while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell"):
        tb = tb.tb_next
    try:
        evalue = str(error)
    except Exception:  # noqa: BLE001
        evalue = ""
    lines = traceback.format_exception(type(error), error, tb)
    return {"output_type": "error", "ename": type(error).__name__, "evalue": evalue[:CELL_TEXT_LIMIT],
            "traceback": [line.rstrip("\n") for line in lines][-50:]}


def _joined(source) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def unpack_files(workdir: str, files: dict) -> dict[str, str]:
    """Write the shipped ``{relative path: base64}`` into ``workdir``; return their digests, to tell changes by."""
    digests = {}
    root = Path(workdir)
    root.mkdir(exist_ok=True)
    for name, data in files.items():
        target = root / name
        if not safe_relative(name):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        content = base64.b64decode(data)
        target.write_bytes(content)
        digests[name] = hashlib.sha256(content).hexdigest()
    return digests


def written_files(workdir: str, shipped: dict[str, str]) -> dict:
    """``{"files": {path: base64}, "skipped": [path]}``: what the cells created or changed in ``workdir``
    (notebooks aside: nbgrader writes those), within :data:`MAX_FILES` and :data:`MAX_FILE_BYTES`."""
    found, skipped, room = {}, [], MAX_FILE_BYTES
    for folder, dirs, names in os.walk(workdir):
        dirs.sort()
        for name in sorted(names):
            path = Path(folder) / name
            relative = path.relative_to(workdir).as_posix()
            if path.is_symlink() or not path.is_file() or name.endswith(".ipynb"):
                continue
            try:
                content = path.read_bytes()
            except OSError:
                continue
            if shipped.get(relative) == hashlib.sha256(content).hexdigest():
                continue
            if len(found) >= MAX_FILES or len(content) > room:
                skipped.append(relative)
                continue
            room -= len(content)
            found[relative] = base64.b64encode(content).decode()
    return {"files": found, "skipped": skipped}


def safe_relative(name: str) -> bool:
    """A relative path that stays inside its folder (no absolute path, no ``..``)."""
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and "\\" not in name
