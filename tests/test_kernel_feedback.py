"""What a student reads under a test cell in Jupyter: a released notebook run in a real kernel (nbclient, ipykernel).

Each unit's release is filled with the reference answers, one of them wrong; every test cell of a right answer
prints its "passed" lines, and the test cells of the wrong one show the feedback alone: expected, found, hint, and
none of the kit's frames. Without MNIST the grader says so as its own trouble (in full once, then in a line), and a
test cell run before its exercise asks for that cell first.
"""
from __future__ import annotations

import os
import re

import nbformat
import pytest
from nbclient import NotebookClient

from notebooks import grade_id_of, reference_notebook, release_path, with_answer

#: A wrong answer per unit: (solution cell, its source, words its test cells must show).
WRONG = [
    ("plumbing", "count_parameters", "def count_parameters(net):\n    return 0\n", ("Expected:", "Found: 0")),
    ("custom_layers", "count_unique_parameters", "def count_unique_parameters(net):\n    return 0\n",
     ("Expected:", "Found:")),
    ("hybridize_serialize", "evaluate_accuracy", "def evaluate_accuracy(net, batches):\n    return 0.5\n",
     ("Expected:", "Found:")),
]
#: What a student must never see under a test cell: a traceback, the kit's files, ANSI-coloured frames.
KIT_FRAMES = ("Traceback", "autograder/", "site-packages", "raise ", "\x1b[", "run_in_cell")


def released_with_answers(unit_name: str):
    """The unit's release with every answer cell filled from the reference notebook."""
    answers = {grade_id_of(cell): cell.source for cell in reference_notebook(unit_name).cells
               if cell.get("metadata", {}).get("nbgrader", {}).get("solution") and cell.cell_type == "code"}
    nb = nbformat.read(release_path(unit_name), as_version=4)
    for grade_id, source in answers.items():
        nb = with_answer(nb, grade_id, source)
    return nb


def run_in_kernel(nb, folder, env: dict | None = None):
    """Run ``nb`` in a fresh Python kernel in ``folder``, every cell even after errors, as a student's Run All."""
    client = NotebookClient(nb, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(folder)}})
    client.execute(**({"env": env} if env is not None else {}))
    return nb


def kit_test_cells(nb):
    """``[(grade_id, outputs)]`` of the notebook's test cells (those that call the kit's check)."""
    return [(grade_id_of(cell), cell.outputs) for cell in nb.cells
            if cell.cell_type == "code" and "check(" in cell.source and "nbgrader" in cell.get("metadata", {})
            and not cell.metadata["nbgrader"].get("solution")]


def shown(outputs) -> str:
    """What Jupyter shows under a cell: its streams and, for an error, the lines IPython rendered."""
    parts = []
    for output in outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type == "error":
            parts.append("\n".join(output.traceback))
    return "\n".join(parts)


@pytest.mark.parametrize(("unit_name", "wrong_cell", "source", "words"), WRONG, ids=[row[0] for row in WRONG])
def test_a_released_notebook_in_jupyter_shows_passed_lines_and_the_feedback_alone(tmp_path, unit_name, wrong_cell,
                                                                                   source, words):
    nb = run_in_kernel(with_answer(released_with_answers(unit_name), wrong_cell, source), tmp_path)
    cells = kit_test_cells(nb)
    assert cells, "the release has test cells"
    wrong = [(grade_id, outputs) for grade_id, outputs in cells if grade_id.startswith(f"test_{wrong_cell}")]
    right = [(grade_id, outputs) for grade_id, outputs in cells if not grade_id.startswith(f"test_{wrong_cell}")]
    assert wrong and right
    for grade_id, outputs in right:
        text = shown(outputs)
        assert "passed:" in text and not [o for o in outputs if o.output_type == "error"], (grade_id, text)
    failing = [(grade_id, outputs) for grade_id, outputs in wrong if any(o.output_type == "error" for o in outputs)]
    assert failing, "the wrong answer fails at least one of its test cells"
    for grade_id, outputs in failing:
        error = next(o for o in outputs if o.output_type == "error")
        text = shown(outputs)
        assert error.traceback == error.evalue.splitlines(), (grade_id, error.traceback)
        assert all(word in text for word in words), (grade_id, text)
        assert not [frame for frame in KIT_FRAMES if frame in text], (grade_id, text)


def test_without_mnist_the_grader_says_so_once_and_a_cell_run_too_early_asks_for_its_exercise(tmp_path):
    nb = nbformat.v4.new_notebook()
    check = 'from autograder.nbgrader_cells import check\ncheck("{}")'
    # No MNIST anywhere the kit looks: no variable, an empty home (MXNet's cache), no network to download it, and
    # no course around the kit (as for a student's installed wheel: this checkout has the course's own default).
    no_course = "import autograder.mnist\nautograder.mnist.course_dirs = list"
    nb.cells = [nbformat.v4.new_code_cell(no_course),
                nbformat.v4.new_code_cell(check.format("build_mlp.sequential_of_dense")),
                nbformat.v4.new_code_cell(check.format("build_mlp.forward"))]
    env = {key: value for key, value in os.environ.items() if key != "GLUON_GRADER_MNIST"}
    env.update(HOME=str(tmp_path), MXNET_HOME=str(tmp_path / "mxnet"))
    run_in_kernel(nb, tmp_path, env=env)
    first, second = (shown(cell.outputs) for cell in nb.cells[1:])
    assert "not about your code" in first and "GLUON_GRADER_MNIST" in first and "MNIST" in first
    assert "MnistNotFound" not in first + second and "raised" not in first + second
    assert "still cannot find the MNIST files" in second and len(second.splitlines()) == 1
    for text in (first, second):
        assert not [frame for frame in KIT_FRAMES if frame in text], text

    nb.cells = [nbformat.v4.new_code_cell(check.format("save_and_load.round_trip"))]
    run_in_kernel(nb, tmp_path)
    text = shown(nb.cells[0].outputs)
    assert re.search(r"`save_and_load` is not defined yet in this notebook: run the cell where you write", text)
    assert "notes at the top" not in text and not [frame for frame in KIT_FRAMES if frame in text], text
