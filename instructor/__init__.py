"""Instructor-only material: never handed to students, never imported by the student's self-check.

Keep this folder out of whatever students receive (they get ``assignments/`` and, for the self-check,
``autograder/``): the hidden checks in :mod:`instructor.hidden_checks` are only worth something while students
cannot read them. nbgrader runs them from the hidden-test region of the source notebook's test cells
(``### BEGIN HIDDEN TESTS``), which ``generate_assignment`` strips from the release and ``autograde`` restores.
"""
