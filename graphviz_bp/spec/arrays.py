"""Input arrays: literal numbers and nested lists, or arrays generated from a shape and an init."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from graphviz_bp.errors import LimitError, SpecError
from graphviz_bp.limits import DEFAULT_MAX_ELEMENTS

INITS = ("zeros", "ones", "randn", "uniform", "arange")
# NumPy 1.x arrays have at most 32 dimensions and NumPy 2 arrays 64; the lower limit holds for both.
MAX_DIMENSIONS = 32


def check_element_count(shape: Sequence[int], max_elements: int, what: str) -> None:
    """Raise LimitError before allocating an array of `shape` with too many elements."""
    if len(shape) > MAX_DIMENSIONS:
        raise LimitError(
            f"{what} has {len(shape)} dimensions, more than the limit of {MAX_DIMENSIONS}",
            hint="use a shape with fewer dimensions",
        )
    # A zero in the shape makes the product 0, but NumPy still rejects sizes past its index range.
    largest = max(shape, default=0)
    if largest > max_elements:
        raise LimitError(
            f"{what} has shape {tuple(shape)}, with a size of {largest:,} along one axis,"
            f" more than the limit of {max_elements:,} elements",
            hint="use a smaller shape, or raise the limit with --max-elements",
        )
    count = math.prod(shape)
    if count > max_elements:
        raise LimitError(
            f"{what} has shape {tuple(shape)}, {count:,} elements, more than the limit of {max_elements:,}",
            hint="use a smaller shape, or raise the limit with --max-elements",
        )


def generate(
    shape: Sequence[int],
    init: str,
    *,
    seed: int | None = None,
    scale: float = 1.0,
    max_elements: int = DEFAULT_MAX_ELEMENTS,
    what: str = "the input",
) -> np.ndarray:
    """Generate an array of `shape`.

    `randn` draws standard normal values and `uniform` values in [0, 1), from NumPy's
    default generator seeded with `seed`; `arange` counts 0, 1, 2, ... in row-major order.
    Every init is multiplied by `scale`.
    """
    check_element_count(shape, max_elements, what)
    shape = tuple(shape)
    rng = np.random.default_rng(seed)
    if init == "zeros":
        array = np.zeros(shape)
    elif init == "ones":
        array = np.ones(shape)
    elif init == "randn":
        array = rng.standard_normal(shape)
    elif init == "uniform":
        array = rng.uniform(0.0, 1.0, shape)
    elif init == "arange":
        array = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    else:
        raise SpecError(f"unknown init {init!r} for {what}", hint=f"use one of: {', '.join(INITS)}")
    return array * scale


def literal(data: object, *, max_elements: int = DEFAULT_MAX_ELEMENTS, what: str = "the input") -> np.ndarray:
    """Convert a number or a nested list of numbers into a float64 array.

    Raises SpecError for ragged lists and non-numeric entries, naming the first bad entry.
    """
    _check_numbers(data, what)
    depth = _nesting_depth(data)
    if depth > MAX_DIMENSIONS:
        raise SpecError(
            f"{what} is a list nested {depth} levels deep, more than the limit of {MAX_DIMENSIONS} dimensions",
            hint="inputs are numbers, vectors, matrices or other arrays of at most 32 dimensions",
        )
    try:
        array = np.array(data, dtype=np.float64)
    except ValueError:
        raise SpecError(
            f"{what} is a ragged nested list: its rows have different lengths",
            hint="every row of a matrix needs the same number of entries",
        ) from None
    check_element_count(array.shape, max_elements, what)
    return array


def _nesting_depth(data: object) -> int:
    """Return the list depth of `data` along its first elements, as NumPy reads the shape."""
    depth = 0
    while isinstance(data, list):
        depth += 1
        data = data[0] if data else None
    return depth


def _check_numbers(data: object, what: str) -> None:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, bool) or not isinstance(item, int | float):
            raise SpecError(
                f"{what} contains {item!r}, which is not a number",
                hint="inputs are numbers or nested lists of numbers",
            )
