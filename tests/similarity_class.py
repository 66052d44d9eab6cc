"""A class of the plumbing unit for the similarity report, with known copies and known independent authors.

Independent authors write from different course texts: the reference notebook's author (``rita``), d2l.ai's MXNet
chapters (``dee``, the answers of test_course_texts), the Straight Dope (``sid``, idem), the MXNet tutorials'
style (``tim``), a beginner who spells everything out (``bea``), and ``fred``, who writes his own answers but one.

Copiers do what copiers do: ``bob`` renames every identifier of dee's; ``carl`` reorders sid's methods and
helpers and rewrites the comments and docstrings; ``dana`` adds blank lines and prints to tim's; ``fred`` copies
bea's ``MLP`` and nothing else; ``ron`` and ``ria`` copy rita's (renamed, re-commented and reordered): a ring of
three. ``sam`` and ``sue`` hand in the release untouched (stubs only).
"""
from __future__ import annotations

import re
from pathlib import Path
from textwrap import dedent

import nbformat

from notebooks import release_path, source_path, with_answer, write_notebook
from test_course_texts import D2L_ANSWERS, STRAIGHT_DOPE_ANSWERS

#: The copy pairs the report must find (sorted pairs), and who copies only part of a notebook.
COPIES = {("bob", "dee"), ("carl", "sid"), ("dana", "tim"), ("bea", "fred"), ("rita", "ron"), ("ria", "rita"),
          ("ria", "ron")}
STUBS = ("sam", "sue")

TUTORIAL_ANSWERS = {
    "build_mlp": """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            model = nn.Sequential()
            with model.name_scope():
                model.add(*[nn.Dense(n, activation='relu') for n in hidden])
                model.add(nn.Dense(num_outputs))
            return model
        """,
    "build_named_mlp": """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            model = nn.Sequential(prefix=prefix)
            with model.name_scope():
                model.add(*[nn.Dense(n, activation='relu') for n in hidden])
                model.add(nn.Dense(num_outputs))
            return model
        """,
    "build_mlp_explicit": """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            sizes = [in_units] + list(hidden)
            model = nn.Sequential()
            with model.name_scope():
                for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
                    model.add(nn.Dense(fan_out, in_units=fan_in, activation='relu'))
                model.add(nn.Dense(num_outputs, in_units=sizes[-1]))
            return model
        """,
    "mlp_block": """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super(MLP, self).__init__(**kwargs)
                with self.name_scope():
                    self.body = nn.Sequential()
                    self.body.add(*[nn.Dense(n, activation='relu') for n in hidden])
                    self.head = nn.Dense(num_outputs)

            def forward(self, x):
                return self.head(self.body(x))
        """,
    "my_sequential": """
        class MySequential(gluon.Block):
            def add(self, *blocks):
                for b in blocks:
                    self._children[b.name] = b

            def forward(self, x):
                out = x
                for b in self._children.values():
                    out = b(out)
                return out
        """,
    "count_parameters": """
        def count_parameters(net):
            import numpy as np
            shapes = [p.shape for p in net.collect_params().values()]
            return int(sum(np.prod(s) for s in shapes))
        """,
    "my_init": """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                w = mx.nd.random.uniform(-10, 10, shape=arr.shape)
                mask = mx.nd.abs(w) >= 5
                arr[:] = w * mask
        """,
    "save_and_load": """
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            new_net = make_net()
            new_net.load_parameters(path, ctx=mx.cpu(), allow_missing=False)
            return new_net
        """,
}

