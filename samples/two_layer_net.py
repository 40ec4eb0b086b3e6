"""Affine, ReLU, Affine and Softmax-with-Loss: the Python twin of two_layer_net.yaml."""

import graphviz_bp as bp

with bp.Network(
    "two-layer-net",
    description="Affine, ReLU, Affine and Softmax-with-Loss on a batch of 3 examples of 4 features and 3 classes.",
) as net:
    X = net.input("X", shape=(3, 4), init="randn", seed=1)
    W1 = net.input("W1", shape=(4, 5), init="randn", seed=2, scale=0.5)
    b1 = net.input("b1", shape=5, init="zeros")
    W2 = net.input("W2", shape=(5, 3), init="randn", seed=3, scale=0.5)
    b2 = net.input("b2", shape=3, init="zeros")
    t = net.input("t", [[1, 0, 0], [0, 1, 0], [0, 0, 1]], grad=False)
    h1 = net.node("h1", bp.affine(X, W1, b1))
    a1 = net.node("a1", bp.relu(h1))
    h2 = net.node("h2", bp.affine(a1, W2, b2))
    L = net.node("L", bp.softmax_with_loss(h2, t))
    net.output(L)
