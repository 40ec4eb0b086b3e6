"""The registry of operations: one instance per op name.

Every consumer (the spec parser, the engine, the catalogue, the gradient-check tests) reads
`REGISTRY`, so an op added here is available everywhere at once.
"""

from __future__ import annotations

from graphviz_bp.errors import SpecError, did_you_mean
from graphviz_bp.ops.base import Op, Shape
from graphviz_bp.ops.elementwise import ELEMENTWISE_OPS
from graphviz_bp.ops.linalg import LINALG_OPS
from graphviz_bp.ops.losses import LOSS_OPS

REGISTRY: dict[str, Op] = {cls.name: cls() for cls in (*ELEMENTWISE_OPS, *LINALG_OPS, *LOSS_OPS)}


def get_op(name: str) -> Op:
    """Return the registered op `name`, or raise SpecError with the closest valid name."""
    try:
        return REGISTRY[name]
    except KeyError:
        hint = did_you_mean(name, REGISTRY) or "run `graphviz-bp ops` to list the ops"
        raise SpecError(f"unknown op {name!r}", hint=hint) from None


__all__ = ["REGISTRY", "Op", "Shape", "get_op"]
