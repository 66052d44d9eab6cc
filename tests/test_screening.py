"""Notebooks that reach into the grader are found by reading their code; honest ones, the course's included, are not."""
import pytest

from autograder.screening import reaches_into_grader, suspicious_names

from notebooks import REFERENCE, RELEASE, reference_notebook, with_answer, write_notebook


@pytest.mark.parametrize("source", [
    "from autograder.mnist import mnist_batches",
    "from autograder import mnist",
    "# run `pytest autograder` in a terminal to check your work",
    "!pytest autograder --submission plumbing.ipynb",
    "net.collect_params()  # f_back is only a word in a comment",
    "globals_seen = {'f': 1}",
])
def test_honest_code_is_not_flagged(source):
    assert suspicious_names(source) == []


@pytest.mark.parametrize("source, found", [
    ("import autograder.subject.probes as p", ["autograder.subject"]),
    ("import autograder", ["autograder"]),
    ("m = __import__('autograder.checks')", ["autograder.checks"]),
    ("import gc\nfor o in gc.get_objects(): pass", ["get_objects"]),
    ("import sys\nframe = sys._getframe(1).f_back", ["_getframe", "f_back"]),
    ("build_mlp.__globals__['x'] = 1", ["__globals__"]),
])
def test_code_that_reaches_into_the_grader_is_flagged(source, found):
    assert suspicious_names(source) == found


def test_the_course_notebooks_are_not_flagged():
    assert reaches_into_grader(REFERENCE.read_bytes()) == [] and reaches_into_grader(RELEASE.read_bytes()) == []


def test_a_flagged_cell_is_named_by_number_and_first_line(tmp_path):
    nb = with_answer(reference_notebook(), "count_parameters",
                     "import gc\ndef count_parameters(net):\n    return len(gc.get_objects())\n")
    (finding,) = reaches_into_grader(write_notebook(nb, tmp_path).read_bytes())
    assert finding.startswith("cell ") and "(`import gc`) uses `get_objects`" in finding
