"""The HTML step viewer: one self-contained page that steps through both passes.

The page contains one inline SVG per step (the figure after that step, as `--steps` draws
it) and a final frame with the finished passes. A small inline script shows one frame at a
time. The page loads nothing: no fonts, stylesheets or scripts from elsewhere, and its
Content-Security-Policy blocks every request.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import json
import re
from dataclasses import dataclass

import numpy as np

from graphviz_bp.engine import Trace
from graphviz_bp.figure.backends import Backend, RenderError, find_backend
from graphviz_bp.figure.dot import RenderOptions, to_dot_source
from graphviz_bp.figure.labels import format_number
from graphviz_bp.figure.themes import get_theme
from graphviz_bp.step.state import Line, StepState, Walkthrough, format_matrix

# The phase of the last frame, which shows both passes finished.
FINAL_PHASE = "all"

# Graphviz's SVG starts with an XML declaration, a DOCTYPE and comments, none of which belong
# inside HTML. Comments are dropped too because Graphviz writes node names into them.
_SVG_START = re.compile(r"<svg\b")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
# An id attribute inside a tag. Graphviz writes < in text as &lt; and " in attribute values
# as &quot;, so a match always starts at a real tag and never inside a value.
_ID_ATTRIBUTE = re.compile(r'(<[A-Za-z][^<>]*?\s)id="([^"]*)"')
_LOCAL_REFERENCE = re.compile(r'(\s(?:xlink:)?href=")#([^"]*)"')


@dataclass(frozen=True)
class Frame:
    """One frame of the viewer: the figure and caption after step `position`, or the final frame."""

    phase: str
    node: str | None
    status: str
    caption: str
    svg: str


def html_viewer(trace: Trace, options: RenderOptions | None = None, backend: Backend | None = None) -> str:
    """Build the step viewer of `trace` as one HTML document.

    There is one frame per step of `trace.steps`, then the finished figure. `options.step`
    is ignored. The output depends only on the trace, the options and the Graphviz version.
    Raises RenderError when `backend` is None and no Graphviz is available.
    """
    # Imported here because sympy takes about a quarter of a second to import.
    from graphviz_bp.annotations import annotations_for

    options = options or RenderOptions()
    backend = backend or find_backend()
    if backend is None:
        raise RenderError("no Graphviz is available to draw the step viewer")
    notes = annotations_for(trace.graph, max_length=options.max_label_length)
    walk = Walkthrough(trace, notes, precision=options.precision)

    frames = []
    state = StepState(walk)
    for position in range(len(walk)):
        state = state.go(position)
        svg = _svg(backend, trace, dataclasses.replace(options, step=position), f"f{position + 1}-")
        frames.append(_step_frame(state, svg))
    final_svg = _svg(backend, trace, dataclasses.replace(options, step=None), f"f{len(walk) + 1}-")
    frames.append(_final_frame(walk, final_svg))
    return _page(trace, options, frames)


def _svg(backend: Backend, trace: Trace, options: RenderOptions, id_prefix: str) -> str:
    """Draw one frame as SVG markup for inline use, with its ids prefixed to keep them unique."""
    text = backend.render(to_dot_source(trace, options), "svg").decode("utf-8")
    start = _SVG_START.search(text)
    if start is None:
        raise RenderError("Graphviz returned no <svg> element")
    text = _COMMENT.sub("", text[start.start() :])
    text = _ID_ATTRIBUTE.sub(lambda match: f'{match[1]}id="{id_prefix}{match[2]}"', text)
    text = _LOCAL_REFERENCE.sub(lambda match: f'{match[1]}#{id_prefix}{match[2]}"', text)
    return "\n".join(line for line in text.splitlines() if line.strip())


def _step_frame(state: StepState, svg: str) -> Frame:
    walk = state.walk
    step = state.step
    title = state.title()
    label = walk.label(step.node)
    if label != walk.op_label(step.node):
        title += f" — {label}"
    caption = _caption(title, state.progress(), state.detail())
    return Frame(step.phase, step.node, state.progress(), caption, svg)


def _final_frame(walk: Walkthrough, svg: str) -> Frame:
    trace = walk.trace
    output = walk.graph.output
    lines: list[Line] = _equation(walk.label(output), trace.values[output], "forward", walk.precision)
    differentiable = [value for value in walk.graph.inputs if trace.grads[value.name] is not None]
    if differentiable:
        lines.append((("Gradients of the inputs:", "note"),))
    for value in differentiable:
        lines += _equation(walk.grad_label(value.name), trace.grads[value.name], "backward", walk.precision)
    count = len(walk)
    status = f"All {count} steps · finished passes" if count else "No steps · the graph has no operations"
    return Frame(FINAL_PHASE, None, status, _caption("Forward and backward passes finished", status, lines), svg)


def _equation(name: str, array: np.ndarray, role: str, precision: int) -> list[Line]:
    """`name = number` for a scalar, else `name =` followed by the array's rows."""
    if array.ndim == 0:
        return [((name, role), (" = ", "plain"), (format_number(array, precision), role))]
    return [((name, role), (" =", "plain")), *[((f"    {row}", role),) for row in format_matrix(array, precision)]]


def _caption(title: str, status: str, lines: list[Line]) -> str:
    body = "".join(
        '<div class="line">' + "".join(f'<span class="{role}">{html.escape(text)}</span>' for text, role in line)
        + "</div>"
        for line in lines
    )
    return (
        f'<p class="status">{html.escape(status)}</p>'
        f'<h2 class="title">{html.escape(title)}</h2>'
        f'<div class="detail">{body}</div>'
    )


