"""The notebooks the kit ships, unit by unit: the reference gets every point, the released stub gets none, and says
why."""
import pytest

from autograder.units import all_units, unit

from notebooks import grade_notebook, grade_with_report, release_path, source_path

UNITS = list(all_units())


@pytest.fixture(scope="module", params=UNITS)
def unit_name(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def unit_reference(unit_name, reference_results) -> dict:
    """``{check_id: CheckResult}`` of the unit's reference notebook (plumbing's is graded once per session)."""
    return reference_results if unit_name == "plumbing" else grade_notebook(source_path(unit_name), unit_name)


@pytest.fixture(scope="module")
def release_graded(unit_name, mnist_dir):
    """``(results, load_report)`` of the unit's released student notebook, graded once for this module."""
    return grade_with_report(release_path(unit_name), unit_name)


def test_every_unit_ships_a_source_and_a_release(unit_name):
    assert source_path(unit_name).is_file() and release_path(unit_name).is_file()


def test_reference_gets_full_marks_on_every_check(unit_name, unit_reference):
    assert list(unit_reference) == [check.id for check in unit(unit_name).checks]
    wrong = {cid: r.feedback for cid, r in unit_reference.items() if not r.passed or r.score != r.max_score}
    assert not wrong
    assert all(r.feedback == "" and r.max_score > 0 for r in unit_reference.values())


def test_released_notebook_runs_without_cell_problems(release_graded):
    _, report = release_graded
    assert report.unreadable is None
    assert report.problems == []
    assert report.cells_run > 0


def test_released_notebook_gets_zero_on_every_check(unit_name, release_graded):
    results, _ = release_graded
    assert list(results) == [check.id for check in unit(unit_name).checks]
    for check_id, result in results.items():
        assert (result.status, result.score) == ("failed", 0), check_id
        assert result.max_score > 0


def test_released_notebook_feedback_says_not_implemented_yet(release_graded):
    results, _ = release_graded
    for check_id, result in results.items():
        exercise = check_id.split(".")[0]
        assert f"`{exercise}` is not implemented yet" in result.feedback, (check_id, result.feedback)
