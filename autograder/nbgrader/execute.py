"""nbgrader's autograde with the student's code in the sandbox: a drop-in for nbgrader's ``Execute`` step.

:class:`SandboxedExecute` runs the notebook as nbgrader's ``Execute`` would, every code cell in order in the
submission's autograded folder, but in the kit's sandbox instead of a Jupyter kernel: one of the run's judge
processes (:mod:`.pool`, each with a warm sandboxed worker, kept for the whole ``nbgrader autograde``
run) forks one isolated child per notebook. Each cell's outputs, errors and time-outs are written back into the
notebook as ``Execute`` writes them. Test cells that call the kit's ``check("id")`` / ``check_hidden("id")`` are
the exception: they do not run beside the student's code, their checks run in the judge process against the
sandboxed notebook (:mod:`.plan`), and each verdict becomes that cell's outputs. Every other test cell runs in the
student's process, as in stock nbgrader (and under its trust model). nbgrader's ``SaveAutoGrades`` then scores
every cell from its outputs as usual. ``nbgrader_config.py`` puts this class in place of ``Execute`` in
``Autograde.autograde_preprocessors``.
"""
from __future__ import annotations

import atexit
import base64
import functools
import os
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute
from traitlets import Integer

from .. import options as settings
from ..pipeline import Graded
from ..subject.executing import MAX_FILE_BYTES, MAX_FILES, safe_relative
from .plan import Plan, files_of, is_instructors, notebook_name, plan_of, student_tags
from .pool import Job, Pool, ahead_of

#: The judge processes of this run, per options (one set, in practice), ended when nbgrader ends.
_pools: dict = {}


class SandboxedExecute(Execute):
    """Run the notebook in the sandbox as nbgrader's ``Execute`` would; judge the kit's test cells here.

    A subclass of nbgrader's ``Execute``, so ``c.Execute`` settings (``enabled`` / ``--no-execute``, ``timeout``,
    ``allow_errors``, ``interrupt_on_timeout``, ``error_on_timeout``, ``skip_cells_with_tag``) reach it; its own
    settings are those of :mod:`autograder.options` (``timeout``, the limit of one cell, with the kit's default).
    """

    # One trait per setting of autograder.options, declared there with its default (a class body is a dict).
    locals().update(settings.traits())
    jobs = Integer(settings.DEFAULT_JOBS, help="judge processes that grade the run's notebooks, the ones nbgrader "
                   "will ask for next ahead of time (autograder grade's --jobs)").tag(config=True)

    def preprocess(self, nb, resources):
        """Run ``nb`` in the sandbox; every executed cell gets its outputs, every kit test cell its verdict."""
        self.check_kernel(nb)
        plan = plan_of(nb, self.skip_cells_with_tag)
        folder = Path((resources.get("metadata") or {}).get("path") or ".")
        nbgrader = resources.get("nbgrader") or {}
        job = Job(notebook_name(resources), nbformat.writes(nb).encode(), tuple(files_of(folder, self.log).items()),
                  nbgrader.get("assignment"), self.skip_cells_with_tag)
        identity = tuple(nbgrader.get(key) for key in ("student", "assignment", "notebook"))
        outcome = self.pool(identity).outcome(job, identity)
        self.write_files(folder, outcome.reply)
        self.write_outputs(nb, plan, outcome.reply, outcome.graded, outcome.stopped)
        return nb, resources

    def check_kernel(self, nb) -> None:
        """Refuse what stock nbgrader cannot run either, with jupyter_client's error, and any non-Python kernel."""
        from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

        name = self.kernel_name or (nb.metadata.get("kernelspec") or {}).get("name") or "python3"
        name = "python3" if name == "python" else name  # jupyter_client's KernelManager does the same
        spec = KernelSpecManager().get_kernel_spec(name)  # NoSuchKernel: "No such kernel named blah", as stock
        if (spec.language or "").lower() != "python":
            raise NoSuchKernel(f"{name} (a {spec.language} kernel: the sandboxed autograde runs Python only)")

    def write_files(self, folder: Path, reply: dict) -> None:
        """Write what the cells created or changed into the autograded folder, as a kernel there would have.

        The list comes from the student's process: every path is checked to stay inside the folder, and the
        sandbox's limits are applied again here.
        """
        files = reply.get("files") if isinstance(reply.get("files"), dict) else {}
        room = MAX_FILE_BYTES
        for number, (relative, data) in enumerate(files.items()):
            content = decoded(data)
            target = folder / str(relative)
            if content is None or number >= MAX_FILES or len(content) > room or not safe_relative(str(relative)) \
                    or target.is_symlink() or not Path(os.path.realpath(target.parent)).is_relative_to(
                        os.path.realpath(folder)):
                self.log.warning("Not written back from the sandbox: %r", relative)
                continue
            room -= len(content)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        for relative in reply.get("skipped") or []:
            self.log.warning("A file the notebook wrote is too large to keep (limit %d MB): %s",
                             MAX_FILE_BYTES >> 20, relative)

    def write_outputs(self, nb, plan: Plan, reply: dict, graded: Graded, stopped) -> None:
        """Each run cell's outputs and execution count, each kit cell's verdict; stock's errors where it stops."""
        ran = {cell["index"]: cell for cell in reply.get("cells") or [] if isinstance(cell, dict)}
        results = graded.by_id()
        count = 0
        for index, cell in enumerate(nb.cells):
            if index in plan.kit:
                count += 1
                cell.outputs = outputs_of([verdict(results, found) for found in plan.kit[index]])
                cell.execution_count = count
            elif index in plan.run:
                count += 1
                cell.execution_count = count
                cell.outputs = self.cell_outputs(cell, ran.get(index), stopped)
                for output in cell.outputs:
                    if output.output_type == "execute_result":
                        output.execution_count = count
            else:
                continue
            self.raise_unless_allowed(cell, index)

    def cell_outputs(self, cell, result: dict | None, stopped) -> list:
        """The outputs of one run cell; a time-out as nbgrader's ``error_on_timeout`` (or its exception)."""
        if result is None:  # the notebook was stopped as a whole: no outputs came back
            return [not_run(cell, stopped)] if stopped else []
        outputs = [clean for output in result.get("outputs") or [] if (clean := cleaned(output)) is not None]
        if result.get("timeout"):
            if not self.interrupt_on_timeout:
                from nbclient.exceptions import CellTimeoutError

                raise CellTimeoutError.error_from_timeout_and_cell("Cell execution timed out", self.timeout, cell)
            timeout = self.error_on_timeout or {"ename": "KeyboardInterrupt", "evalue": "", "traceback": []}
            outputs.append(error(timeout["ename"], timeout.get("evalue", ""), list(timeout.get("traceback", []))))
        return outputs

    def raise_unless_allowed(self, cell, index: int) -> None:
        """``allow_errors = False``: the first error stops the notebook, with nbclient's exception, as stock."""
        from nbclient.exceptions import CellExecutionError

        errors = [output for output in cell.outputs if output.output_type == "error"]
        # ``raises-exception`` is the student's tag: it lets their own cells fail, never a cell nbgrader restores.
        tagged = "raises-exception" in student_tags(cell) and not is_instructors(cell)
        allowed = not self.force_raise_errors and (self.allow_errors or tagged or (
            errors and errors[0].ename in self.allow_error_names))
        if errors and not allowed:
            raise CellExecutionError.from_cell_and_msg(cell, errors[0])

    def options(self) -> settings.Options:
        """This run's options, MNIST's folder resolved; no cell limit (``timeout`` None or <= 0): the notebook's."""
        return resolved(settings.Options.from_traits(self))

    def pool(self, identity: tuple):
        """The run's judge processes (one pool per options), started by the first notebook, which also learns from
        nbgrader's converter (this step's exporter's parent) which notebooks follow, to grade them ahead."""
        options = self.options()
        if options not in _pools:
            ahead, sanitizing = ahead_of(getattr(self.parent, "parent", None), identity, self.skip_cells_with_tag)
            _pools[options] = Pool(options, self.jobs, ahead, sanitizing, self.log)
            atexit.register(_pools[options].close)
        return _pools[options]


