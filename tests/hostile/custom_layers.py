"""The custom_layers hostile corpus: submissions that try to earn points without doing the exercises, as data.

Every case uses only what runs beside the probes in the student's process: numpy and mxnet patched, NDArray
subclasses that lie, blocks whose ``hybridize``, ``__call__``, ``initialize`` or ``collect_params`` pretend,
forged symbols, the probe module's own tables and frames, objects that pretend to be blocks, the kit's own objects.

A case is built on the released stub (``stub``: no honest work, so every check must score 0, unless ``keeps``
names a check its honest part really earns) or on the reference notebook (``ref``: the answers it leaves alone
keep their full points; ``loses`` names the checks the hostile part must cost, exactly). The test grades them all
in one batch through the sandboxed worker and asserts each check's points exactly.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from textwrap import dedent

import nbformat

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "solutions" / "custom_layers" / "custom_layers.ipynb"
RELEASE = ROOT / "assignments" / "custom_layers" / "custom_layers.ipynb"


@dataclass
class Attack:
    """One hostile submission and the exact points each of its checks must get."""

    case_id: str
    base: str  # "stub" or "reference"
    description: str
    cells: tuple = ()
    answers: dict = field(default_factory=dict)
    keeps: frozenset = frozenset()   # stub: checks the honest part earns (full points); all others 0
    loses: frozenset = frozenset()   # reference: checks the hostile part costs (0); all others full points

    def notebook_bytes(self) -> bytes:
        """The submission file's content."""
        nb = nbformat.read(REFERENCE if self.base == "reference" else RELEASE, as_version=4)
        for grade_id, source in self.answers.items():
            nb = _with_answer(nb, grade_id, dedent(source).strip() + "\n")
        nb.cells += [nbformat.v4.new_code_cell(dedent(cell).strip() + "\n") for cell in self.cells]
        return nbformat.writes(nb).encode()

    def expected(self, checks) -> dict[str, float]:
        """``{check id: points}`` this case must get, for the unit's visible ``checks``."""
        if self.base == "stub":
            return {check.id: check.points if check.id in self.keeps else 0.0 for check in checks}
        return {check.id: 0.0 if check.id in self.loses else check.points for check in checks}


def _with_answer(nb, grade_id: str, source: str):
    changed = copy.deepcopy(nb)
    for cell in changed.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade_id") == grade_id and meta.get("solution"):
            cell.source = source
            return changed
    raise KeyError(grade_id)


def stub(case_id, description, *cells, answers=None, keeps=()) -> Attack:
    """A gain-seeking case on the released stub: 0 everywhere but the checks ``keeps`` names."""
    return Attack(case_id, "stub", description, tuple(cells), answers or {}, keeps=frozenset(keeps))


def ref(case_id, description, *cells, answers=None, loses=()) -> Attack:
    """A case on the reference: exactly the checks ``loses`` names score 0, the rest full points."""
    return Attack(case_id, "reference", description, tuple(cells), answers or {}, loses=frozenset(loses))


def every(exercise: str, *names: str) -> set[str]:
    """Check ids ``exercise.name``; with no names, every visible check of the exercise."""
    if names:
        return {f"{exercise}.{name}" for name in names}
    from autograder.units import unit

    return {check.id for check in unit("custom_layers").checks if check.exercise == exercise}


IDENTITY = """
class CenteredLayer(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        return x
"""

#: A MyDense whose declarations are right but whose forward computes nothing (zeros).
DECLARES_ONLY = """
class MyDense(gluon.HybridBlock):
    def __init__(self, units, in_units=0, **kwargs):
        super().__init__(**kwargs)
        self._units = units
        self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
        self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

    def hybrid_forward(self, F, x, weight, bias):
        return F.zeros_like(F.FullyConnected(x, weight, bias, num_hidden=self._units))
"""

#: The start of a cell that forges a graph: the data variable every forged graph begins with.
FORGED_HEAD = """
import json
DATA = {"op": "null", "name": "data", "inputs": []}
"""

