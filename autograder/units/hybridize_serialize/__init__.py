"""The hybridize_serialize unit: from a Block to a model you can ship and resume (``HybridBlock`` and
``hybridize()``, exporting a symbol file and parameters, ``SymbolBlock.imports``, a training loop, accuracy, and
checkpoints of parameters and trainer state).

Every fact about its exercises is here, in course order; checks are in ``checks/`` (one module per exercise), what
runs beside the student's code in ``probes.py``, hidden checks in ``instructor/hybridize_serialize.py``. This is the
first unit whose checks train, and the first that follows the trust model throughout: the judge chooses every input
(MNIST batches it reads itself, parameter values, the files to import or resume from), the probes only call the
student's code on them, and the judge recomputes every expected value on its side (NumPy, or its own MXNet in a
process the student's code never ran in).
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
