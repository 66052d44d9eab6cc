"""What the units' course tests share: handing a notebook in as ``nbgrader collect`` leaves it, and grading the
submitted tree with both the batch grader and nbgrader's sandboxed autograde (then generate_feedback)."""
import json

import nbformat

from test_nbgrader import nbgrader, run


def hand_in(course, unit_name: str, student: str, nb) -> None:
    """Write ``nb`` where ``nbgrader collect`` would have put the student's submission of ``unit_name``."""
    folder = course / "submitted" / student / unit_name
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{unit_name}.ipynb")
    (folder / "timestamp.txt").write_text("2024-06-01 11:00:00.000000 UTC")


def grade_both_ways(base, course, db, env, unit_name: str, students) -> dict:
    """``autograder grade`` on ``course/submitted`` into ``base/graded``, then nbgrader's autograde and feedback;
    the gradebook's grades per student, the assignment's maximum and each student's batch results.json."""
    run(["autograder", "grade", str(course / "submitted"), "--out", str(base / "graded"), "--jobs", "2", "--quiet"],
        base, env)
    nbgrader("autograde", unit_name, "--create", cwd=course, env=env)
    nbgrader("generate_feedback", unit_name, cwd=course, env=env)

    from nbgrader.api import Gradebook

    grades = {}
    with Gradebook("sqlite:///" + str(db), course_id="gluon-plumbing-test") as gradebook:
        max_score = gradebook.find_assignment(unit_name).max_score
        for student_id in students:
            notebook = gradebook.find_submission_notebook(unit_name, unit_name, student_id)
            grades[student_id] = {grade.name: (grade.score, grade.max_score) for grade in notebook.grades}
    batch = {student_id: json.loads((base / "graded" / student_id / "results.json").read_text())
             for student_id in grades}
    return {"grades": grades, "max_score": max_score, "batch": batch}
