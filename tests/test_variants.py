"""Right answers written differently from the reference get every point, and grades do not depend on what the
notebook built before (MXNet's process-wide name counters)."""
import copy
import tempfile
from textwrap import dedent

import nbformat
import pytest

from autograder.units import unit

from notebooks import grade_id_of, grade_notebook, reference_notebook, with_answer, write_notebook

#: Gluon warns about blocks kept in plain lists, which is exactly what some of these answers do.
pytestmark = pytest.mark.filterwarnings("ignore:.*unregistered container with Blocks:UserWarning")


def variant(variant_id: str, grade_id: str, source: str):
    """One right answer: the solution cell ``grade_id`` becomes ``source``."""
    return pytest.param(grade_id, dedent(source).lstrip(), id=variant_id)


VARIANTS = [
    variant("build_mlp-activation-blocks", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units))
                    net.add(nn.Activation("relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """),
    variant("build_mlp-add-all-at-once", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                layers = [nn.Dense(h, activation="relu") for h in hidden] + [nn.Dense(num_outputs)]
                net.add(*layers)
            return net
        """),
    variant("build_named_mlp-explicit-layer-prefixes", "build_named_mlp", """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential(prefix=prefix)
            with net.name_scope():
                sizes = list(hidden) + [num_outputs]
                for i, units in enumerate(sizes):
                    act = "relu" if i < len(hidden) else None
                    net.add(nn.Dense(units, activation=act, prefix="dense%d_" % i))
            return net
        """),
    variant("build_mlp_explicit-zip-of-sizes", "build_mlp_explicit", """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            sizes = [in_units, *hidden, num_outputs]
            net = nn.Sequential()
            with net.name_scope():
                for i, (fan_in, units) in enumerate(zip(sizes, sizes[1:])):
                    last = i == len(sizes) - 2
                    net.add(nn.Dense(units, in_units=fan_in, activation=None if last else "relu"))
            return net
        """),
    variant("MLP-inner-sequential", "mlp_block", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.Sequential()
                    with self.body.name_scope():
                        for units in hidden:
                            self.body.add(nn.Dense(units, activation="relu"))
                        self.body.add(nn.Dense(num_outputs))

            def forward(self, x):
                return self.body(x)
        """),
    variant("MLP-nd-relu-in-forward", "mlp_block", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                self.num_hidden = len(hidden)
                with self.name_scope():
                    for i, units in enumerate(hidden):
                        setattr(self, "hidden%d" % i, nn.Dense(units))
                    self.out = nn.Dense(num_outputs)

            def forward(self, x):
                for i in range(self.num_hidden):
                    x = nd.relu(getattr(self, "hidden%d" % i)(x))
                return self.out(x)
        """),
    variant("MLP-register-child", "mlp_block", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    for units in hidden:
                        self.register_child(nn.Dense(units, activation="relu"))
                    self.register_child(nn.Dense(num_outputs))

            def forward(self, x):
                for layer in self._children.values():
                    x = layer(x)
                return x
        """),
    variant("MySequential-keyed-by-child-name", "my_sequential", """
        class MySequential(gluon.Block):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)

            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block, block.name)

            def forward(self, x):
                out = x
                for child in self._children.values():
                    out = child(out)
                return out
        """),
    variant("MySequential-registers-and-keeps-a-list", "my_sequential", """
        class MySequential(gluon.Block):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.order = []

            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block)
                    self.order.append(block)

            def forward(self, x):
                for block in self.order:
                    x = block(x)
                return x
        """),
    variant("count_parameters-np-prod-of-shapes", "count_parameters", """
        def count_parameters(net):
            total = 0
            for name, param in net.collect_params().items():
                total += int(np.prod(param.shape))
            return total
        """),
    variant("MyInit-numpy-then-copy", "my_init", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                w = np.random.uniform(-10, 10, size=arr.shape)
                w[np.abs(w) < 5] = 0
                arr[:] = nd.array(w)
        """),
    variant("MyInit-nd-where", "my_init", """
        class MyInit(mx.init.Initializer):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)

            def _init_weight(self, name, data):
                data[:] = nd.random.uniform(-10, 10, shape=data.shape)
                data[:] = nd.where(data.abs() < 5, nd.zeros_like(data), data)
        """),
    variant("save_and_load-pathlib-and-with", "save_and_load", """
        from pathlib import Path


        def save_and_load(net, make_net, path):
            path = Path(path)
            net.save_parameters(str(path))
            new_net = make_net()
            with mx.Context(mx.cpu()):
                new_net.load_parameters(str(path), ctx=mx.cpu())
            return new_net
        """),
]

#: A cell that builds ten nets at the top level, outside any name_scope(), so that MXNet's process-wide counters
#: (sequential*, dense*) have moved on before the student's functions are even defined.
TEN_NETS = dedent("""
    made_before = []
    for _ in range(10):
        early = nn.Sequential()
        early.add(nn.Dense(8, activation="relu"), nn.Dense(4))
        made_before.append(early)
    lonely = [nn.Dense(3) for _ in range(10)]
    print(early.prefix, early[0].name, lonely[-1].name)
    """).lstrip()

#: Wrong answers whose feedback names blocks and parameters (prefixes such as sequential0_, mysequential0_).
NAMED_MISTAKES = {
    "build_mlp": """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            for units in hidden:
                net.add(nn.Dense(units, activation="relu"))
            net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_mlp_explicit": """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_named_mlp": """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """,
    "mlp_block": """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.layers = [nn.Dense(units, activation="relu") for units in hidden]
                    self.out = nn.Dense(num_outputs)

            def forward(self, x):
                for layer in self.layers:
                    x = layer(x)
                return self.out(x)
        """,
    "my_sequential": """
        class MySequential(gluon.Block):
            def add(self, *blocks):
                self.register_child(blocks[0])

            def forward(self, x):
                for block in self._children.values():
                    x = block(x)
                return x
        """,
}


def grade(nb) -> dict:
    """Grade a notebook object: ``{check_id: CheckResult}``."""
    with tempfile.TemporaryDirectory(prefix="variant-") as folder:
        return grade_notebook(write_notebook(nb, folder))


def with_ten_nets_first(nb):
    """A copy of ``nb`` with the TEN_NETS cell inserted just before its first solution cell."""
    changed = copy.deepcopy(nb)
    first = next(i for i, cell in enumerate(changed.cells)
                 if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("solution"))
    changed.cells.insert(first, nbformat.v4.new_code_cell(TEN_NETS))
    return changed


def with_named_mistakes(nb):
    """A copy of ``nb`` with every answer of NAMED_MISTAKES swapped in."""
    for grade_id, source in NAMED_MISTAKES.items():
        nb = with_answer(nb, grade_id, dedent(source).lstrip())
    return nb


def outcome(results: dict) -> list:
    """What a student sees of a grading: per check, its status, score and feedback."""
    return [(cid, r.status, r.score, r.max_score, r.feedback) for cid, r in results.items()]


@pytest.mark.parametrize("grade_id, source", VARIANTS)
def test_right_answer_written_differently_gets_full_marks(mnist_dir, grade_id, source):
    results = grade(with_answer(reference_notebook(), grade_id, source))
    assert list(results) == [check.id for check in unit("plumbing").checks]
    wrong = {cid: f"{r.score}/{r.max_score}: {r.feedback}" for cid, r in results.items()
             if not r.passed or r.score != r.max_score}
    assert not wrong


def test_every_exercise_has_a_variant():
    graded_ids = {grade_id_of(cell) for cell in reference_notebook().cells
                  if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}
    assert {param.values[0] for param in VARIANTS} == graded_ids


def test_nets_built_before_the_answers_change_no_grade(mnist_dir, reference_results):
    nb = with_ten_nets_first(reference_notebook())
    assert sum(cell.cell_type == "code" for cell in nb.cells) == 1 + sum(
        cell.cell_type == "code" for cell in reference_notebook().cells)
    assert outcome(grade(nb)) == outcome(reference_results)


@pytest.fixture(scope="module")
def named_mistakes_graded(mnist_dir):
    """The NAMED_MISTAKES notebook graded as is and with ten nets built before its answers."""
    plain = with_named_mistakes(reference_notebook())
    return grade(plain), grade(with_ten_nets_first(plain))


def test_named_mistakes_feedback_names_blocks(named_mistakes_graded):
    plain, _ = named_mistakes_graded
    failed = [r for r in plain.values() if not r.passed]
    assert {r.exercise for r in failed} == {"build_mlp", "build_mlp_explicit", "build_named_mlp", "MLP",
                                           "MySequential"}
    feedback = "\n".join(r.feedback for r in failed)
    for name in ("'sequential0_'", "'dense0_weight'", "mlp0_dense0_weight", "mysequential0_dense1_weight"):
        assert name in feedback


def test_nets_built_before_wrong_answers_change_no_feedback(named_mistakes_graded):
    plain, after_ten_nets = named_mistakes_graded
    assert outcome(after_ten_nets) == outcome(plain)
