"""Read a notebook and run its code cells in order, each with a time limit, recording what went wrong where.

Notebooks are parsed as the JSON they are (nbformat 4); older formats go through ``nbformat``'s converter.
(``import nbformat`` costs about a second here, through jsonschema's format checkers, so the common path
avoids it.) Cells run in one namespace, like a kernel would run them; a cell that fails is recorded by its
number and first line, and the cells after it still run.
"""
from __future__ import annotations

import json
import linecache
import os
import re
import sys
import warnings
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..options import BY_NAME
from .limits import BoundedText, TimeLimitExceeded, limit_hint, time_limit


class NotebookError(ValueError):
    """The file cannot be read as a notebook at all; the message says why, in a student's words."""


@dataclass
class CodeCell:
    """One code cell: its number among the code cells (from 1) and its source."""

    number: int
    source: str

    @property
    def first_line(self) -> str:
        """The first non-blank line of the cell, as a student would recognise it."""
        for line in self.source.splitlines():
            if line.strip():
                return line.strip()[:80]
        return ""


@dataclass
class CellProblem:
    """A code cell that did not run to its end."""

    cell: int
    first_line: str
    kind: str  # "error", "syntax", "timeout", "exit", "dataset"
    error_type: str
    message: str

    def describe(self) -> str:
        """One line a student can act on, e.g. ``cell 7 (`net = build_mlp()`) raised NameError: ...``."""
        where = f"cell {self.cell} (`{self.first_line}`)"
        if self.kind == "timeout":
            return (f"{where} did not finish: it was {self.message}, the time limit for one cell; "
                    "the cells after it still ran")
        if self.kind == "exit":
            return f"{where} tried to exit the notebook ({self.message}); the cells after it still ran"
        if self.kind == "syntax":
            return f"{where} has a syntax error: {self.message}"
        if self.kind == "dataset":
            return dataset_note(where, self.message)
        return f"{where} raised {self.error_type}: {self.message}"


@dataclass
class LoadReport:
    """What happened while a notebook was loaded: problems per cell, or why it could not be read at all."""

    notebook: str
    cells_run: int = 0
    problems: list[CellProblem] = field(default_factory=list)
    unreadable: str | None = None

    def to_plain(self) -> dict:
        """The report as plain data, for the judge."""
        return asdict(self)

    @classmethod
    def from_plain(cls, data: dict) -> LoadReport:
        """Rebuild a report sent by the subject."""
        problems = [CellProblem(**problem) for problem in data.get("problems", [])]
        return cls(data["notebook"], data.get("cells_run", 0), problems, data.get("unreadable"))


def read_code_cells(path: str | os.PathLike) -> list[CodeCell]:
    """The code cells of the notebook at ``path``, or :class:`NotebookError` naming what is wrong."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotebookError(f"{path.name} does not exist") from None
    except OSError as error:
        raise NotebookError(f"{path.name} cannot be read: {error}") from None
    return code_cells(data, path.name)


def code_cells(data: bytes, name: str = "the notebook") -> list[CodeCell]:
    """The code cells of a notebook's bytes, or :class:`NotebookError` naming what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotebookError(f"{name} cannot be read: {error}") from None
    if not text.strip():
        raise NotebookError(f"{name} is empty: it has no cells at all")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(f"{name} is not a notebook: it is not valid JSON ({error.msg} at line {error.lineno})"
                            ) from None
    if not isinstance(document, dict):
        raise NotebookError(f"{name} is not a notebook: it holds JSON but not a notebook's")
    version = document.get("nbformat", 4)
    if not isinstance(version, int):
        raise NotebookError(f"{name} is not a notebook: its nbformat version is not a number")
    if version < 4:
        document = _upgrade(text, name)
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"{name} is not a notebook: it has no list of cells")
    code = [cell for cell in cells if isinstance(cell, dict) and cell.get("cell_type") == "code"]
    # Numbers count every code cell, as the student sees them; nbgrader's autograded test cells are left out:
    # they only call the checks the autograder runs itself.
    return [CodeCell(number, _joined(cell.get("source", ""))) for number, cell in enumerate(code, start=1)
            if not is_autograded_test(cell)]


def is_autograded_test(cell) -> bool:
    """nbgrader's autograded test cell: a graded code cell that is not a solution (``grade`` true, ``solution``
    false in its ``nbgrader`` metadata). The one definition, for the subject, nbgrader's plan and the scripts."""
    metadata = cell.get("metadata")
    nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
    return (cell.get("cell_type") == "code" and isinstance(nbgrader, dict) and bool(nbgrader.get("grade"))
            and not nbgrader.get("solution"))


