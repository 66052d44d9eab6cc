"""``export_model``: hybridize, run a batch, export at epoch 0, return the two file names."""
from __future__ import annotations

from autograder import strategies
from autograder.checks.base import CheckFailed, check
from autograder.checks.examples import for_all
from autograder.checks.nets import close

from .shared import answer, finished

EXERCISE = "export_model"
EXPECTED_NAMES = ["<path>-symbol.json", "<path>-0000.params"]


def probe_export(subject, hidden: list, needs: str) -> dict:
    """Export a kit-made net with the student's export_model (a batch of 16 MNIST images)."""
    reply = subject.probe("export_model", hidden=hidden, rows=16, seed=4)
    return answer(reply, EXERCISE, needs)


def judge_files(reply: dict) -> None:
    """Both files are written, under the names export writes at epoch 0."""
    if not reply["written"]:
        found = ", ".join(reply["files"]) or "no file at all"
        hint = ("export at epoch 0: net.export(path, epoch=0) writes path-symbol.json and path-0000.params"
                if reply["files"] else "call net.export(path, epoch=0) after net.hybridize() and one forward pass")
        raise CheckFailed("export_model to write <path>-symbol.json and <path>-0000.params", found, hint)


def judge_imported(reply: dict, what: str) -> None:
    """The kit's SymbolBlock.imports of the files gives the exported net's outputs."""
    imported, expected = reply["imported"]["value"], reply["expected"]["value"]
    if imported is None or expected is None or not close(imported, expected):
        raise CheckFailed("the imported SymbolBlock to give the same outputs as the net you exported",
                          "different outputs", "export the net you were given, after running the batch through it",
                          where=what)


@check(EXERCISE, 1, "Writes <path>-symbol.json and <path>-0000.params and returns their names")
def files(subject):
    reply = probe_export(subject, [32], "written")
    judge_files(reply)
    returned = reply["returned"]
    if returned["names"] != EXPECTED_NAMES:
        found = (f"a {returned['kind']}" if returned["names"] is None else
                 f"{returned['kind']} {returned['names']}")
        raise CheckFailed(f"export_model to return the two file names, ({EXPECTED_NAMES[0]!r}, {EXPECTED_NAMES[1]!r})",
                          found, "return (path + '-symbol.json', path + '-0000.params')")


@check(EXERCISE, 2, "SymbolBlock.imports of the files agrees with the net on an MNIST batch")
def imports_agree(subject):
    reply = probe_export(subject, [32], "written")
    judge_files(reply)
    judge_imported(finished(reply, EXERCISE),
                   "a net with hidden=(32,), exported and imported")


@check(EXERCISE, 1, "Any widths and depths: the exported model imports and agrees")
@for_all(hidden=strategies.hidden_layers(max_depth=3, max_width=16))
def any_net(subject, hidden):
    reply = probe_export(subject, hidden, "written")
    judge_files(reply)
    judge_imported(finished(reply, EXERCISE),
                   f"a net with hidden={tuple(hidden)}, exported and imported")
