"""Realistic wrong answers: each loses exactly the checks about its mistake, scores 0 on them, and is told why.

Every case replaces one solution cell of the reference notebook with a wrong answer, as a student would write it,
and says which checks must fail (all others keep full points) and a phrase that the feedback of at least one
failing check must contain (case-insensitive), naming the mistake.
"""
import functools
import tempfile

import pytest

from autograder.units import unit

import notebooks as harness
from notebooks import grade_notebook, ids, reference_notebook, with_answer, write_notebook

#: Gluon warns about blocks kept in plain lists, which is exactly what some of these answers do.
pytestmark = pytest.mark.filterwarnings("ignore:.*unregistered container with Blocks:UserWarning")


case = harness.mutant  # the solution cell is named by its grade id



# --- build_mlp --------------------------------------------------------------------------------------------

BUILD_MLP = [
    case("build_mlp-no-name-scope", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            for units in hidden:
                net.add(nn.Dense(units, activation="relu"))
            net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_mlp", "param_names"), "with net.name_scope()"),
    case("build_mlp-ignores-hidden", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                net.add(nn.Dense(128, activation="relu"))
                net.add(nn.Dense(64, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_mlp", "any_widths"), "one Dense layer per entry of hidden"),
    case("build_mlp-relu-on-output", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs, activation="relu"))
            return net
        """, ids("build_mlp", "forward", "any_widths"), "the output layer applies ReLU"),
    case("build_mlp-no-relu-on-hidden", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units))
                net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_mlp", "forward", "any_widths"), "the hidden layers have no ReLU"),
    case("build_mlp-sets-in-units", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                previous = 784
                for units in hidden:
                    net.add(nn.Dense(units, in_units=previous, activation="relu"))
                    previous = units
                net.add(nn.Dense(num_outputs, in_units=previous))
            return net
        """, ids("build_mlp", "deferred_shapes", "xavier_init"), "leave in_units out"),
]

# --- build_named_mlp --------------------------------------------------------------------------------------

BUILD_NAMED_MLP = [
    case("build_named_mlp-ignores-prefix", "build_named_mlp", """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_named_mlp", "exact_names", "any_prefix"), "nn.Sequential(prefix=prefix)"),
    case("build_named_mlp-no-name-scope", "build_named_mlp", """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential(prefix=prefix)
            for units in hidden:
                net.add(nn.Dense(units, activation="relu"))
            net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_named_mlp", "exact_names", "any_prefix"), "inside its name_scope()"),
]

# --- build_mlp_explicit -----------------------------------------------------------------------------------

BUILD_MLP_EXPLICIT = [
    case("build_mlp_explicit-every-in-units-784", "build_mlp_explicit", """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, in_units=in_units, activation="relu"))
                net.add(nn.Dense(num_outputs, in_units=in_units))
            return net
        """, ids("build_mlp_explicit", "in_units_chain", "forward", "any_in_units"),
         "but the layer before it outputs 128 units"),
    case("build_mlp_explicit-no-in-units", "build_mlp_explicit", """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(nn.Dense(units, activation="relu"))
                net.add(nn.Dense(num_outputs))
            return net
        """, ids("build_mlp_explicit", "allocates_at_once", "in_units_chain", "any_in_units"),
         "pass in_units to every Dense layer"),
    case("build_mlp_explicit-ignores-in-units-argument", "build_mlp_explicit", """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                previous = 784
                for units in hidden:
                    net.add(nn.Dense(units, in_units=previous, activation="relu"))
                    previous = units
                net.add(nn.Dense(num_outputs, in_units=previous))
            return net
        """, ids("build_mlp_explicit", "any_in_units"), "(in_units for the first)"),
    case("build_mlp_explicit-relu-on-output", "build_mlp_explicit", """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                previous = in_units
                for units in hidden:
                    net.add(nn.Dense(units, in_units=previous, activation="relu"))
                    previous = units
                net.add(nn.Dense(num_outputs, in_units=previous, activation="relu"))
            return net
        """, ids("build_mlp_explicit", "forward", "any_in_units"), "the output layer applies ReLU"),
]

# --- MLP --------------------------------------------------------------------------------------------------

MLP = [
    case("MLP-hidden-layers-in-plain-list", "mlp_block", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.hidden_layers = [nn.Dense(units, activation="relu") for units in hidden]
                    self.output = nn.Dense(num_outputs)

            def forward(self, x):
                for layer in self.hidden_layers:
                    x = layer(x)
                return self.output(x)
        """, ids("MLP", "registered_layers", "deferred_shapes", "forward", "any_widths"), "plain Python list"),
    case("MLP-no-name-scope", "mlp_block", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                self.hidden_layers = []
                for i, units in enumerate(hidden):
                    layer = nn.Dense(units, activation="relu")
                    setattr(self, f"hidden{i}", layer)
                    self.hidden_layers.append(layer)
                self.output = nn.Dense(num_outputs)

            def forward(self, x):
                for layer in self.hidden_layers:
                    x = layer(x)
                return self.output(x)
        """, ids("MLP", "registered_layers"), "with self.name_scope()"),
    case("MLP-relu-on-output", "mlp_block", """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.Sequential()
                    for units in hidden:
                        self.body.add(nn.Dense(units, activation="relu"))
                    self.output = nn.Dense(num_outputs)

            def forward(self, x):
                return nd.relu(self.output(self.body(x)))
        """, ids("MLP", "forward", "any_widths"), "the output layer applies ReLU"),
    case("MLP-subclasses-sequential", "mlp_block", """
        class MLP(nn.Sequential):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    for units in hidden:
                        self.add(nn.Dense(units, activation="relu"))
                    self.add(nn.Dense(num_outputs))

            def forward(self, x):
                for layer in self._children.values():
                    x = layer(x)
                return x
        """, ids("MLP", "is_block"), "derive from gluon.Block directly"),
]

# --- MySequential -----------------------------------------------------------------------------------------

MY_SEQUENTIAL = [
    case("MySequential-subclasses-sequential", "my_sequential", """
        class MySequential(nn.Sequential):
            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block)

            def forward(self, x):
                for block in self._children.values():
                    x = block(x)
                return x
        """, ids("MySequential", "is_block"), "derive from gluon.Block directly"),
    case("MySequential-runs-children-in-reverse", "my_sequential", """
        class MySequential(gluon.Block):
            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block)

            def forward(self, x):
                for block in reversed(list(self._children.values())):
                    x = block(x)
                return x
        """, ids("MySequential", "runs_in_order", "any_layers"), "in the order"),
    case("MySequential-blocks-in-plain-list", "my_sequential", """
        class MySequential(gluon.Block):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.blocks = []

            def add(self, *blocks):
                self.blocks.extend(blocks)

            def forward(self, x):
                for block in self.blocks:
                    x = block(x)
                return x
        """, ids("MySequential", "registers_children", "runs_in_order", "any_layers"), "self.register_child(block)"),
    case("MySequential-feeds-x-to-every-child", "my_sequential", """
        class MySequential(gluon.Block):
            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block)

            def forward(self, x):
                for block in self._children.values():
                    out = block(x)
                return out
        """, ids("MySequential", "runs_in_order", "any_layers"), "in the order add() received them"),
    case("MySequential-add-registers-first-block-only", "my_sequential", """
        class MySequential(gluon.Block):
            def add(self, *blocks):
                self.register_child(blocks[0])

            def forward(self, x):
                for block in self._children.values():
                    x = block(x)
                return x
        """, ids("MySequential", "registers_children", "runs_in_order", "any_layers"), "register each block"),
]

# --- count_parameters -------------------------------------------------------------------------------------

ALL_COUNTS = ids("count_parameters", "explicit_net", "after_first_batch", "any_net")

COUNT_PARAMETERS = [
    case("count_parameters-weights-only", "count_parameters", """
        def count_parameters(net):
            return int(sum(p.data().size for name, p in net.collect_params().items() if name.endswith("weight")))
        """, ALL_COUNTS, "count the biases too"),
    case("count_parameters-returns-float", "count_parameters", """
        def count_parameters(net):
            total = 0.0
            for param in net.collect_params().values():
                total += param.data().size
            return total
        """, ALL_COUNTS, "return a Python int"),
    case("count_parameters-returns-ndarray", "count_parameters", """
        def count_parameters(net):
            return sum(param.data().ones_like().sum() for param in net.collect_params().values())
        """, ALL_COUNTS, "return a Python int"),
    case("count_parameters-counts-parameter-arrays", "count_parameters", """
        def count_parameters(net):
            return len(net.collect_params().keys())
        """, ALL_COUNTS, "not the number of parameters"),
]

# --- MyInit -----------------------------------------------------------------------------------------------

ALL_MY_INIT = ids("MyInit", "zeroed_below_five", "uniform_draws", "biases_zero")

MY_INIT = [
    case("MyInit-range-5", "my_init", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr[:] = nd.random.uniform(low=-5, high=5, shape=arr.shape)
                arr[:] = arr * (arr.abs() >= 5)
        """, ALL_MY_INIT, "U(-10, 10)"),  # every draw zeroed: one value everywhere is no draw at all
    case("MyInit-threshold-2", "my_init", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr[:] = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                arr[:] = arr * (arr.abs() >= 2)
        """, ids("MyInit", "zeroed_below_five", "uniform_draws"), "set every weight with |w| < 5 to 0"),
    case("MyInit-keeps-small-zeroes-large", "my_init", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr[:] = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                arr[:] = arr * (arr.abs() < 5)
        """, ids("MyInit", "zeroed_below_five", "uniform_draws"), "5 <= |w| <= 10"),
    case("MyInit-also-sets-biases", "my_init", """
        class MyInit(mx.init.Initializer):
            def __call__(self, desc, arr):
                arr[:] = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                arr[:] = arr * (arr.abs() >= 5)
        """, ids("MyInit", "biases_zero"), "only override _init_weight"),
    case("MyInit-rebinds-arr", "my_init", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                arr = arr * (arr.abs() >= 5)
        """, ALL_MY_INIT, "fill arr in place"),
    case("MyInit-positive-only", "my_init", """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                arr[:] = nd.random.uniform(low=0, high=10, shape=arr.shape)
                arr[:] = arr * (arr >= 5)
        """, ids("MyInit", "uniform_draws"), "share of positive kept weights"),
]

# --- save_and_load ----------------------------------------------------------------------------------------

BOTH_ROUND_TRIPS = ids("save_and_load", "round_trip", "into_deferred_net")

SAVE_AND_LOAD = [
    case("save_and_load-returns-original-net", "save_and_load", """
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            fresh = make_net()
            fresh.load_parameters(path)
            return net
        """, BOTH_ROUND_TRIPS, "the very net that was passed in"),
    case("save_and_load-never-saves-returns-fresh-initialized", "save_and_load", """
        def save_and_load(net, make_net, path):
            fresh = make_net()
            fresh.initialize()
            return fresh
        """, BOTH_ROUND_TRIPS, "call net.save_parameters(path)"),
    case("save_and_load-never-saves-returns-fresh-uninitialized", "save_and_load", """
        def save_and_load(net, make_net, path):
            fresh = make_net()
            return fresh
        """, BOTH_ROUND_TRIPS, "save_parameters"),
    case("save_and_load-never-loads", "save_and_load", """
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            fresh = make_net()
            fresh.initialize()
            return fresh
        """, BOTH_ROUND_TRIPS, "load_parameters(path)"),
    case("save_and_load-loads-without-saving", "save_and_load", """
        def save_and_load(net, make_net, path):
            fresh = make_net()
            fresh.load_parameters(path)
            return fresh
        """, BOTH_ROUND_TRIPS, "no such file or directory"),
    case("save_and_load-forgets-return", "save_and_load", """
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            fresh = make_net()
            fresh.load_parameters(path)
        """, BOTH_ROUND_TRIPS, "return the fresh net"),
]

# --- a built-in or a default in place of the student's own answer: no check of the exercise gives points ----

IN_PLACE = [
    case("build_mlp-returns-empty-sequential", "build_mlp", """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            return nn.Sequential()
        """, ids("build_mlp", "sequential_of_dense", "deferred_shapes", "param_names", "forward", "xavier_init",
                 "any_widths"), "3 Dense layers"),
    case("build_named_mlp-returns-empty-sequential", "build_named_mlp", """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            return nn.Sequential(prefix=prefix)
        """, ids("build_named_mlp", "exact_names", "same_net", "any_prefix"), "parameter names"),
    case("build_mlp_explicit-returns-empty-sequential", "build_mlp_explicit", """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            return nn.Sequential()
        """, ids("build_mlp_explicit", "allocates_at_once", "in_units_chain", "forward", "any_in_units"),
         "3 Dense layers"),
    case("MLP-is-nn-sequential", "mlp_block", """
        MLP = nn.Sequential
        """, ids("MLP", "is_block", "registered_layers", "deferred_shapes", "forward", "any_widths"),
         "your own class"),
    case("MLP-function-returning-build_mlp", "mlp_block", """
        def MLP(hidden=(128, 64), num_outputs=10, **kwargs):
            return build_mlp(hidden, num_outputs)
        """, ids("MLP", "is_block", "registered_layers", "deferred_shapes", "forward", "any_widths"),
         "your own class"),
    case("MySequential-is-nn-sequential", "my_sequential", """
        MySequential = nn.Sequential
        """, ids("MySequential", "is_block", "registers_children", "runs_in_order", "any_layers"),
         "add and forward written in the notebook"),
    case("count_parameters-returns-zero", "count_parameters", """
        count_parameters = lambda net: 0
        """, ALL_COUNTS, "109386 parameters"),
    case("MyInit-is-mxnet-uniform", "my_init", """
        MyInit = mx.init.Uniform
        """, ALL_MY_INIT, "MXNet's own Uniform"),
    case("save_and_load-returns-input-net", "save_and_load", """
        def save_and_load(net, make_net, path):
            return net
        """, BOTH_ROUND_TRIPS, "save_parameters(path)"),
]

CASES = (IN_PLACE + BUILD_MLP + BUILD_NAMED_MLP + BUILD_MLP_EXPLICIT + MLP + MY_SEQUENTIAL + COUNT_PARAMETERS + MY_INIT
         + SAVE_AND_LOAD)


@functools.cache
def _reference():
    return reference_notebook()


@functools.cache
def graded(grade_id: str, source: str) -> dict:
    """``{check_id: CheckResult}`` of the reference notebook with one answer replaced (graded once per answer)."""
    with tempfile.TemporaryDirectory(prefix="mutant-") as folder:
        return grade_notebook(write_notebook(with_answer(_reference(), grade_id, source), folder))


def test_case_table_is_sound():
    harness.assert_sound_mutants(CASES, "plumbing")


@pytest.mark.parametrize("grade_id, source, failing, phrase", CASES)
def test_wrong_answer_fails_exactly_its_checks(mnist_dir, grade_id, source, failing, phrase):
    results = graded(grade_id, source)
    assert list(results) == [check.id for check in unit("plumbing").checks]
    harness.assert_fails_exactly(results, failing, phrase)


def case_values(case_id: str):
    """``(grade_id, source, failing, phrase)`` of the case ``case_id``."""
    (param,) = [param for param in CASES if param.id == case_id]
    return param.values


def test_counting_parameter_arrays_is_never_told_to_count_biases(mnist_dir):
    grade_id, source, failing, _ = case_values("count_parameters-counts-parameter-arrays")
    results = graded(grade_id, source)
    for cid in failing:
        assert "count the biases too" not in results[cid].feedback, harness.describe(results, [cid])


def test_unregistered_blocks_are_not_blamed_on_the_order(mnist_dir):
    grade_id, source, _, _ = case_values("MySequential-blocks-in-plain-list")
    feedback = graded(grade_id, source)["MySequential.runs_in_order"].feedback
    assert "not been initialized" in feedback
    assert "order" not in feedback.split("Hint:")[-1], feedback
    assert "register" in feedback.split("Hint:")[-1], feedback
