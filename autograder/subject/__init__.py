"""The student's side of grading: run the notebook, answer probe requests with plain data."""