#: A CenteredLayer whose symbol is a subclass reporting the forged JSON; imperatively the identity.
FORGED_SYMBOL = """
import copy
import mxnet as mx

class Forged(mx.sym.Symbol):
    '''A symbol whose JSON is whatever the attack wants the judge to read.'''
    def tojson(self):
        return FORGED_JSON

class CenteredLayer(gluon.HybridBlock):
    def hybrid_forward(self, F, x):
        if F is mx.sym:
            forged = copy.copy(x)
            forged.__class__ = Forged
            return forged
        return x
"""

#: Forged custom_layers probes (``FORGED``): plausible structure, zero outputs.
FORGE_PROBES = """
import numpy as np
HYBRID = ["__main__.X", "mxnet.gluon.block.HybridBlock", "mxnet.gluon.block.Block", "builtins.object"]
def class_info(ctx, name):
    return {"is_class": True, "type": "type", "bases": HYBRID, "own": ["__init__", "hybrid_forward"],
            "builtin": []}
def my_dense(ctx, units, in_units, x, values):
    zeros = {"kind": "NDArray", "value": np.zeros((len(x), units), dtype=np.float32)}
    declared = [{"name": "mydense0_weight", "shape": [units, in_units], "recorded": False,
                 "data_error": None}, {"name": "mydense0_bias", "shape": [units], "recorded": False,
                 "data_error": None}]
    return {"call": f"MyDense({units}, in_units={in_units})", "types": HYBRID, "prefix": "mydense0_",
            "children": [], "loose": [], "before_init": declared, "after_init": declared,
            "after_forward": declared, "assigned": ["mydense0_weight", "mydense0_bias"],
            "output": zeros, "hybrid_output": zeros, "symbol": {"kind": "Symbol", "value": "{}"}}
def centered(ctx, x, values=None):
    zeros = {"kind": "NDArray", "value": np.zeros(x.shape, dtype=np.float32)}
    return {"types": HYBRID, "children": [], "params": [], "output": zeros, "hybrid_output": zeros,
            "symbol": {"kind": "Symbol", "value": "{}"}}
def count_unique(ctx, **args):
    return {"value": {"kind": "int", "value": 0}}
FORGED = dict(class_info=class_info, my_dense=my_dense, centered=centered, count_unique=count_unique)
"""

