"""autograder/subject/notebook.py: reading a notebook and running its code cells like a kernel would.

Notebooks are built with nbformat into ``tmp_path``; every test loads them with ``load_notebook`` and looks at
the namespace and the :class:`LoadReport` it returns.
"""
from __future__ import annotations

import json
import os
import sys
import time

import nbformat
import nbformat.v3
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from autograder.subject.notebook import CellProblem, LoadReport, first_line_of, load_notebook, read_code_cells


def write(tmp_path, *cells, name="student.ipynb"):
    """Write a v4 notebook of ``cells`` (strings are code cells) and return its path."""
    made = [new_code_cell(cell) if isinstance(cell, str) else cell for cell in cells]
    path = tmp_path / name
    nbformat.write(new_notebook(cells=made), str(path))
    return path


def load(path, **kwargs):
    kwargs.setdefault("cell_timeout", 5)
    kwargs.setdefault("workdir", path.parent)
    return load_notebook(path, **kwargs)


def kinds(report):
    return [(problem.cell, problem.kind) for problem in report.problems]


# --- running cells ------------------------------------------------------------------------------------------

def test_cells_run_in_order_in_one_namespace(tmp_path):
    path = write(tmp_path, new_markdown_cell("# Exercise 1"), "steps = ['first']", new_markdown_cell("text"),
                 "steps.append('second')\ndef later():\n    return steps + ['third']", "result = later()")
    namespace, report = load(path)
    assert namespace["result"] == ["first", "second", "third"]
    assert report.cells_run == 3 and report.problems == [] and report.unreadable is None
    assert report.notebook == "student.ipynb"
    assert namespace["__name__"] == "__main__"


def test_a_cell_that_raises_is_reported_and_later_cells_still_run(tmp_path):
    path = write(tmp_path, new_markdown_cell("intro"), "a = 1", "\n\nvalue = int('seven')\nnot_reached = True",
                 "b = a + 1")
    namespace, report = load(path)
    assert namespace["b"] == 2 and "not_reached" not in namespace
    assert report.cells_run == 3
    (problem,) = report.problems
    assert problem.cell == 2  # numbered among code cells, markdown not counted
    assert problem.first_line == "value = int('seven')"
    assert problem.kind == "error" and problem.error_type == "ValueError"
    assert "invalid literal for int()" in problem.message and "'seven'" in problem.message


def test_a_keyboard_interrupt_in_a_cell_is_an_error_not_the_end_of_grading(tmp_path):
    path = write(tmp_path, "raise KeyboardInterrupt('stop')", "after = 1")
    namespace, report = load(path)
    assert namespace["after"] == 1
    assert [(p.kind, p.error_type, p.message) for p in report.problems] == [("error", "KeyboardInterrupt", "stop")]


def test_a_syntax_error_is_reported_and_later_cells_still_run(tmp_path):
    path = write(tmp_path, "ok = 1", "def broken(:\n    pass", "after = ok + 1")
    namespace, report = load(path)
    assert namespace["after"] == 2
    (problem,) = report.problems
    assert (problem.cell, problem.kind, problem.error_type) == (2, "syntax", "SyntaxError")
    assert problem.first_line == "def broken(:"
    assert "(line 1)" in problem.message


def test_an_endless_loop_is_stopped_by_the_cell_timeout_and_later_cells_still_run(tmp_path):
    path = write(tmp_path, "before = 1", "while True:\n    pass", "after = before + 1")
    started = time.monotonic()
    namespace, report = load(path, cell_timeout=0.5)
    assert time.monotonic() - started < 5
    assert namespace["after"] == 2
    (problem,) = report.problems
    assert (problem.cell, problem.kind, problem.first_line) == (2, "timeout", "while True:")
    assert "0.5" in problem.message


def test_the_time_limit_does_not_outlive_the_load(tmp_path):
    path = write(tmp_path, "while True:\n    pass")
    load(path, cell_timeout=0.2)
    time.sleep(0.4)  # a leftover alarm would raise here


@pytest.mark.parametrize("source, message", [
    ("import sys\nsys.exit(3)", "sys.exit(3)"),
    ("raise SystemExit", "sys.exit(None)"),
    ("raise SystemExit('bye')", "sys.exit('bye')"),
])
def test_exiting_is_reported_as_exit_and_later_cells_still_run(tmp_path, source, message):
    path = write(tmp_path, source, "after = 1")
    namespace, report = load(path)
    assert namespace["after"] == 1
    (problem,) = report.problems
    assert (problem.cell, problem.kind, problem.error_type, problem.message) == (1, "exit", "SystemExit", message)