BEGINNER_ANSWERS = {
    "build_mlp": """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            # first make an empty network
            my_network = nn.Sequential()
            with my_network.name_scope():
                index = 0
                while index < len(hidden):
                    size_of_layer = hidden[index]
                    my_network.add(nn.Dense(size_of_layer, activation="relu"))
                    index = index + 1
                output_layer = nn.Dense(num_outputs)
                my_network.add(output_layer)
            return my_network
        """,
    "build_named_mlp": """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            my_network = nn.Sequential(prefix=prefix)
            with my_network.name_scope():
                index = 0
                while index < len(hidden):
                    my_network.add(nn.Dense(hidden[index], activation="relu"))
                    index = index + 1
                my_network.add(nn.Dense(num_outputs))
            return my_network
        """,
    "build_mlp_explicit": """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            my_network = nn.Sequential()
            with my_network.name_scope():
                inputs_of_this_layer = in_units
                index = 0
                while index < len(hidden):
                    layer = nn.Dense(hidden[index], activation="relu", in_units=inputs_of_this_layer)
                    my_network.add(layer)
                    inputs_of_this_layer = hidden[index]
                    index = index + 1
                my_network.add(nn.Dense(num_outputs, in_units=inputs_of_this_layer))
            return my_network
        """,
    "mlp_block": """
        class MLP(gluon.Block):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                self.number_of_hidden_layers = len(hidden)
                with self.name_scope():
                    self.all_hidden_layers = nn.Sequential()
                    for size_of_layer in hidden:
                        self.all_hidden_layers.add(nn.Dense(size_of_layer))
                    self.last_layer = nn.Dense(num_outputs)

            def forward(self, x):
                result = x
                for k in range(self.number_of_hidden_layers):
                    result = self.all_hidden_layers[k](result)
                    result = nd.relu(result)
                result = self.last_layer(result)
                return result
        """,
    "my_sequential": """
        class MySequential(gluon.Block):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.how_many = 0

            def add(self, *blocks):
                for one_block in blocks:
                    self.register_child(one_block, name=str(self.how_many))
                    self.how_many = self.how_many + 1

            def forward(self, x):
                result = x
                for number in range(self.how_many):
                    result = self._children[str(number)](result)
                return result
        """,
    "count_parameters": """
        def count_parameters(net):
            total = 0
            for name, parameter in net.collect_params().items():
                number = 1
                for dimension in parameter.shape:
                    number = number * dimension
                total = total + number
            return total
        """,
    "my_init": """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                values = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                small = nd.abs(values) < 5
                values = nd.where(small, nd.zeros_like(values), values)
                arr[:] = values
        """,
    "save_and_load": """
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            the_new_network = make_net()
            the_new_network.load_parameters(path)
            return the_new_network
        """,
}

#: fred's own answers (a functional style), except ``mlp_block``, which he copies from bea.
FRED_OWN_ANSWERS = {
    "build_mlp": """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            seq = nn.Sequential()
            with seq.name_scope():
                list(map(lambda u: seq.add(nn.Dense(u, activation="relu")), hidden))
                seq.add(nn.Dense(num_outputs))
            return seq
        """,
    "build_named_mlp": """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            seq = nn.Sequential(prefix=prefix)
            with seq.name_scope():
                list(map(lambda u: seq.add(nn.Dense(u, activation="relu")), hidden))
                seq.add(nn.Dense(num_outputs))
            return seq
        """,
    "build_mlp_explicit": """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            widths = (in_units, *hidden, num_outputs)
            seq = nn.Sequential()
            with seq.name_scope():
                for i in range(1, len(widths)):
                    last = i == len(widths) - 1
                    seq.add(nn.Dense(widths[i], in_units=widths[i - 1], activation=None if last else "relu"))
            return seq
        """,
    "my_sequential": """
        class MySequential(gluon.Block):
            def add(self, *blocks):
                list(map(self.register_child, blocks))

            def forward(self, x):
                from functools import reduce
                return reduce(lambda acc, child: child(acc), self._children.values(), x)
        """,
    "count_parameters": """
        def count_parameters(net):
            from functools import reduce
            import operator
            return sum(reduce(operator.mul, p.shape, 1) for p in net.collect_params().values())
        """,
    "my_init": """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                draw = nd.random.uniform(-10, 10, arr.shape)
                arr[:] = nd.where(draw.abs() >= 5, draw, nd.zeros(arr.shape))
        """,
    "save_and_load": """
        def save_and_load(net, make_net, path):
            net.save_parameters(path)
            (result := make_net()).load_parameters(path)
            return result
        """,
}

