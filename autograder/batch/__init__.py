"""Batch grading of a class: find the submissions, grade each in the sandboxed runner, write every result."""