def test_sys_argv_is_restored_after_the_cells_change_it(tmp_path):
    saved = sys.argv
    path = write(tmp_path, "import sys\nsys.argv = ['changed']")
    load(path)
    assert sys.argv is saved


def test_magics_and_shell_lines_do_not_break_a_cell(tmp_path):
    path = write(tmp_path, "%matplotlib inline\nimport math\n!ls -la\nroot = math.sqrt(16)",
                 "%load_ext autoreload\n!pip install mxnet\nafter = root + 1", "what = math?")
    namespace, report = load(path)
    assert report.problems == []
    assert namespace["root"] == 4.0 and namespace["after"] == 5.0


def test_an_assigned_shell_command_does_not_break_a_cell(tmp_path):
    path = write(tmp_path, "files = !ls\nafter = 1")
    namespace, report = load(path)
    assert report.problems == []
    assert namespace["after"] == 1


def test_a_cell_magic_still_runs_the_cell_body(tmp_path):
    path = write(tmp_path, "%%time\ndef build():\n    return 1")
    namespace, report = load(path)
    assert report.problems == []
    assert namespace["build"]() == 1


def test_output_of_cells_does_not_reach_the_real_stdout_or_stderr(tmp_path, capsys):
    path = write(tmp_path, "print('hello from a cell')\nimport sys\nprint('to stderr', file=sys.stderr)",
                 "for i in range(100000):\n    print('x' * 50)")
    _, report = load(path)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
    assert report.problems == []


def test_files_written_by_cells_land_in_workdir_not_in_cwd(tmp_path, monkeypatch):
    here, work, notebooks = tmp_path / "cwd", tmp_path / "work", tmp_path / "notebooks"
    for folder in (here, work, notebooks):
        folder.mkdir()
    monkeypatch.chdir(here)
    path = write(notebooks, "with open('weights.params', 'w') as f:\n    f.write('w')\nimport os\nwhere = os.getcwd()",
                 "os.chdir('..')")
    namespace, report = load(path, workdir=work)
    assert report.problems == []
    assert (work / "weights.params").read_text() == "w"
    assert namespace["where"] == str(work)
    assert os.listdir(here) == [] and os.listdir(notebooks) == ["student.ipynb"]
    assert os.getcwd() == str(here)  # restored, even though a cell changed folder


def test_a_given_namespace_is_used_and_returned(tmp_path):
    path = write(tmp_path, "total = start + 1")
    given = {"start": 41}
    namespace, _ = load(path, namespace=given)
    assert namespace is given and given["total"] == 42


def test_old_nbformat_v3_notebook_still_loads(tmp_path):
    v3 = nbformat.v3
    notebook = v3.new_notebook(worksheets=[v3.new_worksheet(cells=[
        v3.new_code_cell(input="x = 41"), v3.new_text_cell("markdown", source="text"),
        v3.new_code_cell(input="y = x + 1"),
    ])])
    path = tmp_path / "old.ipynb"
    path.write_text(v3.writes_json(notebook))
    assert json.loads(path.read_text())["nbformat"] == 3
    namespace, report = load(path)
    assert namespace["y"] == 42
    assert report.cells_run == 2 and report.problems == [] and report.unreadable is None


def test_read_code_cells_joins_list_sources_and_skips_other_cells(tmp_path):
    path = tmp_path / "raw.ipynb"
    path.write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "source": "x = 'no'", "metadata": {}},
        {"cell_type": "code", "source": ["a = 1\n", "b = 2\n"], "metadata": {}, "outputs": []},
        {"cell_type": "raw", "source": "c = 3", "metadata": {}},
        {"cell_type": "code", "source": "\n  \nc = 3", "metadata": {}, "outputs": []},
    ]}))
    cells = read_code_cells(path)
    assert [(cell.number, cell.source, cell.first_line) for cell in cells] == [
        (1, "a = 1\nb = 2\n", "a = 1"), (2, "\n  \nc = 3", "c = 3")]


# --- unreadable notebooks ------------------------------------------------------------------------------------

