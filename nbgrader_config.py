"""nbgrader configuration of the course: run nbgrader commands from the repo root.

Release the student version with (nbgrader runs `alembic` by name, so the venv's bin must be on PATH):
    PATH=$PWD/.venv/bin:$PATH .venv/bin/nbgrader generate_assignment plumbing --force
"""
import os
import sys
import warnings

from sqlalchemy.exc import SAWarning

c = get_config()  # noqa: F821 -- provided by nbgrader/traitlets when this file is loaded

# The course is this folder: nbgrader sources in solutions/<assignment>/, student versions in assignments/<assignment>/.
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.course_id = "gluon-course"

# The gradebook lives with the course, in this checkout's gradebook.db (git-ignored): two checkouts of the course on
# one machine keep two gradebooks. NBGRADER_DB_URL names another database (sqlite:///path, postgresql://...).
c.CourseDirectory.db_url = os.environ.get("NBGRADER_DB_URL") or "sqlite:///" + os.path.join(
    c.CourseDirectory.root, "gradebook.db")

# The exchange, where release_assignment puts the student version and submit puts hand-ins: NBGRADER_EXCHANGE, else
# exchange/ in the course (git-ignored). nbgrader's own default, /usr/local/share/nbgrader/exchange, needs root to
# create. On a shared server, point NBGRADER_EXCHANGE at a folder every student can write (mode 1777).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE") or os.path.join(c.CourseDirectory.root, "exchange")

# nbgrader 0.9's gradebook makes SQLAlchemy 2 warn "Object of type <SubmittedAssignment> not in session, add operation
# along 'Assignment.submissions' will not proceed" when autograde --create files a new submission: nbgrader adds the
# row itself right after, so nothing is lost. Not the course's code and not a problem: silenced, this message only.
warnings.filterwarnings("ignore", r"Object of type <\w+> not in session", SAWarning)

# A test cell deleted from a submission is put back (and run) by autograde, like an edited locked cell is restored.
c.OverwriteCells.add_missing_cells = True

# Feedback shows neither the hidden tests (restored into the autograded notebook by autograde) nor their tracebacks.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor  # noqa: E402
from nbgrader.preprocessors import GetGrades  # noqa: E402

sys.path.insert(0, c.CourseDirectory.root)  # the autograder package, when the kit is not installed
from autograder.nbgrader.feedback import HideHiddenTests  # noqa: E402

c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# autograde runs the student's code in the kit's sandbox, not in a kernel beside the test cells: the checks run
# in the run's judge processes and their verdicts become the test cells' outputs (autograder/nbgrader/execute.py).
from nbgrader.converters import Autograde  # noqa: E402
from nbgrader.preprocessors import CheckCellMetadata, Execute  # noqa: E402

from autograder.nbgrader.execute import SandboxedExecute  # noqa: E402
from autograder.nbgrader.metadata import CheckCellMetadataOnce  # noqa: E402
from autograder.nbgrader.reading import IntakeExporter  # noqa: E402

# Submitted notebooks are read by the kit's intake, as every front end reads them: a file that is not a notebook
# (truncated, zipped, a folder, a pipe, another unit's) gets 0 and its reason, not a traceback.
c.Autograde.exporter_class = IntakeExporter

# And nbgrader's metadata check, run twice per notebook, is the same check with its JSON schema checked once per run
# instead of once per cell (autograder/nbgrader/metadata.py): about 0.1 s less per notebook in nbgrader's own thread.
OURS = {Execute: SandboxedExecute, CheckCellMetadata: CheckCellMetadataOnce}
c.Autograde.sanitize_preprocessors = [OURS.get(step, step)
                                      for step in Autograde.class_traits()["sanitize_preprocessors"].default()]
c.Autograde.autograde_preprocessors = [OURS.get(step, step)
                                       for step in Autograde.class_traits()["autograde_preprocessors"].default()]
