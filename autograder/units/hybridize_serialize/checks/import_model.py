"""``import_model``: the SymbolBlock that SymbolBlock.imports makes of an exported model's two files.

The judge exports the files itself (its own MXNet, :mod:`.replay`) from values it chose, sends their bytes, and
recomputes the outputs in NumPy: no net of the kit's is in the student's process to be handed back.
"""
from __future__ import annotations

import numpy as np

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import close, mlp_activations, mlp_forward

from .inputs import digest, mlp_shapes, mnist_rows, xavier_values
from .replay import exported_files
from .shared import answer, finished

EXERCISE = "import_model"
SYMBOL_BLOCK = "mxnet.gluon.block.SymbolBlock"
IMPORTS_HINT = ("return gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params'): the "
                "symbol file knows the net's layers and shapes, so no class of yours is needed")


def probe_import(subject, hidden: list, seed: int = 5) -> dict:
    """The student's import_model of files the judge exported; the judge's values and batch under ``judge``."""
    values = xavier_values(mlp_shapes(hidden), seed)
    symbol, params = exported_files(hidden, values, mnist_rows(subject, 4, seed))
    x = mnist_rows(subject, 16, seed + 100)
    params = np.frombuffer(params, dtype=np.uint8)
    reply = subject.probe("import_model", symbol=symbol, params=params, x=x, key=digest(x, params))
    data = answer(reply, EXERCISE, "types")
    return {**data, "judge": {"values": values, "x": x}}


def judge_import(subject, hidden: list, what: str) -> None:
    """The student's import of a judge-exported net is a SymbolBlock that gives the net's outputs."""
    reply = finished(probe_import(subject, hidden), EXERCISE)
    judge_symbol_block(reply)
    judge_outputs(reply, hidden, what)


def judge_outputs(reply: dict, hidden: list, what: str) -> None:
    """The block's outputs on the judge's batch are the NumPy MLP of the values in the files."""
    values, x = reply["judge"]["values"], reply["judge"]["x"]
    expected = mlp_forward(x, list(zip(values[::2], values[1::2], strict=True)), mlp_activations(len(hidden)))
    imported = reply.get("imported") or {"kind": "object that is not a gluon.Block", "value": None}
    if imported["kind"] != "NDArray" or not close(imported["value"], expected):
        found = "different outputs" if imported["kind"] == "NDArray" else f"an {imported['kind']}" \
            if imported["kind"].startswith("object") else f"a {imported['kind']} instead of an NDArray"
        raise CheckFailed("the imported block to give the same outputs as the exported net", found, IMPORTS_HINT,
                          where=what)


def judge_symbol_block(reply: dict) -> None:
    """What import_model returned must be a gluon.SymbolBlock (not the net in the notebook, not a net of one's own)."""
    if SYMBOL_BLOCK not in reply["types"]:
        found = f"a {reply['types'][0].rsplit('.', 1)[-1]}"
        if "mxnet.gluon.block.Block" in reply["types"]:
            found += " (a net built in the notebook, not the one in the files)"
        raise CheckFailed("import_model(path) to return a gluon.SymbolBlock", found, IMPORTS_HINT)


@check(EXERCISE, 1, "Returns a gluon.SymbolBlock")
def symbol_block(subject):
    reply = probe_import(subject, [128, 64])
    judge_symbol_block(reply)
    # A class merely named SymbolBlock is no import: the block must also compute what the files hold.
    judge_outputs(finished(reply, EXERCISE), [128, 64], "a net with hidden=(128, 64), exported with "
                  "net.export(path, epoch=0)")


@check(EXERCISE, 2, "The imported block agrees with the exported net on an MNIST batch")
def agrees(subject):
    judge_import(subject, [128, 64], "a net with hidden=(128, 64), exported with net.export(path, epoch=0)")


@check(EXERCISE, 1, "Any widths and depths: the imported block agrees")
@for_all(hidden=strategies.hidden_layers(max_depth=3, max_width=16))
def any_shape(subject, hidden):
    judge_import(subject, hidden, f"a net with hidden={tuple(hidden)}, exported with net.export(path, epoch=0)")
