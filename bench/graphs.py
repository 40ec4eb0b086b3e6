"""Graphs and specs that the benchmarks run: the 784-50-10 classifier, a scalar chain, a wide
figure of about 1,000 DOT nodes, and a 10-node YAML spec."""

from __future__ import annotations

import numpy as np

from graphviz_bp.graph import Graph, Value, leaf

# Sizes of the two-layer classifier: MNIST-sized inputs, as in the textbook's example.
BATCH, INPUT, HIDDEN, CLASSES = 100, 784, 50, 10

# A 10-node scalar spec for the start-up benchmark: every op kind a small figure uses.
TEN_NODE_SPEC = """\
name: ten-nodes
description: Ten scalar nodes for the start-up benchmark.
inputs:
  x: 0.5
  w: 1.5
  b: -0.2
  t: {value: 1.0, grad: false}
nodes:
  z: x * w
  u: z + b
  s: sigmoid(u)
  h: tanh(s)
  e: exp(h)
  r: relu(e)
  m: r * w
  d: m - t
  q: d * d
  L: q / 2
output: L
"""


def mlp_arrays(seed: int = 0) -> dict[str, np.ndarray]:
    """Random data, weights and one-hot targets of the 784-50-10 classifier, batch 100."""
    rng = np.random.default_rng(seed)
    return {
        "X": rng.random((BATCH, INPUT)),
        "W1": 0.01 * rng.standard_normal((INPUT, HIDDEN)),
        "b1": np.zeros(HIDDEN),
        "W2": 0.01 * rng.standard_normal((HIDDEN, CLASSES)),
        "b2": np.zeros(CLASSES),
        "t": np.eye(CLASSES)[rng.integers(0, CLASSES, BATCH)],
    }


def mlp_graph(arrays: dict[str, np.ndarray], *, x_grad: bool) -> Graph:
    """Affine, ReLU, Affine, Softmax-with-Loss. The targets t never need a gradient."""
    values = [
        leaf("X", arrays["X"], requires_grad=x_grad),
        leaf("W1", arrays["W1"]),
        leaf("b1", arrays["b1"]),
        leaf("W2", arrays["W2"]),
        leaf("b2", arrays["b2"]),
        leaf("t", arrays["t"], requires_grad=False),
        Value("h1", "node", op="affine", inputs=("X", "W1", "b1")),
        Value("a1", "node", op="relu", inputs=("h1",)),
        Value("h2", "node", op="affine", inputs=("a1", "W2", "b2")),
        Value("L", "node", op="softmax_with_loss", inputs=("h2", "t")),
    ]
    return Graph(values, output="L", name="mlp-784-50-10")


# The chain multiplies by and adds this constant in turn, so values stay finite at any length.
CHAIN_CONSTANT = 0.999


def chain_ops(length: int) -> list[str]:
    return ["mul" if index % 2 == 0 else "add" for index in range(length)]


def scalar_chain(length: int) -> Graph:
    """x → ×c → +c → ×c → … with `length` op nodes; x needs a gradient, c is a constant."""
    values = [leaf("x", 0.5), leaf("c", CHAIN_CONSTANT, constant=True)]
    previous = "x"
    for index, op in enumerate(chain_ops(length)):
        name = f"n{index}"
        values.append(Value(name, "node", op=op, inputs=(previous, "c")))
        previous = name
    return Graph(values, output=previous, name=f"chain-{length}")


def chain_by_hand(ops: list[str], x: np.ndarray, c: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Run the chain's forward and backward passes as a plain loop over 0-d arrays.

    Keeps every value and gradient, as the engine's trace does, and returns the values and
    ∂out/∂x.
    """
    values = [x]
    for op in ops:
        values.append(values[-1] * c if op == "mul" else values[-1] + c)
    grads = [np.ones(())]
    for op in reversed(ops):
        grads.append(grads[-1] * c if op == "mul" else grads[-1])
    return values, grads[-1]


def wide_graph(branches: int, seed: int = 0) -> Graph:
    """`branches` copies of σ(tanh(x·w)), summed by a balanced tree of adds.

    Each branch draws 9 DOT nodes (2 inputs, 3 ops, 4 edge labels) and each add 3 more (the
    op and its 2 edge labels), so 83 branches give a figure of 995 DOT nodes. Graphviz
    warns about the layout time from 1,000 nodes on.
    """
    rng = np.random.default_rng(seed)
    values: list[Value] = []
    tips: list[str] = []
    for branch in range(branches):
        x, w, m, a, s = (f"{prefix}{branch}" for prefix in ("x", "w", "m", "a", "s"))
        values += [
            leaf(x, rng.standard_normal()),
            leaf(w, rng.standard_normal()),
            Value(m, "node", op="mul", inputs=(x, w)),
            Value(a, "node", op="tanh", inputs=(m,)),
            Value(s, "node", op="sigmoid", inputs=(a,)),
        ]
        tips.append(s)

    added = 0
    while len(tips) > 1:
        next_tips = []
        for left, right in zip(tips[0::2], tips[1::2], strict=False):
            name = f"p{added}"
            values.append(Value(name, "node", op="add", inputs=(left, right)))
            next_tips.append(name)
            added += 1
        if len(tips) % 2:
            next_tips.append(tips[-1])
        tips = next_tips
    return Graph(values, output=tips[0], name=f"wide-{branches}")
