"""The Affine layer Y = X·W + B for one example: the Python twin of affine.yaml."""

import graphviz_bp as bp

with bp.Network("affine", description="The Affine layer Y = X·W + B for one example.") as net:
    X = net.input("X", [1.0, 2.0])
    W = net.input("W", [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]])
    B = net.input("B", [1.0, 2.0, 3.0])
    Y = net.node("Y", bp.affine(X, W, B))
    net.output(Y)
