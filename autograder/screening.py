"""Notebooks that reach into the grader: found by reading their code, before any of it runs.

The sandbox keeps student code away from the judge, but the probes run beside it; a notebook that goes looking
for them (the grader's modules, the interpreter's frames, the garbage collector's objects) could make them lie.
Honest answers in this unit never need any of that, so such a notebook is held for review with 0 points.
"""
from __future__ import annotations

import io
import re
import tokenize

from .subject.notebook import NotebookError, code_cells

#: Names with no use in the plumbing unit other than reaching the grader's objects from the notebook.
INTROSPECTION = {"_getframe", "f_back", "f_globals", "f_locals", "get_objects", "get_referrers", "get_referents",
                 "__globals__", "__closure__", "settrace", "setprofile", "addaudithook", "_current_frames"}
GRADER = re.compile(r"\bautograder\b(?:\s*\.\s*(\w+))?")
PUBLIC_LOADER = re.compile(r"\bfrom\s+autograder\s+import\s+mnist\b")


def reaches_into_grader(notebook: bytes) -> list[str]:
    """One line per cell of ``notebook`` (its bytes, as the intake read them) that refers to the grader's internals,
    e.g. ``cell 4 (`import gc`) uses `get_objects```."""
    try:
        cells = code_cells(notebook)
    except NotebookError:
        return []
    found = []
    for cell in cells:
        names = suspicious_names(cell.source)
        if names:
            found.append(f"cell {cell.number} (`{cell.first_line}`) uses {', '.join(f'`{n}`' for n in names)}")
    return found


def suspicious_names(source: str) -> list[str]:
    """The grader-reaching names and strings in ``source``, ignoring comments and ``%``/``!`` lines.

    ``autograder.mnist``, the course's public MNIST loader, is allowed.
    """
    code = PUBLIC_LOADER.sub("", without_comments(source))
    found = {name for name in re.findall(r"\w+", code) if name in INTROSPECTION}
    for match in GRADER.finditer(code):
        if match.group(1) != "mnist":
            found.add(re.sub(r"\s", "", match.group(0)))
    return sorted(found)


def without_comments(source: str) -> str:
    """``source`` without comments and without IPython's ``%`` and ``!`` lines."""
    code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
    lines = code.splitlines()
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            if token.type == tokenize.COMMENT:
                row, column = token.start
                lines[row - 1] = lines[row - 1][:column]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return "\n".join(lines)


def review_note(notebook: bytes) -> str | None:
    """The held-for-review note of ``notebook`` (its bytes), or None when its code keeps out of the grader."""
    findings = reaches_into_grader(notebook)
    return held_for_review(findings) if findings else None


def held_for_review(findings: list[str]) -> str:
    """The note a held submission gets."""
    return ("Held for review, 0 points until a teaching assistant has looked: your notebook reaches into the "
            "grader's own code, which no exercise needs (" + "; ".join(findings) + "). Remove that code and "
            "submit again.")
