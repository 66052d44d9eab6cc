"""The hybridize_serialize unit: from a Block to a model you can ship and resume (``HybridBlock`` and
``hybridize()``, exporting a symbol file and parameters, ``SymbolBlock.imports``, a training loop, accuracy, and
checkpoints of parameters and trainer state).

Every fact about its exercises is here, in course order; checks are in ``checks/`` (one module per exercise), what
runs beside the student's code in ``probes.py``, hidden checks in ``instructor/hybridize_serialize.py``. This is the
first unit whose checks train: every training probe takes a few steps of a small net on a few MNIST batches, with
fixed seeds, and the judge recomputes (or bounds) the numbers it gets back.
"""
from ...units import Exercise, Unit

UNIT = Unit(
    name="hybridize_serialize",
    title="Hybridize, serialize, train: from a Block to a model you can ship and resume",
    package=__name__,
    exercises=(
        Exercise("HybridMLP", cell="hybrid_mlp", title="A HybridBlock of your own, with F.relu"),
        Exercise("export_model", cell="export_model", title="Exporting a symbol file and parameters"),
        Exercise("import_model", cell="import_model", title="Importing them with SymbolBlock.imports"),
        Exercise("train_epoch", cell="train_epoch", title="One epoch of training"),
        Exercise("evaluate_accuracy", cell="evaluate_accuracy", title="Accuracy over batches"),
        Exercise("save_checkpoint", cell="save_checkpoint", title="Saving a checkpoint: parameters and trainer state"),
        Exercise("load_checkpoint", cell="load_checkpoint", title="Resuming from a checkpoint"),
    ),
)
