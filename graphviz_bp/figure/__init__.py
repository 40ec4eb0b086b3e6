"""Figures: DOT building, label formatting, themes and the Graphviz backends."""

from __future__ import annotations

from graphviz_bp.engine import Trace
from graphviz_bp.figure.backends import FORMATS, Backend, RenderError, find_backend
from graphviz_bp.figure.dot import LABEL_MODES, RANKDIRS, RenderOptions, build_dot, to_dot_source

OUTPUT_FORMATS = ("svg", "png", "pdf", "dot", "html")


def render_bytes(
    trace: Trace, fmt: str, options: RenderOptions | None = None, *, backend: Backend | None = None
) -> bytes:
    """Return the figure of `trace` in `fmt`: svg, png, pdf, dot (the DOT text, UTF-8), or html
    (the step viewer of graphviz_bp.figure.html, UTF-8).

    Raises RenderError when `fmt` needs Graphviz and no backend is available.
    """
    source = to_dot_source(trace, options)
    if fmt == "dot":
        return source.encode("utf-8")
    backend = backend or find_backend()
    if backend is None:
        raise RenderError("no Graphviz is available to draw the figure")
    if fmt == "html":
        from graphviz_bp.figure.html import html_viewer

        return html_viewer(trace, options, backend).encode("utf-8")
    return backend.render(source, fmt)


__all__ = [
    "FORMATS",
    "LABEL_MODES",
    "OUTPUT_FORMATS",
    "RANKDIRS",
    "Backend",
    "RenderError",
    "RenderOptions",
    "build_dot",
    "find_backend",
    "render_bytes",
    "to_dot_source",
]
