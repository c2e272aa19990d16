"""Go's constant arithmetic, from syntax: integer and duration constants.

Understood: int and float literals, ``time.Nanosecond`` ... ``time.Hour`` (the import's alias
respected), ``time.Duration(c)``, parentheses, unary ``+``/``-`` and binary ``+ - * /`` with Go's
constant rules (integer division truncates; a Duration operand makes the result a Duration).
A name is a constant only when the caller says what it means (``names``): syntax alone does not
know which ``const`` a name refers to (the package model does, see facts.constants).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.names import arguments, call_name, import_name

_DURATION_UNITS = {
    "Nanosecond": 1,
    "Microsecond": 10**3,
    "Millisecond": 10**6,
    "Second": 10**9,
    "Minute": 60 * 10**9,
    "Hour": 3600 * 10**9,
}
_INT64 = range(-(2**63), 2**63)

Constant = tuple[Fraction, str]
"""A Go constant: its exact value and its kind, "int" or "float" (untyped) or "duration"."""

Names = Callable[[SourceFile, Node], "Constant | None"]
"""What an identifier means as a constant (None: not a constant, or not known)."""


def integer_constant(src: SourceFile, node: Node, names: Names | None = None) -> int | None:
    """The value of a constant integer expression (a whole number, not a duration), or None."""
    value = _constant(src, node, import_name(src, "time"), names)
    if value is None or value[1] == "duration" or value[0].denominator != 1:
        return None
    return int(value[0])


def constant_value(src: SourceFile, node: Node, names: Names | None = None) -> Constant | None:
    """The constant ``node`` stands for, or None."""
    return _constant(src, node, import_name(src, "time"), names)


def constant_duration(src: SourceFile, node: Node) -> int | None:
    """The value in nanoseconds of a constant duration expression, or None when it is not one.

    Understood: int and float literals, ``time.Nanosecond`` ... ``time.Hour`` (the import's alias
    respected), ``time.Duration(c)``, parentheses, unary ``+``/``-`` and binary ``+ - * /`` with
    Go's constant rules (integer division truncates; a Duration operand makes the result a
    Duration). Named constants are not resolved: they give None.
    """
    value = _constant(src, node, import_name(src, "time"), None)
    if value is None or value[0].denominator != 1:
        return None
    return int(value[0])


def _constant(
    src: SourceFile, node: Node, time_name: str | None, names: Names | None
) -> Constant | None:
    kind = node.type
    if kind == "identifier":
        return names(src, node) if names is not None else None
    if kind == "int_literal":
        return _int_literal(src.show(node))
    if kind == "float_literal":
        return _float_literal(src.show(node))
    if kind == "parenthesized_expression" and len(node.named_children) == 1:
        return _constant(src, node.named_children[0], time_name, names)
    if kind == "selector_expression":
        return _duration_unit(src, node, time_name)
    if kind == "call_expression":
        return _duration_conversion(src, node, time_name, names)
    if kind == "unary_expression":
        operand = node.child_by_field_name("operand")
        operator = node.child_by_field_name("operator")
        inner = _constant(src, operand, time_name, names) if operand is not None else None
        if inner is None or operator is None or operator.type not in ("+", "-"):
            return None
        return (inner[0] if operator.type == "+" else -inner[0]), inner[1]
    if kind == "binary_expression":
        return _binary_constant(src, node, time_name, names)
    return None


def _int_literal(text: str) -> Constant | None:
    digits = text.replace("_", "")
    try:
        if re.fullmatch(r"0[0-7]+", digits):  # Go's legacy octal, which Python rejects
            return Fraction(int(digits, 8)), "int"
        return Fraction(int(digits, 0)), "int"
    except ValueError:
        return None


def _float_literal(text: str) -> Constant | None:
    digits = text.replace("_", "")
    if digits.lower().startswith("0x"):
        return None  # hexadecimal floats: rare, not worth the parser
    try:
        return Fraction(digits), "float"
    except ValueError:
        return None


def _duration_unit(src: SourceFile, node: Node, time_name: str | None) -> Constant | None:
    operand = node.child_by_field_name("operand")
    field = node.child_by_field_name("field")
    if operand is None or field is None or operand.type != "identifier":
        return None
    unit = _DURATION_UNITS.get(src.show(field))
    if time_name is None or src.show(operand) != time_name or unit is None:
        return None
    return Fraction(unit), "duration"


def _duration_conversion(
    src: SourceFile, call: Node, time_name: str | None, names: Names | None
) -> Constant | None:
    args = arguments(call)
    if time_name is None or call_name(src, call) != f"{time_name}.Duration" or len(args) != 1:
        return None
    inner = _constant(src, args[0], time_name, names)
    if inner is None or inner[0].denominator != 1 or int(inner[0]) not in _INT64:
        return None
    return inner[0], "duration"


def _binary_constant(
    src: SourceFile, node: Node, time_name: str | None, names: Names | None
) -> Constant | None:
    left_node = node.child_by_field_name("left")
    right_node = node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left_node is None or right_node is None or operator is None:
        return None
    left = _constant(src, left_node, time_name, names)
    right = _constant(src, right_node, time_name, names)
    if left is None or right is None:
        return None
    kinds = {left[1], right[1]}
    kind = "duration" if "duration" in kinds else "float" if "float" in kinds else "int"
    if kind == "duration" and (left[0].denominator != 1 or right[0].denominator != 1):
        return None  # an untyped operand that a Duration cannot hold: a compile error
    value = _arithmetic(operator.type, left[0], right[0], integer=kind != "float")
    if value is None or (kind == "duration" and int(value) not in _INT64):
        return None
    return value, kind


def _arithmetic(
    operator: str, left: Fraction, right: Fraction, *, integer: bool
) -> Fraction | None:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "/" and right != 0:
        quotient = left / right
        return Fraction(int(quotient)) if integer else quotient  # int() truncates toward zero
    return None
