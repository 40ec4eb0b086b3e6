"""The `graphviz-bp` command line: parse options, call the library, print with rich.

Exit codes follow click: 0 on success, 2 for usage and spec errors, 1 for runtime failures
(a failed gradient check, a missing Graphviz, a file that cannot be written). Library
modules are imported inside the commands so that `graphviz-bp --help` starts quickly.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from graphviz_bp.graph import Graph

__version__ = "0.1.0"

SPEC = click.Path(exists=True, dir_okay=False, path_type=Path)
# Values of a graph to lay out at most by default: about 10 s in the compact layout, measured
# by extrapolating from 6,000 values in 2.0 s with the bundled Graphviz 14.1.5 on 2 cores.
DEFAULT_MAX_NODES = 20_000
# Arrays up to this size are printed whole in the `run` table; --json prints any size.
RUN_TABLE_MAX_ELEMENTS = 64
MAX_ELEMENTS_HELP = "Maximum number of elements of any input array; larger ones are rejected before allocation."


class UserError(click.ClickException):
    """A problem in the user's spec or options: printed without a traceback, exit code 2."""

    exit_code = 2


@contextlib.contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the library's errors into click errors with the right exit code."""
    from graphviz_bp.errors import GraphvizBPError
    from graphviz_bp.figure.backends import RenderError

    try:
        yield
    except GraphvizBPError as error:
        raise UserError(str(error)) from None
    except RenderError as error:
        raise click.ClickException(str(error)) from None


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from graphviz_bp.figure.backends import INSTALL_HINT, find_backend

    click.echo(f"graphviz-bp {__version__}")
    backend = find_backend()
    if backend is None:
        click.echo(f"rendering backend: none found; only --format dot works ({INSTALL_HINT})")
    else:
        click.echo(f"rendering backend: {backend.description}")
    ctx.exit()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the version and the rendering backend, then exit.")
def main() -> None:
    """Draw backpropagation: build a computational graph from a spec, run the forward and
    backward passes, and render every value and gradient on the figure's edges."""


def _load(spec: Path, max_elements: int, graph: str | None = None, expand: str | None = None) -> Graph:
    """Load SPEC and expand the composite nodes that `expand` names or the spec marks."""
    from graphviz_bp.expand import expand as expand_composites
    from graphviz_bp.spec import load

    names = [name.strip() for name in (expand or "").split(",") if name.strip()]
    return expand_composites(load(spec, max_elements=max_elements, graph=graph), names)


def _expand_option(function: Any) -> Any:
    return click.option("--expand", metavar="NAMES",
                        help="Draw these nodes (comma-separated node names, or 'all') as primitive ops; only nodes"
                             " of the composite ops sigmoid, affine and softmax_with_loss can expand.")(function)


def _graph_option(function: Any) -> Any:
    return click.option("--graph", "graph", metavar="NAME",
                        help="The graph to use when a .py spec defines several: its variable or graph name.")(function)


def _max_elements_option(function: Any) -> Any:
    from graphviz_bp.limits import DEFAULT_MAX_ELEMENTS

    return click.option("--max-elements", type=click.IntRange(min=1), default=DEFAULT_MAX_ELEMENTS,
                        show_default=True, help=MAX_ELEMENTS_HELP)(function)


@main.command()
@click.argument("spec", type=SPEC)
@click.option("-o", "--output", "output", type=click.Path(path_type=Path),
              help="File to write; '-' writes to stdout. Default: the spec's path with the format's suffix.")
@click.option("-f", "--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot", "html"]),
              help="Output format; html is a page that steps through both passes."
                   " Default: from the output's suffix, else svg.")
@click.option("--labels", type=click.Choice(["symbolic", "numeric", "both", "shapes"]), default="both",
              show_default=True, help="What the edge labels show.")
@click.option("--forward-only", is_flag=True, help="Show forward values only, no gradients.")
@click.option("--rankdir", type=click.Choice(["LR", "TB"]), default="LR", show_default=True,
              help="Layout direction: left to right or top to bottom.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True,
              help="Significant digits of the numbers on the figure.")
@click.option("--theme", type=click.Choice(["book", "dark", "mono"]), default="book", show_default=True,
              help="Colors: book (black forward, red gradients), dark (slides), mono (print, gradients in italics).")
