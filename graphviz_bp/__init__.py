"""graphviz-bp: computational graphs with forward values and gradients on every edge.

    >>> import graphviz_bp as bp
    >>> trace = bp.run(bp.load("samples/apple.yaml"))
    >>> float(trace.output)
    220.00000000000003
"""

from graphviz_bp.engine import Step, Trace, run
from graphviz_bp.errors import GraphError, GraphvizBPError, NonFiniteError, ShapeError, SpecError
from graphviz_bp.graph import Graph, Value
from graphviz_bp.spec import load

__all__ = [
    "Graph",
    "GraphError",
    "GraphvizBPError",
    "NonFiniteError",
    "ShapeError",
    "SpecError",
    "Step",
    "Trace",
    "Value",
    "load",
    "run",
]
