"""Unit by unit, the committed student version is what nbgrader makes of the committed source, whose test cells are
current."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.units import all_units

from notebooks import release_path, source_path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "solutions" / "plumbing" / "plumbing.ipynb"
RELEASE = ROOT / "assignments" / "plumbing" / "plumbing.ipynb"
SCRIPT = ROOT / "scripts" / "add_test_cells.py"
UNITS = list(all_units())


def essentials(path: Path):
    """What a student gets, without volatile fields: cell types, sources and nbgrader metadata, in order."""
    nb = json.loads(path.read_text())
    return [(cell["cell_type"], "".join(cell["source"]), cell["metadata"].get("nbgrader")) for cell in nb["cells"]]


@pytest.mark.parametrize("unit_name", UNITS)
def test_committed_release_is_what_generate_assignment_makes(tmp_path, unit_name):
    course, home = tmp_path / "course", tmp_path / "home"
    (course / "source" / unit_name).mkdir(parents=True)
    home.mkdir()
    (course / "source" / unit_name / f"{unit_name}.ipynb").write_bytes(source_path(unit_name).read_bytes())
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(tmp_path / 'gradebook.db')!r}\n")
    env = dict(os.environ, HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    env.pop("NBGRADER_DB_URL", None)
    process = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", unit_name], cwd=course,
                             env=env, capture_output=True, text=True, timeout=300)
    assert process.returncode == 0, process.stdout + process.stderr
    generated = essentials(course / "release" / unit_name / f"{unit_name}.ipynb")
    committed = essentials(release_path(unit_name))
    stale = [i for i, (a, b) in enumerate(zip(generated, committed, strict=False)) if a != b]
    assert (len(committed), stale) == (len(generated), []), (
        f"assignments/{unit_name}/{unit_name}.ipynb is out of date: run "
        f"`nbgrader generate_assignment {unit_name} --force` from the repo root")


@pytest.mark.parametrize("unit_name", UNITS)
def test_add_test_cells_is_idempotent_on_the_source(capsys, unit_name):
    spec = importlib.util.spec_from_file_location("add_test_cells", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    source = source_path(unit_name)
    before = source.read_bytes()
    assert script.main(["--check", str(source)]) == 0, capsys.readouterr().out
    assert source.read_bytes() == before


def test_add_test_cells_check_mode_notices_a_stale_source(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("add_test_cells", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    nb = json.loads(SOURCE.read_text())
    nb["cells"] = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") !=
                   "test_build_mlp_forward"]
    stale = tmp_path / "stale.ipynb"
    stale.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    assert script.main(["--check", str(stale)]) == 1
    assert script.main([str(stale)]) == 0
    assert script.main(["--check", str(stale)]) == 0


@pytest.mark.parametrize("unit_name", UNITS)
def test_the_release_tells_students_what_they_can_run(unit_name):
    """Students have no repo root: each exercise's check cell gives the command for their own notebook."""
    cells = json.loads((ROOT / "assignments" / unit_name / f"{unit_name}.ipynb").read_text())["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    checks = [cell for cell in cells if cell["metadata"].get("nbgrader", {}).get("grade_id", "").endswith("_check")]
    assert "repo root" not in text and "pytest autograder" not in text
    assert checks and all(f"`pytest --pyargs autograder --submission {unit_name}.ipynb`" in "".join(cell["source"])
                          for cell in checks)
