"""The judge's evaluation of a traced symbol (autograder/checks/symbols.py) against MXNet's own, and its refusals.

Each traced case builds a graph with MXNet (as a student's hybrid_forward would) and evaluates it twice: by MXNet
here, and by the judge's NumPy reading of its JSON; they must agree. Each forged case is JSON no trace would give
(unknown operators, cycles, huge values, variables the judge never gave): it must be refused with a GraphError.
"""
import json

import mxnet as mx
import numpy as np
import pytest

from autograder.checks import symbols

RNG = np.random.RandomState(0)
X = RNG.uniform(-1, 1, (4, 3, 5)).astype(np.float32)
W = RNG.uniform(-1, 1, (6, 15)).astype(np.float32)
B = RNG.uniform(-1, 1, (6,)).astype(np.float32)
data, weight, bias = mx.sym.var("data"), mx.sym.var("weight"), mx.sym.var("bias")

TRACED = [
    pytest.param(lambda: mx.sym.broadcast_sub(data, mx.sym.mean(data)), id="centered"),
    pytest.param(lambda: mx.sym.broadcast_minus(data, mx.sym.mean(data, axis=1, keepdims=True)), id="row-mean"),
    pytest.param(lambda: mx.sym.relu(mx.sym.FullyConnected(data, weight, bias, num_hidden=6)), id="my-dense"),
    pytest.param(lambda: mx.sym.Activation(mx.sym.broadcast_add(
        mx.sym.dot(mx.sym.flatten(data), weight, transpose_b=True), bias), act_type="tanh"), id="dot-dense"),
    pytest.param(lambda: mx.sym.sum(data * 2 - 1, axis=(0, 2)) / 3, id="scalars-and-sum"),
    pytest.param(lambda: mx.sym.reshape(data, shape=(0, -1)) + mx.sym.flatten(data), id="reshape"),
    pytest.param(lambda: mx.sym.sigmoid(mx.sym.transpose(data, axes=(2, 0, 1))), id="transpose-sigmoid"),
    pytest.param(lambda: mx.sym.FullyConnected(data, weight, no_bias=True, num_hidden=6), id="no-bias"),
    pytest.param(lambda: mx.sym.clip(mx.sym.maximum(data, 0.1), 0, 0.5) ** 2 + mx.sym.LeakyReLU(data, slope=0.1),
                 id="maximum-clip-power-leaky"),
    pytest.param(lambda: mx.sym.broadcast_maximum(mx.sym.exp(data), mx.sym.abs(mx.sym.sum_axis(data, axis=0))),
                 id="broadcast-maximum-exp-abs"),
]


@pytest.mark.parametrize("build", TRACED)
def test_the_judge_computes_what_mxnet_computes(build):
    symbol = build()
    given = {"data": X, "weight": W, "bias": B}
    inputs = {name: given[name] for name in symbol.list_arguments()}
    expected = symbol.eval(ctx=mx.cpu(), **{name: mx.nd.array(value) for name, value in inputs.items()})[0]
    found = symbols.evaluate(symbols.parse(symbol.tojson()), inputs)
    assert found.shape == expected.shape
    np.testing.assert_allclose(found, expected.asnumpy(), rtol=1e-5, atol=1e-5)


def test_symbols_do_not_broadcast_implicitly():
    graph = symbols.parse((data - mx.sym.mean(data)).tojson())
    with pytest.raises(symbols.GraphError, match=r"elemwise_sub .* do not broadcast implicitly"):
        symbols.evaluate(graph, {"data": X})


DATA = {"op": "null", "name": "data", "inputs": []}


def forged(*nodes, heads=None) -> str:
    return json.dumps({"nodes": [DATA, *nodes], "heads": heads or [[len(nodes), 0, 0]]})


FORGED = [
    pytest.param("not json", "not the JSON text", id="not-json"),
    pytest.param(json.dumps({"nodes": [], "heads": []}), "without nodes", id="empty"),
    pytest.param(forged({"op": "_forged_answer", "name": "f", "inputs": [[0, 0, 0]]}), "the operator", id="unknown-op"),
    pytest.param(forged({"op": "null", "name": "expected", "inputs": []}), "neither the data", id="foreign-input"),
    pytest.param(forged({"op": "_copy", "name": "a", "inputs": [[2, 0, 0]]},
                        {"op": "_copy", "name": "b", "inputs": [[1, 0, 0]]}), "do not come before", id="cycle"),
    pytest.param(forged(*[{"op": "_copy", "name": f"c{i}", "inputs": [[i, 0, 0]]} for i in range(600)]),
                 "nodes", id="too-many-nodes"),
    pytest.param(forged({"op": "Reshape", "name": "r", "attrs": {"shape": "(1000000, 1000000)"},
                         "inputs": [[0, 0, 0]]}), "Reshape", id="huge-reshape"),
    pytest.param(forged({"op": "Reshape", "name": "r", "attrs": {"shape": "(60, 1)"}, "inputs": [[0, 0, 0]]},
                        {"op": "Reshape", "name": "s", "attrs": {"shape": "(1, 60)"}, "inputs": [[0, 0, 0]]},
                        *[{"op": "broadcast_mul", "name": f"m{i}", "inputs": [[i, 0, 0], [i, 0, 0]]}
                          for i in range(1, 3)],
                        {"op": "dot", "name": "d", "inputs": [[3, 0, 0], [4, 0, 0]]},
                        {"op": "Reshape", "name": "big", "attrs": {"shape": "(3600, 1)"}, "inputs": [[5, 0, 0]]},
                        {"op": "Reshape", "name": "wide", "attrs": {"shape": "(1, 3600)"}, "inputs": [[5, 0, 0]]},
                        {"op": "broadcast_add", "name": "boom", "inputs": [[6, 0, 0], [7, 0, 0]]},
                        {"op": "broadcast_add", "name": "boom2", "inputs": [[8, 0, 0], [8, 0, 0]]}),
                 "would make|makes a value|shapes", id="growing-values"),
    pytest.param(forged({"op": "mean", "name": "m", "attrs": {"axis": "__import__('os')"}, "inputs": [[0, 0, 0]]}),
                 "cannot read", id="code-in-an-attribute"),
    pytest.param(json.dumps({"nodes": [DATA], "heads": [[0, 0, 0], [0, 0, 0]]}), "outputs", id="two-outputs"),
]


@pytest.mark.parametrize("text, says", FORGED)
def test_a_forged_graph_is_refused(text, says):
    with pytest.raises(symbols.GraphError, match=says):
        symbols.evaluate(symbols.parse(text), {"data": X})
