"""Rendering benchmark: the tool's whole render path against bare Graphviz on the same DOT."""

from __future__ import annotations

import pygraphviz
from graphs import wide_graph
from harness import Result, compare_calls, format_seconds

from graphviz_bp import engine
from graphviz_bp.figure import RenderOptions, find_backend, to_dot_source


def bench_render(quick: bool) -> list[Result]:
    """Time graph → trace → DOT → SVG against pygraphviz drawing the finished DOT text.

    No `dot` program is required: when none is on PATH the tool uses the Graphviz library
    bundled in pygraphviz, the same library that the reference calls.
    """
    backend = find_backend()
    if backend is None:
        raise RuntimeError("no Graphviz backend is available for the rendering benchmark")
    graph = wide_graph(8 if quick else 83)
    results = []
    for labels in ("both", "numeric"):
        options = RenderOptions(labels=labels)
        source = to_dot_source(engine.run(graph), options)
        dot_nodes = _count_dot_nodes(source)

        def tool_render(options=options) -> bytes:
            return backend.render(to_dot_source(engine.run(graph), options), "svg")

        def bare_graphviz(source=source) -> bytes:
            return pygraphviz.AGraph(string=source).draw(format="svg", prog="dot")

        default = " (the default)" if labels == "both" else ""
        comparison = compare_calls(
            f"render {dot_nodes} DOT nodes to SVG, --labels {labels}{default}",
            (f"run + to_dot_source + {backend.kind} backend", tool_render),
            ("pygraphviz AGraph(string=dot).draw", bare_graphviz),
            rounds=1 if quick else 5,
            number=1,
        )
        results.append(
            Result(
                name=comparison.name,
                candidate=comparison.candidate,
                reference=comparison.reference,
                ratio=comparison.ratio_of_minimums,
                median_ratio=comparison.median_ratio,
                figure=f"{format_seconds(comparison.candidate_min)} vs {format_seconds(comparison.reference_min)}",
                goal="",
                met=None,
            )
        )
    return results


def _count_dot_nodes(source: str) -> int:
    return pygraphviz.AGraph(string=source).number_of_nodes()
