"""Load a YAML spec into a Graph, reporting every problem with file:line:column.

The file is composed into PyYAML's node tree with the safe loader and interpreted node by
node, so that each error can point at its source position. Only the standard YAML tags are
accepted: a spec can never construct Python objects or run code.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from graphviz_bp.errors import GraphvizBPError, LimitError, Location, SpecError, did_you_mean
from graphviz_bp.graph import Graph, Value, leaf
from graphviz_bp.spec import arrays
from graphviz_bp.spec.expressions import GENERATED_SEPARATOR, invalid_name_reason, parse_expression

# Specs are hand-written files of a few kilobytes; a larger file is almost certainly not one.
MAX_SPEC_BYTES = 5_000_000
# Bounds the work of expanding YAML aliases, which can otherwise grow exponentially.
MAX_YAML_NODES = 2_000_000

TOP_LEVEL_KEYS = ("name", "description", "inputs", "nodes", "output", "seed")
INPUT_KEYS = ("value", "shape", "init", "seed", "scale", "grad")
NODE_KEYS = ("op", "args", "expr", "label", "expand")
STANDARD_TAGS = {
    "tag:yaml.org,2002:" + kind
    for kind in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp", "binary")
}


def load_yaml(
    path: str | Path, *, max_elements: int = arrays.DEFAULT_MAX_ELEMENTS, text: str | None = None
) -> Graph:
    """Load the YAML spec at `path` (or `text`, reported as coming from `path`)."""
    path = Path(path)
    if text is None:
        text = read_spec_text(path)
    return _SpecReader(str(path), max_elements).read(text, default_name=path.stem)


def read_spec_text(path: Path) -> str:
    """Read a spec file as UTF-8, with SpecError for a missing, unreadable or oversized file."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise SpecError(f"{path} is a folder, not a spec file", hint="name a .yaml or .py file")
        if not path.is_file():
            # A named pipe or device would block the read or never end.
            raise SpecError(f"{path} is not a regular file", hint="name a .yaml or .py file")
        if size > MAX_SPEC_BYTES:
            raise LimitError(
                f"{path} is {size:,} bytes, more than the limit of {MAX_SPEC_BYTES:,} for a spec",
                hint="a spec describes a small network; generate large inputs with `shape` and `init`",
            )
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec file not found: {path}") from None
    except UnicodeDecodeError as error:
        raise SpecError(f"{path} is not UTF-8 text: {error.reason} at byte {error.start}") from None
    except PermissionError:
        raise SpecError(f"permission denied reading {path}") from None


