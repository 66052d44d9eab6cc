"""The convolutions unit's answers, graded in-process: realistic wrong answers each lose exactly the checks about
their mistake (0 on them, feedback naming it), and right answers written differently get every point, whatever the
notebook built before.

Every case replaces one solution cell of the reference notebook (``solutions/convolutions/convolutions.ipynb``).
Checks of one exercise ask only about that exercise's answer, so the cases are graded in rounds: one notebook per
round holds one case of each exercise (a notebook load instead of one per case). The reference's full marks and the
release's "not implemented yet" are in ``test_reference.py`` (a table over units).
"""
import copy
import functools
import tempfile
from collections import defaultdict
from textwrap import dedent

import nbformat
import numpy as np
import pytest

from autograder.units import unit
from autograder.units.convolutions.checks import conv_output_shape, layer_shapes, shared

from notebooks import every_check, grade_id_of, grade_notebook, ids, reference_notebook, with_answer, write_notebook

UNIT = "convolutions"
CHECKS = [check.id for check in unit(UNIT).checks]
EXERCISE_OF = {check.id: check.exercise for check in unit(UNIT).checks}
CELL_OF = {exercise.cell: exercise.name for exercise in unit(UNIT).exercises}


def case(case_id: str, grade_id: str, source: str, failing, phrase: str):
    """One wrong answer: the solution cell ``grade_id`` becomes ``source``; the checks ``failing`` must fail."""
    return pytest.param(grade_id, dedent(source).lstrip(), frozenset(failing), phrase, id=case_id)


def every(exercise: str) -> set:
    """Every check of ``exercise``: what an answer that does not do the exercise loses."""
    return every_check(UNIT, exercise)


CORR2D_VALUES = ids("corr2d", "example", "edge_windows", "any_shape")
PAIR = "    def as_pair(v):\n        return (v, v) if isinstance(v, int) else tuple(v)\n"
SHAPE_HEAD = "def conv_output_shape(in_shape, channels, kernel_size, strides=1, padding=0, dilation=1):\n" + PAIR + """
    n, _, h, w = in_shape
    (kh, kw), (sh, sw) = as_pair(kernel_size), as_pair(strides)
    (ph, pw), (dh, dw) = as_pair(padding), as_pair(dilation)
"""


def shape_answer(body: str) -> str:
    """A conv_output_shape that reads its arguments as pairs, then returns ``body``."""
    return SHAPE_HEAD + "    " + dedent(body).strip() + "\n"


CONV_HEAD = """
class MyConv2D(gluon.HybridBlock):
    def __init__(self, channels, kernel_size, in_channels=0, strides=1, padding=0, **kwargs):
        super().__init__(**kwargs)
        pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
        self.c, self.k, self.s, self.p = channels, pair(kernel_size), pair(strides), pair(padding)
"""
CONV_PARAMS = """
        self.weight = self.params.get("weight", shape=(channels, in_channels) + self.k, allow_deferred_init=True)
        self.bias = self.params.get("bias", shape=(channels,), allow_deferred_init=True)
"""
CONV_FORWARD = """
    def hybrid_forward(self, F, x, weight, bias):
        return F.Convolution(x, weight, bias, kernel=self.k, stride=self.s, pad=self.p, num_filter=self.c)
"""
LENET_LAYERS = ["nn.Conv2D(6, kernel_size=5, padding=2, activation='sigmoid')", "nn.AvgPool2D(pool_size=2, strides=2)",
                "nn.Conv2D(16, kernel_size=5, activation='sigmoid')", "nn.AvgPool2D(pool_size=2, strides=2)",
                "nn.Dense(120, activation='sigmoid')", "nn.Dense(84, activation='sigmoid')", "nn.Dense(num_outputs)"]


def lenet(*layers: str, container: str = "nn.HybridSequential") -> str:
    """A build_lenet whose net holds ``layers`` (LeNet's own by default)."""
    body = ",\n                ".join(layers or LENET_LAYERS)
    return (f"def build_lenet(num_outputs=10):\n    net = {container}()\n    with net.name_scope():\n"
            f"        net.add({body})\n    return net\n")


