"""``export_model``: hybridize, run a batch, export at epoch 0, return the two file names.

The probe sends back the bytes of the two files; the judge reads the parameters by hand (:mod:`.files`) and runs
the symbol file with its own MXNet (:mod:`.replay`) on a batch of its own, against the NumPy MLP of the values it
gave the net, so no import in the student's process (``SymbolBlock.imports`` patched, the kit's net handed back)
decides anything.
"""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import close, mlp_activations, mlp_forward

from .files import Unreadable, read_params
from .inputs import digest, mlp_shapes, mnist_rows, xavier_values
from .replay import BadSymbol, evaluate_symbol
from .shared import answer, finished

EXERCISE = "export_model"
EXPECTED_NAMES = ["<path>-symbol.json", "<path>-0000.params"]
EXPORT_HINT = "export the net you were given, after running the batch through it: net.export(path, epoch=0)"


def probe_export(subject, hidden: list, needs: str, seed: int = 4) -> dict:
    """Export a kit net of the judge's values with the student's export_model (a batch of 16 MNIST images)."""
    values = xavier_values(mlp_shapes(hidden), seed)
    batch = mnist_rows(subject, 16, seed)
    reply = subject.probe("export_model", hidden=hidden, values=values, batch=batch, key=digest(batch, *values))
    judge_never_hybridized(reply)
    data = answer(reply, EXERCISE, needs)
    return {**data, "judge": {"values": values, "seed": seed}}


#: What MXNet says when export finds no graph: the net was not hybridized, or hybridized but never run since.
NO_GRAPH = "run forward with this block at least once before calling export"


def judge_never_hybridized(reply: dict) -> None:
    """Export failed for want of a graph on a net that was never hybridized: name that, not the forward pass (issue
    26: a student who ran the batch must not be told to run it)."""
    partial = reply.get("partial") or {}
    if reply.get("status") == "raised" and NO_GRAPH in reply.get("message", "") and partial.get("hybridized") is False:
        raise CheckFailed(f"{reply['stage']} to run without an error", f"it raised {reply['error_type']}: "
                          f"{reply['message']}", "call net.hybridize() before the forward pass: export needs the graph "
                          "that a hybridized net builds when it runs, and an imperative forward pass builds none")


def judge_files(reply: dict) -> None:
    """Both files are written, under the names export writes at epoch 0."""
    if reply["symbol"] is None or reply["params"] is None:
        found = ", ".join(reply["files"]) or "no file at all"
        hint = ("export at epoch 0: net.export(path, epoch=0) writes path-symbol.json and path-0000.params"
                if reply["files"] else "call net.export(path, epoch=0) after net.hybridize() and one forward pass")
        raise CheckFailed("export_model to write <path>-symbol.json and <path>-0000.params", found, hint)


def judge_imported(subject, reply: dict, hidden: list, what: str) -> None:
    """The files, read and run on the judge's side, give the NumPy MLP of the judge's values on a new batch."""
    try:
        params = read_params(reply["params"].tobytes())
        text = reply["symbol"].tobytes().decode("utf-8")
    except (Unreadable, UnicodeDecodeError) as error:
        raise CheckFailed("files that gluon.SymbolBlock.imports can read", f"<path>-0000.params: {error}",
                          EXPORT_HINT, where=what) from None
    x = mnist_rows(subject, 16, reply["judge"]["seed"] + 100)
    inputs = {"data": x, **{name.split(":", 1)[-1]: value for name, value in params.items()}}
    try:
        found = evaluate_symbol(text, inputs)
    except BadSymbol as error:
        raise CheckFailed("gluon.SymbolBlock.imports of the files to run on a batch", str(error), EXPORT_HINT,
                          where=what) from None
    values = reply["judge"]["values"]
    expected = mlp_forward(x, list(zip(values[::2], values[1::2], strict=True)), mlp_activations(len(hidden)))
    if not close(found, expected):
        difference = (f"outputs that differ by up to {np.abs(found - expected).max():.3g}"
                      if found.shape == expected.shape else f"outputs of shape {found.shape}")
        raise CheckFailed("the imported model to give the same outputs as the net you exported",
                          difference, EXPORT_HINT, where=what)


@check(EXERCISE, 1, "Writes <path>-symbol.json and <path>-0000.params and returns their names")
def files(subject):
    reply = probe_export(subject, [32], "files")
    judge_files(reply)
    returned = reply["returned"]
    if returned["names"] != EXPECTED_NAMES:
        found = (f"a {returned['kind']}" if returned["names"] is None else
                 f"{returned['kind']} {returned['names']}")
        raise CheckFailed(f"export_model to return the two file names, ({EXPECTED_NAMES[0]!r}, {EXPECTED_NAMES[1]!r})",
                          found, "return (path + '-symbol.json', path + '-0000.params')")
    judge_imported(subject, finished(reply, EXERCISE), [32], "a net with hidden=(32,), exported")


@check(EXERCISE, 2, "SymbolBlock.imports of the files agrees with the net on an MNIST batch")
def imports_agree(subject):
    reply = probe_export(subject, [32], "files")
    judge_files(reply)
    judge_imported(subject, finished(reply, EXERCISE), [32], "a net with hidden=(32,), exported and imported")


@check(EXERCISE, 1, "Any widths and depths: the exported model imports and agrees")
@for_all(hidden=strategies.hidden_layers(max_depth=3, max_width=16))
def any_net(subject, hidden):
    reply = probe_export(subject, hidden, "files")
    judge_files(reply)
    judge_imported(subject, finished(reply, EXERCISE), hidden, f"a net with hidden={tuple(hidden)}, exported and "
                   "imported")
