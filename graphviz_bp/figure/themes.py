"""Colors and fonts of the figures."""

from __future__ import annotations

from dataclasses import dataclass

from graphviz_bp.errors import SpecError


@dataclass(frozen=True)
class Theme:
    """Colors (Graphviz color names or #rrggbb) and the font of a figure."""

    name: str
    forward: str
    backward: str
    shape: str
    background: str
    node_fill: str
    node_line: str
    # Fill of the active node in step frames.
    highlight: str
    # Gradients are also set in italics where color alone cannot tell them apart (print).
    backward_italic: bool = False
    font: str = "DejaVu Sans"


THEMES = {
    # The textbook's convention: forward values in black, gradients in red.
    "book": Theme("book", forward="black", backward="#d62728", shape="#7f7f7f", background="white",
                  node_fill="white", node_line="black", highlight="#ffe08a"),
    "dark": Theme("dark", forward="#e8e8e8", backward="#ff7f50", shape="#a0a0a0", background="#1e1e1e",
                  node_fill="#2d2d2d", node_line="#e8e8e8", highlight="#7a5c00"),
    # For black-and-white print: gradients in dark gray italics.
    "mono": Theme("mono", forward="black", backward="#404040", shape="#606060", background="white",
                  node_fill="white", node_line="black", highlight="#d0d0d0", backward_italic=True),
}


def get_theme(name: str) -> Theme:
    """Return the theme `name`, or raise SpecError listing the valid names."""
    try:
        return THEMES[name]
    except KeyError:
        raise SpecError(f"unknown theme {name!r}", hint=f"use one of: {', '.join(THEMES)}") from None
