"""Printing expressions as gofmt does (go/printer's binary-operator spacing by depth).
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.tree import walk

_PRECEDENCE = {
    **dict.fromkeys(("*", "/", "%", "<<", ">>", "&", "&^"), 5),
    **dict.fromkeys(("+", "-", "|", "^"), 4),
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">="), 3),
    "&&": 2,
    "||": 1,
}


_LEAVES = frozenset(
    {"identifier", "int_literal", "float_literal", "imaginary_literal", "rune_literal",
     "interpreted_string_literal", "raw_string_literal", "true", "false", "nil", "iota",
     "field_identifier", "package_identifier", "type_identifier"}
)


def gofmt_expression(src: SourceFile, node: Node, depth: int = 1) -> str | None:
    """``node``'s text as gofmt prints it at ``depth``, or None for a shape it does not know.

    gofmt spaces binary operators by how deeply the expression is nested (go/printer's
    ``cutoff``): ``f(a, <-time.Tick(2*d))`` becomes ``x := time.NewTicker(2 * d)`` once moved to
    a statement of its own. One-line expressions of operators, parentheses, calls, selectors and
    indexes are reprinted; any other node is copied as it is when no binary operator sits in it.
    """
    if b"\n" in src.text(node):
        return None
    return _print(src, node, 0, depth)


def _print(src: SourceFile, node: Node, prec1: int, depth: int) -> str | None:
    kind = node.type
    if kind == "binary_expression":
        return _print_binary(src, node, prec1, _cutoff(src, node, depth), depth)
    if kind in _LEAVES or _prints_as_written(node):
        return src.show(node)
    if kind == "parenthesized_expression":
        inner = node.named_children[0] if node.named_children else None
        if inner is not None and inner.type == "parenthesized_expression":
            return _print(src, inner, 0, depth)  # gofmt drops doubled parentheses
        text = _print(src, inner, 0, max(depth - 1, 1)) if inner is not None else None
        return None if text is None else f"({text})"
    if kind == "unary_expression":
        operator = node.child_by_field_name("operator")
        operand = node.child_by_field_name("operand")
        text = _print(src, operand, 6, depth) if operand is not None else None
        return None if text is None or operator is None else src.show(operator) + text
    if kind == "selector_expression":
        operand, field = node.child_by_field_name("operand"), node.child_by_field_name("field")
        text = _print(src, operand, 7, depth) if operand is not None else None
        return None if text is None or field is None else f"{text}.{src.show(field)}"
    if kind == "call_expression":
        return _print_call(src, node, depth)
    return None


def _prints_as_written(node: Node) -> bool:
    """No binary operator (spaced by depth) and no doubled parentheses (dropped) inside."""
    for n in walk(node):
        if n.type == "binary_expression":
            return False
        if n.type == "parenthesized_expression" and any(
            c.type == "parenthesized_expression" for c in n.named_children
        ):
            return False
    return True


def _print_call(src: SourceFile, call: Node, depth: int) -> str | None:
    function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if function is None or args is None or any(c.type == "..." for c in args.children):
        return None
    arguments = [a for a in args.named_children if a.type != "comment"]
    if len(arguments) > 1:
        depth += 1
    head = _print(src, function, 7, depth)
    parts = [_print(src, a, 0, depth) for a in arguments]
    if head is None or any(p is None for p in parts):
        return None
    return f"{head}({', '.join(p for p in parts if p is not None)})"


def _print_binary(src: SourceFile, node: Node, prec1: int, cutoff: int, depth: int) -> str | None:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left is None or right is None or operator is None:
        return None
    op = src.show(operator)
    prec = _PRECEDENCE.get(op)
    if prec is None or prec < prec1:
        return None  # gofmt would add parentheses: not a shape tree-sitter gives us
    x = _print(src, left, prec, depth + _diff_prec(src, left, prec))
    y = _print(src, right, prec + 1, depth + 1)
    if x is None or y is None:
        return None
    blank = " " if prec < cutoff else ""
    return f"{x}{blank}{op}{blank}{y}"


def _diff_prec(src: SourceFile, node: Node, prec: int) -> int:
    operator = node.child_by_field_name("operator")
    if node.type != "binary_expression" or operator is None:
        return 1
    return 0 if _PRECEDENCE.get(src.show(operator)) == prec else 1


def _cutoff(src: SourceFile, node: Node, depth: int) -> int:
    has4, has5, problem = _walk_binary(src, node)
    if problem > 0:
        return problem + 1
    if has4 and has5:
        return 5 if depth == 1 else 4
    return 6 if depth == 1 else 4


def _walk_binary(src: SourceFile, node: Node) -> tuple[bool, bool, int]:
    operator = node.child_by_field_name("operator")
    op = src.show(operator) if operator is not None else ""
    prec = _PRECEDENCE.get(op, 0)
    has4, has5, problem = prec == 4, prec == 5, 0
    for side in ("left", "right"):
        child = node.child_by_field_name(side)
        if child is None:
            continue
        child_op = child.child_by_field_name("operator")
        if child.type == "binary_expression" and child_op is not None:
            child_prec = _PRECEDENCE.get(src.show(child_op), 0)
            # gofmt parenthesises a looser operand (pretends it is a ParenExpr): not walked
            if child_prec > prec or (side == "left" and child_prec == prec):
                h4, h5, p = _walk_binary(src, child)
                has4, has5, problem = has4 or h4, has5 or h5, max(problem, p)
        elif side == "right" and child.type == "unary_expression" and child_op is not None:
            pair = op + src.show(child_op)
            if pair in ("/*", "&&", "&^"):
                problem = 5
            elif pair in ("++", "--"):
                problem = max(problem, 4)
    return has4, has5, problem
