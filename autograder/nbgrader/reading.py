"""How nbgrader's autograde reads a submitted notebook: through the kit's intake, as every front end reads one.

nbgrader reads ``submitted/<student>/<assignment>/<notebook>.ipynb`` with nbformat itself, before any step of the
kit's runs: a truncated, empty, zipped or non-UTF-8 file, a folder named ``x.ipynb`` or a notebook of another unit
failed there with a traceback (or hung, for a named pipe). :class:`IntakeExporter` is the converter's exporter
(``c.Autograde.exporter_class`` in ``nbgrader_config.py``): it reads the file with :func:`autograder.intake.take`
first. A notebook the intake reads goes on to nbgrader as before. One it refuses is replaced by the assignment's
release (what the student was given: nbgrader finds its cells where it expects them), carrying the reason in its
metadata (:data:`UNREADABLE`); nothing of it runs, and the ``Execute`` step gives every test cell 0 with that
reason: the student gets 0 and the same message as from every other front end, and the run goes on.
"""
from __future__ import annotations

import os

import nbformat
from nbconvert.exporters import NotebookExporter

#: The metadata key (under ``gluon_grader``) of a notebook put in place of one the intake refused: the reason.
UNREADABLE = "unreadable"


class IntakeExporter(NotebookExporter):
    """nbgrader's notebook exporter, with the kit's intake in front of it."""

    def from_filename(self, filename, resources=None, **kw):
        from ..intake import Unreadable, take
        from ..units import all_units

        assignment = ((resources or {}).get("nbgrader") or {}).get("assignment")
        taken = take(filename, folder=os.path.dirname(os.path.abspath(filename)), unit_required=False,
                     unit_name=assignment if assignment in all_units() else None)
        if not isinstance(taken, Unreadable):
            return super().from_filename(filename, resources, **kw)
        self.log.warning("Not a notebook nbgrader can grade, graded 0: %s", taken.reason)
        return self.from_notebook_node(stand_in(taken.reason, self.release_of(resources)), resources, **kw)

    def release_of(self, resources) -> str | None:
        """The path of the release of the notebook being read (None where this exporter has no course)."""
        coursedir = getattr(self.parent, "coursedir", None)
        nbgrader = (resources or {}).get("nbgrader") or {}
        if coursedir is None or not nbgrader.get("assignment") or not nbgrader.get("notebook"):
            return None
        folder = coursedir.format_path(coursedir.release_directory, ".", nbgrader["assignment"])
        return os.path.join(folder, nbgrader["notebook"] + ".ipynb")


def stand_in(reason: str, release: str | None):
    """The notebook graded in place of one the intake refused: the release the student was given (else an empty
    notebook), with the reason in its metadata."""
    try:
        nb = nbformat.read(release, as_version=4) if release else nbformat.v4.new_notebook()
    except (OSError, ValueError):
        nb = nbformat.v4.new_notebook()
    meta = nb.metadata.get("gluon_grader") if isinstance(nb.metadata.get("gluon_grader"), dict) else {}
    nb.metadata["gluon_grader"] = {**meta, UNREADABLE: reason}
    return nb


def unreadable_reason(nb) -> str | None:
    """The reason a stand-in notebook carries (None for any other notebook)."""
    meta = (nb.get("metadata") or {}).get("gluon_grader")
    reason = meta.get(UNREADABLE) if isinstance(meta, dict) else None
    return reason if isinstance(reason, str) else None