@click.option("--dpi", type=click.IntRange(min=1), default=None,
              help="Resolution of PNG output in dots per inch (Graphviz's default is 96).")
@click.option("--transparent", is_flag=True, help="Draw on a transparent background instead of the theme's.")
@click.option("--font", metavar="FAMILY", default=None,
              help="Font family of the figure, as fontconfig names it (default: DejaVu Sans, which has ∂, ·, −).")
@click.option("--steps", "steps_folder", type=click.Path(file_okay=False, path_type=Path),
              help="Write one figure per forward and backward step into this folder, instead of one figure.")
@click.option("--force", is_flag=True, help="With --steps: write the frames even if the folder contains other files.")
@click.option("--layout", type=click.Choice(["auto", "full", "compact"]), default="auto", show_default=True,
              help="full: values and gradients on the edges as in the textbook; compact: inside the nodes, without"
                   " formulas, several times faster on large graphs; auto: compact above 2,000 values.")
@click.option("--max-nodes", type=click.IntRange(min=1), default=DEFAULT_MAX_NODES, show_default=True,
              help="Maximum number of values (inputs, constants and op outputs) to lay out; larger graphs are"
                   " rejected before layout starts.")
@_max_elements_option
@_graph_option
@_expand_option
def render(spec: Path, output: Path | None, fmt: str | None, labels: str, forward_only: bool, rankdir: str,
           precision: int, theme: str, dpi: int | None, transparent: bool, font: str | None,
           steps_folder: Path | None, force: bool,
           layout: str, max_nodes: int, max_elements: int, graph: str | None, expand: str | None) -> None:
    """Render the computational graph of SPEC with values and gradients on every edge."""
    from graphviz_bp.engine import run as run_passes
    from graphviz_bp.figure import RenderOptions, find_backend, to_dot_source
    from graphviz_bp.figure.backends import INSTALL_HINT
    from graphviz_bp.output import write_atomic

    with reported_errors():
        options = RenderOptions(labels=labels, forward_only=forward_only, rankdir=rankdir, precision=precision,
                                theme=theme, transparent=transparent, layout=layout, font=font)

    if steps_folder is not None:
        if output is not None:
            raise click.UsageError("--steps writes a folder of frames; leave out -o/--output")
        if fmt == "html":
            raise click.UsageError("--steps writes one figure per step; for the HTML step viewer use -o FILE.html")
        _render_steps(spec, steps_folder, fmt or "svg", options, force, max_elements, max_nodes, graph, expand)
        return

    fmt = _output_format(output, fmt)
    target = output if output is not None else spec.with_suffix("." + fmt)
    _check_target(spec, target)

    with reported_errors():
        trace = run_passes(_load_figure_graph(spec, options, max_nodes, max_elements, graph, expand))
        source = to_dot_source(trace, options)
        if fmt == "dot":
            data = source.encode("utf-8")
        else:
            backend = find_backend()
            if backend is None:
                fallback = spec.with_suffix(".dot") if str(target) == "-" else target.with_suffix(".dot")
                _check_target(spec, fallback)
                _write(write_atomic, fallback, source.encode("utf-8"))
                raise click.ClickException(
                    f"no Graphviz found to draw {fmt.upper()}; wrote the DOT text to {fallback}."
                    f" To draw figures, {INSTALL_HINT}."
                )
            with _layout_status(len(trace.graph)):
                if fmt == "html":
                    from graphviz_bp.figure.html import html_viewer

                    data = html_viewer(trace, options, backend).encode("utf-8")
                else:
                    data = backend.render(source, fmt, dpi=dpi)

    if str(target) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _write(write_atomic, target, data)
    click.echo(str(target))


def _load_figure_graph(spec: Path, options: Any, max_nodes: int, max_elements: int, graph: str | None,
                       expand: str | None) -> Graph:
    """Load SPEC for a figure: reject it above `max_nodes` values, and print a notice when the layout is compact."""
    from graphviz_bp.errors import LimitError
    from graphviz_bp.figure.dot import COMPACT_THRESHOLD, resolve_layout

    loaded = _load(spec, max_elements, graph, expand)
    if len(loaded) > max_nodes:
        raise LimitError(
            f"the graph has {len(loaded):,} values, more than the --max-nodes limit of {max_nodes:,}",
            hint="raise --max-nodes if the layout may take minutes, or draw a smaller network",
        )
    if options.layout == "auto" and resolve_layout(len(loaded), options) == "compact":
        click.echo(
            f"graphviz-bp: {len(loaded):,} values is more than {COMPACT_THRESHOLD:,}, so each value and gradient"
            " is drawn inside its node (compact layout); --layout full puts them on the edges, more slowly.",
            err=True,
        )
    return loaded


