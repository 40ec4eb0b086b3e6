"""Elementwise operations: arithmetic, exp and log, and the activation functions.

Inputs broadcast as in NumPy; the engine sums each gradient back to its input's shape.
"""

from __future__ import annotations

import numpy as np

from graphviz_bp.errors import ShapeError
from graphviz_bp.ops.base import Op, Shape


class Add(Op):
    name = "add"
    symbol = "+"
    arity = 2
    derivative = "∂z/∂x = 1, ∂z/∂y = 1"
    elementwise = True

    def forward(self, xs, params):
        return xs[0] + xs[1], None

    def backward(self, grad_out, cache, needs, params):
        return (grad_out if needs[0] else None, grad_out if needs[1] else None)

    def forward_expr(self, S, args, params):
        return args[0] + args[1]

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream


class Sub(Op):
    name = "sub"
    symbol = "−"
    arity = 2
    derivative = "∂z/∂x = 1, ∂z/∂y = −1"
    elementwise = True

    def forward(self, xs, params):
        return xs[0] - xs[1], None

    def backward(self, grad_out, cache, needs, params):
        return (grad_out if needs[0] else None, -grad_out if needs[1] else None)

    def forward_expr(self, S, args, params):
        return args[0] - args[1]

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream if index == 0 else -upstream


class Mul(Op):
    name = "mul"
    symbol = "×"
    arity = 2
    derivative = "∂z/∂x = y, ∂z/∂y = x"
    elementwise = True

    def forward(self, xs, params):
        return xs[0] * xs[1], xs

    def backward(self, grad_out, cache, needs, params):
        x, y = cache
        return (grad_out * y if needs[0] else None, grad_out * x if needs[1] else None)

    def forward_expr(self, S, args, params):
        return args[0] * args[1]

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream * args[1 - index]


class Div(Op):
    name = "div"
    symbol = "/"
    arity = 2
    derivative = "∂z/∂x = 1/y, ∂z/∂y = −x/y²"
    elementwise = True

    def forward(self, xs, params):
        out = xs[0] / xs[1]
        return out, (xs[1], out)

    def backward(self, grad_out, cache, needs, params):
        y, out = cache
        grad_x = grad_out / y if needs[0] else None
        # −x/y² written as −out/y reuses the quotient instead of squaring y.
        grad_y = -grad_out * out / y if needs[1] else None
        return grad_x, grad_y

    def forward_expr(self, S, args, params):
        return args[0] * args[1] ** -1

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        if index == 0:
            return upstream * args[1] ** -1
        return -upstream * args[0] * args[1] ** -2


class Neg(Op):
    name = "neg"
    symbol = "×(−1)"
    arity = 1
    derivative = "∂y/∂x = −1"
    elementwise = True

    def forward(self, xs, params):
        return -xs[0], None

    def backward(self, grad_out, cache, needs, params):
        return (-grad_out if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return -args[0]

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return -upstream


class Pow(Op):
    name = "pow"
    symbol = "**"
    arity = 2
    derivative = "∂y/∂x = c·x^(c−1), c constant"
    elementwise = True

    def forward(self, xs, params):
        return xs[0] ** xs[1], xs

    def backward(self, grad_out, cache, needs, params):
        x, c = cache
        # The graph rejects a pow whose exponent needs a gradient, so needs[1] is False.
        return (grad_out * c * x ** (c - 1) if needs[0] else None, None)

    def forward_expr(self, S, args, params):
        return args[0] ** args[1]

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream * args[1] * args[0] ** (args[1] - 1)


class Exp(Op):
    name = "exp"
    symbol = "exp"
    arity = 1
    derivative = "∂y/∂x = exp(x) = y"
    elementwise = True

    def forward(self, xs, params):
        out = np.exp(xs[0])
        return out, out

    def backward(self, grad_out, cache, needs, params):
        return (grad_out * cache if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.exp(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream * out


class Log(Op):
    name = "log"
    symbol = "log"
    arity = 1
    derivative = "∂y/∂x = 1/x"
    elementwise = True

    def forward(self, xs, params):
        # A non-positive input gives −inf or NaN, which the engine reports with the node's name.
        return np.log(xs[0]), xs[0]

    def backward(self, grad_out, cache, needs, params):
        return (grad_out / cache if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.log(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream * args[0] ** -1


class ReLU(Op):
    name = "relu"
    symbol = "ReLU"
    arity = 1
    derivative = "∂y/∂x = 1 where x > 0, else 0 (0 at x = 0)"
    elementwise = True

    def forward(self, xs, params):
        mask = xs[0] > 0
        return np.where(mask, xs[0], 0.0), mask

    def backward(self, grad_out, cache, needs, params):
        # The subgradient at exactly 0 is taken as 0, as the textbook's ReLU layer does.
        return (np.where(cache, grad_out, 0.0) if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.relu(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream * S.positive(args[0])


class Sigmoid(Op):
    name = "sigmoid"
    symbol = "σ"
    arity = 1
    derivative = "∂y/∂x = y(1−y)"
    elementwise = True
    expansion = ("1 / (1 + exp(-x))", ("x",))

    def forward(self, xs, params):
        # exp(−log(1 + exp(−x))) never overflows, unlike 1 / (1 + exp(−x)) for large −x.
        out = np.exp(-np.logaddexp(0.0, -xs[0]))
        return out, out

    def backward(self, grad_out, cache, needs, params):
        return (grad_out * cache * (1.0 - cache) if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.sigmoid(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream * out * (1 - out)


class Tanh(Op):
    name = "tanh"
    symbol = "tanh"
    arity = 1
    derivative = "∂y/∂x = 1−y²"
    elementwise = True

    def forward(self, xs, params):
        out = np.tanh(xs[0])
        return out, out

    def backward(self, grad_out, cache, needs, params):
        return (grad_out * (1.0 - cache**2) if needs[0] else None,)

    def forward_expr(self, S, args, params):
        return S.tanh(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return upstream * (1 - out**2)


def check_same_shape(op_name: str, shapes: tuple[Shape, ...], what: str) -> Shape:
    """Raise ShapeError unless all shapes are equal; return the common shape."""
    if len(set(shapes)) != 1:
        shown = " and ".join(str(s) for s in shapes)
        raise ShapeError(f"{op_name}: {what} must have the same shape, got {shown}")
    return shapes[0]


ELEMENTWISE_OPS: tuple[type[Op], ...] = (Add, Sub, Mul, Div, Neg, Pow, Exp, Log, ReLU, Sigmoid, Tanh)
