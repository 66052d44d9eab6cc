"""``save_checkpoint``: the net's parameters and the trainer's state, in ``path + '.params'`` and ``path + '.states'``.

Its files come back as bytes; the judge reads them by hand and compares them with its own training run, so that a
wrong load_checkpoint costs nothing here and nothing in the student's process decides whether resuming works.
"""
from __future__ import annotations

from autograder.checks.base import check

from .checkpoints import judge_files, judge_saved, probe_save

EXERCISE = "save_checkpoint"
FILES = ["<path>.params", "<path>.states"]


@check(EXERCISE, 1, "Writes <path>.params and <path>.states")
def files(subject):
    reply, _ = probe_save(subject, EXERCISE)
    judge_files(reply, FILES)


@check(EXERCISE, 2, "Resumed from it (Adam), training takes exactly the uninterrupted run's steps")
def resumes_exactly(subject):
    reply, run = probe_save(subject, EXERCISE)
    judge_saved(reply, run, "Adam; your save_checkpoint")
