"""MXNet's and Hypothesis's warnings cannot cost points: nbgrader gives 0 to a test cell that writes to stderr.

A fresh interpreter with every warning shown (``-W always``, ``PYTHONWARNINGS=always``) runs the reference
notebook's answer cells, then each autograded test cell of the source notebook (hidden tests included, as
``nbgrader autograde`` runs them) the way a kernel would: in the notebook's namespace. Whatever those test cells
write to stderr is caught at the file descriptor, so warnings printed by C++ code count too.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.units import all_units

from notebooks import source_path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
#: Fewest autograded test cells each unit's source must have (a floor against test cells gone missing).
MINIMUM_CELLS = {"plumbing": 30, "custom_layers": 28, "hybridize_serialize": 23, "convolutions": 35}

RUNNER = r'''
import json, os, sys, tempfile, warnings
from autograder.subject.notebook import load_notebook

source, report_path = sys.argv[1], sys.argv[2]
namespace, report = load_notebook(source, workdir=tempfile.mkdtemp())
assert not report.problems, report.problems
with open(source) as handle:
    notebook = json.load(handle)
cells = [c for c in notebook["cells"]
         if c["cell_type"] == "code" and c["metadata"].get("nbgrader", {}).get("grade")
         and not c["metadata"]["nbgrader"].get("solution")]
results = []
for cell in cells:
    grade_id = cell["metadata"]["nbgrader"]["grade_id"]
    code = "".join(cell["source"])
    with tempfile.TemporaryFile() as err:
        sys.stderr.flush()
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            with warnings.catch_warnings():  # a kernel shows every warning again in each cell
                warnings.simplefilter("always")
                exec(compile(code, grade_id, "exec"), namespace)
            error = None
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
        err.seek(0)
        results.append({"grade_id": grade_id, "error": error, "stderr": err.read().decode(errors="replace")})
with open(report_path, "w") as handle:
    json.dump(results, handle)
'''


@pytest.mark.parametrize("unit_name", list(all_units()))
def test_test_cells_write_nothing_to_stderr_even_with_every_warning_on(tmp_path, unit_name):
    report = tmp_path / "cells.json"
    env = dict(os.environ, PYTHONWARNINGS="always",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    process = subprocess.run([sys.executable, "-W", "always", "-c", RUNNER, str(source_path(unit_name)), str(report)],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert process.returncode == 0, process.stdout + process.stderr
    results = json.loads(report.read_text())
    assert len(results) >= MINIMUM_CELLS[unit_name]
    assert [r for r in results if r["error"] or r["stderr"]] == []
    assert sorted(os.listdir(tmp_path)) == ["cells.json"]  # no .hypothesis or parameter files left behind
