"""Parse node expressions such as `1 / (1 + exp(-x))` into graph values.

Expressions are parsed with Python's `ast` and walked over a whitelist of node kinds; nothing
is ever evaluated. Allowed: numbers, names, `+ - * / ** @`, unary minus and plus, `.T`, and
calls of registered ops with positional arguments and the op's keyword parameters.
"""

from __future__ import annotations

import ast
import dataclasses
import math
import operator
import sys
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass

from graphviz_bp.errors import LimitError, Location, SpecError, did_you_mean
from graphviz_bp.graph import Value, leaf
from graphviz_bp.ops import REGISTRY, get_op

# Deeper nesting is rejected with a message before Python's own recursion limit is near.
MAX_DEPTH = 200
MAX_LENGTH = 20_000

BINARY_OPS: dict[type[ast.operator], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.Div: "div",
    ast.Pow: "pow",
    ast.MatMult: "matmul",
}
# Arithmetic on numbers only, which the parser folds into one constant as Python would.
FOLDABLE: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
# Separates a node's name from the index of a generated subexpression; user names may not use it.
GENERATED_SEPARATOR = "#"


def invalid_name_reason(name: str) -> str | None:
    """Return why `name` cannot name an input or node, or None when it can."""
    if not name.strip():
        return "an empty name"
    if GENERATED_SEPARATOR in name:
        return f"the name {name!r}: {GENERATED_SEPARATOR!r} is reserved for generated subexpressions"
    if name.startswith("__"):
        return f"the name {name!r}: names starting with two underscores are reserved"
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in name):
        # Terminals would read control characters as escape sequences, and Graphviz rejects
        # lone surrogates.
        return f"the name {name!r} contains a control character or a lone surrogate"
    return None


@dataclass
class ParsedExpression:
    """The values that one expression adds to the graph; the last one is the node itself."""

    values: list[Value]


def parse_expression(
    text: str,
    node_name: str,
    known_names: Collection[str],
    locate: Callable[[int, int], Location | None],
    *,
    label: str | None = None,
    first_index: int = 1,
) -> ParsedExpression:
    """Parse `text`, the expression of node `node_name`, into values.

    `locate(line, column)` maps a 1-based line and 0-based column inside `text` to a
    location in the spec file. Subexpressions are named `node#k`, k counting from
    `first_index`. Raises SpecError, pointing at the offending token, for
    syntax errors, disallowed constructs, unknown names and unknown ops.
    """
    if len(text) > MAX_LENGTH:
        raise LimitError(
            f"the expression of node {node_name!r} is {len(text)} characters long,"
            f" more than the limit of {MAX_LENGTH}",
            location=locate(1, 0),
            hint="split it into several named nodes",
        )
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        column = max((error.offset or 1) - 1, 0)
        raise SpecError(
            f"invalid expression for node {node_name!r}: {error.msg}: {text.strip()!r}",
            location=locate(error.lineno or 1, column),
            hint="expressions use numbers, names, + - * / ** @, and op calls such as exp(x)",
        ) from None
    except (RecursionError, MemoryError):
        raise LimitError(
            f"the expression of node {node_name!r} is nested too deeply to parse",
            location=locate(1, 0),
            hint="split it into several named nodes",
        ) from None
    builder = _Builder(node_name, known_names, locate, text.strip(), first_index)
    root = builder.build(tree.body, depth=0)
    return ParsedExpression(builder.finish(root, label))