def _page(trace: Trace, options: RenderOptions, frames: list[Frame]) -> str:
    theme = get_theme(options.theme)
    graph = trace.graph
    background = "transparent" if options.transparent else theme.background
    style = _STYLE.format(background=background, forward=theme.forward, backward=theme.backward,
                          note=theme.shape, highlight=theme.highlight)

    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    policy = f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{script_hash}'"

    data = {
        "name": graph.name,
        "frames": [{"phase": frame.phase, "node": frame.node, "status": frame.status} for frame in frames],
    }
    sections = [_section(index, frame) for index, frame in enumerate(frames)]
    description = f'<p class="description">{html.escape(graph.description)}</p>\n' if graph.description else ""

    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(graph.name)}: backpropagation step by step</title>\n"
        f"<style>{style}</style>\n"
        # Without scripts, every frame is shown, one below the other.
        "<noscript><style>.frame[hidden] { display: block; } .controls { display: none; }</style></noscript>\n"
        "</head>\n<body>\n"
        f"<header>\n<h1>{html.escape(graph.name)}</h1>\n{description}</header>\n"
        '<nav class="controls" aria-label="steps">\n'
        '<button type="button" id="first" title="First step (Home)">First</button>\n'
        '<button type="button" id="back" title="Previous step (Left arrow)">Back</button>\n'
        '<button type="button" id="next" title="Next step (Right arrow)">Next</button>\n'
        '<button type="button" id="last" title="Finished passes (End)">All</button>\n'
        f'<input type="range" id="slider" min="0" max="{len(frames) - 1}" value="0" step="1" aria-label="step">\n'
        "</nav>\n<main>\n" + "\n".join(sections) + "\n</main>\n"
        f'<script type="application/json" id="viewer-data">{_json_for_script(data)}</script>\n'
        f"<script>{_SCRIPT}</script>\n"
        "</body>\n</html>\n"
    )


def _section(index: int, frame: Frame) -> str:
    """Write one frame as a <section>. Only the first is visible before the script runs."""
    hidden = "" if index == 0 else " hidden"
    node = "" if frame.node is None else f' data-node="{html.escape(frame.node)}"'
    return (
        f'<section class="frame" id="frame-{index + 1}" data-phase="{frame.phase}"{node}'
        f' aria-label="{html.escape(frame.status)}"{hidden}>\n'
        f'<div class="figure">\n{frame.svg}\n</div>\n'
        f'<div class="caption">{frame.caption}</div>\n</section>'
    )


def _json_for_script(data: object) -> str:
    """Serialize `data` as JSON that cannot end its <script> element or open a comment."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_STYLE = """
body {{ margin: 0; padding: 1rem 1.5rem; background: {background}; color: {forward};
  font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; }}
h1 {{ font-size: 1.4rem; margin: 0 0 0.25rem; }}
.description {{ margin: 0 0 0.75rem; color: {note}; }}
.controls {{ display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem; margin-bottom: 0.75rem; }}
.controls button {{ font: inherit; padding: 0.25rem 0.9rem; }}
.controls input[type=range] {{ flex: 1 1 12rem; min-width: 8rem; max-width: 40rem; }}
.frame[hidden] {{ display: none; }}
.figure {{ overflow-x: auto; }}
.figure svg {{ display: block; max-width: 100%; height: auto; }}
.caption {{ margin-top: 0.75rem; padding: 0.5rem 0.75rem; border-left: 4px solid {highlight}; }}
.status {{ margin: 0; color: {note}; font-size: 0.9rem; }}
.title {{ margin: 0.2rem 0 0.4rem; font-size: 1.1rem; }}
.detail {{ font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; white-space: pre; overflow-x: auto; }}
.forward {{ color: {forward}; }}
.backward {{ color: {backward}; }}
.note {{ color: {note}; }}
"""

# Keys act on the whole page unless a modifier is held. On the slider they replace the slider's
# own key handling, so that one key press moves exactly one frame.
_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("viewer-data").textContent);
  var frames = document.querySelectorAll("main > .frame");
  var slider = document.getElementById("slider");
  var buttons = {
    first: document.getElementById("first"),
    back: document.getElementById("back"),
    next: document.getElementById("next"),
    last: document.getElementById("last")
  };
  var last = frames.length - 1;
  var current = 0;

  function show(index) {
    index = Math.max(0, Math.min(last, index));
    frames[current].hidden = true;
    frames[index].hidden = false;
    current = index;
    slider.value = String(index);
    slider.setAttribute("aria-valuetext", data.frames[index].status);
    buttons.first.disabled = buttons.back.disabled = index === 0;
    buttons.next.disabled = buttons.last.disabled = index === last;
  }

  buttons.first.addEventListener("click", function () { show(0); });
  buttons.back.addEventListener("click", function () { show(current - 1); });
  buttons.next.addEventListener("click", function () { show(current + 1); });
  buttons.last.addEventListener("click", function () { show(last); });
  slider.addEventListener("input", function () { show(Number(slider.value)); });

  var moves = {
    ArrowRight: function () { return current + 1; },
    ArrowDown: function () { return current + 1; },
    ArrowLeft: function () { return current - 1; },
    ArrowUp: function () { return current - 1; },
    Home: function () { return 0; },
    End: function () { return last; }
  };
  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || !Object.prototype.hasOwnProperty.call(moves, event.key)) {
      return;
    }
    event.preventDefault();
    show(moves[event.key]());
  });

  show(0);
})();
"""
