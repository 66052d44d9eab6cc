"""nbgrader's feedback without the hidden tests: ``generate_feedback`` renders the autograded notebook, in which
``autograde`` restored the hidden-test regions of the source. This preprocessor strips those regions again and
shortens a failed hidden test's traceback (whose frames quote the hidden code) to its message, the feedback.

Used by the course's ``nbgrader_config.py``::

    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
"""
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.preprocessors.getgrades import GetGrades
from traitlets import List


class HideHiddenTests(ClearHiddenTests):
    """Remove ``### BEGIN HIDDEN TESTS`` regions and the tracebacks of the cells that had one."""

    # nbconvert's HTML exporter configures ``NbConvertBase.display_data_priority`` for every preprocessor it runs;
    # nbgrader's base class redeclares the trait without ``config=True``, so traitlets warned "Config option
    # `display_data_priority` not recognized by `HideHiddenTests`". Declared configurable, as nbgrader's own
    # GetGrades does; this preprocessor does not use it.
    display_data_priority = List(GetGrades.class_traits()["display_data_priority"].default(), config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return super().preprocess_cell(cell, resources, cell_index)
