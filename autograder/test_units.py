"""The graded checks of each unit: one test per check of each notebook, worth its points."""


def test_check(grade_check, graded_check):
    grade_check(graded_check)
