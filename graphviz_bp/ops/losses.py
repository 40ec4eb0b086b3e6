"""Softmax and the losses of the textbook's classifier: cross-entropy, Softmax-with-Loss, MSE.

Losses average over the batch: a 2-D input of shape (N, C) is N examples of C classes, and a
1-D input is one example (N = 1). Targets `t` are one-hot rows or probability rows of the
same shape as the prediction.
"""

from __future__ import annotations

import numpy as np

from graphviz_bp.ops.base import Op, batch_size
from graphviz_bp.ops.elementwise import check_same_shape

# Added inside the logarithm, as the textbook's cross_entropy_error does, so that a
# prediction of exactly 0 gives a large finite loss instead of inf.
LOG_DELTA = 1e-7


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def _softmax_and_log(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return softmax(x) and log softmax(x), both shifted by the row maximum for stability."""
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=-1, keepdims=True)
    return e / total, shifted - np.log(total)


def _batch_symbol(S, shape):
    return S.N if batch_size(shape) > 1 else S.Integer(1)


class Softmax(Op):
    name = "softmax"
    symbol = "softmax"
    arity = 1
    layer = True
    derivative = "∂L/∂x = y·(∂L/∂y − Σ(∂L/∂y·y)), the sum over the class axis"

    def infer_shape(self, shapes, params):
        return shapes[0]

    def forward(self, xs, params):
        out = _softmax(xs[0])
        return out, out

    def backward(self, grad_out, cache, needs, params):
        if not needs[0]:
            return (None,)
        y = cache
        return (y * (grad_out - (grad_out * y).sum(axis=-1, keepdims=True)),)

    def forward_expr(self, S, args, params):
        return S.softmax(args[0])

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        return out * (upstream - S.sum_axis(upstream * out, -1))


class CrossEntropy(Op):
    name = "cross_entropy"
    symbol = "Cross Entropy Error"
    arity = 2
    layer = True
    derivative = "∂L/∂y = −t/(N·y), ∂L/∂t = −log(y)/N"

    def infer_shape(self, shapes, params):
        check_same_shape(self.name, shapes, "the prediction y and the target t")
        return ()

    def forward(self, xs, params):
        y, t = xs
        log_y = np.log(y + LOG_DELTA)
        return -np.sum(t * log_y) / batch_size(y.shape), (y, t, log_y)

    def backward(self, grad_out, cache, needs, params):
        y, t, log_y = cache
        n = batch_size(y.shape)
        grad_y = -grad_out * t / ((y + LOG_DELTA) * n) if needs[0] else None
        grad_t = -grad_out * log_y / n if needs[1] else None
        return grad_y, grad_t

    def forward_expr(self, S, args, params):
        return S.cross_entropy(*args)

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        n = _batch_symbol(S, shapes[0])
        y, t = args
        if index == 0:
            return -upstream * t * (n * y) ** -1
        return -upstream * S.log(y) * n**-1


class SoftmaxWithLoss(Op):
    name = "softmax_with_loss"
    symbol = "Softmax-with-Loss"
    arity = 2
    layer = True
    derivative = "∂L/∂x = (softmax(x) − t)/N when each row of t sums to 1, ∂L/∂t = −log softmax(x)/N"
    # cross_entropy adds 1e-7 inside its log, so the expanded loss differs by about 1e-7/y.
    expansion = ("cross_entropy(softmax(x), t)", ("x", "t"))

    def infer_shape(self, shapes, params):
        check_same_shape(self.name, shapes, "the scores x and the target t")
        return ()

    def forward(self, xs, params):
        x, t = xs
        y, log_y = _softmax_and_log(x)
        return -np.sum(t * log_y) / batch_size(x.shape), (t, y, log_y)

    def backward(self, grad_out, cache, needs, params):
        t, y, log_y = cache
        n = batch_size(t.shape)
        grad_x = grad_t = None
        if needs[0]:
            # (y·Σt − t)/N is exact for any t; it is the textbook's (y − t)/N when rows sum to 1.
            row_mass = t.sum(axis=-1, keepdims=True)
            grad_x = grad_out * (y * row_mass - t) / n
        if needs[1]:
            grad_t = -grad_out * log_y / n
        return grad_x, grad_t

    def forward_expr(self, S, args, params):
        return S.softmax_with_loss(*args)

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        n = _batch_symbol(S, shapes[0])
        x, t = args
        if index == 0:
            return upstream * (S.softmax(x) - t) * n**-1
        return -upstream * S.log(S.softmax(x)) * n**-1


class MSE(Op):
    name = "mse"
    symbol = "MSE"
    arity = 2
    layer = True
    derivative = "L = ½·Σ(y−t)²/N; ∂L/∂y = (y−t)/N, ∂L/∂t = −(y−t)/N"

    def infer_shape(self, shapes, params):
        check_same_shape(self.name, shapes, "the prediction y and the target t")
        return ()

    def forward(self, xs, params):
        y, t = xs
        diff = y - t
        return 0.5 * np.sum(diff**2) / batch_size(y.shape), diff

    def backward(self, grad_out, cache, needs, params):
        diff = cache
        scaled = grad_out * diff / batch_size(diff.shape)
        return (scaled if needs[0] else None, -scaled if needs[1] else None)

    def forward_expr(self, S, args, params):
        return S.mse(*args)

    def grad_expr(self, S, index, upstream, args, out, params, shapes):
        n = _batch_symbol(S, shapes[0])
        y, t = args
        sign = 1 if index == 0 else -1
        return sign * upstream * (y - t) * n**-1


LOSS_OPS: tuple[type[Op], ...] = (Softmax, CrossEntropy, SoftmaxWithLoss, MSE)
