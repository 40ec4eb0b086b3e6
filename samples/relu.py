"""ReLU on a vector: the Python twin of relu.yaml."""

import graphviz_bp as bp

with bp.Network(
    "relu",
    description="ReLU on a vector; the gradient passes where the input is positive and is 0 elsewhere.",
) as net:
    x = net.input("x", [1.0, -0.5, 2.0, -3.0])
    y = net.node("y", bp.relu(x))
    net.output(y, seed=[0.1, 0.2, 0.3, 0.4])
