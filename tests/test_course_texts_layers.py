"""Notebooks of the custom_layers and hybridize_serialize units written the way students copy from the course texts
(d2l.ai's MXNet chapters with ``nd`` and with ``np``/``npx``, the Straight Dope, the MXNet Gluon tutorials), graded
as a careful teaching assistant would grade them: the points per exercise, and feedback that names the first cause
in the student's own terms (``says``) and no other cause, nor another exercise's mistake (``never``).

Each notebook is the course's release with its answer cells filled from one text, graded once, in-process.
"""
from __future__ import annotations

import functools
import tempfile
from textwrap import dedent

import nbformat
import pytest

from autograder.units import unit
from autograder.units.custom_layers.checks import shared as layers
from autograder.units.hybridize_serialize.checks import shared as hybrid

from notebooks import forbidden_in, grade_with_notes, release_path, with_answer, write_notebook

#: Gluon warns about re-initializing, deprecated calls and blocks in plain lists, as these notebooks do.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


def text(case_id: str, unit_name: str, answers: dict, scores: dict, says: dict, never: tuple = ()):
    """A notebook of ``unit_name`` whose answer cells are ``answers`` (grade id -> source as the text writes it),
    its points per exercise ``scores`` (every exercise of the unit), the words ``says`` (check id -> phrases) its
    feedback must hold and the words ``never`` that no feedback of it may hold."""
    return pytest.param(unit_name, tuple((key, dedent(source).strip() + "\n") for key, source in answers.items()),
                        scores, says, never, id=case_id)


# --- custom_layers ----------------------------------------------------------------------------------------------

#: d2l.ai (MXNet, 0.x with nd): "Custom Layers" and "Parameter Management", as the chapter writes them.
D2L_ND_LAYERS = {
    "centered_layer": """
        class CenteredLayer(nn.Block):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def forward(self, x):
                return x - x.mean()
        """,
    "my_dense": """
        class MyDense(nn.Block):
            # units: the number of outputs in this layer; in_units: the number of inputs in this layer
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                self.weight = self.params.get('weight', shape=(in_units, units))
                self.bias = self.params.get('bias', shape=(units,))

            def forward(self, x):
                linear = nd.dot(x, self.weight.data()) + self.bias.data()
                return nd.relu(linear)
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            net = nn.Sequential()
            shared = nn.Dense(width, activation='relu')
            net.add(nn.Dense(width, activation='relu'),
                    shared,
                    nn.Dense(width, activation='relu', params=shared.params),
                    nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            return sum(param.data().size for param in net.collect_params().values())
        """,
}

#: The same chapter's layers made HybridBlocks by renaming forward, the bodies kept as the text writes them.
D2L_ND_HYBRID = {
    **D2L_ND_LAYERS,
    "centered_layer": """
        class CenteredLayer(nn.HybridBlock):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def hybrid_forward(self, F, x):
                return x - x.mean()
        """,
    "my_dense": """
        class MyDense(nn.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                self.units = units
                self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
                self.bias = self.params.get('bias', shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                linear = F.dot(x, weight, transpose_b=True) + bias
                return F.relu(linear)
        """,
}

#: d2l.ai (MXNet, 1.x with np/npx): npx.set_np() left on, X - X.mean(), np.dot with an (in_units, units) weight.
D2L_NP_LAYERS = {
    "centered_layer": """
        from mxnet import np, npx
        npx.set_np()

        class CenteredLayer(nn.HybridBlock):
            def __init__(self, **kwargs):
                super().__init__(**kwargs)

            def hybrid_forward(self, F, X):
                return X - X.mean()
        """,
    "my_dense": """
        class MyDense(nn.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self.weight = self.params.get('weight', shape=(in_units, units), allow_deferred_init=True)
                self.bias = self.params.get('bias', shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                linear = F.np.dot(F.npx.batch_flatten(x), weight) + bias
                return F.npx.relu(linear)
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            for num_hiddens in hidden:
                net.add(MyDense(num_hiddens))
            net.add(nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            # We need to give the shared layer a name so that we can refer to its parameters
            shared = nn.Dense(width, activation='relu')
            net = nn.Sequential()
            with net.name_scope():
                net.add(nn.Dense(width, activation='relu'), shared,
                        nn.Dense(width, activation='relu', params=shared.params), nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            return int(sum(p.data().size for p in net.collect_params().values()))
        """,
}

