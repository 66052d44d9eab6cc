"""nbgrader's ``CheckCellMetadata`` step, the same checks at a tenth of the cost: the course's autograde runs it.

nbgrader validates every cell's nbgrader metadata with ``jsonschema.validate(metadata, schema)``, which first
validates the (constant) schema itself against JSON Schema's metaschema: for a notebook of a hundred cells that is
about 50 ms, twice per autograded notebook (after sanitizing and after grading), in nbgrader's single thread.
:class:`CheckCellMetadataOnce` checks the schema once per process and validates each cell with the same validator,
schema, error choice (``best_match``) and messages; the version checks and nbgrader's own checks (grade ids,
points, markdown cells, duplicate ids) are nbgrader's code, unchanged.
"""
from __future__ import annotations

import traceback

import jsonschema
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.nbgraderformat.common import BaseMetadataValidator, SchemaTooNewError, SchemaTooOldError
from nbgrader.preprocessors import CheckCellMetadata

#: schema version -> the validator of nbgrader's schema of that version, the schema itself checked.
_validators: dict = {}


def schema_validator(version: int, schema: dict):
    """The validator of ``schema``, checked against its metaschema the first time, as ``jsonschema.validate``
    checks it every time."""
    if version not in _validators:
        kind = jsonschema.validators.validator_for(schema)
        kind.check_schema(schema)
        _validators[version] = kind(schema)
    return _validators[version]


class _SchemaCheckedOnce(BaseMetadataValidator):
    """``BaseMetadataValidator.validate_cell`` with the schema checked once (the MRO puts it under nbgrader's v3)."""

    def validate_cell(self, cell) -> None:
        if "nbgrader" not in cell.metadata:
            return
        version = cell.metadata["nbgrader"].get("schema_version", 0)
        if version < self.schema_version:
            raise SchemaTooOldError(f"Outdated schema version: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        if version > self.schema_version:
            raise SchemaTooNewError(f"Schema version is too new: {version} (expected {self.schema_version})",
                                    version, self.schema_version)
        validator = schema_validator(self.schema_version, self.schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(cell.metadata["nbgrader"]))
        if error is not None:
            raise error


class MetadataValidatorOnce(MetadataValidator, _SchemaCheckedOnce):
    """nbgrader's current metadata validator, its schema checked once per process."""


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's ``CheckCellMetadata`` (its ``preprocess``, word for word), validating with
    :class:`MetadataValidatorOnce`."""

    def preprocess(self, nb, resources):
        try:
            MetadataValidatorOnce().validate_nb(nb)
        except ValidationError:
            self.log.error(traceback.format_exc())
            msg = "Notebook failed to validate; the nbgrader metadata may be corrupted."
            self.log.error(msg)
            raise ValidationError(msg)  # noqa: B904 -- as nbgrader raises it
        return nb, resources
