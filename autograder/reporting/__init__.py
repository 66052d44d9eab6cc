"""Writers of results: the score table, Gradescope's results.json, and the batch grader's output folder
(feedback.md, grades.csv, junit.xml, report.html; see batch.py)."""