def _upgrade(text: str, name: str) -> dict:
    import nbformat

    try:
        return nbformat.reads(text, as_version=4)
    except Exception as error:  # noqa: BLE001  (nbformat raises many kinds)
        raise NotebookError(f"{name} is an old notebook format that cannot be converted: {error}") from None


def _joined(source) -> str:
    if isinstance(source, list):
        return "".join(str(part) for part in source)
    return str(source)


class _QuietShell:
    """Stands in for ``get_ipython()`` while a notebook is graded.

    Timing and capture magics run the code they wrap (a ``%%time`` cell may define an exercise); every other
    magic and shell command does nothing.
    """

    RUNS_ITS_CODE = frozenset({"time", "timeit", "capture", "prun"})
    LINE_RUNS_ITS_CODE = RUNS_ITS_CODE - {"capture"}

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def _run(self, name: str, code: str):
        if name in self.RUNS_ITS_CODE and code.strip():
            exec(compile(to_python(code), f"<%{name}>", "exec"), self.namespace)  # noqa: S102  (the cell's code)

    def run_line_magic(self, name, line, *args, **kwargs):
        if name in self.LINE_RUNS_ITS_CODE:
            self._run(name, line)

    def run_cell_magic(self, name, line, body, *args, **kwargs):
        self._run(name, body)

    def system(self, command, *args, **kwargs):
        return None

    getoutput = system


def to_python(source: str) -> str:
    """Cell source as plain Python: IPython's own transformer rewrites ``%magic`` and ``!command`` lines."""
    if not any(mark in source for mark in "%!?"):
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


@contextmanager
def _in_folder(folder):
    if folder is None:
        yield
        return
    previous = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def run_cell(cell: CodeCell, namespace: dict, *, timeout: float | None, output: BoundedText) -> CellProblem | None:
    """Run one cell in ``namespace``; return what went wrong, or None."""
    filename = f"<cell {cell.number}>"
    try:
        code = compile(to_python(cell.source), filename, "exec")
    except (SyntaxError, ValueError) as error:
        detail = f"{getattr(error, 'msg', error)} (line {getattr(error, 'lineno', '?')})"
        return CellProblem(cell.number, cell.first_line, "syntax", type(error).__name__, detail)
    linecache.cache[filename] = (len(cell.source), None, cell.source.splitlines(True), filename)
    try:
        with redirect_stdout(output), redirect_stderr(output), time_limit(timeout):
            exec(code, namespace)  # noqa: S102  (running the student's cell is the point)
    except TimeLimitExceeded as error:
        return CellProblem(cell.number, cell.first_line, "timeout", "TimeLimitExceeded", str(error))
    except SystemExit as error:
        return CellProblem(cell.number, cell.first_line, "exit", "SystemExit", f"sys.exit({error.code!r})")
    except BaseException as error:  # noqa: BLE001  (student code may raise anything)
        dataset = dataset_download(error)
        if dataset:  # its message names MXNet's data folder inside the sandbox, not what the student can fix
            return CellProblem(cell.number, cell.first_line, "dataset", type(error).__name__, dataset)
        return CellProblem(cell.number, cell.first_line, "error", type(error).__name__, first_line_of(error))
    return None


def first_line_of(error: BaseException, limit: int = 300) -> str:
    """The first meaningful line of an error message (MXNet's run to pages of C++ stack), in a student's terms.

    MXNet's sentences that point away from this unit's fixes are left out, the error's own type is not
    repeated (``MXNetError: MXNetError: ...``), the grader's sandbox folders are not named, and a long message
    is cut at the end of a sentence, not in the middle of one.
    """
    try:
        text = str(error)
    except Exception:  # noqa: BLE001  (a student's exception whose __str__ raises)
        text = type(error).__name__
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith(("Traceback", "Stack trace", "[bt]", 'File "'))]
    errors = [line for line in lines if "Error:" in line or "error:" in line]
    line = (errors or lines or [""])[0]
    own_type = f"{type(error).__name__}: "
    while line.startswith(own_type):
        line = line[len(own_type):]
    for sentence in MISLEADING_SENTENCES:
        line = sentence.sub("", line)
    return cut_at_sentence(without_sandbox_paths(line.strip()), limit) + limit_hint(error)


