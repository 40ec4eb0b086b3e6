"""The library calls behind `graphviz_bp.to_dot` and `graphviz_bp.render`, and notebook display.

Rendering modules are imported inside the functions: they pull in the graphviz package, and
symbolic labels pull in sympy, which `import graphviz_bp` should not pay for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphviz_bp.errors import SpecError

if TYPE_CHECKING:
    from graphviz_bp.dsl import Network
    from graphviz_bp.engine import Trace
    from graphviz_bp.graph import Graph

FORMATS = ("svg", "png", "pdf", "dot", "html")


def to_dot(
    item: Trace | Graph | Network,
    *,
    labels: str = "both",
    forward_only: bool = False,
    rankdir: str = "LR",
    precision: int = 4,
    theme: str = "book",
    transparent: bool = False,
) -> str:
    """Return the DOT text of the figure, as `graphviz-bp render -f dot` writes it.

    `item` is a Trace, or a Graph or Network, which is run first. The options mean what
    the CLI options of the same names mean.
    """
    from graphviz_bp.figure import RenderOptions, to_dot_source

    options = RenderOptions(labels=labels, forward_only=forward_only, rankdir=rankdir, precision=precision,
                            theme=theme, transparent=transparent)
    return to_dot_source(trace_of(item), options)


def render(
    item: Trace | Graph | Network,
    path: str | Path,
    format: str | None = None,  # noqa: A002 - the CLI's option name
    *,
    labels: str = "both",
    forward_only: bool = False,
    rankdir: str = "LR",
    precision: int = 4,
    theme: str = "book",
    transparent: bool = False,
) -> Path:
    """Draw the figure and write it to `path` atomically; return the path.

    `format` is svg, png, pdf, dot or html (the step viewer), by default taken from the
    suffix of `path`. Raises SpecError for an unknown format, RenderError when a format
    other than dot is requested and no Graphviz is available, and OSError when the file
    cannot be written.
    """
    from graphviz_bp.figure import RenderOptions, render_bytes
    from graphviz_bp.output import write_atomic

    path = Path(path)
    fmt = _format_of(path, format)
    trace = trace_of(item)
    source = trace.graph.source_path
    if source is not None and path.exists() and path.resolve() == source:
        raise SpecError(f"the output {path} is the spec itself", hint="choose another output path")
    options = RenderOptions(labels=labels, forward_only=forward_only, rankdir=rankdir, precision=precision,
                            theme=theme, transparent=transparent)
    return write_atomic(path, render_bytes(trace, fmt, options))


def trace_of(item: Any) -> Trace:
    """Return `item` if it is a Trace, else run the Graph (or the built Network) and return its Trace."""
    from graphviz_bp.dsl import Network
    from graphviz_bp.engine import Trace, run
    from graphviz_bp.graph import Graph

    if isinstance(item, Trace):
        return item
    if isinstance(item, Network):
        item = item.build()
    if isinstance(item, Graph):
        return run(item)
    raise SpecError(
        f"expected a Trace, Graph or Network, got {type(item).__name__}",
        hint="load a spec with graphviz_bp.load, or build one with graphviz_bp.Network",
    )


def notebook_svg(item: Trace | Graph) -> str | None:
    """Return the figure as an SVG element for Jupyter, or None when no Graphviz is available.

    Returning None makes IPython fall back to the text repr instead of printing an error.
    """
    from graphviz_bp.figure import find_backend, render_bytes

    if find_backend() is None:
        return None
    svg = render_bytes(trace_of(item), "svg").decode("utf-8")
    # Drop the XML declaration and DOCTYPE: the SVG is embedded in an HTML page.
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _format_of(path: Path, fmt: str | None) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if fmt is None:
        if suffix not in FORMATS:
            raise SpecError(
                f"cannot tell the format from the suffix of {path}",
                hint=f"use a suffix from: {', '.join(FORMATS)}, or pass format=",
            )
        fmt = suffix
    if fmt not in FORMATS:
        raise SpecError(f"unknown format {fmt!r} for {path}", hint=f"use one of: {', '.join(FORMATS)}")
    if suffix in FORMATS and suffix != fmt:
        raise SpecError(
            f"the format {fmt!r} conflicts with the suffix of {path}",
            hint="give one of them, or make them agree",
        )
    return fmt