def replaced(old: str, new: str) -> list[str]:
    """LeNet's layers with one changed."""
    return [new if layer == old else layer for layer in LENET_LAYERS]


LENET_VALUES = ids("build_lenet", "structure", "forward", "hybridized", "any_outputs")
LAYER_SHAPES = every("layer_shapes")

MUTANTS = [
    # --- corr2d
    case("corr2d-one-row-short", "corr2d", """
        def corr2d(X, K):
            h, w = K.shape
            Y = nd.zeros((X.shape[0] - h, X.shape[1] - w))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
            return Y
        """, CORR2D_VALUES, "one row or column short"),
    case("corr2d-flipped-kernel", "corr2d", """
        def corr2d(X, K):
            h, w = K.shape
            flipped = nd.flip(nd.flip(K, axis=0), axis=1)
            Y = nd.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = (X[i:i + h, j:j + w] * flipped).sum()
            return Y
        """, CORR2D_VALUES, "kernel flipped"),
    case("corr2d-nd-Convolution", "corr2d", """
        def corr2d(X, K):
            h, w = K.shape
            out = nd.Convolution(X.reshape((1, 1) + X.shape), K.reshape((1, 1) + K.shape), no_bias=True,
                                 kernel=K.shape, num_filter=1)
            return out.reshape(out.shape[2:])
        """, every("corr2d"), "uses nd.Convolution"),
    case("corr2d-nd-Convolution-through-a-helper", "corr2d", """
        convolve = nd.Convolution

        def slide(X, K):
            return convolve(X.reshape((1, 1) + X.shape), K.reshape((1, 1) + K.shape), no_bias=True, kernel=K.shape,
                            num_filter=1)

        def corr2d(X, K):
            out = slide(X, K)
            return out.reshape(out.shape[2:])
        """, every("corr2d"), "uses nd.Convolution"),
    # --- conv_output_shape
    case("conv_output_shape-padding-once", "conv_output_shape", shape_answer("""
            return (n, channels, (h + ph - dh * (kh - 1) - 1) // sh + 1, (w + pw - dw * (kw - 1) - 1) // sw + 1)
        """), ids("conv_output_shape", "padding", "pairs", "matches_conv2d"), "padding is counted once"),
    case("conv_output_shape-ceil", "conv_output_shape", shape_answer("""
            return (n, channels, math.ceil((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1,
                    math.ceil((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1)
        """), ids("conv_output_shape", "strides", "pairs", "matches_conv2d"), "rounds up (ceil)"),
    case("conv_output_shape-dilation-ignored", "conv_output_shape", shape_answer("""
            return (n, channels, (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1)
        """), ids("conv_output_shape", "dilation", "pairs", "matches_conv2d"), "dilation is ignored"),
    case("conv_output_shape-int-not-a-pair", "conv_output_shape", """
        def conv_output_shape(in_shape, channels, kernel_size, strides=(1, 1), padding=(0, 0), dilation=(1, 1)):
            n, _, h, w = in_shape
            (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, strides, padding, dilation
            return (n, channels, (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1)
        """, every("conv_output_shape") - ids("conv_output_shape", "pairs"), "an int means the same value"),
    case("conv_output_shape-numpy-floats", "conv_output_shape", shape_answer("""
            return (n, channels, np.floor((h + 2 * ph - dh * (kh - 1) - 1) / sh) + 1,
                    np.floor((w + 2 * pw - dw * (kw - 1) - 1) / sw) + 1)
        """), ids("conv_output_shape", "python_ints"), "Python ints"),
    # --- MyConv2D
    case("MyConv2D-weight-in-out", "my_conv2d", CONV_HEAD + """
        self.weight = self.params.get("weight", shape=(in_channels, channels) + self.k, allow_deferred_init=True)
        self.bias = self.params.get("bias", shape=(channels,), allow_deferred_init=True)
""" + CONV_FORWARD, every("MyConv2D") - ids("MyConv2D", "own_layer"), "one filter per OUTPUT channel"),
    case("MyConv2D-no-bias", "my_conv2d", CONV_HEAD + """
        self.weight = self.params.get("weight", shape=(channels, in_channels) + self.k, allow_deferred_init=True)

    def hybrid_forward(self, F, x, weight):
        return F.Convolution(x, weight, no_bias=True, kernel=self.k, stride=self.s, pad=self.p, num_filter=self.c)
""", every("MyConv2D") - ids("MyConv2D", "own_layer"), "the bias is missing"),
    case("MyConv2D-in_channels-fixed", "my_conv2d", CONV_HEAD + """
        self.weight = self.params.get("weight", shape=(channels, 1) + self.k, allow_deferred_init=True)
        self.bias = self.params.get("bias", shape=(channels,), allow_deferred_init=True)
""" + CONV_FORWARD, every("MyConv2D") - ids("MyConv2D", "own_layer"), "in_channels is fixed instead of inferred"),
    case("MyConv2D-stride-padding-not-passed", "my_conv2d", CONV_HEAD + CONV_PARAMS + """
    def hybrid_forward(self, F, x, weight, bias):
        return F.Convolution(x, weight, bias, kernel=self.k, num_filter=self.c)
""", ids("MyConv2D", "strides_padding", "hybridized", "any_shape"), "not passed on"),
    case("MyConv2D-ints-passed-to-F.Convolution", "my_conv2d", """
        class MyConv2D(gluon.HybridBlock):
            def __init__(self, channels, kernel_size, in_channels=0, strides=1, padding=0, **kwargs):
                super().__init__(**kwargs)
                self.c, self.k, self.s, self.p = channels, kernel_size, strides, padding
                k = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
                self.weight = self.params.get("weight", shape=(channels, in_channels) + k, allow_deferred_init=True)
                self.bias = self.params.get("bias", shape=(channels,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                return F.Convolution(x, weight, bias, kernel=self.k, stride=self.s, pad=self.p, num_filter=self.c)
        """, every("MyConv2D") - ids("MyConv2D", "own_layer", "declared_params"), "one-dimensional convolution"),
    case("MyConv2D-nn.Conv2D-inside", "my_conv2d", """
        class MyConv2D(gluon.HybridBlock):
            def __init__(self, channels, kernel_size, in_channels=0, strides=1, padding=0, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.conv = nn.Conv2D(channels, kernel_size, strides=strides, padding=padding,
                                          in_channels=in_channels)

            def hybrid_forward(self, F, x):
                return self.conv(x)
        """, every("MyConv2D"), "nn.Conv2D"),
    # --- pool2d
    case("pool2d-avg-mode-ignored", "pool2d", """
        def pool2d(X, pool_size, mode='max'):
            ph, pw = pool_size
            Y = nd.zeros((X.shape[0] - ph + 1, X.shape[1] - pw + 1))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    Y[i, j] = X[i:i + ph, j:j + pw].max()
            return Y
        """, ids("pool2d", "avg_pool", "edge_windows", "any_shape"), "look at mode"),
    case("pool2d-stride-of-the-window", "pool2d", """
        def pool2d(X, pool_size, mode='max'):
            ph, pw = pool_size
            Y = nd.zeros(((X.shape[0] - ph) // ph + 1, (X.shape[1] - pw) // pw + 1))
            for i in range(Y.shape[0]):
                for j in range(Y.shape[1]):
                    window = X[i * ph:i * ph + ph, j * pw:j * pw + pw]
                    Y[i, j] = window.max() if mode == 'max' else window.mean()
            return Y
        """, ids("pool2d", "max_pool", "avg_pool", "any_shape"), "stride equal to the window"),
    case("pool2d-nd-Pooling", "pool2d", """
        def pool2d(X, pool_size, mode='max'):
            out = nd.Pooling(X.reshape((1, 1) + X.shape), kernel=pool_size, stride=(1, 1), pool_type=mode)
            return out.reshape(out.shape[2:])
        """, every("pool2d"), "uses nd.Pooling"),
    # --- build_lenet
    case("build_lenet-max-pooling", "build_lenet",
         lenet(*[layer.replace("AvgPool2D", "MaxPool2D") for layer in LENET_LAYERS]), LENET_VALUES,
         "average pooling"),
    case("build_lenet-relu", "build_lenet", lenet(*[layer.replace("sigmoid", "relu") for layer in LENET_LAYERS]),
         LENET_VALUES, "sigmoid"),
    case("build_lenet-first-conv-without-padding", "build_lenet",
         lenet(*replaced(LENET_LAYERS[0], "nn.Conv2D(6, kernel_size=5, activation='sigmoid')")),
         LENET_VALUES | ids("build_lenet", "deferred_shapes"), "400 features"),
    case("build_lenet-nn.Sequential", "build_lenet", lenet(container="nn.Sequential"),
         ids("build_lenet", "structure", "hybridized"), "has no export"),
    # --- layer_shapes
    case("layer_shapes-input-first", "layer_shapes", """
        def layer_shapes(net, x):
            shapes = [(type(x).__name__, x.shape)]
            for layer in net:
                x = layer(x)
                shapes.append((type(layer).__name__, x.shape))
            return shapes
        """, LAYER_SHAPES, "starts with the input's shape"),
    case("layer_shapes-records-inputs", "layer_shapes", """
        def layer_shapes(net, x):
            shapes = []
            for layer in net:
                shapes.append((type(layer).__name__, x.shape))
                x = layer(x)
            return shapes
        """, LAYER_SHAPES, "INTO each layer"),
    case("layer_shapes-skips-layers", "layer_shapes", """
        def layer_shapes(net, x):
            shapes = []
            for layer in net:
                x = layer(x)
                if isinstance(layer, (nn.Conv2D, nn.Dense)):
                    shapes.append((type(layer).__name__, x.shape))
            return shapes
        """, LAYER_SHAPES, "are skipped"),
]

