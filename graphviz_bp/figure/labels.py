"""Number and array formatting for figure labels."""

from __future__ import annotations

import numpy as np

MINUS = "−"
# Arrays with at most this many elements show their values; larger ones only their shape.
MAX_SHOWN_ELEMENTS = 6


def format_number(x: float, precision: int) -> str:
    """Format with `precision` significant digits and a true minus sign: 2.2, 220, −0.3875.

    Numbers from 1e−4 up to 1e6 are written out (220 with 2 digits, not 2.2e+02); others
    in scientific notation (1e−09).
    """
    value = float(x)
    if value == 0 or 1e-4 <= abs(value) < 1e6:
        text = np.format_float_positional(value, precision=precision, unique=False, fractional=False, trim="-")
    else:
        text = f"{value:.{precision}g}"
    if text == "-0":
        text = "0"
    return text.replace("-", MINUS)


def format_shape(shape: tuple[int, ...]) -> str:
    """Format a shape as NumPy prints it: (2, 3), (3,), or () for a scalar."""
    return str(tuple(shape))


def format_array(array: np.ndarray, precision: int, max_elements: int = MAX_SHOWN_ELEMENTS) -> list[str] | None:
    """Format an array's values as lines, or return None when it has more than `max_elements`.

    A scalar is one number; a vector one line `[1, 2, 3]`; a matrix one line per row.
    """
    if array.ndim == 0:
        return [format_number(array, precision)]
    if array.size > max_elements or array.ndim > 2:
        return None
    if array.ndim == 1:
        return [_format_row(array, precision)]
    rows = [_format_row(row, precision) for row in array]
    return ["[" + rows[0], *[" " + row for row in rows[1:-1]], " " + rows[-1] + "]"] if len(rows) > 1 else [
        "[" + rows[0] + "]"
    ]


def _format_row(row: np.ndarray, precision: int) -> str:
    return "[" + ", ".join(format_number(x, precision) for x in row) + "]"
