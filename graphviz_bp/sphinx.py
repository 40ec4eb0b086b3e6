"""Sphinx extension: the ``graphviz-bp`` directive draws a spec file as a figure at build time.

Add ``"graphviz_bp.sphinx"`` to ``extensions`` in conf.py, then write::

    .. graphviz-bp:: ../samples/apple.yaml
       :labels: numeric
       :caption: Buying apples, forward and backward.

The spec path is relative to the document, or to the source folder when it starts with ``/``.
The options match those of ``graphviz-bp render``. Each figure is rendered once into the
``graphviz_bp`` folder inside the build's doctree folder, under a name derived from its DOT
text, and Sphinx copies it to the output's image folder (``_images`` for HTML). A document is
read again when its spec file changes.

A spec that cannot be loaded, run or drawn gives a warning of type ``graphviz_bp``, with the
spec's file:line:column when known, and the directive produces no figure.
``suppress_warnings = ["graphviz_bp"]`` silences them; ``sphinx-build -W`` makes them fatal.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

IMAGE_FORMATS = ("svg", "png")
# The folder, inside the build's doctree folder, that contains the rendered figures.
IMAGE_FOLDER = "graphviz_bp"
WARNING_TYPE = "graphviz_bp"


def _choice(*values: str) -> Any:
    """Return an option converter that accepts `values` in any letter case and returns the listed spelling."""
    by_lowercase = {value.lower(): value for value in values}

    def convert(argument: str | None) -> str:
        return by_lowercase[directives.choice(argument, list(by_lowercase))]

    return convert


def _precision(argument: str | None) -> int:
    value = directives.positive_int(argument)
    if value > 17:
        raise ValueError(f"precision {value} is out of range: use 1 to 17 significant digits")
    return value


class GraphvizBPDirective(SphinxDirective):
    """Render a graphviz-bp spec file into an image, or a figure when a caption is given."""

    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {
        "labels": _choice("symbolic", "numeric", "both", "shapes"),
        "forward-only": directives.flag,
        "rankdir": _choice("LR", "TB"),
        "precision": _precision,
        "theme": _choice("book", "dark", "mono"),
        "format": _choice(*IMAGE_FORMATS),
        "dpi": directives.positive_int,
        "transparent": directives.flag,
        "graph": directives.unchanged_required,
        "expand": directives.unchanged_required,
        "max-elements": directives.positive_int,
        "alt": directives.unchanged,
        "caption": directives.unchanged,
        "width": directives.length_or_percentage_or_unitless,
        "height": directives.length_or_unitless,
        "scale": directives.percentage,
        "align": _choice("left", "center", "right"),
        "class": directives.class_option,
        "name": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        relative_spec, absolute_spec = self.env.relfn2path(self.arguments[0], self.env.docname)
        # Noted before loading, so that fixing a broken or missing spec also rebuilds the page.
        self.env.note_dependency(absolute_spec)

        fmt = self.options.get("format", self.config.graphviz_bp_format)
        if fmt not in IMAGE_FORMATS:
            return self._warn(f"graphviz_bp_format {fmt!r} is invalid; use one of: {', '.join(IMAGE_FORMATS)}")
        if not os.path.isfile(absolute_spec):
            return self._warn(f"spec file not found: {relative_spec} (looked for {absolute_spec})")

        try:
            image_path, description = self._render(Path(absolute_spec), fmt)
        except _FigureError as error:
            return self._warn(str(error))

        return self._image_nodes(image_path, description)

    def _render(self, spec: Path, fmt: str) -> tuple[Path, str]:
        from graphviz_bp.engine import run
        from graphviz_bp.errors import GraphvizBPError
        from graphviz_bp.expand import expand
        from graphviz_bp.figure import RenderError, RenderOptions, find_backend, to_dot_source
        from graphviz_bp.figure.backends import INSTALL_HINT
        from graphviz_bp.output import write_atomic
        from graphviz_bp.spec import load
        from graphviz_bp.spec.arrays import DEFAULT_MAX_ELEMENTS

        dpi = self.options.get("dpi")
        try:
            options = RenderOptions(
                labels=self.options.get("labels", "both"),
                forward_only="forward-only" in self.options,
                rankdir=self.options.get("rankdir", "LR"),
                precision=self.options.get("precision", 4),
                theme=self.options.get("theme", "book"),
                transparent="transparent" in self.options,
            )
            graph = load(spec, max_elements=self.options.get("max-elements", DEFAULT_MAX_ELEMENTS),
                         graph=self.options.get("graph"))
            # As in `graphviz-bp render --expand`: the listed nodes, and those the spec marks.
            names = [name.strip() for name in self.options.get("expand", "").split(",") if name.strip()]
            graph = expand(graph, names)
            source = to_dot_source(run(graph), options)
        except GraphvizBPError as error:
            raise _FigureError(str(error)) from None

        try:
            backend = find_backend()
        except RenderError as error:
            raise _FigureError(str(error)) from None
        if backend is None:
            raise _FigureError(f"no Graphviz found to draw {spec.name}. To draw figures, {INSTALL_HINT}")

        # The name depends on everything that changes the image bytes, so an existing file with
        # this name is the figure itself and is not drawn again.
        digest = hashlib.sha256()
        for part in (source, fmt, str(dpi), backend.description):
            digest.update(part.encode("utf-8") + b"\0")
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", graph.name).strip("-") or "graph"
        folder = Path(self.env.doctreedir) / IMAGE_FOLDER
        image_path = folder / f"{stem}-{digest.hexdigest()[:16]}.{fmt}"
        if image_path.is_file():
            return image_path, graph.description

        try:
            data = backend.render(source, fmt, dpi=dpi)
        except RenderError as error:
            raise _FigureError(f"cannot draw {spec}: {error}") from None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomic(image_path, data)
        except OSError as error:
            raise _FigureError(f"cannot write {image_path}: {error.strerror or error}") from None
        return image_path, graph.description

    def _image_nodes(self, image_path: Path, description: str) -> list[nodes.Node]:
        document_folder = Path(self.env.doc2path(self.env.docname)).parent
        # Sphinx resolves an image URI against the document's folder, and a URI starting with
        # "/" against the source folder. So the build folder is reached by a relative path.
        # NOTE: on Windows, a build folder on another drive than the sources has no relative
        # path, and os.path.relpath raises ValueError.
        uri = Path(os.path.relpath(image_path, document_folder)).as_posix()

        image = nodes.image(uri=uri, alt=self.options.get("alt") or description or self.arguments[0])
        for key in ("width", "height", "scale"):
            if key in self.options:
                image[key] = self.options[key]
        self.set_source_info(image)

        caption_text = self.options.get("caption")
        if not caption_text:
            image["classes"] += self.options.get("class", [])
            if "align" in self.options:
                image["align"] = self.options["align"]
            self.add_name(image)
            return [image]

        figure = nodes.figure("", image)
        figure["classes"] += self.options.get("class", [])
        if "align" in self.options:
            figure["align"] = self.options["align"]
        self.set_source_info(figure)
        caption_nodes, messages = self.state.inline_text(caption_text, self.lineno)
        caption = nodes.caption(caption_text, "", *caption_nodes)
        self.set_source_info(caption)
        figure += caption
        self.add_name(figure)
        return [figure, *messages]

    def _warn(self, message: str) -> list[nodes.Node]:
        logger.warning("graphviz-bp: %s", message, location=self.get_location(), type=WARNING_TYPE, subtype="figure")
        return []


class _FigureError(Exception):
    """A spec that cannot become a figure; its message is shown as the build warning."""


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the ``graphviz-bp`` directive and the ``graphviz_bp_format`` setting."""
    from graphviz_bp.cli import __version__

    app.add_config_value("graphviz_bp_format", "svg", "env", types=[str])
    app.add_directive("graphviz-bp", GraphvizBPDirective)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
