"""Expand composite ops into their primitive subgraphs.

The sigmoid can be drawn as one σ node or as ×(−1) → exp → + → /, the Affine layer as one
node or as dot then + with broadcasting, Softmax-with-Loss as one node or as softmax then
cross_entropy. Each composite op states its expansion as an expression (`Op.expansion`),
which the spec's expression parser turns into values, so an expanded sigmoid is the same
graph as a spec that writes `1 / (1 + exp(-x))` by hand.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

from graphviz_bp.errors import Location, SpecError, did_you_mean
from graphviz_bp.graph import Graph, Value
from graphviz_bp.ops import REGISTRY
from graphviz_bp.spec.expressions import GENERATED_SEPARATOR, parse_expression

ALL = "all"


def expandable_nodes(graph: Graph) -> list[str]:
    """Names of the nodes whose op has an expansion, in topological order."""
    return [v.name for v in graph.nodes if REGISTRY[v.op or ""].expansion is not None]


def expand(graph: Graph, names: Iterable[str] = ()) -> Graph:
    """Return `graph` with the named composite nodes (or all, for "all") expanded.

    Nodes whose spec sets `expand: true` are expanded too. Values keep their names: the
    expanded node's last primitive op takes the composite's name, so values and gradients at
    the composite's boundary can be compared one to one. Raises SpecError for a name that is
    not a composite node, listing the valid names.
    """
    requested = set(names)
    candidates = expandable_nodes(graph)
    if ALL in requested:
        requested = set(candidates)
    for name in sorted(requested - set(candidates)):
        valid = ", ".join(candidates) or "none in this graph"
        if name in graph.values:
            op = graph[name].op or graph[name].kind
            message = f"cannot expand {name!r}: its op {op!r} has no primitive form"
        else:
            message = f"cannot expand {name!r}: no node has that name"
        raise SpecError(message, hint=did_you_mean(name, candidates) or f"expandable nodes: {valid}")

    targets = {name for name in candidates if name in requested or graph[name].expand}
    if not targets:
        return graph

    values: list[Value] = []
    for value in graph.values.values():
        if value.name in targets:
            values.extend(_expanded(graph, value))
        else:
            values.append(value)
    return Graph(values, graph.output, name=graph.name, description=graph.description, seed=graph.seed)


def _expanded(graph: Graph, value: Value) -> list[Value]:
    template, parameters = REGISTRY[value.op or ""].expansion
    # The template's input names are replaced after parsing, because the real inputs may be
    # generated names (y#3) or text that is not a Python identifier.
    placeholders = {f"_arg{i}": source for i, source in enumerate(value.inputs)}
    text = template
    for index, parameter in enumerate(parameters):
        text = re.sub(rf"\b{re.escape(parameter)}\b", f"_arg{index}", text)

    used_indices = [
        int(name.rsplit(GENERATED_SEPARATOR, 1)[1])
        for name in graph.values
        if name.startswith(value.name + GENERATED_SEPARATOR) and name.rsplit(GENERATED_SEPARATOR, 1)[1].isdigit()
    ]
    first_index = max(used_indices, default=0) + 1
    def locate(line: int, column: int) -> Location | None:
        return value.location

    parsed = parse_expression(text, value.name, placeholders, locate, first_index=first_index)
    result = []
    for part in parsed.values:
        inputs = tuple(placeholders.get(source, source) for source in part.inputs)
        named = value.named if part.name == value.name else False
        result.append(dataclasses.replace(part, inputs=inputs, named=named, location=value.location))
    return result