#: Sentences of MXNet's messages that tell the student to do the opposite of this unit's fix, or point elsewhere
#: (the kit's own hint says what to do): avoid deferred init with in_units, give both nets the same prefix, ...
MISLEADING_SENTENCES = (
    re.compile(r"\s*You can also avoid deferred initialization by specifying in_units.*?(?:for network layers\.?|$)"),
    re.compile(r"\s*Note that you should initialize parameters and create Trainer with Block\.collect_params\(\)"
               r".*?(?:nested child Blocks\.?|$)"),
    re.compile(r"\s*Please make sure source and target networks have the same prefix\.?"),
    re.compile(r"\s*For more info on naming, please see \S+"),
)
#: Folders that exist only inside the grader (the sandbox's scratch and kit mounts, the in-process scratch folder).
SANDBOX_PATH = re.compile(r"(?:/box|/kit|/data/mnist|/\S*?/gluon-grader-[\w.]+)(?:/[^\s'\",:;)]*)?")


def without_sandbox_paths(text: str) -> str:
    """``text`` with the grader's own folders replaced by the file name alone (or "the grader's folder")."""
    def shown(match: re.Match) -> str:
        name = match.group(0).rstrip("/").rsplit("/", 1)[-1]
        return name if name and "gluon-grader-" not in name and match.group(0).count("/") > 1 else "the grader's folder"

    return SANDBOX_PATH.sub(shown, text)


def cut_at_sentence(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else its longest beginning that ends a sentence; failing
    that, whole words and " ..." (a text without spaces is cut at ``limit``)."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(". "), head.rfind("; "), head.rfind(": "))
    if end >= limit // 3:
        return head[:end + 1].rstrip(";:") + ("" if head[end] == "." else " ...")[:limit - end - 1]
    words = text[:limit - 4]
    if " " not in words:
        return head
    return words[:words.rfind(" ")].rstrip(",;:") + " ..."


#: Gluon's datasets that download into MXNet's data folder, and what the student can use instead.
DATASETS = ("FashionMNIST", "MNIST", "CIFAR100", "CIFAR10", "ImageRecordDataset", "ImageFolderDataset")


def dataset_download(error: BaseException) -> str | None:
    """The Gluon dataset class whose loading raised ``error`` (it tried to read or download its files), or None."""
    traceback = error.__traceback__
    while traceback is not None:
        frame = traceback.tb_frame
        filename = frame.f_code.co_filename.replace(os.sep, "/")
        if filename.endswith("gluon/data/vision/datasets.py"):
            instance = frame.f_locals.get("self")
            name = type(instance).__name__ if instance is not None else "a Gluon dataset"
            return name if name in DATASETS else "a Gluon dataset"
        traceback = traceback.tb_next
    return None


def dataset_note(where: str, dataset: str) -> str:
    """What to tell a student whose cell loads a Gluon dataset, which cannot be read or downloaded in grading."""
    only_mnist = "" if dataset == "MNIST" else f" (the grader has MNIST only, not {dataset})"
    return (f"{where} loads {dataset} with gluon.data.vision: while your notebook is graded there is no network "
            f"and nothing can be downloaded, so that dataset cannot be read{only_mnist}. Use the course's MNIST "
            "loader instead: `from autograder.mnist import mnist_batches`, then `mnist_batches(batch_size=64)`; "
            "the cells after it still ran")


@contextmanager
def students_warnings():
    """Warnings ignored while the student's code runs, whatever filters the grading process has (``-W error``,
    pytest's ``filterwarnings``): a warning from MXNet about the student's net is never an error of their code, and
    nobody would read it (the notebook's output goes nowhere)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield



def load_notebook(path, *, cell_timeout: float | None = BY_NAME["cell_timeout"].default, workdir=None,
                  namespace: dict | None = None, on_cell=None):
    """Run the notebook's code cells in a fresh namespace; return ``(namespace, LoadReport)``.

    ``workdir`` is the folder the cells run in (files they write land there, not next to the notebook).
    ``on_cell(cell)`` is called before each cell runs (the sandboxed subject tells the judge where it is).
    An unreadable notebook gives an empty namespace and a report that says why.
    """
    if namespace is None:
        namespace = {"__name__": "__main__"}
        shell = _QuietShell(namespace)
        namespace["get_ipython"] = lambda: shell
    report = LoadReport(notebook=Path(path).name)
    try:
        cells = read_code_cells(path)
    except NotebookError as error:
        report.unreadable = str(error)
        return namespace, report
    output = BoundedText()
    saved_argv = sys.argv
    classic_mxnet()
    with _in_folder(workdir), students_warnings():
        for cell in cells:
            if on_cell is not None:
                on_cell(cell)
            problem = run_cell(cell, namespace, timeout=cell_timeout, output=output)
            report.cells_run += 1
            if problem:
                report.problems.append(problem)
    sys.argv = saved_argv
    return namespace, report


def classic_mxnet() -> None:
    """Start in MXNet's classic array mode, as a fresh kernel does, whatever an earlier notebook switched on."""
    if "mxnet" in sys.modules:
        from mxnet import util

        util.reset_np()