@functools.cache
def resolved(values: settings.Options) -> settings.Options:
    """``values`` with MNIST's folder found (and verified) once per run, and "no cell limit" made the notebook's."""
    from dataclasses import replace


    if values.cell_timeout is None or values.cell_timeout <= 0:
        values = replace(values, cell_timeout=values.timeout)
    return values.with_mnist_found()


def verdict(results: dict, found: tuple) -> tuple[str, str | None]:
    """``(what the passing line calls the check, feedback or None when it passed)``."""
    check, label, check_id = found
    result = results.get(check.id) if check else None
    if result is None:
        return check_id, f"This test cell names a check the grader does not know ({check_id}); ask your instructor."
    name = label or result.title
    if result.passed:
        return f"passed: {name} ({result.score:g}/{result.max_score:g})", None
    return name, result.feedback



def outputs_of(verdicts: list) -> list:
    """The test cell's outputs: one stdout line per passed check, one error with every failure's feedback."""
    passed = [line for line, feedback in verdicts if feedback is None]
    failed_ = [feedback for _, feedback in verdicts if feedback is not None]
    outputs = [stream("stdout", "\n".join(passed) + "\n")] if passed else []
    if failed_:
        message = "\n".join(failed_)
        outputs.append(error("AssertionError", message, ["AssertionError: " + message]))
    return outputs


def decoded(data) -> bytes | None:
    """The bytes of a file sent back as base64, or None when it is not."""
    try:
        return base64.b64decode(data, validate=True) if isinstance(data, str) else None
    except ValueError:
        return None


def cleaned(output) -> dict | None:
    """An output as sent by the student's process, rebuilt from the fields a kernel's output has (None: not one).

    Whatever else the process sent is dropped, so no reply it forges can make the notebook invalid.
    """
    if not isinstance(output, dict):
        return None
    kind = output.get("output_type")
    if kind == "stream" and output.get("name") in ("stdout", "stderr") and isinstance(output.get("text"), str):
        return stream(output["name"], output["text"])
    text = (output.get("data") or {}).get("text/plain") if isinstance(output.get("data"), dict) else None
    if kind == "execute_result" and isinstance(text, str):
        return nbformat.from_dict({"output_type": kind, "data": {"text/plain": text}, "metadata": {},
                                   "execution_count": None})
    traceback = output.get("traceback")
    if kind == "error" and isinstance(traceback, list):
        return error(str(output.get("ename")), str(output.get("evalue")), [str(line) for line in traceback])
    return None


def stream(name: str, text: str):
    """A stream output (built directly: nbformat's ``new_output`` validates each one, and nbconvert validates the
    whole notebook after this step anyway)."""
    return nbformat.from_dict({"output_type": "stream", "name": name, "text": text})


def error(ename: str, evalue: str, traceback: list):
    """An error output."""
    return nbformat.from_dict({"output_type": "error", "ename": ename, "evalue": evalue, "traceback": traceback})


def not_run(cell, stopped) -> dict:
    """The error output of a cell whose outcome never came back: the notebook was stopped (time limit, crash)."""
    reason, _ = stopped
    return error("NotebookStopped", reason, [f"NotebookStopped: {reason}; this cell's own outcome is unknown"])