CORPUS: list[Attack] = [
    # --- the judge's input is the judge's ----------------------------------------------------------------
    stub("numpy-random-centred", "numpy's RandomState patched so every draw is already centred; CenteredLayer is "
         "the identity", """
         import numpy as np
         class Centred(np.random.RandomState):
             def uniform(self, low=0.0, high=1.0, size=None):
                 draw = super().uniform(low, high, size)
                 return draw - draw.mean()
         np.random.RandomState = Centred
         np.random.uniform = lambda low=0.0, high=1.0, size=None: np.zeros(size)
         """, answers={"centered_layer": IDENTITY}),
    stub("nd-array-zeros", "mx.nd.array patched to give zeros, whatever it is given; CenteredLayer is the identity",
         """
         import mxnet as mx
         from mxnet import nd
         _array = nd.array
         def zeros(source, *args, **kwargs):
             made = _array(source, *args, **kwargs)
             return made * 0
         nd.array = mx.nd.array = zeros
         """, answers={"centered_layer": IDENTITY}),
    stub("asnumpy-zeros-everywhere", "NDArray.asnumpy patched to give zeros, so every output and weight reads 0; "
         "MyDense declares its parameters and computes nothing",
         """
         import numpy as np
         import mxnet as mx
         mx.nd.NDArray.asnumpy = lambda self: np.zeros(self.shape, dtype=np.float32)
         """, answers={"my_dense": DECLARES_ONLY}),
    stub("asnumpy-liar-subclass", "CenteredLayer returns an NDArray subclass whose asnumpy() says 'centred' (the "
         "input minus its first element's value, mean 0 on the kit's symmetric draws) instead of computing",
         answers={"centered_layer": """
         class Liar(nd.NDArray):
             def asnumpy(self):
                 values = nd.NDArray.asnumpy(self)
                 return values - values.flat[0]

         class CenteredLayer(gluon.HybridBlock):
             def hybrid_forward(self, F, x):
                 out = x.copy()
                 out.__class__ = Liar
                 return out
         """}),
    # --- hybridized means the graph the judge evaluates -------------------------------------------------------
    stub("hybridize-noop-identity", "CenteredLayer is the identity and hybridize() does nothing",
         answers={"centered_layer": IDENTITY + "\n    def hybridize(self, *args, **kwargs):\n        pass\n"}),
    ref("hybridize-noop-imperative-only", "x - x.mean() (fails on symbols) with hybridize() overridden to do "
        "nothing, so the 'hybridized' output is the imperative one",
        answers={"centered_layer": """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                return x - x.mean()

            def hybridize(self, *args, **kwargs):
                pass
        """}, loses=every("CenteredLayer", "hybridized", "any_shape")),
    ref("hybridize-noop-nd-mydense", "MyDense written with nd.* only (breaks on symbols), hybridize() a no-op",
        answers={"my_dense": """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self._units = units
                self.weight = self.params.get("weight", shape=(units, in_units), allow_deferred_init=True)
                self.bias = self.params.get("bias", shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                return nd.relu(nd.FullyConnected(x, weight, bias, num_hidden=self._units))

            def hybridize(self, *args, **kwargs):
                pass
        """}, loses=every("MyDense", "deferred_shapes", "hybridized", "any_shape")),
    stub("call-override-symbol-identity", "CenteredLayer.__call__ gives the symbol back untouched and zeros for "
         "arrays", answers={"centered_layer": """
         class CenteredLayer(gluon.HybridBlock):
             def hybrid_forward(self, F, x):
                 return x

             def __call__(self, x, *args):
                 if isinstance(x, mx.sym.Symbol):
                     return x
                 return nd.zeros_like(x)
         """}),
    stub("symbol-forged-operator", "a Symbol subclass whose tojson() names an operator the judge does not know",
         FORGED_HEAD + """
         FORGED_JSON = json.dumps({"nodes": [DATA, {"op": "_forged_answer", "name": "f", "inputs": [[0, 0, 0]]}],
                                   "heads": [[1, 0, 0]]})
         """, answers={"centered_layer": FORGED_SYMBOL}),
    stub("symbol-forged-input", "a forged graph whose output is a variable called 'expected'", FORGED_HEAD + """
         FORGED_JSON = json.dumps({"nodes": [DATA, {"op": "null", "name": "expected", "inputs": []}],
                                   "heads": [[1, 0, 0]]})
         """, answers={"centered_layer": FORGED_SYMBOL}),
    stub("symbol-forged-bomb", "a forged graph of 200 000 nodes (about 10 MB of JSON)", FORGED_HEAD + """
         nodes = [DATA] + [{"op": "_copy", "name": f"c{i}", "inputs": [[i, 0, 0]]} for i in range(200_000)]
         FORGED_JSON = json.dumps({"nodes": nodes, "heads": [[200_000, 0, 0]]})
         """, answers={"centered_layer": FORGED_SYMBOL}),
    stub("symbol-forged-cycle", "a forged graph whose node reads a node after it (a cycle)", FORGED_HEAD + """
         FORGED_JSON = json.dumps({"nodes": [DATA, {"op": "_copy", "name": "a", "inputs": [[2, 0, 0]]},
                                             {"op": "_copy", "name": "b", "inputs": [[1, 0, 0]]}],
                                   "heads": [[2, 0, 0]]})
         """, answers={"centered_layer": FORGED_SYMBOL}),
    stub("symbol-forged-huge-reshape", "a forged graph asking for a reshape to 10^12 elements", FORGED_HEAD + """
         FORGED_JSON = json.dumps({"nodes": [DATA, {"op": "Reshape", "name": "r", "inputs": [[0, 0, 0]],
                                                    "attrs": {"shape": "(1000000, 1000000)"}}],
                                   "heads": [[1, 0, 0]]})
         """, answers={"centered_layer": FORGED_SYMBOL}),
    # --- methods the student can replace ----------------------------------------------------------------------
    stub("initialize-noop-zeros", "MyDense declares its parameters, initialize() does nothing, set_data and "
         "forward give zeros", answers={"my_dense": DECLARES_ONLY + """
    def initialize(self, *args, **kwargs):
        pass
"""}),
    stub("set-data-noop", "gluon.Parameter.set_data patched to do nothing, so the judge's values never arrive; the "
         "answers compute with their own zeros", """
         from mxnet import gluon
         gluon.Parameter.set_data = lambda self, data: None
         """, answers={"my_dense": DECLARES_ONLY}),
    stub("tied-claims-sharing", "the third layer's weight and bias attributes point at the second layer's, the net's "
         "collect_params() lists six parameters, but the third computes with parameters of its own",
         answers={"build_tied_mlp": """
         class Claims(nn.Dense):
             '''A Dense whose .weight and .bias are another layer's, while it computes with its own.'''
             def __init__(self, claimed, *args, **kwargs):
                 super().__init__(*args, **kwargs)
                 self.__dict__["_claimed"] = claimed

             def __getattribute__(self, name):
                 if name in ("weight", "bias") and "_claimed" in object.__getattribute__(self, "__dict__"):
                     return getattr(object.__getattribute__(self, "__dict__")["_claimed"], name)
                 return object.__getattribute__(self, name)

         class Six(nn.Sequential):
             def collect_params(self, select=None):
                 found = gluon.ParameterDict(self.prefix)
                 for index in (0, 1, 3):
                     found.update(self[index].collect_params())
                 return found

         def build_tied_mlp(width=64, num_outputs=10):
             net = Six()
             with net.name_scope():
                 second = nn.Dense(width, activation="relu")
                 net.add(nn.Dense(width, activation="relu"), second,
                         Claims(second, width, activation="relu"), nn.Dense(num_outputs))
             return net
         """}),
    stub("collect-params-empty", "ParameterDict.values and keys patched to list nothing; CenteredLayer is the "
         "identity", """
         from mxnet import gluon
         gluon.ParameterDict.values = lambda self: []
         gluon.ParameterDict.keys = lambda self: []
         """, answers={"centered_layer": IDENTITY}),
    # --- objects that pretend --------------------------------------------------------------------------------
    stub("fake-block-getattr", "every answer is an object that claims to be a HybridBlock and answers every "
         "attribute with itself", """
         from mxnet import gluon
         class Pretender:
             @property
             def __class__(self):
                 return gluon.HybridBlock
             def __init__(self, *args, **kwargs):
                 self.prefix = "mydense0_"
             def __getattr__(self, name):
                 return lambda *args, **kwargs: self
             def __call__(self, x, *args):
                 return x
         CenteredLayer = MyDense = Pretender
         build_custom_mlp = build_tied_mlp = lambda *args, **kwargs: Pretender()
         count_unique_parameters = lambda net: Pretender()
         """),
    stub("kit-mydense-returned", "MyDense is the kit's own stand-in (an nn.Dense) fished out of the probe module; "
         "build_custom_mlp stays a stub", """
         import sys
         probes = [module for name, module in sys.modules.items() if name.endswith("custom_layers.probes")]
         if probes:
             MyDense = probes[0].MyDense
         """),
    stub("int-liar-count", "count_unique_parameters returns an int subclass equal to everything", answers={
        "count_unique_parameters": """
         class Anything(int):
             def __eq__(self, other):
                 return True
             def __ne__(self, other):
                 return False
             __hash__ = int.__hash__

         def count_unique_parameters(net):
             return Anything(0)
         """}),
    # --- the probe module and the protocol ---------------------------------------------------------------------
    stub("probe-frame-writes-reply", "CenteredLayer walks up to the probe's frame and writes forged outputs into "
         "the reply it is building", answers={"centered_layer": """
         import sys
         import numpy as np

         class CenteredLayer(gluon.HybridBlock):
             def hybrid_forward(self, F, x):
                 frame = sys._getframe(1)
                 while frame is not None:
                     reply = frame.f_locals.get("reply")
                     if isinstance(reply, dict):
                         fake = {"kind": "NDArray", "value": np.zeros((4, 3, 5), dtype=np.float32)}
                         reply.update(output=fake, hybrid_output=fake, params=[],
                                      symbol={"kind": "Symbol", "value": "{}"})
                     frame = frame.f_back
                 return x
         """}),
    stub("probe-frame-writes-reply-unseen", "the same, its frame walking spelled so that no attribute name shows",
         answers={"centered_layer": """
         import sys
         import numpy as np

         class CenteredLayer(gluon.HybridBlock):
             def hybrid_forward(self, F, x):
                 frame = getattr(sys, "_get" + "frame")(1)
                 while frame is not None:
                     reply = getattr(frame, "f_" + "locals").get("reply")
                     if isinstance(reply, dict):
                         fake = {"kind": "NDArray", "value": np.zeros((4, 3, 5), dtype=np.float32)}
                         reply.update(output=fake, hybrid_output=fake, params=[],
                                      symbol={"kind": "Symbol", "value": "{}"})
                     frame = getattr(frame, "f_" + "back")
                 return x
         """}),
    stub("probe-table-forged", "every custom_layers probe replaced by one that answers a plausible 'ok' with "
         "zeros for outputs and the right names and shapes (the screening holds it: it imports the grader)",
         "from autograder.subject import probing\n" + FORGE_PROBES + """
         for table in probing.PROBES.values():
             table.update(FORGED)
         """),
    stub("probe-table-forged-unseen", "the same forgeries, put into the probe context's own table by CenteredLayer() "
         "when the first probe makes it (frames walked with names spelled at run time, so the screening sees "
         "nothing); only structure can be forged so, and no check rests on structure alone",
         FORGE_PROBES, answers={"centered_layer": """
         import sys

         class CenteredLayer(gluon.HybridBlock):
             def __init__(self, **kwargs):
                 super().__init__(**kwargs)
                 frame = getattr(sys, "_get" + "frame")(1)
                 while frame is not None:
                     ctx = getattr(frame, "f_" + "locals").get("ctx")
                     if ctx is not None and isinstance(getattr(ctx, "probes", None), dict):
                         ctx.probes.update(FORGED)
                     frame = getattr(frame, "f_" + "back")

             def hybrid_forward(self, F, x):
                 return x
         """}),
    stub("protocol-forged", "autograder.protocol's encoders patched to send a forged all-ok reply", """
         import json
         import autograder.protocol as protocol
         forged = {"status": "ok", "output": {"kind": "NDArray", "value": None}, "value": {"kind": "int", "value": 0}}
         protocol.pack = lambda value: protocol.HEAD.pack(len(json.dumps(forged))) + json.dumps(forged).encode()
         protocol.dumps = lambda value: json.dumps(forged)
         """),
    # --- harm without gain: the honest part keeps exactly its points -----------------------------------------
    ref("nd-broadcast-sub-patched", "nd.broadcast_sub patched to return its first argument: imperatively the "
        "reference's CenteredLayer stops centring, hybridized (MXNet's own graph) it still centres", """
        from mxnet import nd
        nd.broadcast_sub = lambda lhs, rhs, *args, **kwargs: lhs.copy()
        """, loses=every("CenteredLayer", "own_layer", "centers", "any_shape")),
]