@pytest.mark.parametrize("content, reason", [
    (b"", "is empty"),
    (b"  \n\t\n", "is empty"),
    (b"this is { not json", "not valid JSON"),
    (b'{"cells": [', "not valid JSON"),
    (b"[1, 2, 3]", "not a notebook"),
    (b'"a string"', "not a notebook"),
    (b'{"name": "a JSON file, but no cells"}', "no list of cells"),
    (b'{"nbformat": 4, "cells": {"0": "x = 1"}}', "no list of cells"),
    (b"\xff\xfe\x00binary", "cannot be read"),
], ids=["empty", "blank", "not-json", "cut-json", "json-list", "json-string", "json-dict", "cells-not-a-list",
        "not-utf8"])
def test_an_unreadable_notebook_gives_a_report_naming_the_file(tmp_path, content, reason):
    path = tmp_path / "homework.ipynb"
    path.write_bytes(content)
    namespace, report = load(path)
    assert report.unreadable and "homework.ipynb" in report.unreadable and reason in report.unreadable
    assert report.cells_run == 0 and report.problems == []
    assert not [name for name in namespace if not name.startswith("__") and name != "get_ipython"]


def test_a_missing_notebook_gives_a_report_naming_the_file(tmp_path):
    _, report = load(tmp_path / "gone.ipynb")
    assert report.unreadable == "gone.ipynb does not exist"
    assert report.notebook == "gone.ipynb" and report.cells_run == 0


def test_a_broken_v3_notebook_gives_a_report_naming_the_file(tmp_path):
    path = tmp_path / "ancient.ipynb"
    path.write_text('{"nbformat": 3, "metadata": {}}')
    _, report = load(path)
    assert "ancient.ipynb" in report.unreadable and "old notebook format" in report.unreadable


def test_a_notebook_with_a_non_numeric_version_is_unreadable_not_a_crash(tmp_path):
    path = tmp_path / "odd.ipynb"
    path.write_text('{"nbformat": "4", "cells": []}')
    _, report = load(path)
    assert "odd.ipynb" in report.unreadable


# --- the report as data ---------------------------------------------------------------------------------------

def test_load_report_round_trips_through_plain_data(tmp_path):
    path = write(tmp_path, "1 / 0", "def f(:", "import sys; sys.exit(1)", "fine = 1")
    _, report = load(path)
    plain = report.to_plain()
    assert json.loads(json.dumps(plain)) == plain  # plain data, JSON-ready
    assert plain["problems"][0] == {"cell": 1, "first_line": "1 / 0", "kind": "error",
                                    "error_type": "ZeroDivisionError", "message": "division by zero"}
    rebuilt = LoadReport.from_plain(json.loads(json.dumps(plain)))
    assert rebuilt == report
    assert all(isinstance(problem, CellProblem) for problem in rebuilt.problems)
    assert [problem.kind for problem in rebuilt.problems] == ["error", "syntax", "exit"]


def test_load_report_from_plain_fills_defaults():
    assert LoadReport.from_plain({"notebook": "n.ipynb"}) == LoadReport("n.ipynb", 0, [], None)
    unreadable = LoadReport("n.ipynb", unreadable="n.ipynb is empty: it has no cells at all")
    assert LoadReport.from_plain(unreadable.to_plain()) == unreadable


@pytest.mark.parametrize("kind, error_type, message, expected", [
    ("error", "NameError", "name 'nn' is not defined",
     "cell 7 (`net = build_mlp()`) raised NameError: name 'nn' is not defined"),
    ("syntax", "SyntaxError", "invalid syntax (line 2)",
     "cell 7 (`net = build_mlp()`) has a syntax error: invalid syntax (line 2)"),
    ("timeout", "TimeLimitExceeded", "stopped after 60 s",
     "cell 7 (`net = build_mlp()`) did not finish: it was stopped after 60 s, the time limit for one cell; the cells "
     "after it still ran"),
    ("exit", "SystemExit", "sys.exit(0)",
     "cell 7 (`net = build_mlp()`) tried to exit the notebook (sys.exit(0)); the cells after it still ran"),
])
def test_cell_problem_describe(kind, error_type, message, expected):
    assert CellProblem(7, "net = build_mlp()", kind, error_type, message).describe() == expected


def test_first_line_of_skips_blank_and_traceback_lines():
    error = RuntimeError("\n\nTraceback (most recent call last):\nShape inconsistent: (3, 5) vs (3, 4)\nStack trace:\n")
    assert first_line_of(error) == "Shape inconsistent: (3, 5) vs (3, 4)"
    assert first_line_of(RuntimeError("[bt] (0) libmxnet.so\n  real message  ")) == "real message"
    assert first_line_of(RuntimeError("x" * 1000), limit=10) == "x" * 10
    assert first_line_of(RuntimeError("")) == ""