#: carl's version of sid's: methods and helpers reordered, comments and docstrings of his own.
CARL_ANSWERS = {
    "build_mlp": """
        def build_mlp(hidden=(128, 64), num_outputs=10):
            '''Builds my MLP.'''
            net = gluon.nn.Sequential()
            with net.name_scope():
                # hidden layers first
                for h in hidden:
                    net.add(gluon.nn.Dense(h, activation="relu"))
                # then the output layer
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_named_mlp": """
        def build_named_mlp(prefix, hidden=(128, 64), num_outputs=10):
            '''Same as before but with a prefix.'''
            net = gluon.nn.Sequential(prefix=prefix)  # the prefix names every parameter
            with net.name_scope():
                for h in hidden:
                    net.add(gluon.nn.Dense(h, activation="relu"))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_mlp_explicit": """
        def build_mlp_explicit(in_units=784, hidden=(128, 64), num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                for h in hidden:
                    # in_units of the next layer is this layer's size
                    net.add(gluon.nn.Dense(h, in_units=in_units, activation="relu"))
                    in_units = h
                net.add(gluon.nn.Dense(num_outputs, in_units=in_units))
            return net
        """,
    "mlp_block": """
        class MLP(gluon.Block):
            '''My own MLP block.'''

            def forward(self, x):
                # relu after every hidden layer
                for i in range(self.n_hidden):
                    x = nd.relu(getattr(self, "dense%d" % i)(x))
                return self.dense_out(x)

            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super(MLP, self).__init__(**kwargs)
                self.n_hidden = len(hidden)
                with self.name_scope():
                    # setattr registers each layer as a child
                    for i, h in enumerate(hidden):
                        setattr(self, "dense%d" % i, gluon.nn.Dense(h))
                    self.dense_out = gluon.nn.Dense(num_outputs)
        """,
    "my_sequential": """
        class MySequential(gluon.Block):
            '''Runs blocks one after the other.'''

            def forward(self, x):
                for block in self._children.values():  # in the order they were added
                    x = block(x)
                return x

            def add(self, *blocks):
                for block in blocks:
                    self.register_child(block)

            def __init__(self, **kwargs):
                super(MySequential, self).__init__(**kwargs)
        """,
    "count_parameters": """
        def count_parameters(net):
            '''Counts them all.'''
            params = net.collect_params()
            total = 0
            for name in params:
                total += params[name].data().size  # size is the number of scalars
            return total
        """,
    "my_init": """
        class MyInit(mx.init.Initializer):
            def _init_weight(self, name, arr):
                # uniform draws, then zero the small ones
                arr[:] = nd.random.uniform(low=-10, high=10, shape=arr.shape)
                arr *= arr.abs() >= 5
        """,
    "save_and_load": """
        def save_and_load(net, make_net, path):
            # save, rebuild, load
            net.save_parameters(path)
            net2 = make_net()
            net2.load_parameters(path, ctx=mx.cpu())
            return net2
        """,
}


def reference_answers(unit_name: str = "plumbing") -> dict[str, str]:
    """rita's answers: the reference notebook's solution cells without nbgrader's solution markers."""
    nb = nbformat.read(source_path(unit_name), as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: re.sub(r"\n *### (BEGIN|END) SOLUTION", "", cell.source)
            for cell in nb.cells if cell.get("metadata", {}).get("nbgrader", {}).get("solution")}


def renamed(source: str, names: dict[str, str]) -> str:
    """``source`` with each identifier of ``names`` replaced (whole words)."""
    return re.sub(r"\b(" + "|".join(map(re.escape, names)) + r")\b", lambda m: names[m.group(1)], source)


BOB_NAMES = {"net": "model", "num_hiddens": "n_units", "hidden": "hidden", "X": "inp", "layer": "lyr",
             "hiddens": "stack", "out": "final", "block": "blk", "blocks": "blks", "p": "prm", "data": "w",
             "clone": "copy_of_net", "name": "nm"}
RON_NAMES = {"net": "network", "units": "width", "previous": "prev_width", "layer": "dense_layer",
             "layers_in_order": "ordered", "output": "last", "block": "b", "blocks": "bs", "param": "pr",
             "arr": "array", "fresh": "rebuilt", "x": "inputs", "i": "index"}


def with_prints(source: str) -> str:
    """dana's edits: a blank line after every line of code and a print after every return-less assignment."""
    lines = []
    for line in dedent(source).strip().splitlines():
        lines.append(line)
        stripped = line.strip()
        if re.match(r"^[a-z_]\w* = ", stripped):
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(f"{indent}print('debug', {stripped.split(' = ')[0]!s})")
        lines.append("")
    return "\n".join(lines)


def ria_of(source: str) -> str:
    """ria's edits of rita's: comments of her own, methods of a class in reverse order, a docstring changed."""
    source = re.sub(r'"""[^"]*"""', '"""my answer"""', source)
    source = re.sub(r"  +# .*", "", source)
    source = source.replace("    return", "    # done\n    return")
    parts = re.split(r"\n(?=    def )", source)
    return parts[0] + "".join("\n" + part for part in reversed(parts[1:])) if len(parts) > 2 else source


def answers() -> dict[str, dict[str, str]]:
    """Every student's answer per solution cell (``grade_id``); the stub students have none."""
    rita = reference_answers()
    tim = {key: dedent(value).strip() for key, value in TUTORIAL_ANSWERS.items()}
    bea = {key: dedent(value).strip() for key, value in BEGINNER_ANSWERS.items()}
    dee = {key: dedent(value).strip() for key, value in D2L_ANSWERS.items()}
    return {
        "rita": rita,
        "ron": {key: renamed(value, RON_NAMES) for key, value in rita.items()},
        "ria": {key: ria_of(value) for key, value in rita.items()},
        "dee": dee,
        "bob": {key: renamed(value, BOB_NAMES) for key, value in dee.items()},
        "sid": {key: dedent(value).strip() for key, value in STRAIGHT_DOPE_ANSWERS.items()},
        "carl": {key: dedent(value).strip() for key, value in CARL_ANSWERS.items()},
        "tim": tim,
        "dana": {key: with_prints(value) for key, value in tim.items()},
        "bea": bea,
        "fred": {**{key: dedent(value).strip() for key, value in FRED_OWN_ANSWERS.items()},
                 "mlp_block": bea["mlp_block"]},
        **{student: {} for student in STUBS},
    }


def write_class(folder: Path, unit_name: str = "plumbing") -> Path:
    """The class as ``folder/<student>.ipynb`` files, each the release with the student's answers in it."""
    release = nbformat.read(release_path(unit_name), as_version=4)
    students = answers() if unit_name == "plumbing" else custom_answers()
    for student, given in students.items():
        nb = release
        for grade_id, source in given.items():
            nb = with_answer(nb, grade_id, source)
        write_notebook(nb, folder, f"{student}.ipynb")
    return folder


def all_pairs(students) -> set[tuple[str, str]]:
    """Every unordered pair of ``students``, sorted within."""
    ordered = sorted(students)
    return {(a, b) for number, a in enumerate(ordered) for b in ordered[number + 1:]}


# --- the custom_layers unit: a smaller class of the same kinds -----------------------------------------------------

#: Copy pairs of the custom_layers class: ``kim`` renames ``joe``'s; ``liz`` re-comments and reorders ``ann``'s;
#: ``max`` copies ``MyDense`` from ``ann`` and writes the rest himself (so liz and max share ann's ``MyDense``);
#: ``ned`` and ``ola`` copy ``pia`` (a ring). ``rex`` hands in the reference's answers: they are the notebook's own
#: examples nearly word for word (boilerplate), so he is alike to no one.
CUSTOM_COPIES = {("joe", "kim"), ("ann", "liz"), ("ann", "max"), ("liz", "max"), ("ned", "pia"), ("ola", "pia"),
                 ("ned", "ola")}
CUSTOM_STUBS = ("uma", "val")

#: joe writes as d2l.ai's "Custom Layers" section does (X, F.relu of a FullyConnected, units kept).
JOE_ANSWERS = {
    "centered_layer": """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, X):
                return F.broadcast_minus(X, X.mean())
        """,
    "my_dense": """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
                self.bias = self.params.get('bias', shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, X, weight, bias):
                linear = F.FullyConnected(X, weight, bias, num_hidden=self.units)
                return F.relu(linear)
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                net.add(*(MyDense(num_hiddens) for num_hiddens in hidden))
                net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            net = nn.Sequential()
            with net.name_scope():
                shared = nn.Dense(width, activation='relu')
                net.add(nn.Dense(width, activation='relu'), shared,
                        nn.Dense(width, activation='relu', params=shared.params), nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            return sum(p.data().size for p in net.collect_params().values())
        """,
}

#: ann writes from the MXNet tutorials (a Parameter per attribute, a dict of seen parameters by id).
ANN_ANSWERS = {
    "centered_layer": """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                mean = F.mean(x, axis=None, keepdims=True)
                return F.broadcast_sub(x, mean)
        """,
    "my_dense": """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                with self.name_scope():
                    self._n_out = units
                    self._n_in = in_units
                    self.weight = self.params.get("weight", init=mx.init.Xavier(magnitude=2.24),
                                                  shape=(self._n_out, self._n_in), allow_deferred_init=True)
                    self.bias = self.params.get("bias", init="zeros", shape=(self._n_out,),
                                                allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                flat = F.Flatten(x)
                out = F.FullyConnected(data=flat, weight=weight, bias=bias, num_hidden=self._n_out, flatten=True)
                activation = F.Activation(out, act_type="relu")
                return activation
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            layers = [MyDense(n_out) for n_out in hidden]
            model = nn.HybridSequential()
            with model.name_scope():
                for layer in layers:
                    model.add(layer)
                model.add(nn.Dense(num_outputs))
            return model
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            first = nn.Dense(width, activation="relu")
            second = nn.Dense(width, activation="relu")
            third = nn.Dense(width, activation="relu", params=second.collect_params())
            model = nn.Sequential()
            with model.name_scope():
                model.add(first, second, third, nn.Dense(num_outputs))
            return model
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            seen = {}
            for param in net.collect_params().values():
                seen[id(param)] = param
            sizes = [int(np.prod(param.shape)) for param in seen.values()]
            return sum(sizes)
        """,
}

#: pia's answers (her own: sums and counts, a lambda, a dict by id).
PIA_ANSWERS = {
    "centered_layer": """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, data):
                total = F.sum(data)
                count = F.sum(F.ones_like(data))
                return F.broadcast_sub(data, F.broadcast_div(total, count))
        """,
    "my_dense": """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self.shape_of_w = (units, in_units)
                self.weight = self.params.get("weight", shape=self.shape_of_w, allow_deferred_init=True)
                self.bias = self.params.get("bias", shape=self.shape_of_w[:1], allow_deferred_init=True)

            def hybrid_forward(self, F, data, weight, bias):
                hidden = F.FullyConnected(F.flatten(data), weight, bias, num_hidden=self.shape_of_w[0], no_bias=False)
                return F.maximum(hidden, F.zeros_like(hidden))
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            seq = nn.HybridSequential()
            with seq.name_scope():
                for size in list(hidden) + [None]:
                    seq.add(MyDense(size) if size is not None else nn.Dense(num_outputs))
            return seq
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            seq = nn.Sequential()
            with seq.name_scope():
                make = lambda **extra: nn.Dense(width, activation="relu", **extra)
                middle = make()
                seq.add(make(), middle, make(params=middle.params), nn.Dense(num_outputs))
            return seq
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            unique = {id(p): p for p in net.collect_params().values()}
            return int(sum(np.prod(p.shape) for p in unique.values()))
        """,
}

#: max's own answers (spelled out, loops and counters), except ``my_dense``, which he copies from ann.
MAX_OWN_ANSWERS = {
    "centered_layer": """
        class CenteredLayer(gluon.HybridBlock):
            def hybrid_forward(self, F, x):
                average_value = F.mean(x)
                centered = F.broadcast_sub(x, average_value)
                return centered
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            the_net = nn.HybridSequential()
            with the_net.name_scope():
                position = 0
                while position < len(hidden):
                    the_net.add(MyDense(hidden[position]))
                    position += 1
                the_net.add(nn.Dense(num_outputs))
            return the_net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            the_net = nn.Sequential()
            with the_net.name_scope():
                the_net.add(nn.Dense(width, activation="relu"))
                layer_two = nn.Dense(width, activation="relu")
                the_net.add(layer_two)
                the_net.add(nn.Dense(width, activation="relu", params=layer_two.params))
                the_net.add(nn.Dense(num_outputs))
            return the_net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            counted = []
            answer = 0
            for parameter in net.collect_params().values():
                if parameter not in counted:
                    counted.append(parameter)
                    number = 1
                    for length in parameter.shape:
                        number *= length
                    answer += number
            return answer
        """,
}


def custom_answers() -> dict[str, dict[str, str]]:
    """Every student's answer per solution cell of the custom_layers class."""
    pia = {key: dedent(value).strip() for key, value in PIA_ANSWERS.items()}
    joe = {key: dedent(value).strip() for key, value in JOE_ANSWERS.items()}
    ann = {key: dedent(value).strip() for key, value in ANN_ANSWERS.items()}
    return {
        "pia": pia,
        "rex": reference_answers("custom_layers"),
        "ned": {key: renamed(value, {"data": "x", "total": "s", "count": "n", "shape_of_w": "wshape", "hidden": "h",
                                     "seq": "model", "size": "sz", "make": "dense", "middle": "mid", "unique": "u"})
                for key, value in pia.items()},
        "ola": {key: ria_of(value) for key, value in pia.items()},
        "joe": joe,
        "kim": {key: renamed(value, {"X": "inputs", "net": "model", "num_hiddens": "h", "shared": "same",
                                     "linear": "z", "p": "prm", "units": "n"}) for key, value in joe.items()},
        "ann": ann,
        "liz": {key: ria_of(value).replace("        return", "        # the result\n        return")
                for key, value in ann.items()},
        "max": {**{key: dedent(value).strip() for key, value in MAX_OWN_ANSWERS.items()}, "my_dense": ann["my_dense"]},
        **{student: {} for student in CUSTOM_STUBS},
    }