class _SpecReader:
    def __init__(self, path: str, max_elements: int) -> None:
        self.path = path
        self.max_elements = max_elements
        self.visited = 0

    def where(self, node: yaml.Node) -> Location:
        mark = node.start_mark
        return Location(self.path, mark.line + 1, mark.column + 1)

    def read(self, text: str, default_name: str) -> Graph:
        try:
            # The loader's constructor already rejects characters that YAML does not allow.
            loader = yaml.SafeLoader(text)
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            location = Location(self.path, mark.line + 1, mark.column + 1) if mark else None
            raise SpecError(f"invalid YAML: {error.problem or error.context}", location=location) from None
        except yaml.YAMLError as error:
            raise SpecError(f"invalid YAML: {error}", location=Location(self.path, 1, 1)) from None
        except RecursionError:
            # PyYAML composes nested collections recursively and has no depth limit of its own.
            raise _too_deep(self.path) from None
        if root is None:
            raise SpecError("the spec is empty", location=Location(self.path, 1, 1), hint=_MINIMAL_SPEC)
        try:
            return self.graph(loader, root, default_name)
        except RecursionError:
            raise _too_deep(self.path) from None
        finally:
            loader.dispose()

    def graph(self, loader: yaml.SafeLoader, root: yaml.Node, default_name: str) -> Graph:
        top = self.mapping(loader, root, "the spec", TOP_LEVEL_KEYS)
        for required in ("inputs", "output"):
            if required not in top:
                raise SpecError(
                    f"the spec has no `{required}`", location=self.where(root), hint=_MINIMAL_SPEC
                )

        inputs_node = top["inputs"][1]
        nodes_node = top["nodes"][1] if "nodes" in top else None
        input_entries = self.mapping(loader, inputs_node, "`inputs`", None)
        node_entries = self.mapping(loader, nodes_node, "`nodes`", None) if nodes_node else {}
        known = [*input_entries, *node_entries]
        for name, (key_node, _) in [*input_entries.items(), *node_entries.items()]:
            self.check_name(name, key_node)

        values: list[Value] = []
        for name, (key_node, value_node) in input_entries.items():
            values.append(self.input_value(loader, name, key_node, value_node))
        for name, (key_node, value_node) in node_entries.items():
            values.extend(self.node_values(loader, name, key_node, value_node, known))

        output_key, output_node = top["output"]
        output = self.python(loader, output_node)
        if not isinstance(output, str):
            raise SpecError(
                f"`output` must be a name, got {output!r}", location=self.where(output_node)
            )
        seed = None
        if "seed" in top:
            seed_node = top["seed"][1]
            try:
                seed = arrays.literal(self.python(loader, seed_node), what="the seed")
            except GraphvizBPError as error:
                error.location = error.location or self.where(seed_node)
                error.hint = "the seed ∂L/∂output is a number, or an array of the output's shape"
                raise

        name = self.text_field(loader, top, "name") or default_name
        description = self.text_field(loader, top, "description") or ""
        try:
            return Graph(
                values, output, name=name, description=description, seed=seed, location=self.where(output_node)
            )
        except GraphvizBPError as error:
            error.location = error.location or self.where(output_key)
            raise

    def text_field(self, loader: yaml.SafeLoader, top: dict, key: str) -> str | None:
        if key not in top:
            return None
        value = self.python(loader, top[key][1])
        if not isinstance(value, str | int | float):
            raise SpecError(f"`{key}` must be text, got {value!r}", location=self.where(top[key][1]))
        return str(value)

    def mapping(
        self, loader: yaml.SafeLoader, node: yaml.Node, what: str, allowed: tuple[str, ...] | None
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        """Return {key: (key node, value node)} of a YAML mapping, checking the keys."""
        self.check_tag(node)
        if not isinstance(node, yaml.MappingNode):
            raise SpecError(
                f"{what} must be a mapping of names to values, got {_describe(node)}",
                location=self.where(node),
                hint=_MINIMAL_SPEC if what == "the spec" else None,
            )
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = self.python(loader, key_node)
            if not isinstance(key, str):
                key = str(key) if isinstance(key, int | float) and not isinstance(key, bool) else key
            if not isinstance(key, str):
                raise SpecError(f"keys of {what} must be names, got {key!r}", location=self.where(key_node))
            if allowed is not None and key not in allowed:
                raise SpecError(
                    f"unknown key {key!r} in {what}",
                    location=self.where(key_node),
                    hint=did_you_mean(key, allowed) or f"allowed keys: {', '.join(allowed)}",
                )
            if key in entries:
                raise SpecError(
                    f"duplicate key {key!r} in {what} (first at {self.where(entries[key][0])})",
                    location=self.where(key_node),
                    hint="each name may appear only once",
                )
            entries[key] = (key_node, value_node)
        return entries

    def check_tag(self, node: yaml.Node) -> None:
        if node.tag not in STANDARD_TAGS:
            raise SpecError(
                f"the YAML tag {node.tag!r} is not allowed",
                location=self.where(node),
                hint="specs contain only plain numbers, text, lists and mappings",
            )

    def python(self, loader: yaml.SafeLoader, node: yaml.Node) -> Any:
        """Convert a node to plain Python, counting nodes so that alias bombs stop early."""
        self.visited += 1
        if self.visited > MAX_YAML_NODES:
            raise LimitError(
                f"the spec expands to more than {MAX_YAML_NODES:,} YAML nodes",
                location=self.where(node),
                hint="YAML aliases (*name) that repeat large lists multiply the size; write inputs with"
                " `shape` and `init` instead",
            )
        self.check_tag(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.python(loader, item) for item in node.value]
        if isinstance(node, yaml.MappingNode):
            result = {}
            for key_node, value_node in node.value:
                key = self.python(loader, key_node)
                if isinstance(key, list | dict):
                    # YAML allows lists and mappings as keys (`? [a, b]`); Python dicts cannot hold them.
                    raise SpecError(
                        f"mapping keys must be names or numbers, got {_describe(key_node)}",
                        location=self.where(key_node),
                    )
                result[key] = self.python(loader, value_node)
            return result
        try:
            value = loader.construct_object(node)
        except (ValueError, OverflowError) as error:
            # Python rejects integers of more than 4300 digits, and PyYAML passes that on.
            raise SpecError(f"invalid scalar {node.value[:40]!r}: {error}", location=self.where(node)) from None
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _MAX_FLOAT:
            raise SpecError(
                f"the integer {node.value[:40]!r} is too large: numbers must fit in a float64 (about 1.8e308)",
                location=self.where(node),
            )
        if isinstance(value, str) and node.style is None:
            # YAML 1.1 reads 1e-3 as text; a user writing it means the number.
            try:
                return float(value)
            except ValueError:
                return value
        return value

    def check_name(self, name: str, key_node: yaml.Node) -> None:
        problem = invalid_name_reason(name)
        if problem:
            raise SpecError(f"invalid name: {problem}", location=self.where(key_node))

    def input_value(self, loader: yaml.SafeLoader, name: str, key_node: yaml.Node, node: yaml.Node) -> Value:
        what = f"input {name!r}"
        location = self.where(node)
        requires_grad = True
        try:
            if isinstance(node, yaml.MappingNode):
                fields = self.mapping(loader, node, what, INPUT_KEYS)
                options = {key: self.python(loader, value) for key, (_, value) in fields.items()}
                requires_grad = options.get("grad", True)
                if not isinstance(requires_grad, bool):
                    raise SpecError(f"`grad` of {what} must be true or false, got {requires_grad!r}")
                data = self.input_data(options, what)
            else:
                data = arrays.literal(self.python(loader, node), max_elements=self.max_elements, what=what)
        except GraphvizBPError as error:
            error.location = error.location or location
            raise
        return leaf(name, data, requires_grad=requires_grad, location=self.where(key_node))

    def input_data(self, options: dict, what: str) -> Any:
        if "value" in options:
            extra = sorted(set(options) & {"shape", "init", "seed", "scale"})
            if extra:
                raise SpecError(
                    f"{what} has both `value` and {', '.join(f'`{k}`' for k in extra)}",
                    hint="give either `value`, or `shape` with an optional `init`",
                )
            return arrays.literal(options["value"], max_elements=self.max_elements, what=what)
        if "shape" not in options:
            raise SpecError(f"{what} needs `value` or `shape`", hint="for example {shape: [2, 3], init: randn}")
        shape = options["shape"]
        if isinstance(shape, int) and not isinstance(shape, bool):
            shape = [shape]
        if not isinstance(shape, list) or not all(
            isinstance(size, int) and not isinstance(size, bool) and size >= 0 for size in shape
        ):
            raise SpecError(f"`shape` of {what} must be a list of non-negative integers, got {shape!r}")
        init = options.get("init", "randn")
        if init not in arrays.INITS:
            raise SpecError(
                f"unknown init {init!r} for {what}",
                hint=did_you_mean(str(init), arrays.INITS) or f"use one of: {', '.join(arrays.INITS)}",
            )
        seed = options.get("seed", 0)
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
            raise SpecError(f"`seed` of {what} must be a non-negative integer, got {seed!r}")
        scale = options.get("scale", 1.0)
        if isinstance(scale, bool) or not isinstance(scale, int | float):
            raise SpecError(f"`scale` of {what} must be a number, got {scale!r}")
        return arrays.generate(
            shape, init, seed=seed, scale=scale, max_elements=self.max_elements, what=what
        )

    def node_values(
        self, loader: yaml.SafeLoader, name: str, key_node: yaml.Node, node: yaml.Node, known: list[str]
    ) -> list[Value]:
        label = None
        if isinstance(node, yaml.MappingNode):
            return self.mapping_node(loader, name, node, known)
        value = self.python(loader, node)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return [leaf(name, value, constant=True, location=self.where(key_node))]
        if not isinstance(value, str):
            raise SpecError(
                f"node {name!r} must be an expression or a mapping with `op` and `args`, got {value!r}",
                location=self.where(node),
                hint="for example  y: 1 / (1 + exp(-x))",
            )
        return parse_expression(value, name, known, self.expression_locator(node), label=label).values

    def mapping_node(self, loader: yaml.SafeLoader, name: str, node: yaml.Node, known: list[str]) -> list[Value]:
        from graphviz_bp.ops import get_op

        fields = self.mapping(loader, node, f"node {name!r}", None)
        label = self.python(loader, fields["label"][1]) if "label" in fields else None
        if label is not None and not isinstance(label, str):
            label = str(label)
        expand = self.python(loader, fields["expand"][1]) if "expand" in fields else False
        if not isinstance(expand, bool):
            raise SpecError(
                f"`expand` of node {name!r} must be true or false, got {expand!r}",
                location=self.where(fields["expand"][1]),
            )
        if "expr" in fields:
            extra = sorted(set(fields) - {"expr", "label", "expand"})
            if extra:
                raise SpecError(
                    f"node {name!r} has `expr` and also {', '.join(f'`{k}`' for k in extra)}",
                    location=self.where(fields[extra[0]][0]),
                    hint="use either `expr`, or `op` with `args`",
                )
            expr_node = fields["expr"][1]
            text = self.python(loader, expr_node)
            if not isinstance(text, str):
                raise SpecError(f"`expr` of node {name!r} must be text", location=self.where(expr_node))
            values = parse_expression(text, name, known, self.expression_locator(expr_node), label=label).values
            values[-1] = dataclasses.replace(values[-1], expand=expand)
            return values

        if "op" not in fields:
            raise SpecError(
                f"node {name!r} needs `op` (or `expr`)",
                location=self.where(node),
                hint="for example  h: {op: affine, args: [X, W, b]}",
            )
        op_node = fields["op"][1]
        op_name = self.python(loader, op_node)
        try:
            op = get_op(str(op_name))
        except SpecError as error:
            error.location = self.where(op_node)
            raise
        params = {}
        for key, (key_node, value_node) in fields.items():
            if key in NODE_KEYS:
                continue
            if key not in op.params:
                allowed = [*NODE_KEYS, *op.params]
                raise SpecError(
                    f"unknown key {key!r} in node {name!r}",
                    location=self.where(key_node),
                    hint=did_you_mean(key, allowed) or f"allowed keys for {op.name}: {', '.join(allowed)}",
                )
            params[key] = self.python(loader, value_node)
            if params[key] is not None and (not isinstance(params[key], int) or isinstance(params[key], bool)):
                raise SpecError(
                    f"`{key}` of node {name!r} must be an integer or null, got {params[key]!r}",
                    location=self.where(value_node),
                )

        args_node = fields["args"][1] if "args" in fields else None
        if not isinstance(args_node, yaml.SequenceNode):
            raise SpecError(
                f"node {name!r} needs `args`, a list of input names",
                location=self.where(args_node or node),
                hint=f"for example  args: [{', '.join(['x', 'y', 'z'][: op.arity])}]",
            )
        values: list[Value] = []
        inputs: list[str] = []
        for index, arg_node in enumerate(args_node.value):
            arg = self.python(loader, arg_node)
            if isinstance(arg, int | float) and not isinstance(arg, bool):
                constant = leaf(
                    f"{name}{GENERATED_SEPARATOR}{index + 1}",
                    arg,
                    constant=True,
                    named=False,
                    location=self.where(arg_node),
                )
                values.append(constant)
                inputs.append(constant.name)
            elif isinstance(arg, str) and arg in known:
                inputs.append(arg)
            else:
                raise SpecError(
                    f"undefined name {arg!r} in the args of node {name!r}",
                    location=self.where(arg_node),
                    hint=did_you_mean(str(arg), known) or "args name inputs or nodes, or are numbers",
                )
        values.append(
            Value(
                name=name,
                kind="node",
                op=op.name,
                inputs=tuple(inputs),
                params=params,
                label=label,
                location=self.where(node),
                expand=expand,
            )
        )
        return values

    def expression_locator(self, node: yaml.Node) -> Callable[[int, int], Location]:
        """Map a (line, column) inside a scalar's text to its position in the file."""
        start = node.start_mark
        quoted = 1 if node.style in ("'", '"') else 0

        def locate(line: int, column: int) -> Location:
            if node.style in ("|", ">"):
                # Block scalars start on the next line at an indentation the mark does not give.
                return Location(self.path, start.line + 1 + line, column + 1)
            if line == 1:
                return Location(self.path, start.line + 1, start.column + quoted + column + 1)
            return Location(self.path, start.line + line, column + 1)

        return locate


def _describe(node: yaml.Node) -> str:
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if isinstance(node, yaml.ScalarNode):
        return f"the scalar {node.value!r}"
    return "a mapping"


_MINIMAL_SPEC = "a minimal spec is  {inputs: {x: 1.0}, nodes: {y: 'exp(x)'}, output: y}"
_MAX_FLOAT = sys.float_info.max


def _too_deep(path: str) -> LimitError:
    return LimitError(
        "the spec is nested too deeply to read",
        location=Location(path, 1, 1),
        hint="specs nest a few levels: inputs, nodes, and arrays of at most 32 dimensions",
    )
