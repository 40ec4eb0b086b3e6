"""Number and array formatting for figure labels."""

from __future__ import annotations

import numpy as np

MINUS = "−"
# Arrays with at most this many elements show their values; larger ones only their shape.
MAX_SHOWN_ELEMENTS = 6


def format_number(x: float, precision: int) -> str:
    """Format with `precision` significant digits and a true minus sign: 2.2, 220, −0.3875."""
    text = f"{float(x):.{precision}g}"
    if text == "-0":
        text = "0"
    return text.replace("-", MINUS)


def format_shape(shape: tuple[int, ...]) -> str:
    """Format a shape as NumPy prints it: (2, 3), (3,), or () for a scalar."""
    return str(tuple(shape))


def format_array(array: np.ndarray, precision: int) -> list[str] | None:
    """Format an array's values as lines, or return None when it is too large to show.

    A scalar is one number; a vector one line `[1, 2, 3]`; a matrix one line per row.
    """
    if array.ndim == 0:
        return [format_number(array, precision)]
    if array.size > MAX_SHOWN_ELEMENTS or array.ndim > 2:
        return None
    if array.ndim == 1:
        return [_format_row(array, precision)]
    rows = [_format_row(row, precision) for row in array]
    return ["[" + rows[0], *[" " + row for row in rows[1:-1]], " " + rows[-1] + "]"] if len(rows) > 1 else [
        "[" + rows[0] + "]"
    ]


def _format_row(row: np.ndarray, precision: int) -> str:
    return "[" + ", ".join(format_number(x, precision) for x in row) + "]"
