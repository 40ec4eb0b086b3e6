"""Default limits, in a module without imports so that the CLI can show them in --help cheaply."""

# 10 million float64 elements are 80 MB, which fits easily in a laptop's memory. Larger
# inputs are almost always a typo in a shape.
DEFAULT_MAX_ELEMENTS = 10_000_000

# Printed formulas longer than this many characters are replaced by a name (see symbolic.py).
DEFAULT_MAX_LABEL_LENGTH = 24
