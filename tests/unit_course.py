"""What the units' course tests share: handing a notebook in as ``nbgrader collect`` leaves it, and grading the
submitted tree with both the batch grader and nbgrader's sandboxed autograde (then generate_feedback)."""
import getpass
import json
import shutil

import nbformat

from notebooks import release_path, source_path, with_answer
from test_nbgrader import config, environment, nbgrader, run


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


def graded_course(base, unit_name: str, bob_cell: str, bob_source: str) -> dict:
    """The unit's assignment as a class meets it, in a course under ``base``: generated and released; alice hands
    the source (the reference answers) in through nbgrader's submit and collect, bob the reference with ``bob_cell``
    answered by ``bob_source``, cleo the release; then graded both ways (:func:`grade_both_ways`)."""
    home, course, exchange, student = base / "home", base / "course", base / "exchange", base / "student"
    for folder in (home, course, exchange, student):
        folder.mkdir()
    exchange.chmod(0o777)
    db = base / "gradebook.db"
    config(course, course, exchange, db)
    config(student, course, exchange, db)
    (course / "source" / unit_name).mkdir(parents=True)
    shutil.copy(source_path(unit_name), course / "source" / unit_name / f"{unit_name}.ipynb")
    env = environment(home)

    nbgrader("generate_assignment", unit_name, cwd=course, env=env)
    nbgrader("release_assignment", unit_name, cwd=course, env=env)
    (student / unit_name).mkdir()  # what fetch_assignment would make (kept out: one nbgrader start less)
    shutil.copy(source_path(unit_name), student / unit_name / f"{unit_name}.ipynb")
    nbgrader("submit", unit_name, cwd=student, env=env)
    nbgrader("collect", unit_name, cwd=course, env=env)
    (course / "submitted" / getpass.getuser()).rename(course / "submitted" / "alice")
    reference = nbformat.read(source_path(unit_name), as_version=4)
    hand_in(course, unit_name, "bob", with_answer(reference, bob_cell, bob_source.lstrip()))
    hand_in(course, unit_name, "cleo", nbformat.read(release_path(unit_name), as_version=4))

    graded = grade_both_ways(base, course, db, env, unit_name, ("alice", "bob", "cleo"))
    return {"base": base, "course": course, "env": env, **graded}
