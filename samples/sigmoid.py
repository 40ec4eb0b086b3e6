"""The sigmoid as one node: the Python twin of sigmoid.yaml."""

import graphviz_bp as bp

with bp.Network(
    "sigmoid",
    description="The sigmoid as one node; its gradient is y(1 - y) times the upstream gradient.",
) as net:
    x = net.input("x", 0.5)
    y = net.node("y", bp.sigmoid(x))
    net.output(y)