VARIANTS = [
    pytest.param("corr2d", """
        def corr2d(X, K):
            kh, kw = K.shape
            h, w = X.shape[0] - kh + 1, X.shape[1] - kw + 1
            Y = nd.zeros((h, w))
            for a in range(kh):
                for b in range(kw):
                    Y = Y + X[a:a + h, b:b + w] * K[a, b].asscalar()
            return Y
        """, id="corr2d-vectorised-window-sum"),
    pytest.param("conv_output_shape", """
        def conv_output_shape(in_shape, channels, kernel_size, strides=1, padding=0, dilation=1):
            pairs = [(v, v) if isinstance(v, int) else tuple(v) for v in (kernel_size, strides, padding, dilation)]
            sizes = [(n + 2 * p - d * (k - 1) - 1) // s + 1
                     for n, k, s, p, d in zip(in_shape[2:], *pairs)]
            return (in_shape[0], channels, *sizes)
        """, id="conv_output_shape-floor-division"),
    pytest.param("my_conv2d", """
        class MyConv2D(gluon.HybridBlock):
            def __init__(self, channels, kernel_size, in_channels=0, strides=1, padding=0, **kwargs):
                super().__init__(**kwargs)
                self.channels, self.kernel_size, self.strides, self.padding = channels, kernel_size, strides, padding
                kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
                with self.name_scope():
                    self.weight = self.params.get("weight", shape=(channels, in_channels, kh, kw),
                                                  init=mx.init.Xavier(), allow_deferred_init=True)
                    self.bias = self.params.get("bias", shape=(channels,), init="zeros", allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                pair = lambda v: (v, v) if isinstance(v, int) else tuple(v)
                return F.Convolution(data=x, weight=weight, bias=bias, kernel=tuple(pair(self.kernel_size)),
                                     stride=tuple(pair(self.strides)), pad=tuple(pair(self.padding)),
                                     num_filter=self.channels, no_bias=False)
        """, id="MyConv2D-keyword-arguments-tuple-kernels"),
    pytest.param("pool2d", """
        def pool2d(X, pool_size, mode='max'):
            ph, pw = pool_size
            reduce = nd.max if mode == 'max' else nd.mean
            rows = [nd.stack(*[reduce(X[i:i + ph, j:j + pw]) for j in range(X.shape[1] - pw + 1)]).reshape((-1,))
                    for i in range(X.shape[0] - ph + 1)]
            return nd.stack(*rows)
        """, id="pool2d-stacked-rows"),
    pytest.param("build_lenet", """
        def build_lenet(num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                net.add(nn.Conv2D(channels=6, kernel_size=(5, 5), padding=(2, 2), activation='sigmoid'))
                net.add(nn.AvgPool2D(pool_size=(2, 2), strides=(2, 2)))
                net.add(nn.Conv2D(channels=16, kernel_size=(5, 5), activation='sigmoid'))
                net.add(nn.AvgPool2D(pool_size=(2, 2), strides=(2, 2)))
                net.add(nn.Flatten())
                net.add(nn.Dense(120, activation='sigmoid'), nn.Dense(84, activation='sigmoid'))
                net.add(nn.Dense(num_outputs))
            return net
        """, id="build_lenet-flatten-before-dense"),
    pytest.param("build_lenet", """
        def build_lenet(num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                for channels, padding in ((6, 2), (16, 0)):
                    net.add(nn.Conv2D(channels, kernel_size=5, padding=padding), nn.Activation('sigmoid'),
                            nn.AvgPool2D(pool_size=2, strides=2))
                for units in (120, 84):
                    net.add(nn.Dense(units), nn.Activation('sigmoid'))
                net.add(nn.Dense(num_outputs))
            return net
        """, id="build_lenet-activation-layers"),
    pytest.param("layer_shapes", """
        def layer_shapes(net, x):
            out = []
            for block in net._children.values():
                x = block(x)
                out.append((block.__class__.__name__, tuple(x.shape)))
            return out
        """, id="layer_shapes-children-values"),
]

