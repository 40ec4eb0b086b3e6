"""The contract that every operation implements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from graphviz_bp.errors import ShapeError

Shape = tuple[int, ...]
Params = Mapping[str, Any]


class Op:
    """One operation of the computational graph.

    `forward` takes the input arrays and returns the output with a cache of what `backward`
    needs. `backward` takes the upstream gradient (same shape as the output) and returns one
    gradient per input, each in the output's broadcast shape or the input's own shape; the
    engine reduces broadcast axes. It returns None for inputs whose `needs` flag is False and
    never writes into `grad_out`, which other edges of the figure still show.

    `forward_expr` and `grad_expr` build sympy expressions through the toolkit `S` from
    `graphviz_bp.symbolic`, so this module never imports sympy.
    """

    name: ClassVar[str]
    symbol: ClassVar[str]
    arity: ClassVar[int]
    derivative: ClassVar[str]
    # Parameters that a call may pass by keyword, with their defaults.
    params: ClassVar[Mapping[str, Any]] = {}
    # Layers (Affine, Softmax-with-Loss) are drawn as boxes, primitive ops as circles.
    layer: ClassVar[bool] = False
    # Whether the output is the elementwise broadcast of the inputs' shapes.
    elementwise: ClassVar[bool] = False
    # For a composite op: the same function as an expression of primitive ops, with the
    # names it uses for the inputs, e.g. ("1 / (1 + exp(-x))", ("x",)).
    expansion: ClassVar[tuple[str, tuple[str, ...]] | None] = None

    def infer_shape(self, shapes: tuple[Shape, ...], params: Params) -> Shape:
        """Return the output shape for these input shapes, or raise ShapeError."""
        if not self.elementwise:
            raise NotImplementedError(f"{self.name} must define infer_shape")
        try:
            return tuple(np.broadcast_shapes(*shapes))
        except ValueError:
            shown = " and ".join(str(s) for s in shapes)
            raise ShapeError(
                f"{self.name}: shapes {shown} do not broadcast together",
                hint="elementwise ops need equal shapes, or shapes that NumPy broadcasting aligns",
            ) from None

    def forward(self, xs: tuple[np.ndarray, ...], params: Params) -> tuple[np.ndarray, Any]:
        raise NotImplementedError

    def backward(
        self, grad_out: np.ndarray, cache: Any, needs: tuple[bool, ...], params: Params
    ) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError

    def forward_expr(self, S: Any, args: tuple[Any, ...], params: Params) -> Any:
        """Build the sympy expression of the output from the inputs' display expressions."""
        raise NotImplementedError

    def grad_expr(
        self,
        S: Any,
        index: int,
        upstream: Any,
        args: tuple[Any, ...],
        out: Any,
        params: Params,
        shapes: tuple[Shape, ...],
    ) -> Any:
        """Build the gradient sent to input `index`: `upstream` times the local derivative.

        `out` is the display expression of this op's output, so a derivative such as the
        sigmoid's can be written as `y(1−y)`. `shapes` are the input shapes.
        """
        raise NotImplementedError


def batch_size(shape: Shape) -> int:
    """Number of rows a loss averages over: the first axis of a 2-D array, else 1."""
    return shape[0] if len(shape) == 2 else 1
