"""The judgements of the hybridize_serialize unit, one module per exercise; importing this package registers them."""
from . import (  # noqa: F401  (each import registers that exercise's checks)
    evaluate_accuracy,
    export_model,
    hybrid_mlp,
    import_model,
    load_checkpoint,
    save_checkpoint,
    train_epoch,
)