#: Answers that try to get points without the work, through what runs beside the probe (in this process the judge
#: shares NumPy with the notebook, so attacks on NumPy itself belong to the sandboxed corpus, tests/test_hostile.py).
#: Each may keep at most the checks in ``allowed``: what its honest part earns.
HOSTILE = [
    pytest.param("conv_output_shape", """
        class Agreeable(tuple):
            def __eq__(self, other):
                return True

            def __ne__(self, other):
                return False

        def conv_output_shape(in_shape, channels, kernel_size, strides=1, padding=0, dilation=1):
            return Agreeable((0, 0, 0, 0))
        """, set(), id="conv_output_shape-tuple-equal-to-everything"),
    pytest.param("my_conv2d", CONV_HEAD + CONV_PARAMS + """
    def hybridize(self, *args, **kwargs):
        pass

    def hybrid_forward(self, F, x, weight, bias):
        return nd.Convolution(x, weight, bias, kernel=self.k, stride=self.s, pad=self.p, num_filter=self.c)
""", ids("MyConv2D", "own_layer", "declared_params", "forward"), id="MyConv2D-hybridize-does-nothing"),
    pytest.param("corr2d", """
        class Told(nd.NDArray):
            __slots__ = ()

            def asnumpy(self):
                return np.array([[19.0, 25.0], [37.0, 43.0]], dtype=np.float32)

        def corr2d(X, K):
            out = nd.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1))
            out.__class__ = Told
            return out
        """, ids("corr2d", "own_code"), id="corr2d-ndarray-that-reports-the-example"),
    pytest.param("layer_shapes", """
        class Agreeable(list):
            def __eq__(self, other):
                return True

        def layer_shapes(net, x):
            return Agreeable([("Conv2D", (1, 1, 1, 1))])
        """, set(), id="layer_shapes-list-equal-to-everything"),
]

