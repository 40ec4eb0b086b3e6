"""The Affine layer on a batch of 2: the Python twin of affine_batch.yaml."""

import numpy as np

import graphviz_bp as bp

with bp.Network(
    "affine-batch",
    description="The Affine layer on a batch of 2; the bias gradient is the upstream gradient summed over the batch.",
) as net:
    X = net.input("X", np.array([[1.0, 2.0], [3.0, 4.0]]))
    W = net.input("W", [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    B = net.input("B", [1.0, 2.0, 3.0])
    Y = net.node("Y", bp.affine(X, W, B))
    net.output(Y, seed=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
