"""The subject child: run one student's notebook, then answer the judge's probe requests until told to close.

Runs in a process forked from the zygote, after :mod:`autograder.runner.zygote` has applied the limits and
dropped privileges. It writes frames to ``reply_fd`` and reads requests from ``request_fd``; nothing else.
"""
from __future__ import annotations

from .. import protocol
from ..contract import Event, malformed
from ..subject import executing
from ..subject.limits import set_limits
from ..subject.notebook import load_notebook
from ..subject.probing import ProbeContext, answer
from . import channel
from .seal import seal

#: The MNIST images probes feed to nets, read by the zygote once before any fork (None: read on first use).
MNIST_IMAGES = None
#: Their labels, read with them (units whose checks train or count accuracy need them).
MNIST_LABELS = None


def preload_mnist() -> None:
    """Read the probes' MNIST batch now, so no submission pays for it (and none needs the loader later)."""
    global MNIST_IMAGES, MNIST_LABELS
    from .. import mnist

    try:
        images, labels = mnist.load_mnist("test")
    except mnist.MnistNotFound:
        return
    MNIST_IMAGES = mnist.to_batch_array(images[:256])
    MNIST_LABELS = labels[:256].astype("int32")


def serve(notebook, scratch: str, request_fd: int, reply_fd: int, settings: dict) -> None:
    """Load ``notebook`` in ``scratch``, report each cell as it starts, then answer the unit's probes."""
    set_limits(settings.get("limits"))  # named in the messages of the errors that hit them
    seal(settings.get("sealed", ()))

    def on_cell(cell):
        channel.send(reply_fd, channel.CHILD, {"kind": Event.CELL.value, "number": cell.number,
                                               "first_line": cell.first_line})

    def on_student(name):
        channel.send(reply_fd, channel.CHILD, {"kind": Event.STUDENT.value, "name": name})

    nbgrader = settings.get("nbgrader")
    if nbgrader:  # nbgrader's autograde: the chosen cells, test cells among them, in the assignment's files
        namespace, report, outputs = run_for_nbgrader(notebook, scratch, nbgrader, settings, on_cell)
    else:
        namespace, report = load_notebook(notebook, cell_timeout=settings["cell_timeout"], workdir=scratch,
                                          on_cell=on_cell)
    context = ProbeContext(namespace, report, probes=settings["probes"], scratch=scratch,
                           mnist_dir=settings.get("mnist_dir"), mnist_images=MNIST_IMAGES, on_student=on_student,
                           mnist_labels=MNIST_LABELS)
    channel.send(reply_fd, channel.CHILD, {"kind": Event.LOADED.value})
    requests = channel.FrameReader(request_fd, max_bytes=1 << 20)
    while True:
        _, request = requests.read()
        if request.get("op") != "probe":
            return
        if nbgrader and request.get("name") == executing.OUTPUTS_PROBE:
            channel.write_all(reply_fd, reply_frame({"status": "ok", **outputs()}))
            continue
        try:
            reply = answer(context, request["name"], request.get("args", {}), timeout=settings["probe_timeout"])
        except Exception as error:  # noqa: BLE001  (one broken probe fails its checks, not the ones after it)
            reply = malformed(f"the probe failed with {type(error).__name__}")
        channel.write_all(reply_fd, reply_frame(reply))


def reply_frame(reply: dict) -> bytes:
    """The frame for a probe's reply; a reply that is not plain data becomes a "malformed" one."""
    try:
        return channel.encode(channel.CHILD, {"kind": Event.REPLY.value, "data": reply})
    except protocol.ProtocolError as error:
        return channel.encode(channel.CHILD, {"kind": Event.REPLY.value, "data": malformed(str(error))})


def run_for_nbgrader(notebook, scratch: str, job: dict, settings: dict, on_cell):
    """Run the cells nbgrader's autograde runs, in ``scratch/work`` with the assignment's files.

    Returns the namespace, the load report and a function answering :data:`~executing.OUTPUTS_PROBE`: the cells'
    outputs and the files they wrote, read once, before any probe could write files of its own.
    """
    import os

    workdir = os.path.join(scratch, executing.WORK)
    shipped = executing.unpack_files(workdir, job.get("files") or {})
    namespace, report, cells = executing.run_cells(notebook, job["run"], cell_timeout=settings["cell_timeout"],
                                                   workdir=workdir, on_cell=on_cell)
    written = executing.written_files(workdir, shipped)

    def outputs() -> dict:
        return {"cells": cells, **written}

    return namespace, report, outputs