@contextlib.contextmanager
def _layout_status(value_count: int) -> Iterator[None]:
    """Show a spinner on stderr while Graphviz lays out a large graph."""
    from graphviz_bp.figure.dot import COMPACT_THRESHOLD

    if value_count <= COMPACT_THRESHOLD // 2 or not sys.stderr.isatty():
        yield
        return
    from rich.console import Console

    with Console(stderr=True).status(f"laying out {value_count:,} values with Graphviz"):
        yield


def _render_steps(spec: Path, folder: Path, fmt: str, options: Any, force: bool, max_elements: int,
                  max_nodes: int, graph: str | None, expand: str | None) -> None:
    from rich.console import Console
    from rich.progress import Progress

    from graphviz_bp.engine import run as run_passes
    from graphviz_bp.figure import find_backend
    from graphviz_bp.figure.frames import write_step_frames

    with reported_errors():
        trace = run_passes(_load_figure_graph(spec, options, max_nodes, max_elements, graph, expand))
        with Progress(console=Console(stderr=True), transient=True) as progress:
            task = progress.add_task("rendering step frames", total=len(trace.steps))
            try:
                paths = write_step_frames(trace, folder, fmt, options, find_backend(), force=force,
                                          progress=lambda done, _total: progress.update(task, completed=done))
            except OSError as error:
                reason = error.strerror or error
                raise click.ClickException(f"cannot write the frames into {folder}: {reason}") from None
    click.echo(f"{folder} ({len(paths)} frames: {paths[0].name} to {paths[-1].name})" if paths else str(folder))


def _output_format(output: Path | None, fmt: str | None) -> str:
    suffix_format = None
    if output is not None and str(output) != "-":
        suffix_format = output.suffix.lower().lstrip(".") or None
        if suffix_format not in (None, "svg", "png", "pdf", "dot", "html"):
            if fmt is None:
                raise click.UsageError(
                    f"cannot tell the format from the suffix of {output}: use .svg, .png, .pdf, .dot or .html,"
                    " or pass --format"
                )
            suffix_format = None
    if fmt and suffix_format and fmt != suffix_format:
        raise click.UsageError(f"--format {fmt} conflicts with the suffix of {output}; give one or make them agree")
    return fmt or suffix_format or "svg"


def _check_target(spec: Path, target: Path) -> None:
    if str(target) == "-":
        return
    if target.exists() and target.resolve() == spec.resolve():
        raise click.UsageError(f"the output {target} is the spec itself; choose another output path")
    if target.is_dir():
        raise click.UsageError(f"the output {target} is a folder; give a file name such as {target / 'figure.svg'}")
    if not target.parent.exists():
        raise click.UsageError(f"the output folder {target.parent} does not exist; create it first")


def _write(write_atomic: Any, path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror or error}") from None


@main.command(name="run")
@click.argument("spec", type=SPEC)
@click.option("--json", "as_json", is_flag=True, help="Print values and gradients as JSON.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True,
              help="Significant digits in the table (JSON keeps full precision).")