#: The Straight Dope, "Designing a custom layer with gluon": Block, nd.mean, Xavier, `with x.context`.
STRAIGHT_DOPE_LAYERS = {
    "centered_layer": """
        from mxnet.gluon import Block

        class CenteredLayer(Block):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def forward(self, x):
                return x - nd.mean(x)
        """,
    "my_dense": """
        class MyDense(gluon.Block):
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                with self.name_scope():
                    self.units = units
                    self._in_units = in_units
                    self.weight = self.params.get(
                        'weight', init=mx.init.Xavier(magnitude=2.24), shape=(in_units, units))
                    self.bias = self.params.get('bias', init=mx.init.Constant(0), shape=(units,))

            def forward(self, x):
                with x.context:
                    linear = nd.dot(x, self.weight.data()) + self.bias.data()
                    activation = nd.relu(linear)
                    return activation
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                net.add(gluon.nn.Dense(width, activation="relu"))
                shared = gluon.nn.Dense(width, activation="relu")
                net.add(shared)
                net.add(gluon.nn.Dense(width, activation="relu", params=shared.collect_params()))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            params = net.collect_params()
            total = 0
            for name in params:
                total += params[name].data().size
            return total
        """,
}

#: The MXNet Gluon tutorial "Custom Layers": F.broadcast_*, params.get(..., allow_deferred_init=True),
#: F.FullyConnected with num_hidden from the weight's shape.
MXNET_TUTORIAL_LAYERS = {
    "centered_layer": """
        class CenteredLayer(gluon.HybridBlock):
            def __init__(self, **kwargs):
                super(CenteredLayer, self).__init__(**kwargs)

            def hybrid_forward(self, F, x):
                return F.broadcast_sub(x, F.mean(x))
        """,
    "my_dense": """
        class MyDense(gluon.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super(MyDense, self).__init__(**kwargs)
                with self.name_scope():
                    self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
                    self.bias = self.params.get('bias', shape=(units,), init=mx.init.Zero(),
                                                allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                fc = F.FullyConnected(x, weight, bias, num_hidden=self.weight.shape[0])
                return F.relu(fc)
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = gluon.nn.HybridSequential()
            with net.name_scope():
                for units in hidden:
                    net.add(MyDense(units))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "build_tied_mlp": """
        def build_tied_mlp(width=64, num_outputs=10):
            net = gluon.nn.Sequential()
            with net.name_scope():
                net.add(gluon.nn.Dense(width, activation="relu"))
                net.add(gluon.nn.Dense(width, activation="relu"))
                net.add(gluon.nn.Dense(width, activation="relu", params=net[1].params))
                net.add(gluon.nn.Dense(num_outputs))
            return net
        """,
    "count_unique_parameters": """
        def count_unique_parameters(net):
            return sum(p.data().size for p in net.collect_params().values())
        """,
}

LAYERS = "custom_layers"
LAYERS_TEXTS = [
    text("d2l-nd-blocks", LAYERS, D2L_ND_LAYERS,
         {"CenteredLayer": 0, "MyDense": 0, "build_custom_mlp": 5, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"CenteredLayer.own_layer": ("gluon.HybridBlock", "rename forward to hybrid_forward"),
          "MyDense.forward": ("gluon.HybridBlock", "rename forward to hybrid_forward")},
         ("x.mean()", "F.dot cannot infer", "legacy")),
    text("d2l-nd-renamed-to-hybrid_forward", LAYERS, D2L_ND_HYBRID,
         {"CenteredLayer": 3, "MyDense": 4, "build_custom_mlp": 5, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"CenteredLayer.hybridized": ("x - x.mean() works on NDArrays but not once hybridized",),
          "MyDense.forward": ("F.flatten(x)",), "MyDense.deferred_shapes": ("F.dot cannot infer",)},
         ("rename forward", "relu is missing", "registered")),
    text("d2l-numpy-mode", LAYERS, D2L_NP_LAYERS,
         {"CenteredLayer": 6, "MyDense": 2, "build_custom_mlp": 4, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"MyDense.declared_params": ("the weight is (units, in_units)",),
          "build_custom_mlp.param_names": ("net.name_scope()",)},
         ("F.dot cannot infer", "legacy", "broadcast implicitly", "hybrid_forward receives")),
    text("straight-dope", LAYERS, STRAIGHT_DOPE_LAYERS,
         {"CenteredLayer": 0, "MyDense": 0, "build_custom_mlp": 4, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {"MyDense.own_layer": ("rename forward to hybrid_forward",),
          "build_custom_mlp.structure": ("nn.HybridSequential()",)},
         ("x.mean()", "F.dot cannot infer", "name_scope")),
    text("mxnet-tutorial-custom-layers", LAYERS, MXNET_TUTORIAL_LAYERS,
         {"CenteredLayer": 6, "MyDense": 9, "build_custom_mlp": 5, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {}),
]


#: d2l.ai's layers written for NumPy mode the exercise's way: a (units, in_units) weight and np.dot with its transpose.
D2L_NP_RIGHT = {
    **D2L_NP_LAYERS,
    "my_dense": """
        class MyDense(nn.HybridBlock):
            def __init__(self, units, in_units=0, **kwargs):
                super().__init__(**kwargs)
                self.units = units
                self.weight = self.params.get('weight', shape=(units, in_units), allow_deferred_init=True)
                self.bias = self.params.get('bias', shape=(units,), allow_deferred_init=True)

            def hybrid_forward(self, F, x, weight, bias):
                return F.npx.relu(F.npx.fully_connected(x, weight, bias, num_hidden=self.units))
        """,
    "build_custom_mlp": """
        def build_custom_mlp(hidden=(128, 64), num_outputs=10):
            net = nn.HybridSequential()
            with net.name_scope():
                for num_hiddens in hidden:
                    net.add(MyDense(num_hiddens))
                net.add(nn.Dense(num_outputs))
            return net
        """,
}

LAYERS_TEXTS.append(
    text("d2l-numpy-mode-the-exercises-way", LAYERS, D2L_NP_RIGHT,
         {"CenteredLayer": 6, "MyDense": 9, "build_custom_mlp": 5, "build_tied_mlp": 6, "count_unique_parameters": 4},
         {}))


# --- hybridize_serialize ----------------------------------------------------------------------------------------

#: d2l.ai (MXNet, 0.x with nd): "Hybridize" (HybridNet, printing F and x), "File I/O" (save_parameters only),
#: train_ch3's loop with the chapter's `batch_size = 256`, and a model rebuilt for loading.
D2L_ND_HYBRID_TRAIN = {
    "hybrid_mlp": """
        class HybridMLP(nn.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super(HybridMLP, self).__init__(**kwargs)
                with self.name_scope():
                    self.hiddens = nn.HybridSequential()
                    for units in hidden:
                        self.hiddens.add(nn.Dense(units))
                    self.output = nn.Dense(num_outputs)

            def hybrid_forward(self, F, x):
                print('F: ', F)
                print('x: ', x)
                for layer in self.hiddens:
                    x = F.relu(layer(x))
                print('hidden: ', x)
                return self.output(x)
        """,
    "export_model": """
        def export_model(net, path, batch):
            net.hybridize()
            net(batch)
            net.export(path)
            return path + '-symbol.json', path + '-0000.params'
        """,
    "import_model": """
        def import_model(path):
            net2 = HybridMLP()
            net2.load_parameters(path + '-0000.params')
            return net2
        """,
    "train_epoch": """
        batch_size = 256

        def train_epoch(net, trainer, batches, loss_fn):
            train_l_sum, n = 0.0, 0
            for X, y in batches:
                with autograd.record():
                    y_hat = net(X)
                    l = loss_fn(y_hat, y).sum()
                l.backward()
                trainer.step(batch_size)
                y = y.astype('float32')
                train_l_sum += l.asscalar()
                n += y.size
            return train_l_sum / n
        """,
    "evaluate_accuracy": """
        def evaluate_accuracy(net, batches):
            acc_sum, n = 0.0, 0
            for X, y in batches:
                y = y.astype('float32')
                acc_sum += (net(X).argmax(axis=1) == y).sum().asscalar()
                n += y.size
            return acc_sum / n
        """,
    "save_checkpoint": """
        def save_checkpoint(net, trainer, path):
            net.save_parameters(path + '.params')
        """,
    "load_checkpoint": """
        def load_checkpoint(net, trainer, path):
            net.load_parameters(path + '.params')
        """,
}

#: d2l.ai (MXNet, 1.x with np/npx): npx.set_np() left on, F.npx.relu, train_epoch_ch3 and accuracy() as written,
#: the Trainer's save_states from its API page.
D2L_NP_HYBRID_TRAIN = {
    "hybrid_mlp": """
        from mxnet import np, npx
        npx.set_np()

        class HybridMLP(nn.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super().__init__(**kwargs)
                with self.name_scope():
                    self.hidden = nn.HybridSequential()
                    for num_hiddens in hidden:
                        self.hidden.add(nn.Dense(num_hiddens))
                    self.output = nn.Dense(num_outputs)

            def hybrid_forward(self, F, X):
                for layer in self.hidden:
                    X = F.npx.relu(layer(X))
                return self.output(X)
        """,
    "export_model": """
        def export_model(net, path, batch):
            net.hybridize()
            net(batch)
            net.export(path)
            return f'{path}-symbol.json', f'{path}-0000.params'
        """,
    "import_model": """
        def import_model(path):
            return gluon.SymbolBlock.imports(f'{path}-symbol.json', ['data'], f'{path}-0000.params')
        """,
    "train_epoch": """
        def train_epoch(net, trainer, batches, loss_fn):
            metric = [0.0, 0]  # Sum of training loss, no. of examples
            for X, y in batches:
                with autograd.record():
                    y_hat = net(X)
                    l = loss_fn(y_hat, y)
                l.backward()
                trainer.step(X.shape[0])
                metric[0] += float(l.sum())
                metric[1] += y.size
            return metric[0] / metric[1]
        """,
    "evaluate_accuracy": """
        def accuracy(y_hat, y):
            if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
                y_hat = y_hat.argmax(axis=1)
            cmp = y_hat.astype(y.dtype) == y
            return float(cmp.astype(y.dtype).sum())

        def evaluate_accuracy(net, batches):
            right, total = 0.0, 0
            for X, y in batches:
                right += accuracy(net(X), y)
                total += y.size
            return right / total
        """,
    "save_checkpoint": """
        def save_checkpoint(net, trainer, path):
            net.save_parameters(f'{path}.params')
            trainer.save_states(f'{path}.states')
        """,
    "load_checkpoint": """
        def load_checkpoint(net, trainer, path):
            net.load_parameters(f'{path}.params')
            trainer.load_states(f'{path}.states')
        """,
}

#: The MXNet Gluon tutorials: "Hybridize" (name_scope, F.relu), "Saving and Loading Gluon Models" (export at epoch
#: 1, SymbolBlock.imports of "-0001.params", Trainer.save_states), the crash course's loop (a metric made once).
MXNET_TUTORIALS_HYBRID = {
    "hybrid_mlp": """
        class HybridMLP(gluon.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super(HybridMLP, self).__init__(**kwargs)
                self.num_hidden = len(hidden)
                with self.name_scope():
                    # layers created in name_scope will inherit name space from parent layer.
                    for i, units in enumerate(hidden):
                        setattr(self, 'fc%d' % i, nn.Dense(units))
                    self.out = nn.Dense(num_outputs)

            def hybrid_forward(self, F, x):
                for i in range(self.num_hidden):
                    x = F.relu(getattr(self, 'fc%d' % i)(x))
                return self.out(x)
        """,
    "export_model": """
        def export_model(net, path, batch):
            net.hybridize()
            net(batch)
            net.export(path, epoch=1)
            return path + "-symbol.json", path + "-0001.params"
        """,
    "import_model": """
        def import_model(path):
            return gluon.nn.SymbolBlock.imports(path + "-symbol.json", ['data'], path + "-0001.params",
                                                ctx=mx.cpu())
        """,
    "train_epoch": """
        def train_epoch(net, trainer, batches, loss_fn):
            total_loss, samples = 0., 0
            for data, label in batches:
                with autograd.record():
                    output = net(data)
                    loss = loss_fn(output, label)
                loss.backward()
                trainer.step(data.shape[0])
                total_loss += loss.sum().asscalar()
                samples += data.shape[0]
            return total_loss / samples
        """,
    "evaluate_accuracy": """
        metric = mx.metric.Accuracy()

        def evaluate_accuracy(net, batches):
            for data, label in batches:
                output = net(data)
                metric.update([label], [output])
            return metric.get()[1]
        """,
    "save_checkpoint": """
        def save_checkpoint(net, trainer, path):
            net.save_parameters(path + ".params")
            trainer.save_states(path + ".states")
        """,
    "load_checkpoint": """
        def load_checkpoint(net, trainer, path):
            net.load_parameters(path + ".params", ctx=mx.cpu())
            trainer.load_states(path + ".states")
        """,
}

#: The Straight Dope, "Fast, portable neural networks with Gluon HybridBlocks" and "Serialization": fc1/fc2 named
#: layers, the loop of its MNIST chapters (the mean of batch means), save_params/load_params without the trainer.
STRAIGHT_DOPE_HYBRID = {
    "hybrid_mlp": """
        class HybridMLP(gluon.HybridBlock):
            def __init__(self, hidden=(128, 64), num_outputs=10, **kwargs):
                super(HybridMLP, self).__init__(**kwargs)
                with self.name_scope():
                    self.hidden = nn.HybridSequential()
                    for units in hidden:
                        self.hidden.add(nn.Dense(units, activation="relu"))
                    self.fc_out = nn.Dense(num_outputs)

            def hybrid_forward(self, F, x):
                # F is a function space that depends on the type of x: mxnet.nd for NDArray, mxnet.sym for Symbol
                return self.fc_out(self.hidden(x))
        """,
    "export_model": """
        def export_model(net, path, batch):
            net.hybridize()
            net(batch)
            net.export(path, epoch=0)
            return path + "-symbol.json", path + "-0000.params"
        """,
    "import_model": """
        def import_model(path):
            return gluon.SymbolBlock.imports(path + "-symbol.json", ["data"], path + "-0000.params")
        """,
    "train_epoch": """
        def train_epoch(net, trainer, batches, loss_fn):
            cumulative_loss = 0
            steps = 0
            for i, (data, label) in enumerate(batches):
                with autograd.record():
                    output = net(data)
                    loss = loss_fn(output, label)
                loss.backward()
                trainer.step(data.shape[0])
                cumulative_loss += nd.mean(loss).asscalar()
                steps = i + 1
            return cumulative_loss / steps
        """,
    "evaluate_accuracy": """
        def evaluate_accuracy(net, batches):
            acc = mx.metric.Accuracy()
            for i, (data, label) in enumerate(batches):
                output = net(data)
                predictions = nd.argmax(output, axis=1)
                acc.update(preds=predictions, labels=label)
            return acc.get()[1]
        """,
    "save_checkpoint": """
        def save_checkpoint(net, trainer, path):
            net.save_params(path + ".params")
        """,
    "load_checkpoint": """
        def load_checkpoint(net, trainer, path):
            net.load_params(path + ".params", ctx=mx.cpu())
        """,
}

HYBRID = "hybridize_serialize"
HYBRID_TEXTS = [
    text("d2l-nd-hybridize-file-io-train_ch3", HYBRID, D2L_ND_HYBRID_TRAIN,
         {"HybridMLP": 6, "export_model": 4, "import_model": 0, "train_epoch": 1, "evaluate_accuracy": 3,
          "save_checkpoint": 0, "load_checkpoint": 1},
         {"import_model.symbol_block": ("gluon.SymbolBlock.imports", "load_parameters into it fails"),
          "train_epoch.parameters_step": ("fixed batch size (256)", "trainer.step(data.shape[0])"),
          "save_checkpoint.files": ("trainer.save_states",), "load_checkpoint.resumes_exactly": ("trainer's state",)},
         ("trainer.step(batch_size)", "argmax", "autograd.record", "F.relu", "hybridize()")),
    text("d2l-numpy-mode-hybridize-train_epoch_ch3", HYBRID, D2L_NP_HYBRID_TRAIN,
         {"HybridMLP": 6, "export_model": 4, "import_model": 4, "train_epoch": 3, "evaluate_accuracy": 3,
          "save_checkpoint": 3, "load_checkpoint": 3},
         {}),
    text("mxnet-tutorials-export-epoch-1-metric-made-once", HYBRID, MXNET_TUTORIALS_HYBRID,
         {"HybridMLP": 6, "export_model": 0, "import_model": 0, "train_epoch": 3, "evaluate_accuracy": 0,
          "save_checkpoint": 3, "load_checkpoint": 3},
         {"export_model.files": ("net.export(path, epoch=0)",), "import_model.symbol_block": ("-0000.params",),
          "evaluate_accuracy.accuracy": ("keeps counting across calls", "metric.reset()")},
         ("argmax(axis=1)", "astype", "run the batch through", "hybridize() before")),
    text("straight-dope-hybridize-serialization", HYBRID, STRAIGHT_DOPE_HYBRID,
         {"HybridMLP": 6, "export_model": 4, "import_model": 4, "train_epoch": 2, "evaluate_accuracy": 3,
          "save_checkpoint": 0, "load_checkpoint": 1},
         {"train_epoch.mean_loss": ("the mean of the batches' means",),
          "save_checkpoint.files": ("trainer.save_states(path + '.states')",)},
         ("trainer.step(batch_size)", "autograd.record", "SymbolBlock", "argmax")),
]


# --- grading ----------------------------------------------------------------------------------------------------

COURSE_TEXTS = LAYERS_TEXTS + HYBRID_TEXTS


@functools.cache
def graded(unit_name: str, answers: tuple) -> tuple[dict, list[str]]:
    """``({check_id: CheckResult}, notes)`` of the release of ``unit_name`` with ``answers`` filled in."""
    nb = nbformat.read(release_path(unit_name), as_version=4)
    for grade_id, source in answers:
        nb = with_answer(nb, grade_id, source)
    with tempfile.TemporaryDirectory(prefix="course-text-") as folder:
        return grade_with_notes(write_notebook(nb, folder), unit_name)


def earned(results: dict) -> dict:
    """Points earned per exercise."""
    totals: dict = {}
    for result in results.values():
        totals[result.exercise] = totals.get(result.exercise, 0) + result.score
    return totals


def foreign_hints(unit_name: str, exercise: str) -> list[str]:
    """Hints a unit scopes to other exercises only: what no feedback of ``exercise`` may say."""
    if unit_name == LAYERS:
        scoped = [(exercises, hint) for exercises, _, hint in layers.ERROR_HINTS if isinstance(hint, str)]
    else:
        scoped = [(exercises, hint) for exercises, _, _, hint in hybrid.NAMED_MISTAKES]
    own = {hint for exercises, hint in scoped if exercise in exercises}
    return [hint for exercises, hint in scoped if exercise not in exercises and hint not in own]


def test_the_table_covers_every_exercise_and_the_texts():
    assert len(COURSE_TEXTS) >= 10
    for param in COURSE_TEXTS:
        unit_name, answers, scores, says, _ = param.values
        assert set(scores) == {exercise.name for exercise in unit(unit_name).exercises}, param.id
        checks = {check.id for check in unit(unit_name).checks}
        assert set(says) <= checks, (param.id, set(says) - checks)
        assert {grade_id for grade_id, _ in answers} <= {exercise.cell for exercise in unit(unit_name).exercises}


@pytest.mark.parametrize(("unit_name", "answers", "scores", "says", "never"), COURSE_TEXTS)
def test_a_course_text_notebook_gets_a_careful_grade_and_its_first_cause(mnist_dir, unit_name, answers, scores, says,
                                                                         never):
    results, notes = graded(unit_name, answers)
    failing = {cid: result for cid, result in results.items() if not result.passed}
    lost = "\n".join(f"--- {cid}\n{result.feedback}" for cid, result in failing.items())
    assert earned(results) == scores, lost
    for cid, phrases in says.items():
        assert cid in failing and all(phrase in failing[cid].feedback for phrase in phrases), (cid, lost)
    for cid, result in failing.items():
        wrong = [words for words in never if words in result.feedback]
        wrong += [hint for hint in foreign_hints(unit_name, result.exercise) if hint in result.feedback]
        wrong += forbidden_in(result.feedback)
        assert not wrong, (cid, wrong, result.feedback)
    assert not [note for note in notes if forbidden_in(note)], notes
