"""graphviz-bp: computational graphs with forward values and gradients on every edge.

`load` reads a .yaml or .py spec into a Graph, and `Network` with the op functions
(`exp`, `relu`, `affine`, ...) builds one in Python. `run` computes a Trace, `to_dot`
returns the figure's DOT text and `render` writes the figure to a file. In Jupyter, a Graph
or Trace that ends a cell is shown as its figure. See docs/python.md.

    >>> import graphviz_bp as bp
    >>> trace = bp.run(bp.load("samples/apple.yaml"))
    >>> float(trace.output)
    220.00000000000003

Names are imported on first use, so that `import graphviz_bp` (and with it every start of
the `graphviz-bp` command) does not pay for numpy, sympy or the graphviz package.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Graph": "graphviz_bp.graph",
    "Value": "graphviz_bp.graph",
    "GraphError": "graphviz_bp.errors",
    "GraphvizBPError": "graphviz_bp.errors",
    "NonFiniteError": "graphviz_bp.errors",
    "ShapeError": "graphviz_bp.errors",
    "SpecError": "graphviz_bp.errors",
    "Step": "graphviz_bp.engine",
    "Trace": "graphviz_bp.engine",
    "run": "graphviz_bp.engine",
    "load": "graphviz_bp.spec",
    "Network": "graphviz_bp.dsl",
    "Tensor": "graphviz_bp.dsl",
    "render": "graphviz_bp.api",
    "to_dot": "graphviz_bp.api",
}


def _op_function_names() -> list[str]:
    from graphviz_bp.ops import REGISTRY

    return list(REGISTRY)


def __getattr__(name: str) -> Any:
    if name == "__all__":
        return [*_EXPORTS, *_op_function_names()]
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
    else:
        # One function per registered op (exp, relu, affine, sum, ...), as in graphviz_bp.dsl;
        # `sum` here is the op, not the builtin.
        from graphviz_bp.dsl import OP_FUNCTIONS

        if name not in OP_FUNCTIONS:
            raise AttributeError(f"module 'graphviz_bp' has no attribute {name!r}")
        value = OP_FUNCTIONS[name]
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_op_function_names()})
