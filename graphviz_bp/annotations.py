"""Symbolic labels, served from a disk cache when the same graph was annotated before.

Importing sympy costs about a quarter of a second, more than the rest of a small render, so
the printed labels of each graph structure are kept under the user's cache folder
($XDG_CACHE_HOME/graphviz-bp, else ~/.cache/graphviz-bp). The key covers everything the
labels depend on: the graph's names, ops, inputs, parameters, shapes and constants, the
length limit, and the source of the modules that compute them, so a changed op or printer
never serves stale labels. Set GRAPHVIZ_BP_CACHE=0 to turn the cache off. A cache that
cannot be read or written is skipped without an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from graphviz_bp.graph import Graph

logger = logging.getLogger(__name__)

CACHE_VARIABLE = "GRAPHVIZ_BP_CACHE"
_FORMAT = 1


@dataclass(frozen=True)
class Annotations:
    """Printed symbolic labels: `forward[name]` for values, `edges[(node, slot)]` for gradients.

    `edges` has no entry for an edge whose input is not differentiable; `grads[name]` is the
    total gradient of each differentiable value that the output depends on.
    """

    forward: dict[str, str]
    edges: dict[tuple[str, int], str]
    grads: dict[str, str]


def annotations_for(graph: Graph, max_length: int | None = None) -> Annotations:
    """Return the symbolic labels of `graph`, from the cache or computed with sympy."""
    from graphviz_bp.limits import DEFAULT_MAX_LABEL_LENGTH

    max_length = DEFAULT_MAX_LABEL_LENGTH if max_length is None else max_length
    path = _cache_path(graph, max_length)
    if path is not None:
        cached = _read(path)
        if cached is not None:
            return cached

    from graphviz_bp.symbolic import annotate

    notes = annotate(graph, max_length=max_length)
    if path is not None:
        _write(path, notes)
    return notes


def _cache_folder() -> Path | None:
    if os.environ.get(CACHE_VARIABLE, "1").strip().lower() in ("0", "false", "no", "off"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "graphviz-bp" / "labels"


@cache
def _source_fingerprint() -> str:
    """A hash of the modules whose code decides the labels."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([package / "symbolic.py", *(package / "ops").glob("*.py")]):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _cache_path(graph: Graph, max_length: int) -> Path | None:
    folder = _cache_folder()
    if folder is None:
        return None
    structure = [
        [
            value.name,
            value.kind,
            value.op,
            list(value.inputs),
            sorted((key, repr(item)) for key, item in value.params.items()),
            value.named,
            value.requires_grad,
            list(value.shape or ()),
            # Constants print as their number, so it is part of the key.
            repr(value.data.tolist()) if value.kind == "constant" else None,
        ]
        for value in graph.values.values()
    ]
    text = json.dumps([_FORMAT, _source_fingerprint(), max_length, graph.output, structure], ensure_ascii=False)
    return folder / f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}.json"


def _read(path: Path) -> Annotations | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        edges = {(node, int(slot)): text for node, slot, text in document["edges"]}
        return Annotations(document["forward"], edges, document["grads"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        logger.debug("ignoring the label cache file %s: %s", path, error)
        return None


def _write(path: Path, notes: Annotations) -> None:
    from graphviz_bp.output import write_atomic

    document = {
        "forward": notes.forward,
        "edges": [[node, slot, text] for (node, slot), text in notes.edges.items()],
        "grads": notes.grads,
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(document, ensure_ascii=False).encode("utf-8"))
    except OSError as error:
        logger.debug("cannot write the label cache file %s: %s", path, error)
