"""Put one nbgrader autograded test cell per check after each exercise's ``ex_*_check`` cell of a unit's source.

Each ``ex_*_check`` markdown cell gets the course's one text for it (:data:`CHECK_TEXT`): how a student checks the
answer with what a student has (the course's environment or the student kit's), not the course repository.

After them comes one cell per exercise with hidden checks (``instructor/<unit>.py``), all of it a
``### BEGIN HIDDEN TESTS`` region: nbgrader strips it from the release and restores it when autograding. The
notebook's metadata gets ``gluon_grader.unit``, so every front end knows its unit.

Idempotent: old ``test_*`` cells are dropped first, so rerun it whenever checks or their points change, then
regenerate the student version with ``nbgrader generate_assignment UNIT --force``.

    python scripts/add_test_cells.py [--unit NAME] [NOTEBOOK]          # rewrite the test cells (default: every unit)
    python scripts/add_test_cells.py --check [--unit NAME] [NOTEBOOK]  # exit 1 if that would change a notebook
"""
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # instructor/ (hidden checks) and the kit, run from anywhere

from autograder.units import all_units, unit_of  # noqa: E402  (after the path above)

#: The ``ex_*_check`` cell of every exercise: what a student runs, from the notebook's own folder.
CHECK_TEXT = ("Check your answer: in a terminal, in this notebook's folder and with the course's Python environment "
              "active, run `pytest --pyargs autograder --submission {notebook}`. Each check prints what it expected "
              "and what your code gave; the score table at the end sums them up.")


def source_notebook(unit) -> Path:
    """``solutions/<unit>/<unit>.ipynb``."""
    return ROOT / "solutions" / unit.name / f"{unit.name}.ipynb"


def test_cell(check):
    grade_id = "test_" + check.id.replace(".", "_")
    source = f'from autograder.nbgrader_cells import check\ncheck("{check.id}")'
    return graded_cell(grade_id, source, check.points)


def hidden_test_cell(exercise, checks):
    """One cell for an exercise's hidden checks: all of it is a hidden-test region, stripped from the release."""
    ids = ", ".join(f'"{one.id}"' for one in checks)
    source = ("# Hidden tests: graded when your notebook is collected.\n"
              "### BEGIN HIDDEN TESTS\n"
              "from instructor.hidden_checks import check_hidden\n"
              f"check_hidden({ids})\n"
              "### END HIDDEN TESTS")
    return graded_cell(f"test_{exercise}_hidden", source, sum(one.points for one in checks))


def graded_cell(grade_id, source, points):
    cell = nbformat.v4.new_code_cell(source)
    cell.id = grade_id.replace(".", "-")[:64]
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def with_test_cells(nb, unit):
    """The notebook ``nb`` with its test cells rewritten from ``unit``'s checks (``nb`` is changed in place)."""
    exercise_of = {exercise.cell: exercise.name for exercise in unit.exercises}
    visible, hidden = unit.checks, unit.hidden_checks
    cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")]
    out, exercise, placed = [], None, set()
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        out.append(cell)
        if meta.get("solution") and cell.cell_type == "code":
            exercise = exercise_of.get(meta["grade_id"])
        elif meta.get("grade_id", "").startswith("ex_") and meta["grade_id"].endswith("_check"):
            cell.source = CHECK_TEXT.format(notebook=f"{unit.name}.ipynb")
            checks = [c for c in visible if c.exercise == exercise]
            if not checks:
                sys.exit(f"{meta['grade_id']}: no checks for exercise {exercise!r} of unit {unit.name!r}")
            out.extend(test_cell(c) for c in checks)
            secret = [c for c in hidden if c.exercise == exercise]
            if secret:
                out.append(hidden_test_cell(exercise, secret))
            placed.add(exercise)
    missing = {c.exercise for c in [*visible, *hidden]} - placed
    if missing:
        sys.exit(f"no ex_*_check cell after the answer cells of {sorted(missing)}")
    nb.cells = out
    nb.metadata["gluon_grader"] = {"unit": unit.name}
    nbformat.validate(nb)
    return nb


def rewrite(path: Path, unit, check_only: bool) -> int:
    """Rewrite (or with ``check_only``, compare) the test cells of ``path``; 1 when out of date and only checked."""
    before = path.read_text()
    after = nbformat.writes(with_test_cells(nbformat.reads(before, as_version=4), unit)) + "\n"
    if check_only:
        if after != before:
            print(f"{path}: test cells out of date; run python scripts/add_test_cells.py")
            return 1
        print(f"{path}: test cells up to date")
        return 0
    if after != before:
        path.write_text(after)
    cells = nbformat.reads(after, as_version=4).cells
    print(f"{path}: {sum(1 for c in cells if c.metadata.get('nbgrader', {}).get('grade_id', '').startswith('test_'))}"
          " test cells")
    return 0


def main(argv=()):
    argv = list(argv)
    check_only = "--check" in argv
    named = argv[argv.index("--unit") + 1] if "--unit" in argv else None
    paths = [arg for index, arg in enumerate(argv) if arg != "--check" and arg != "--unit"
             and (index == 0 or argv[index - 1] != "--unit")]
    if paths:
        targets = [(Path(path), unit_of(path, named=named)) for path in paths]
    else:
        units = [unit_of(named=named)] if named else all_units().values()
        targets = [(source_notebook(unit), unit) for unit in units if source_notebook(unit).is_file()]
    return max([rewrite(path, unit, check_only) for path, unit in targets], default=0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