#: A cell a student may run before the answers: ten blocks of all kinds, so every process-wide name counter moves.
TEN_BLOCKS = """
made = []
for _ in range(2):
    made += [nn.HybridSequential(), nn.Sequential(), nn.Conv2D(3, 3), nn.Dense(3), nn.AvgPool2D()]
"""


@functools.cache
def _reference():
    return reference_notebook(UNIT)


def grade(nb) -> dict:
    """Grade a notebook object against the unit's checks: ``{check_id: CheckResult}``."""
    with tempfile.TemporaryDirectory(prefix="convolutions-") as folder:
        return grade_notebook(write_notebook(nb, folder), UNIT)


def rounds(params) -> dict:
    """``{case id: round}``: the n-th case of each exercise goes to round n (one notebook per round)."""
    seen, placed = defaultdict(int), {}
    for param in params:
        placed[param.id] = seen[param.values[0]]
        seen[param.values[0]] += 1
    return placed


@functools.cache
def graded_round(table: str, number: int) -> dict:
    """The results of round ``number`` of MUTANTS or VARIANTS: every case of that round swapped in at once."""
    params = MUTANTS if table == "mutants" else VARIANTS
    placed = rounds(params)
    nb = _reference()
    for param in params:
        if placed[param.id] == number:
            nb = with_answer(nb, param.values[0], dedent(param.values[1]).lstrip())
    return grade(nb)


