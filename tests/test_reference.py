"""The two notebooks the kit ships: the reference gets every point, the released stub gets none, and says why."""
import pytest

from autograder.units import unit

from notebooks import RELEASE, grade_with_report


@pytest.fixture(scope="module")
def release_graded(mnist_dir):
    """``(results, load_report)`` of the released student notebook, graded once for this module."""
    return grade_with_report(RELEASE)


def test_reference_gets_full_marks_on_every_check(reference_results):
    assert list(reference_results) == [check.id for check in unit("plumbing").checks]
    wrong = {cid: r.feedback for cid, r in reference_results.items() if not r.passed or r.score != r.max_score}
    assert not wrong
    assert all(r.feedback == "" and r.max_score > 0 for r in reference_results.values())


def test_released_notebook_runs_without_cell_problems(release_graded):
    _, report = release_graded
    assert report.unreadable is None
    assert report.problems == []
    assert report.cells_run > 0


def test_released_notebook_gets_zero_on_every_check(release_graded):
    results, _ = release_graded
    assert list(results) == [check.id for check in unit("plumbing").checks]
    for check_id, result in results.items():
        assert (result.status, result.score) == ("failed", 0), check_id
        assert result.max_score > 0


def test_released_notebook_feedback_says_not_implemented_yet(release_graded):
    results, _ = release_graded
    for check_id, result in results.items():
        exercise = check_id.split(".")[0]
        assert f"`{exercise}` is not implemented yet" in result.feedback, (check_id, result.feedback)
