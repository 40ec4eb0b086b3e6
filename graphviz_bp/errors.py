"""The exceptions that graphviz-bp raises for problems in a user's network.

Every error carries what is wrong, the offending value, what is expected, where it is (a
`Location` in a spec file, or a node name) and, when the fix is obvious, a hint. The CLI prints
`str(error)` and exits 2; library callers can read the fields.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Location:
    """A position in a spec file: 1-based line and column, as editors show them."""

    path: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class GraphvizBPError(Exception):
    """Base class of every error caused by the user's network or options."""

    def __init__(
        self,
        message: str,
        *,
        location: Location | None = None,
        node: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.node = node
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class SpecError(GraphvizBPError, ValueError):
    """A spec that cannot be turned into a graph: bad syntax, unknown name or op, bad value."""


class GraphError(GraphvizBPError, ValueError):
    """A graph that is not a valid DAG: a cycle, a duplicate or undefined name, a missing output."""


class ShapeError(GraphvizBPError, ValueError):
    """Input shapes that an op cannot combine, such as a matmul whose inner sizes differ."""


class NonFiniteError(GraphvizBPError, ArithmeticError):
    """A pass produced inf or NaN; `node` names the first value where it appeared."""


class LimitError(GraphvizBPError, ValueError):
    """A spec or graph past a configured size limit, rejected before the work starts."""


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """Return a hint naming the closest of `choices` to a misspelt `word`, or None."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if matches:
        return f"did you mean {matches[0]!r}?"
    return None
