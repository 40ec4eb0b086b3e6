"""Hand-written NumPy layers of a two-layer classifier: the reference for the engine benchmarks.

The layers follow the usual textbook layer classes (Affine, ReLU, Softmax-with-Loss), each
with its own forward and backward method and no checks. The ReLU backward zeroes the
upstream gradient in place, as the textbook's layer does.
"""

from __future__ import annotations

import numpy as np

# Added inside the logarithm of the cross-entropy, as the textbook does. The engine's
# Softmax-with-Loss takes the log-softmax instead, so the two losses differ by about 1e-6.
LOG_DELTA = 1e-7


class Affine:
    """out = x·W + b. `input_grad=False` skips ∂L/∂x, as for a data input that needs none."""

    def __init__(self, weight: np.ndarray, bias: np.ndarray, *, input_grad: bool = True) -> None:
        self.weight = weight
        self.bias = bias
        self.input_grad = input_grad
        self.x: np.ndarray | None = None
        self.grad_weight: np.ndarray | None = None
        self.grad_bias: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.x = x
        return x @ self.weight + self.bias

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        assert self.x is not None, "forward must run before backward"
        self.grad_weight = self.x.T @ grad_out
        self.grad_bias = grad_out.sum(axis=0)
        return grad_out @ self.weight.T if self.input_grad else None


class ReLU:
    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0.0
        return out

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        grad_out[self.mask] = 0.0
        return grad_out


class SoftmaxWithLoss:
    """Softmax followed by the mean cross-entropy over the batch; targets are one-hot rows."""

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.t: np.ndarray | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        shifted = x - x.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        self.y = exp / exp.sum(axis=1, keepdims=True)
        self.t = t
        return float(-np.sum(t * np.log(self.y + LOG_DELTA)) / x.shape[0])

    def backward(self, grad_out: float = 1.0) -> np.ndarray:
        assert self.y is not None and self.t is not None, "forward must run before backward"
        return grad_out * (self.y - self.t) / self.y.shape[0]


class TwoLayerNet:
    """Affine, ReLU, Affine, Softmax-with-Loss, built anew for each pass like a training step."""

    def __init__(self, params: dict[str, np.ndarray], *, input_grad: bool) -> None:
        self.layers = [
            Affine(params["W1"], params["b1"], input_grad=input_grad),
            ReLU(),
            Affine(params["W2"], params["b2"]),
        ]
        self.loss_layer = SoftmaxWithLoss()

    def forward_backward(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray | float | None]:
        """Run the forward and backward passes; return the loss and every gradient."""
        out = x
        for layer in self.layers:
            out = layer.forward(out)
        loss = self.loss_layer.forward(out, t)

        grad = self.loss_layer.backward()
        for layer in reversed(self.layers):
            grad = layer.backward(grad)

        first, _, second = self.layers
        return {
            "L": loss,
            "X": grad,
            "W1": first.grad_weight,
            "b1": first.grad_bias,
            "W2": second.grad_weight,
            "b2": second.grad_bias,
        }


def two_layer_step(params: dict[str, np.ndarray], x: np.ndarray, t: np.ndarray, *, input_grad: bool) -> dict:
    """One forward and backward pass of a freshly built TwoLayerNet."""
    return TwoLayerNet(params, input_grad=input_grad).forward_backward(x, t)
