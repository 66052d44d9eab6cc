"""nbgrader configuration of the course: run nbgrader commands from the repo root.

Release the student version with (nbgrader runs `alembic` by name, so the venv's bin must be on PATH):
    PATH=$PWD/.venv/bin:$PATH .venv/bin/nbgrader generate_assignment plumbing --force
"""
import os
import sys

c = get_config()  # noqa: F821 -- provided by nbgrader/traitlets when this file is loaded

# The course is this folder: nbgrader sources in solutions/<assignment>/, student versions in assignments/<assignment>/.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.course_id = "gluon-plumbing"

# The gradebook lives outside the repo (nbgrader's default is <root>/gradebook.db), unless NBGRADER_DB_URL says where.
if os.environ.get("NBGRADER_DB_URL"):
    c.CourseDirectory.db_url = os.environ["NBGRADER_DB_URL"]
else:
    _cache = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "gluon-grader")
    os.makedirs(_cache, exist_ok=True)
    c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_cache, "gradebook.db")

# A test cell deleted from a submission is put back (and run) by autograde, like an edited locked cell is restored.
c.OverwriteCells.add_missing_cells = True

# Feedback shows neither the hidden tests (restored into the autograded notebook by autograde) nor their tracebacks.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

sys.path.insert(0, c.CourseDirectory.root)  # the autograder package, when the kit is not installed
from autograder.nbgrader_feedback import HideHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# autograde runs the student's code in the kit's sandbox, not in a kernel beside the test cells: the checks run
# in nbgrader's own process and their verdicts become the test cells' outputs (autograder/nbgrader_sandbox.py).
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

from autograder.nbgrader_sandbox import SandboxedExecute  # noqa: E402

c.Autograde.autograde_preprocessors = [SandboxedExecute if step is Execute else step
                                       for step in Autograde.class_traits()["autograde_preprocessors"].default()]
