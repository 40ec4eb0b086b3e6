"""Front ends that turn a spec file into a Graph."""

from __future__ import annotations

from pathlib import Path

from graphviz_bp.errors import SpecError
from graphviz_bp.graph import Graph
from graphviz_bp.spec.arrays import DEFAULT_MAX_ELEMENTS
from graphviz_bp.spec.yaml_spec import load_yaml

YAML_SUFFIXES = (".yaml", ".yml")


def load(path: str | Path, *, max_elements: int = DEFAULT_MAX_ELEMENTS) -> Graph:
    """Load the spec file at `path` into a Graph; the suffix selects the front end."""
    path = Path(path)
    if path.suffix.lower() in YAML_SUFFIXES:
        return load_yaml(path, max_elements=max_elements)
    raise SpecError(
        f"cannot load {path}: unknown spec suffix {path.suffix!r}",
        hint="spec files end in .yaml or .yml",
    )


__all__ = ["load", "load_yaml"]