def describe(results: dict, check_ids) -> str:
    return "\n".join(f"--- {cid}: {results[cid].score}/{results[cid].max_score}\n{results[cid].feedback}"
                     for cid in sorted(check_ids))


def test_case_tables_are_sound():
    assert len(MUTANTS) >= 18 and len(VARIANTS) >= 7
    assert len({param.id for param in MUTANTS + VARIANTS}) == len(MUTANTS) + len(VARIANTS)
    assert len({param.values[0] for param in HOSTILE}) == len(HOSTILE)
    for param in MUTANTS:
        _, source, failing, phrase = param.values
        assert failing and failing <= set(CHECKS), (param.id, failing - set(CHECKS))
        assert len({EXERCISE_OF[cid] for cid in failing}) == 1, param.id
        assert phrase.strip()
        compile(source, param.id, "exec")
    exercises = {exercise.cell for exercise in unit(UNIT).exercises}
    assert {param.values[0] for param in MUTANTS} == exercises == {param.values[0] for param in VARIANTS}


@pytest.mark.parametrize("grade_id, source, failing, phrase", MUTANTS)
def test_wrong_answer_fails_exactly_its_checks(request, mnist_dir, grade_id, source, failing, phrase):
    case_id = request.node.callspec.id
    results = graded_round("mutants", rounds(MUTANTS)[case_id])
    assert list(results) == CHECKS
    mine = {cid: result for cid, result in results.items() if EXERCISE_OF[cid] == CELL_OF[grade_id]}
    failed = {cid for cid, result in mine.items() if not result.passed}
    assert failed == failing, (f"\nunexpectedly failed: {sorted(failed - failing)}\nunexpectedly passed: "
                               f"{sorted(failing - failed)}\n" + describe(results, failed ^ failing))
    for cid, result in mine.items():
        if cid in failing:
            assert (result.status, result.score) == ("failed", 0) and result.feedback, cid
        else:
            assert (result.status, result.score, result.feedback) == ("passed", result.max_score, ""), cid
    assert any(phrase.casefold() in results[cid].feedback.casefold() for cid in failing), (
        f"\nno feedback of a failing check says {phrase!r}:\n" + describe(results, failing))


@pytest.mark.parametrize("grade_id, source", VARIANTS)
def test_right_answer_written_differently_gets_full_marks(request, mnist_dir, grade_id, source):
    results = graded_round("variants", rounds(VARIANTS)[request.node.callspec.id])
    assert list(results) == CHECKS
    wrong = {cid: f"{r.score}/{r.max_score}: {r.feedback}" for cid, r in results.items()
             if not r.passed or r.score != r.max_score}
    assert not wrong


@pytest.fixture(scope="module")
def hostile_graded(mnist_dir) -> dict:
    """The HOSTILE answers, all in one notebook (each is a different exercise)."""
    nb = _reference()
    for param in HOSTILE:
        nb = with_answer(nb, param.values[0], dedent(param.values[1]).lstrip())
    return grade(nb)


