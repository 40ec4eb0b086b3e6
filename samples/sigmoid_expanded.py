"""The sigmoid written as primitive operations: the Python twin of sigmoid_expanded.yaml."""

import graphviz_bp as bp
from graphviz_bp import exp

with bp.Network(
    "sigmoid-expanded",
    description="The sigmoid written as primitive operations, as in the textbook's backprop chapter.",
) as net:
    x = net.input("x", 0.5)
    y = net.node("y", 1 / (1 + exp(-x)))
    net.output(y)
