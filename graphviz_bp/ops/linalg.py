"""Matrix operations and reductions: matmul, transpose, affine, sum and mean."""

from __future__ import annotations

import numpy as np

from graphviz_bp.errors import ShapeError
from graphviz_bp.ops.base import Op, Shape


def _check_matrix_ranks(op_name: str, shapes: tuple[Shape, ...]) -> None:
    for shape in shapes:
        if len(shape) not in (1, 2):
            raise ShapeError(
                f"{op_name}: operands must be vectors or matrices, got shape {shape}",
                hint="reshape the input to 1 or 2 dimensions",
            )


def _matmul_shape(op_name: str, a: Shape, b: Shape) -> Shape:
    _check_matrix_ranks(op_name, (a, b))
    if a[-1] != b[0]:
        raise ShapeError(
            f"{op_name}: shapes {a} and {b} are not aligned: {a[-1]} (last axis of the first)"
            f" != {b[0]} (first axis of the second)",
            hint="the first operand's columns must equal the second operand's rows",
        )
    return a[:-1] + b[1:]


def _matmul_grads(
    grad_out: np.ndarray, a: np.ndarray, b: np.ndarray, needs: tuple[bool, ...]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Gradients of a @ b for vector and matrix operands: ∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G."""
    grad_a = grad_b = None
    if a.ndim == 1 and b.ndim == 1:
        # The inner product: a scalar output, so each gradient is the other vector scaled.
        return (grad_out * b if needs[0] else None, grad_out * a if needs[1] else None)
    if needs[0]:
        grad_a = np.outer(grad_out, b) if a.ndim == 2 and b.ndim == 1 else grad_out @ b.T
    if needs[1]:
        grad_b = np.outer(a, grad_out) if a.ndim == 1 and b.ndim == 2 else a.T @ grad_out
    return grad_a, grad_b


class MatMul(Op):
    name = "matmul"
    symbol = "dot"
    arity = 2
    derivative = "∂L/∂X = ∂L/∂Y·Wᵀ, ∂L/∂W = Xᵀ·∂L/∂Y"

    def infer_shape(self, shapes, params):
        return _matmul_shape(self.name, *shapes)

    def forward(self, xs, params):
        return xs[0] @ xs[1], xs

    def backward(self, grad_out, cache, needs, params):
        return _matmul_grads(grad_out, cache[0], cache[1], needs)

    def forward_expr(self, S, args, params):
        return args[0] * args[1]

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        if index == 0:
            return upstream * S.T(args[1])
        return S.T(args[0]) * upstream


class Transpose(Op):
    name = "transpose"
    symbol = "T"
    arity = 1
    derivative = "∂L/∂X = (∂L/∂Y)ᵀ"

    def infer_shape(self, shapes, params):
        return shapes[0][::-1]

    def forward(self, xs, params):
        return xs[0].T, None

    def backward(self, grad_out, cache, needs, params):
        return (grad_out.T if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.T(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return S.T(upstream)


class Affine(Op):
    name = "affine"
    symbol = "Affine"
    arity = 3
    layer = True
    derivative = "∂L/∂X = ∂L/∂Y·Wᵀ, ∂L/∂W = Xᵀ·∂L/∂Y, ∂L/∂B = ∂L/∂Y summed over the batch axis"
    expansion = ("X @ W + b", ("X", "W", "b"))

    def infer_shape(self, shapes, params):
        x, w, b = shapes
        if len(w) != 2:
            raise ShapeError(f"affine: the weight W must be a matrix, got shape {w}")
        out = _matmul_shape(self.name, x, w)
        if b != (w[1],):
            raise ShapeError(
                f"affine: the bias must have shape ({w[1]},) to match W of shape {w}, got {b}",
                hint="the bias has one entry per output column of W",
            )
        return out

    def forward(self, xs, params):
        x, w, b = xs
        return x @ w + b, (x, w)

    def backward(self, grad_out, cache, needs, params):
        x, w = cache
        grad_x, grad_w = _matmul_grads(grad_out, x, w, needs)
        grad_b = None
        if needs[2]:
            grad_b = grad_out.sum(axis=0) if grad_out.ndim == 2 else grad_out
        return grad_x, grad_w, grad_b

    def forward_expr(self, S, args, params):
        return args[0] * args[1] + args[2]

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        if index == 0:
            return upstream * S.T(args[1])
        if index == 1:
            return S.T(args[0]) * upstream
        return S.sum_axis(upstream, 0) if len(shapes[0]) == 2 else upstream


def _reduced_shape(op_name: str, shape: Shape, axis: int | None) -> Shape:
    if axis is None:
        return ()
    if not -len(shape) <= axis < len(shape):
        raise ShapeError(
            f"{op_name}: axis {axis} is out of range for shape {shape}",
            hint=f"use an axis from {-len(shape)} to {len(shape) - 1}, or leave it out to reduce all",
        )
    return shape[: axis % len(shape)] + shape[axis % len(shape) + 1 :]


def _spread(grad_out: np.ndarray, shape: Shape, axis: int | None) -> np.ndarray:
    """Broadcast a reduction's gradient back over the reduced axis, as a read-only view."""
    if axis is not None:
        grad_out = np.expand_dims(grad_out, axis)
    return np.broadcast_to(grad_out, shape)


class Sum(Op):
    name = "sum"
    symbol = "Σ"
    arity = 1
    params = {"axis": None}
    derivative = "∂L/∂x = ∂L/∂y, broadcast over the summed axis"

    def infer_shape(self, shapes, params):
        return _reduced_shape(self.name, shapes[0], params["axis"])

    def forward(self, xs, params):
        return np.sum(xs[0], axis=params["axis"]), xs[0].shape

    def backward(self, grad_out, cache, needs, params):
        return (_spread(grad_out, cache, params["axis"]) if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.sum_axis(args[0], params["axis"])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream


class Mean(Op):
    name = "mean"
    symbol = "mean"
    arity = 1
    params = {"axis": None}
    derivative = "∂L/∂x = ∂L/∂y / n, n the number of averaged elements"

    def infer_shape(self, shapes, params):
        return _reduced_shape(self.name, shapes[0], params["axis"])

    def forward(self, xs, params):
        x = xs[0]
        count = x.size if params["axis"] is None else x.shape[params["axis"]]
        return np.mean(x, axis=params["axis"]), (x.shape, count)

    def backward(self, grad_out, cache, needs, params):
        shape, count = cache
        return (_spread(grad_out / count, shape, params["axis"]) if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.mean(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        shape = shapes[0]
        count = int(np.prod(shape)) if params["axis"] is None else shape[params["axis"]]
        return upstream * S.Integer(count) ** -1


LINALG_OPS: tuple[type[Op], ...] = (MatMul, Transpose, Affine, Sum, Mean)
