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
MAX_ELEMENTS_HELP = "Maximum number of elements of any input array; larger ones are rejected before allocation."


class UserError(click.ClickException):
    """A problem in the user's spec or options: printed without a traceback, exit code 2."""

    exit_code = 2


@contextlib.contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the library's errors into click errors with the right exit code."""
    from graphviz_bp.errors import GraphvizBPError
    from graphviz_bp.render.backends import RenderError

    try:
        yield
    except GraphvizBPError as error:
        raise UserError(str(error)) from None
    except RenderError as error:
        raise click.ClickException(str(error)) from None


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from graphviz_bp.render.backends import INSTALL_HINT, find_backend

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


def _load(spec: Path, max_elements: int) -> Graph:
    from graphviz_bp.spec import load

    return load(spec, max_elements=max_elements)


def _max_elements_option(function: Any) -> Any:
    from graphviz_bp.spec.arrays import DEFAULT_MAX_ELEMENTS

    return click.option("--max-elements", type=click.IntRange(min=1), default=DEFAULT_MAX_ELEMENTS,
                        show_default=True, help=MAX_ELEMENTS_HELP)(function)


@main.command()
@click.argument("spec", type=SPEC)
@click.option("-o", "--output", "output", type=click.Path(path_type=Path),
              help="File to write; '-' writes to stdout. Default: the spec's path with the format's suffix.")
@click.option("-f", "--format", "fmt", type=click.Choice(["svg", "png", "pdf", "dot"]),
              help="Output format. Default: from the output's suffix, else svg.")
@click.option("--labels", type=click.Choice(["symbolic", "numeric", "both", "shapes"]), default="both",
              show_default=True, help="What the edge labels show.")
@click.option("--forward-only", is_flag=True, help="Show forward values only, no gradients.")
@click.option("--rankdir", type=click.Choice(["LR", "TB"]), default="LR", show_default=True,
              help="Layout direction: left to right or top to bottom.")
@click.option("--precision", type=click.IntRange(1, 17), default=4, show_default=True,
              help="Significant digits of the numbers on the figure.")
@_max_elements_option
def render(spec: Path, output: Path | None, fmt: str | None, labels: str, forward_only: bool, rankdir: str,
           precision: int, max_elements: int) -> None:
    """Render the computational graph of SPEC with values and gradients on every edge."""
    from graphviz_bp.engine import run as run_passes
    from graphviz_bp.output import write_atomic
    from graphviz_bp.render import RenderOptions, find_backend, to_dot_source
    from graphviz_bp.render.backends import INSTALL_HINT

    fmt = _output_format(output, fmt)
    target = output if output is not None else spec.with_suffix("." + fmt)
    _check_target(spec, target)

    with reported_errors():
        options = RenderOptions(labels=labels, forward_only=forward_only, rankdir=rankdir, precision=precision)
        trace = run_passes(_load(spec, max_elements))
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
            data = backend.render(source, fmt)

    if str(target) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    _write(write_atomic, target, data)
    click.echo(str(target))


def _output_format(output: Path | None, fmt: str | None) -> str:
    suffix_format = None
    if output is not None and str(output) != "-":
        suffix_format = output.suffix.lower().lstrip(".") or None
        if suffix_format not in (None, "svg", "png", "pdf", "dot"):
            if fmt is None:
                raise click.UsageError(
                    f"cannot tell the format from the suffix of {output}: use .svg, .png, .pdf or .dot,"
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
def run_command(spec: Path, as_json: bool, precision: int, max_elements: int) -> None:
    """Run the forward and backward passes of SPEC and print every named value and gradient."""
    from graphviz_bp.engine import run as run_passes

    with reported_errors():
        trace = run_passes(_load(spec, max_elements))
    named = [v for v in trace.graph.values.values() if v.named and v.kind != "constant"]

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

    from graphviz_bp.render.labels import format_array

    def cell(array: Any) -> str:
        if array is None:
            return "—"
        lines = format_array(array, precision)
        return "\n".join(lines) if lines else f"shape {array.shape}"

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
def check(spec: Path, tol: float, max_elements: int) -> None:
    """Compare backprop gradients of SPEC with central differences; exit 1 on a mismatch."""
    from rich.console import Console
    from rich.table import Table

    from graphviz_bp.gradcheck import check_gradients

    with reported_errors():
        report = check_gradients(_load(spec, max_elements), tolerance=tol)

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