#: For the record (not asserted): each case's total before the judge owned its inputs (commit 9983f30, graded in
#: process, so without the sandbox's refusal to import the grader). Reference-based cases' honest total is 30.
BEFORE = {
    "numpy-random-centred": 5,
    "nd-array-zeros": 5,
    "asnumpy-zeros-everywhere": 9,
    "asnumpy-liar-subclass": 0,
    "hybridize-noop-identity": 0,
    "hybridize-noop-imperative-only": 30,
    "hybridize-noop-nd-mydense": 27,
    "call-override-symbol-identity": 1,
    "symbol-forged-operator": 0,
    "symbol-forged-input": 0,
    "symbol-forged-bomb": 0,
    "symbol-forged-cycle": 0,
    "symbol-forged-huge-reshape": 0,
    "initialize-noop-zeros": 0,
    "set-data-noop": 6,
    "tied-claims-sharing": 0,
    "collect-params-empty": 0,
    "fake-block-getattr": 0,
    "kit-mydense-returned": 0,
    "int-liar-count": 0,
    "probe-frame-writes-reply": 0,
    "probe-frame-writes-reply-unseen": 1,
    "probe-table-forged": 0,
    "probe-table-forged-unseen": 0,
    "protocol-forged": 0,
    "nd-broadcast-sub-patched": 26,
}


def by_id(case_id: str) -> Attack:
    """The case called ``case_id``."""
    return next(case for case in CORPUS if case.case_id == case_id)
