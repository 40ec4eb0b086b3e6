"""Front ends that turn a spec file into a Graph."""

from __future__ import annotations

from pathlib import Path

from graphviz_bp.errors import LimitError, SpecError
from graphviz_bp.graph import Graph
from graphviz_bp.spec.arrays import DEFAULT_MAX_ELEMENTS, check_element_count
from graphviz_bp.spec.yaml_spec import load_yaml

YAML_SUFFIXES = (".yaml", ".yml")
PYTHON_SUFFIXES = (".py",)


def load(path: str | Path, *, max_elements: int = DEFAULT_MAX_ELEMENTS, graph: str | None = None) -> Graph:
    """Load the spec file at `path` into a Graph; the suffix selects the front end.

    A .py spec is run (its code executes) and `graph` picks one of the graphs it defines at
    module level, by variable or graph name. A YAML spec defines one graph, which `graph`,
    when given, must name.
    """
    path = Path(path)
    if path.suffix.lower() in YAML_SUFFIXES:
        loaded = load_yaml(path, max_elements=max_elements)
        if graph is not None and graph != loaded.name:
            raise SpecError(
                f"{path} defines no graph {graph!r}; its graph is {loaded.name!r}",
                hint="a YAML spec holds one graph: leave out the graph choice, or give its name",
            )
    elif path.suffix.lower() in PYTHON_SUFFIXES:
        from graphviz_bp.spec.python_spec import load_python

        loaded = load_python(path, graph=graph, max_elements=max_elements)
    else:
        raise SpecError(
            f"cannot load {path}: unknown spec suffix {path.suffix!r}",
            hint="spec files end in .yaml, .yml or .py",
        )
    _check_node_sizes(loaded, max_elements)
    loaded.source_path = path.resolve()
    return loaded


def _check_node_sizes(graph: Graph, max_elements: int) -> None:
    """Apply the element limit to computed values too: x @ y of two vectors can be huge."""
    for value in graph.nodes:
        try:
            check_element_count(value.shape or (), max_elements, f"the value of node {value.name!r}")
        except LimitError as error:
            error.location = value.location
            error.node = value.name
            raise


__all__ = ["load", "load_yaml"]