class _Builder:
    def __init__(
        self,
        node_name: str,
        known_names: Collection[str],
        locate: Callable[[int, int], Location | None],
        text: str,
        first_index: int = 1,
    ) -> None:
        self.node_name = node_name
        self.first_index = first_index
        self.known_names = known_names
        self.locate = locate
        self.text = text
        self.values: list[Value] = []

    def finish(self, root: str | Value, label: str | None) -> list[Value]:
        if isinstance(root, str):
            raise SpecError(
                f"node {self.node_name!r} is only the name {root!r}, not an operation",
                location=self.locate(1, 0),
                hint=f"use {root!r} directly where {self.node_name!r} is needed",
            )
        # The root value takes the node's own name.
        renamed = dataclasses.replace(root, name=self.node_name, named=True, label=label)
        return [*self.values, renamed]

    def where(self, node: ast.AST) -> Location | None:
        return self.locate(getattr(node, "lineno", 1), getattr(node, "col_offset", 0))

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.dump(node)

    def add(self, value: Value) -> str:
        self.values.append(value)
        return value.name

    def fresh_name(self) -> str:
        return f"{self.node_name}{GENERATED_SEPARATOR}{len(self.values) + self.first_index}"

    def build(self, node: ast.expr, depth: int) -> str | Value:
        """Return a referenced name, or the Value for this subexpression (not yet added)."""
        if depth > MAX_DEPTH:
            raise LimitError(
                f"the expression of node {self.node_name!r} is nested more than {MAX_DEPTH} levels deep",
                location=self.where(node),
                hint="split it into several named nodes",
            )
        if isinstance(node, ast.Constant):
            return self.constant(node, node.value)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp | ast.BinOp):
            number = self.folded(node, depth)
            if number is not None:
                return self.constant(node, number)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            if isinstance(node.op, ast.UAdd):
                return self.build(node.operand, depth + 1)
            return self.operation(node, "neg", [node.operand], {}, depth)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY_OPS:
            return self.operation(node, BINARY_OPS[type(node.op)], [node.left, node.right], {}, depth)
        if isinstance(node, ast.Attribute) and node.attr == "T":
            return self.operation(node, "transpose", [node.value], {}, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        raise SpecError(
            f"{self.segment(node)!r} is not allowed in an expression",
            location=self.where(node),
            hint="expressions use numbers, names, + - * / ** @, unary minus, .T and op calls",
        )

    def folded(self, node: ast.expr, depth: int) -> float | None:
        """Return the value of a subexpression of numbers only (`-(-1)`, `2 * 3`), else None.

        Python evaluates such arithmetic before the DSL sees it, so the YAML front end folds
        it too and both give the same graph. Calls such as exp(2) stay ops in both. The
        arithmetic is done in float64, so `9 ** 9 ** 9` overflows at once instead of
        building a huge integer.
        """
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, ast.Constant):
            return float(self._number(node))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.folded(node.operand, depth + 1)
            if operand is None:
                return None
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and type(node.op) in FOLDABLE:
            left = self.folded(node.left, depth + 1)
            right = self.folded(node.right, depth + 1) if left is not None else None
            if right is None:
                return None
            try:
                result = FOLDABLE[type(node.op)](left, right)
            except (ZeroDivisionError, OverflowError) as error:
                raise SpecError(
                    f"the constant expression {self.segment(node)!r} cannot be computed: {error}",
                    location=self.where(node),
                    hint="constants must be finite numbers",
                ) from None
            if isinstance(result, complex) or not math.isfinite(result):
                raise SpecError(
                    f"the constant expression {self.segment(node)!r} is not a finite real number",
                    location=self.where(node),
                    hint="constants must be finite numbers",
                )
            return result
        return None

    def _number(self, node: ast.Constant) -> float:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise SpecError(
                f"{self.segment(node)} is not a number",
                location=self.where(node),
                hint="constants in expressions must be numbers such as 1 or 0.5",
            )
        if isinstance(node.value, int) and abs(node.value) > sys.float_info.max:
            raise SpecError(
                f"the integer {self.segment(node)[:40]} is too large: constants must fit in a float64 (about 1.8e308)",
                location=self.where(node),
            )
        return node.value

    def constant(self, node: ast.AST, number: object) -> Value:
        if isinstance(node, ast.Constant):
            number = self._number(node)
        return leaf(self.fresh_name(), number, constant=True, named=False, location=self.where(node))

    def name(self, node: ast.Name) -> str:
        if node.id.startswith("__"):
            raise SpecError(
                f"the name {node.id!r} is not allowed",
                location=self.where(node),
                hint="names starting with two underscores are reserved",
            )
        if node.id not in self.known_names:
            hint = did_you_mean(node.id, self.known_names)
            if node.id in REGISTRY:
                hint = f"{node.id!r} is an op: call it, as in {node.id}(x)"
            raise SpecError(
                f"undefined name {node.id!r} in node {self.node_name!r}",
                location=self.where(node),
                hint=hint or "define it under `inputs` or `nodes`",
            )
        return node.id

    def operation(
        self, node: ast.AST, op_name: str, operands: list[ast.expr], params: dict, depth: int
    ) -> Value:
        inputs = []
        for operand in operands:
            child = self.build(operand, depth + 1)
            inputs.append(child if isinstance(child, str) else self.add(child))
        return Value(
            name=self.fresh_name(),
            kind="node",
            op=op_name,
            inputs=tuple(inputs),
            params=params,
            named=False,
            location=self.where(node),
        )

    def call(self, node: ast.Call, depth: int) -> Value:
        if not isinstance(node.func, ast.Name):
            raise SpecError(
                f"{self.segment(node.func)!r} is not an op name",
                location=self.where(node.func),
                hint="call ops by their plain name, as in exp(x); run `graphviz-bp ops` to list them",
            )
        try:
            op = get_op(node.func.id)
        except SpecError as error:
            error.location = self.where(node.func)
            raise
        if len(node.args) != op.arity:
            raise SpecError(
                f"{op.name} takes {op.arity} argument(s), got {len(node.args)}: {self.segment(node)!r}",
                location=self.where(node),
            )
        params = {}
        for keyword in node.keywords:
            params[keyword.arg] = self.keyword(op.name, op.params, keyword)
        return self.operation(node, op.name, list(node.args), params, depth)

    def keyword(self, op_name: str, allowed: dict, keyword: ast.keyword) -> int | None:
        if keyword.arg not in allowed:
            expected = ", ".join(allowed) or "none"
            raise SpecError(
                f"{op_name} has no parameter {keyword.arg!r}",
                location=self.where(keyword.value),
                hint=f"its parameters: {expected}",
            )
        value = keyword.value
        negative = isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)
        if negative and isinstance(value.operand, ast.Constant) and type(value.operand.value) is int:
            return -value.operand.value
        if isinstance(value, ast.Constant) and (value.value is None or type(value.value) is int):
            return value.value
        raise SpecError(
            f"{keyword.arg}={self.segment(value)} is invalid for {op_name}",
            location=self.where(value),
            hint=f"{keyword.arg} takes an integer or None",
        )
