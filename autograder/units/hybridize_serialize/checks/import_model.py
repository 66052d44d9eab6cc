"""``import_model``: the SymbolBlock that SymbolBlock.imports makes of an exported model's two files."""
from __future__ import annotations

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import close

from .shared import answer, finished

EXERCISE = "import_model"
SYMBOL_BLOCK = "mxnet.gluon.block.SymbolBlock"
IMPORTS_HINT = ("return gluon.SymbolBlock.imports(path + '-symbol.json', ['data'], path + '-0000.params'): the "
                "symbol file knows the net's layers and shapes, so no class of yours is needed")


def judge_import(subject, hidden: list, what: str) -> None:
    """The student's import of a kit-exported net is a SymbolBlock that gives the net's outputs."""
    reply = finished(answer(subject.probe("import_model", hidden=hidden, rows=16, seed=5), EXERCISE, "types"),
                     EXERCISE)
    judge_symbol_block(reply)
    imported = reply["imported"]
    if imported["kind"] != "NDArray" or not close(imported["value"], reply["expected"]["value"]):
        raise CheckFailed("the imported block to give the same outputs as the exported net", "different outputs",
                          IMPORTS_HINT, where=what)


def judge_symbol_block(reply: dict) -> None:
    """What import_model returned must be a gluon.SymbolBlock (not the net in the notebook, not a net of one's own)."""
    if SYMBOL_BLOCK not in reply["types"]:
        found = f"a {reply['types'][0].rsplit('.', 1)[-1]}"
        if "mxnet.gluon.block.Block" in reply["types"]:
            found += " (a net built in the notebook, not the one in the files)"
        raise CheckFailed("import_model(path) to return a gluon.SymbolBlock", found, IMPORTS_HINT)


@check(EXERCISE, 1, "Returns a gluon.SymbolBlock")
def symbol_block(subject):
    judge_symbol_block(answer(subject.probe("import_model", hidden=[128, 64], rows=16, seed=5), EXERCISE, "types"))


@check(EXERCISE, 2, "The imported block agrees with the exported net on an MNIST batch")
def agrees(subject):
    judge_import(subject, [128, 64], "a net with hidden=(128, 64), exported with net.export(path, epoch=0)")


@check(EXERCISE, 1, "Any widths and depths: the imported block agrees")
@for_all(hidden=strategies.hidden_layers(max_depth=3, max_width=16))
def any_shape(subject, hidden):
    judge_import(subject, hidden, f"a net with hidden={tuple(hidden)}, exported with net.export(path, epoch=0)")