@pytest.mark.parametrize("grade_id, source, allowed", HOSTILE)
def test_hostile_answer_gets_no_more_than_its_honest_part(hostile_graded, grade_id, source, allowed):
    mine = {cid: r for cid, r in hostile_graded.items() if EXERCISE_OF[cid] == CELL_OF[grade_id]}
    gained = {cid for cid, r in mine.items() if r.score > 0}
    assert gained <= allowed, describe(hostile_graded, gained - allowed)
    assert all(r.score == 0 and r.feedback for cid, r in mine.items() if cid not in allowed)


def test_a_net_built_after_ten_other_blocks_changes_no_grade(mnist_dir):
    nb = copy.deepcopy(_reference())
    first = next(i for i, cell in enumerate(nb.cells) if grade_id_of(cell) == "corr2d")
    nb.cells.insert(first, nbformat.v4.new_code_cell(TEN_BLOCKS))
    results = grade(nb)
    assert {cid: r.feedback for cid, r in results.items() if not r.passed} == {}
    assert sum(r.score for r in results.values()) == unit(UNIT).points


def test_hypothesis_feedback_names_the_drawn_example(mnist_dir):
    feedback = graded_round("mutants", rounds(MUTANTS)["conv_output_shape-ceil"])[
        "conv_output_shape.matches_conv2d"].feedback
    assert feedback.startswith("Expected: conv_output_shape(in_shape="), feedback


# --- the judge's own model, against MXNet (here, outside any student's process) ------------------------------

CONV_SETTINGS = [
    {"in_shape": [2, 3, 9, 8], "channels": 4, "kernel_size": [3, 2], "strides": 2, "padding": 1},
    {"in_shape": [1, 2, 10, 11], "channels": 3, "kernel_size": 3, "dilation": [2, 1], "padding": [0, 2]},
    {"in_shape": [3, 1, 5, 5], "channels": 2, "kernel_size": 5},
]


@pytest.mark.parametrize("kwargs", CONV_SETTINGS)
def test_the_judges_convolution_and_shape_are_mxnets(kwargs):
    from mxnet import nd

    x = shared.judge_array(kwargs["in_shape"], 1)
    kh, kw = shared.pair(kwargs["kernel_size"])
    weight = shared.judge_array((kwargs["channels"], x.shape[1], kh, kw), 2)
    bias = shared.judge_array((kwargs["channels"],), 3)
    settings = {"stride": shared.pair(kwargs.get("strides", 1)), "pad": shared.pair(kwargs.get("padding", 0)),
                "dilate": shared.pair(kwargs.get("dilation", 1))}
    mxnet = nd.Convolution(nd.array(x), nd.array(weight), nd.array(bias), kernel=(kh, kw),
                           num_filter=kwargs["channels"], **settings).asnumpy()
    mine = shared.conv2d(x, weight, bias, kwargs.get("strides", 1), kwargs.get("padding", 0),
                         kwargs.get("dilation", 1))
    assert mine.shape == mxnet.shape == conv_output_shape.expected_shape(kwargs)
    assert conv_output_shape.kit_conv2d_shape(kwargs) == mxnet.shape
    assert np.allclose(mine, mxnet, atol=1e-4)


@pytest.mark.parametrize("mode, size, stride", [("max", 2, 2), ("avg", 2, 2), ("avg", 3, 1)])
def test_the_judges_pooling_is_mxnets(mode, size, stride):
    from mxnet import nd

    x = shared.judge_array((2, 3, 7, 6), 4)
    mxnet = nd.Pooling(nd.array(x), kernel=(size, size), stride=(stride, stride), pool_type=mode).asnumpy()
    assert np.allclose(shared.batch_pool(x, size, stride, mode), mxnet, atol=1e-5)
    assert np.allclose(shared.pool2d(x[0, 0], (size, size), mode, (stride, stride)), mxnet[0, 0], atol=1e-5)
    assert layer_shapes.output_shape({"kind": "AvgPool2D", "pool_size": size, "strides": stride}, x.shape) == \
        mxnet.shape