@_max_elements_option
@_graph_option
@_expand_option
def run_command(spec: Path, as_json: bool, precision: int, max_elements: int, graph: str | None,
                expand: str | None) -> None:
    """Run the forward and backward passes of SPEC and print every named value and gradient."""
    from graphviz_bp.engine import run as run_passes

    with reported_errors():
        trace = run_passes(_load(spec, max_elements, graph, expand))
    # Every value the user named, a named constant (`y: 5`) included; generated ones are left out.
    named = [v for v in trace.graph.values.values() if v.named]

    if as_json:
        document = {
            "output": trace.graph.output,
            "values": {
                v.name: {
                    "shape": list(v.shape),
                    "value": trace.values[v.name].tolist(),
                    "grad": None if trace.grads[v.name] is None else trace.grads[v.name].tolist(),
                }
                for v in named
            },
        }
        click.echo(json.dumps(document, ensure_ascii=False))
        return

    from rich.console import Console
    from rich.table import Table

    from graphviz_bp.figure.labels import format_array

    def cell(array: Any) -> str:
        if array is None:
            return "—"
        lines = format_array(array, precision, max_elements=RUN_TABLE_MAX_ELEMENTS)
        return "\n".join(lines) if lines else f"shape {array.shape}; see --json"

    table = Table(title=f"{trace.graph.name}: output {trace.graph.output}")
    for column in ("name", "kind", "shape", "value", "gradient ∂L/∂name"):
        table.add_column(column)
    for v in named:
        table.add_row(v.name, v.kind, str(v.shape), cell(trace.values[v.name]), cell(trace.grads[v.name]))
    Console().print(table)


@main.command()
@click.argument("spec", type=SPEC)
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=1e-5, show_default=True,
              help="Tolerance: an element passes when |backprop − numerical| ≤ tol·(1 + |numerical|).")
@_max_elements_option
@_graph_option
@_expand_option
def check(spec: Path, tol: float, max_elements: int, graph: str | None, expand: str | None) -> None:
    """Compare backprop gradients of SPEC with central differences; exit 1 on a mismatch."""
    from rich.console import Console
    from rich.table import Table

    from graphviz_bp.gradcheck import check_gradients

    with reported_errors():
        report = check_gradients(_load(spec, max_elements, graph, expand), tolerance=tol)

    table = Table(title=f"gradient check of {spec} (tolerance {tol:g})")
    for column in ("input", "elements", "checked", "kinks", "max abs error", "max rel error", "result"):
        table.add_column(column)
    for item in report.inputs:
        result = "[green]ok[/]" if item.passed else "[red bold]FAIL[/]"
        table.add_row(item.name, str(item.elements), str(item.checked), str(item.kinks),
                      f"{item.max_abs_error:.2e}", f"{item.max_rel_error:.2e}", result)
    console = Console()
    console.print(table)
    if any(item.kinks for item in report.inputs):
        console.print("kinks: points where the left and right slopes differ (such as ReLU at 0) are not compared.")
    if not report.inputs:
        console.print("no input has a gradient to check (every input has grad: false)")
    if not report.passed:
        raise click.exceptions.Exit(1)


@main.command()
def ops() -> None:
    """List the operations that specs can use, with their symbols and derivatives."""
    from rich.console import Console
    from rich.table import Table

    from graphviz_bp.ops import REGISTRY

    table = Table(title="operations")
    for column in ("name", "symbol", "arity", "parameters"):
        table.add_column(column, no_wrap=True)
    table.add_column("local derivative")
    for op in REGISTRY.values():
        parameters = ", ".join(f"{k}={v}" for k, v in op.params.items()) or "—"
        table.add_row(op.name, op.symbol, str(op.arity), parameters, op.derivative)
    Console().print(table)


@main.command()
@click.argument("spec", type=SPEC)
@click.option("--transcript", is_flag=True,
              help="Print every step as text instead of the full-screen view"
                   " (the default when stdout is not a terminal).")
@click.option("--color", is_flag=True, help="Color the transcript with ANSI escape codes.")
@click.option("--play", type=click.FloatRange(min=0.05), metavar="SECONDS",
              help="Advance one step every SECONDS seconds; the keys still work.")
@click.option("--list-view", is_flag=True, help="Start with the list of operations instead of the graph drawing.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True,
              help="Significant digits of the numbers.")
@_max_elements_option
@_graph_option
@_expand_option
def step(spec: Path, transcript: bool, color: bool, play: float | None, list_view: bool, precision: int,
         max_elements: int, graph: str | None, expand: str | None) -> None:
    """Step through the forward and backward passes of SPEC in the terminal, one node at a time."""
    from graphviz_bp.annotations import annotations_for
    from graphviz_bp.engine import run as run_passes
    from graphviz_bp.step.app import run_step
    from graphviz_bp.step.state import Walkthrough

    with reported_errors():
        trace = run_passes(_load(spec, max_elements, graph, expand))
        walk = Walkthrough(trace, annotations_for(trace.graph), precision=precision)
        run_step(walk, transcript=transcript, color=color, play=play, list_view=list_view)
