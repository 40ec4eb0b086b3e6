"""graphviz-bp: computational graphs with forward values and gradients on every edge.

`load` reads a .yaml or .py spec into a Graph, and `Network` with the op functions
(`exp`, `relu`, `affine`, ...) builds one in Python. `run` computes a Trace, `to_dot`
returns the figure's DOT text and `render` writes the figure to a file. In Jupyter, a Graph
or Trace that ends a cell is shown as its figure. See docs/python.md.

    >>> import graphviz_bp as bp
    >>> trace = bp.run(bp.load("samples/apple.yaml"))
    >>> float(trace.output)
    220.00000000000003
"""

# The subpackage is imported before the `render` function is bound. Importing a submodule for
# the first time sets it as an attribute of the package, which would replace the function.
# NOTE: `graphviz_bp.render` is therefore the function. Reach the subpackage with
# `from graphviz_bp.render import ...` or through sys.modules.
import graphviz_bp.render as _render_package  # noqa: F401
from graphviz_bp.api import render, to_dot
from graphviz_bp.dsl import OP_FUNCTIONS as _OP_FUNCTIONS
from graphviz_bp.dsl import Network, Tensor
from graphviz_bp.engine import Step, Trace, run
from graphviz_bp.errors import GraphError, GraphvizBPError, NonFiniteError, ShapeError, SpecError
from graphviz_bp.graph import Graph, Value
from graphviz_bp.spec import load

# One function per registered op (exp, relu, affine, sum, ...), as in graphviz_bp.dsl; `sum`
# here is the op, not the builtin.
globals().update(_OP_FUNCTIONS)

__all__ = [
    "Graph",
    "GraphError",
    "GraphvizBPError",
    "Network",
    "NonFiniteError",
    "ShapeError",
    "SpecError",
    "Step",
    "Tensor",
    "Trace",
    "Value",
    "load",
    "render",
    "run",
    "to_dot",
    *_OP_FUNCTIONS,
]
