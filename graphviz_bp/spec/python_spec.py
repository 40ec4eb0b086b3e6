"""Load a `.py` spec: run the file and collect the graphs it defines at module level.

Loading a .py spec runs its code with the user's permissions, unlike a YAML spec, which
can never run code. Only load .py specs that you trust.
"""

from __future__ import annotations

import contextlib
import os
import runpy
import sys
import traceback
from pathlib import Path
from types import TracebackType

from graphviz_bp.errors import GraphvizBPError, Location, SpecError, did_you_mean
from graphviz_bp.graph import Graph
from graphviz_bp.spec import arrays
from graphviz_bp.spec.yaml_spec import read_spec_text

# The module name a spec runs under, so that an `if __name__ == "__main__":` block is skipped.
RUN_NAME = "__graphviz_bp_spec__"
_PACKAGE_DIR = str(Path(__file__).resolve().parent.parent) + os.sep


def load_python(
    path: str | Path, *, graph: str | None = None, max_elements: int = arrays.DEFAULT_MAX_ELEMENTS
) -> Graph:
    """Run the .py spec at `path` and return the graph it defines, or the one called `graph`.

    `graph` is the module-level variable name, or the graph's own name. Raises SpecError
    when the file defines no graph, several graphs and no choice, or no graph of that
    name, and when its code raises; the message then carries the traceback of the spec's
    own frames.
    """
    graphs = collect_graphs(path, max_elements=max_elements)
    return choose_graph(graphs, graph, Path(path))


def collect_graphs(path: str | Path, *, max_elements: int = arrays.DEFAULT_MAX_ELEMENTS) -> dict[str, Graph]:
    """Run the .py spec at `path` and return {variable name: Graph} for its module-level graphs.

    Graph and Network objects count, and a Network is built. A graph bound to several
    names is listed once, under the first name.
    """
    from graphviz_bp.dsl import MAX_ELEMENTS, Network

    path = Path(path)
    read_spec_text(path)  # the same missing, unreadable and oversized checks as YAML specs
    folder = str(path.resolve().parent)
    # As `python spec.py` does, the spec's folder comes first, so it can import helpers next to it.
    sys.path.insert(0, folder)
    token = MAX_ELEMENTS.set(max_elements)
    try:
        # The spec's prints go to stderr, so that `run --json` and `render -o -` keep a clean stdout.
        with contextlib.redirect_stdout(sys.stderr):
            namespace = runpy.run_path(str(path), run_name=RUN_NAME)
    except GraphvizBPError as error:
        error.location = error.location or _innermost_location(error.__traceback__, path)
        raise
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # the spec's own code: any error it raises is the user's
        raise _user_code_error(error, path) from None
    finally:
        MAX_ELEMENTS.reset(token)
        if folder in sys.path:
            sys.path.remove(folder)

    graphs: dict[str, Graph] = {}
    seen: set[int] = set()
    for name, item in namespace.items():
        if name.startswith("_") or not isinstance(item, Graph | Network):
            continue
        try:
            built = item.build() if isinstance(item, Network) else item
        except GraphvizBPError as error:
            # Building happens here, after the spec ran, so only the spec file can be named.
            error.location = Location(str(path), 1, 1) if error.location is None or \
                not error.location.path.endswith(path.name) else error.location
            error.message = f"{error.message} (the network assigned to {name!r})"
            raise
        if id(built) not in seen:
            seen.add(id(built))
            graphs[name] = built
    if not graphs:
        raise SpecError(
            f"{path} defines no graph at module level",
            location=Location(str(path), 1, 1),
            hint="assign a graphviz_bp.Network or Graph to a module-level name, such as `net`",
        )
    return graphs


def choose_graph(graphs: dict[str, Graph], choice: str | None, path: Path) -> Graph:
    """Return the graph that `choice` names (a variable or graph name), or the only one."""
    listing = ", ".join(name if g.name == name else f"{name} (graph {g.name!r})" for name, g in graphs.items())
    if choice is None:
        if len(graphs) == 1:
            return next(iter(graphs.values()))
        raise SpecError(
            f"{path} defines {len(graphs)} graphs: {listing}",
            hint="choose one with --graph NAME (graph=NAME in Python)",
        )
    if choice in graphs:
        return graphs[choice]
    by_graph_name = [g for g in graphs.values() if g.name == choice]
    if len(by_graph_name) == 1:
        return by_graph_name[0]
    names = [*graphs, *(g.name for g in graphs.values())]
    raise SpecError(
        f"{path} defines no graph {choice!r}; its graphs: {listing}",
        hint=did_you_mean(choice, names) or "pass one of the names listed",
    )


def _user_frames(tb: TracebackType | None) -> traceback.StackSummary:
    frames = traceback.extract_tb(tb)
    kept = [frame for frame in frames if not _is_machinery(frame.filename)]
    return traceback.StackSummary.from_list(kept)


def _is_machinery(filename: str) -> bool:
    """Whether a frame belongs to graphviz_bp or runpy rather than to the spec's own code."""
    if filename in ("<frozen runpy>", runpy.__file__):
        return True
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


def _innermost_location(tb: TracebackType | None, path: Path) -> Location | None:
    frames = _user_frames(tb)
    if not frames:
        return None
    frame = frames[-1]
    column = (frame.colno or 0) + 1
    return Location(frame.filename, frame.lineno or 1, column)


def _user_code_error(error: BaseException, path: Path) -> SpecError:
    """Wrap an exception from the spec's code, keeping only the spec's own frames in its traceback."""
    lines = ["Traceback (most recent call last):\n", *_user_frames(error.__traceback__).format()]
    lines += traceback.format_exception_only(type(error), error)
    text = "".join(lines).rstrip()
    return SpecError(
        f"the Python spec {path} raised {type(error).__name__}:\n{text}",
        hint="loading a .py spec runs its code; fix the error above",
    )
