"""The subject in the grader's own process: today's front ends (self-check, nbgrader test cells) use it.

Replies still go through :mod:`autograder.protocol`, so a probe that returns anything but plain data fails here
exactly as it would across a process boundary.
"""
from __future__ import annotations

import importlib
import shutil
import tempfile

from .. import protocol
from ..contract import checked_reply, malformed
from .notebook import LoadReport, load_notebook
from .probing import PROBE_TIMEOUT, ProbeContext, answer


class LocalSubject:
    """Student code and probes in this process; :meth:`probe` answers with decoded plain data."""

    def __init__(self, namespace: dict, report: LoadReport, unit, *, scratch: str, mnist_dir=None,
                 probe_timeout: float | None = PROBE_TIMEOUT, owns_scratch: bool = False):
        importlib.import_module(unit.probes_module)
        self.context = ProbeContext(namespace, report, probes=unit.probes_module, scratch=scratch, mnist_dir=mnist_dir)
        self.probe_timeout = probe_timeout
        self._owns_scratch = owns_scratch

    @classmethod
    def from_notebook(cls, path, unit, options=None) -> LocalSubject:
        """Run the notebook at ``path`` in a scratch folder and wrap its namespace, to be probed for ``unit``."""
        from ..options import Options

        options = options or Options()
        scratch = tempfile.mkdtemp(prefix="gluon-grader-")
        namespace, report = load_notebook(path, cell_timeout=options.cell_timeout, workdir=scratch)
        return cls(namespace, report, unit, scratch=scratch, mnist_dir=options.mnist_dir,
                   probe_timeout=options.probe_timeout, owns_scratch=True)

    @property
    def report(self) -> LoadReport:
        """What happened while the notebook was loaded."""
        return self.context.report

    def probe(self, name: str, /, **args) -> dict:
        """Answer one probe request with plain data."""
        reply = answer(self.context, name, protocol.unpack(protocol.pack(args)), timeout=self.probe_timeout)
        try:
            return checked_reply(protocol.unpack(protocol.pack(reply)))
        except protocol.ProtocolError as error:
            return malformed(str(error))

    def close(self) -> None:
        """Remove the scratch folder this subject made."""
        if self._owns_scratch:
            shutil.rmtree(self.context.scratch, ignore_errors=True)
