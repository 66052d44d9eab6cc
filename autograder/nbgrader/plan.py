"""The judge's side of an nbgrader notebook: which cells run in the sandbox, which test cells the kit judges, and
the notebook's files; :func:`autograder.pipeline.grade` runs and judges it.

A test cell is the kit's when it is nbgrader's autograded test cell
(:func:`~autograder.subject.notebook.is_autograded_test`: graded, no solution) whose code only calls
``check("id")`` / ``check_hidden("id")`` with string constants (:func:`kit_calls`); its checks run in the judge
process, outside the student's. Every other code cell runs in the sandbox.
"""
from __future__ import annotations

import ast
import base64
import functools
from dataclasses import dataclass, field
from pathlib import Path

from ..subject.executing import MAX_FILE_BYTES, MAX_FILES
from ..subject.notebook import is_autograded_test
from ..units import all_units

#: What the kit's test cells call: a call of one of these with string constants only names checks.
KIT_CALLS = ("check", "check_hidden")


@dataclass
class Plan:
    """Which cells run in the sandbox (``run``, by index) and which test cells are judged here (``kit``)."""

    run: list[int] = field(default_factory=list)
    kit: dict[int, list] = field(default_factory=dict)  # index -> [(check or None, label, check id)]

    @property
    def checks(self) -> list:
        """Every check the kit cells name, each once."""
        return list({found[0].id: found[0] for calls in self.kit.values() for found in calls if found[0]}.values())


def files_of(folder: Path, log=None) -> dict:
    """The assignment's files in the autograded folder, to run beside (notebooks aside: they hold test cells)."""
    files, room = {}, MAX_FILE_BYTES
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        relative = path.relative_to(folder).as_posix()
        if path.is_symlink() or not path.is_file() or path.suffix == ".ipynb" or ".ipynb_checkpoints" in relative:
            continue
        size = path.stat().st_size
        if len(files) >= MAX_FILES or size > room:
            if log is not None:
                log.warning("Not sent to the sandbox (more than %d files or %d MB): %s", MAX_FILES,
                            MAX_FILE_BYTES >> 20, relative)
            continue
        room -= size
        files[relative] = base64.b64encode(path.read_bytes()).decode()
    return files


def plan_of(nb, skip_tag: str = "skip-execution") -> Plan:
    """What runs where: non-blank code cells in order (as nbclient skips blank and tagged ones), kit cells apart.

    The skip tag is the student's to set on their own cells (skipping one is deleting it, which they may do), never
    on a cell nbgrader restores from the source (:func:`is_instructors`): tags are no part of nbgrader's checksum
    and ``OverwriteCells`` does not put them back, so a test cell tagged ``skip-execution`` would have no outputs,
    which nbgrader scores as passed.
    """
    plan = Plan()
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip() or (
                skip_tag in student_tags(cell) and not is_instructors(cell)):
            continue
        calls = kit_calls(cell.source) if is_autograded_test(cell) else []
        if calls:
            plan.kit[index] = [resolve(function, check_id) for function, check_id in calls]
        else:
            plan.run.append(index)
    return plan



def is_instructors(cell) -> bool:
    """A cell whose code nbgrader puts back from the source (``OverwriteCells``): an autograded test cell or any
    locked cell. Its tags and execution metadata are the student's edits, not the instructor's: ignored."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return is_autograded_test(cell) or bool(meta.get("locked"))


def student_tags(cell) -> list:
    """The cell's tags, as a list whatever the notebook holds there."""
    tags = cell.get("metadata", {}).get("tags", [])
    return [tag for tag in tags if isinstance(tag, str)] if isinstance(tags, list) else []


def kit_calls(source: str) -> list[tuple[str, str]]:
    """``[(function, check id)]`` of each ``check("id", ...)`` / ``check_hidden(...)`` call in the source, in order.

    Parsed, not searched: a call in a comment or a string is no call, and a call with anything but string
    constants (an instructor's own ``check(answer)``) is not the kit's.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args or node.keywords:
            continue
        function = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if function in KIT_CALLS and all(isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                                         for arg in node.args):
            calls += [((node.lineno, node.col_offset, n), function, arg.value) for n, arg in enumerate(node.args)]
    return [(function, check_id) for _, function, check_id in sorted(calls)]


def resolve(function: str, check_id: str) -> tuple:
    """``(check or None when no unit has it, label of its passing line, check id)``."""
    visible, hidden = known_checks()
    if function == "check_hidden":
        return hidden.get(check_id), "hidden test", check_id
    return visible.get(check_id), None, check_id


@functools.cache
def known_checks() -> tuple[dict, dict]:
    """``({id: check}, {id: hidden check})`` of every unit, looked up once per run (finding units is not free)."""
    units = all_units().values()
    return ({one.id: one for unit in units for one in unit.checks},
            {one.id: one for unit in units for one in unit.hidden_checks})


def notebook_name(resources) -> str:
    """The notebook's file name, as the student's cells see it in error messages."""
    name = (resources.get("nbgrader") or {}).get("notebook") or (resources.get("unique_key")) or "submission"
    return Path(str(name)).name + ".ipynb"
