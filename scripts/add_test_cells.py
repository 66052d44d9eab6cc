"""Put one nbgrader autograded test cell per check after each exercise's ``ex_*_check`` cell of the source notebook.

After them comes one cell per exercise with hidden checks (``instructor/hidden_checks.py``), all of it a
``### BEGIN HIDDEN TESTS`` region: nbgrader strips it from the release and restores it when autograding.

Idempotent: old ``test_*`` cells are dropped first, so rerun it whenever checks or their points change, then
regenerate the student version with ``nbgrader generate_assignment plumbing --force``.

    python scripts/add_test_cells.py [NOTEBOOK]           # rewrite the test cells of NOTEBOOK (default: the source)
    python scripts/add_test_cells.py --check [NOTEBOOK]   # exit 1 if that would change NOTEBOOK
"""
import sys
from pathlib import Path

import nbformat

from autograder.checks import REGISTRY
from instructor.hidden_checks import HIDDEN

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions" / "plumbing" / "plumbing.ipynb"
# grade_id of an exercise's solution cell -> the exercise name its checks carry
EXERCISE_OF = {"mlp_block": "MLP", "my_sequential": "MySequential", "my_init": "MyInit"}


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


def with_test_cells(nb):
    """The notebook ``nb`` with its test cells rewritten from the check registry (``nb`` is changed in place)."""
    cells = [c for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("test_")]
    out, exercise, placed = [], None, set()
    for cell in cells:
        meta = cell.metadata.get("nbgrader", {})
        out.append(cell)
        if meta.get("solution") and cell.cell_type == "code":
            exercise = EXERCISE_OF.get(meta["grade_id"], meta["grade_id"])
        elif meta.get("grade_id", "").startswith("ex_") and meta["grade_id"].endswith("_check"):
            checks = [c for c in REGISTRY if c.exercise == exercise]
            if not checks:
                sys.exit(f"{meta['grade_id']}: no checks for exercise {exercise!r}")
            out.extend(test_cell(c) for c in checks)
            hidden = [c for c in HIDDEN if c.exercise == exercise]
            if hidden:
                out.append(hidden_test_cell(exercise, hidden))
            placed.add(exercise)
    missing = {c.exercise for c in [*REGISTRY, *HIDDEN]} - placed
    if missing:
        sys.exit(f"no ex_*_check cell for {sorted(missing)}")
    nb.cells = out
    nbformat.validate(nb)
    return nb


def main(argv=()):
    argv = list(argv)
    check_only = "--check" in argv
    paths = [arg for arg in argv if arg != "--check"]
    path = Path(paths[0]) if paths else NOTEBOOK
    before = path.read_text()
    after = nbformat.writes(with_test_cells(nbformat.reads(before, as_version=4))) + "\n"
    if check_only:
        if after != before:
            print(f"{path}: test cells out of date; run python scripts/add_test_cells.py")
            return 1
        print(f"{path}: test cells up to date")
        return 0
    if after != before:
        path.write_text(after)
    print(f"{path}: {sum(1 for c in nbformat.reads(after, as_version=4).cells if c.metadata.get('nbgrader', {}).get('grade_id', '').startswith('test_'))} test cells")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
