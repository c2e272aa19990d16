"""Timers and tickers: where a ticker left running leaks (Go before 1.23), and constant
durations (Go's constant arithmetic, from syntax).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.goroutines import is_program_lifetime
from gofixleak.syntax.names import (
    arguments,
    call_name,
    declaring_identifiers,
    hides_import,
    import_name,
    is_call_to,
)
from gofixleak.syntax.tree import descendants, enclosing_function, same_node

# Go 1.23 collects unreferenced timers and tickers, stopped or not (the module's `go` line picks
# the behaviour), so leaving one unstopped only leaks before that version.
TIMERS_COLLECTED_SINCE = (1, 23)


_DURATION_UNITS = {
    "Nanosecond": 1,
    "Microsecond": 10**3,
    "Millisecond": 10**6,
    "Second": 10**9,
    "Minute": 60 * 10**9,
    "Hour": 3600 * 10**9,
}


_INT64 = range(-(2**63), 2**63)


# A Go constant: its exact value and its kind, "int" or "float" (untyped) or "duration".
_Constant = tuple[Fraction, str]


def timers_need_stop(src: SourceFile) -> bool:
    """True when an unstopped ticker or timer is never collected: Go before 1.23, or unknown."""
    return src.go_version is None or src.go_version < TIMERS_COLLECTED_SINCE


def timer_calls(src: SourceFile, *names: str) -> Iterator[Node]:
    """Calls ``time.<name>(d)`` in a file where a timer left running leaks: not a test file,
    Go before 1.23 (or unknown), ``time`` imported."""
    if src.is_test or not timers_need_stop(src) or import_name(src, "time") is None:
        return
    for call in descendants(src.root, "call_expression"):
        if is_call_to(src, call, "time", *names) and len(arguments(call)) == 1:
            yield call


def timer_function(src: SourceFile, call: Node) -> Node | None:
    """The function whose return strands a timer made by ``call``; None in ``main``/``init``
    (the program ends with them) or where a local hides the ``time`` import (``time.NewTicker``
    may then be a fake clock's method, with a ``Stop`` of its own)."""
    function = enclosing_function(call)
    if function is None or is_program_lifetime(src, function):
        return None
    return None if hides_import(src, function, "time") else function


def constant_duration(src: SourceFile, node: Node) -> int | None:
    """The value in nanoseconds of a constant duration expression, or None when it is not one.

    Understood: int and float literals, ``time.Nanosecond`` ... ``time.Hour`` (the import's alias
    respected), ``time.Duration(c)``, parentheses, unary ``+``/``-`` and binary ``+ - * /`` with
    Go's constant rules (integer division truncates; a Duration operand makes the result a
    Duration). Named constants are not resolved: they give None.
    """
    value = _constant(src, node, import_name(src, "time"))
    if value is None or value[0].denominator != 1:
        return None
    return int(value[0])


def _constant(src: SourceFile, node: Node, time_name: str | None) -> _Constant | None:
    kind = node.type
    if kind == "int_literal":
        return _int_literal(src.show(node))
    if kind == "float_literal":
        return _float_literal(src.show(node))
    if kind == "parenthesized_expression" and len(node.named_children) == 1:
        return _constant(src, node.named_children[0], time_name)
    if kind == "selector_expression":
        return _duration_unit(src, node, time_name)
    if kind == "call_expression":
        return _duration_conversion(src, node, time_name)
    if kind == "unary_expression":
        operand = node.child_by_field_name("operand")
        operator = node.child_by_field_name("operator")
        inner = _constant(src, operand, time_name) if operand is not None else None
        if inner is None or operator is None or operator.type not in ("+", "-"):
            return None
        return (inner[0] if operator.type == "+" else -inner[0]), inner[1]
    if kind == "binary_expression":
        return _binary_constant(src, node, time_name)
    return None


def _int_literal(text: str) -> _Constant | None:
    digits = text.replace("_", "")
    try:
        if re.fullmatch(r"0[0-7]+", digits):  # Go's legacy octal, which Python rejects
            return Fraction(int(digits, 8)), "int"
        return Fraction(int(digits, 0)), "int"
    except ValueError:
        return None


def _float_literal(text: str) -> _Constant | None:
    digits = text.replace("_", "")
    if digits.lower().startswith("0x"):
        return None  # hexadecimal floats: rare, not worth the parser
    try:
        return Fraction(digits), "float"
    except ValueError:
        return None


def _duration_unit(src: SourceFile, node: Node, time_name: str | None) -> _Constant | None:
    operand = node.child_by_field_name("operand")
    field = node.child_by_field_name("field")
    if operand is None or field is None or operand.type != "identifier":
        return None
    unit = _DURATION_UNITS.get(src.show(field))
    if time_name is None or src.show(operand) != time_name or unit is None:
        return None
    return Fraction(unit), "duration"


def _duration_conversion(src: SourceFile, call: Node, time_name: str | None) -> _Constant | None:
    args = arguments(call)
    if time_name is None or call_name(src, call) != f"{time_name}.Duration" or len(args) != 1:
        return None
    inner = _constant(src, args[0], time_name)
    if inner is None or inner[0].denominator != 1 or int(inner[0]) not in _INT64:
        return None
    return inner[0], "duration"


def _binary_constant(src: SourceFile, node: Node, time_name: str | None) -> _Constant | None:
    left_node = node.child_by_field_name("left")
    right_node = node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left_node is None or right_node is None or operator is None:
        return None
    left = _constant(src, left_node, time_name)
    right = _constant(src, right_node, time_name)
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


_TIMER_CONSTRUCTORS = ("NewTicker", "NewTimer")


def is_time_channel(src: SourceFile, channel: Node) -> bool:
    """``channel`` is a channel of the time package, which nothing ever closes: ``time.Tick(d)``,
    ``time.After(d)``, ``time.NewTicker(d).C``, ``time.NewTimer(d).C``, or ``t.C`` where ``t`` is
    declared once in the function, by ``t := time.NewTicker(d)`` (or ``NewTimer``), and never
    assigned. A ``for range`` over it only ends by a jump out of the loop."""
    if hides_import(src, channel, "time"):
        return False  # `time` may be a fake clock's here
    if channel.type == "call_expression":
        return is_call_to(src, channel, "time", "Tick", "After")
    if channel.type != "selector_expression":
        return False
    operand = channel.child_by_field_name("operand")
    field = channel.child_by_field_name("field")
    if operand is None or field is None or src.show(field) != "C":
        return False
    if operand.type == "call_expression":
        return is_call_to(src, operand, "time", *_TIMER_CONSTRUCTORS)
    return operand.type == "identifier" and _is_local_timer(src, operand)


def _is_local_timer(src: SourceFile, name: Node) -> bool:
    function = enclosing_function(name)
    while function is not None and function.type == "func_literal":
        function = enclosing_function(function)  # a literal's captured ticker
    if function is None:
        return False
    spelled = src.show(name)
    declared = [n for n in declaring_identifiers(function) if src.show(n) == spelled]
    declaration = declared[0].parent if len(declared) == 1 else None
    if declaration is not None and declaration.type == "expression_list":
        declaration = declaration.parent
    if declaration is None or declaration.type != "short_var_declaration":
        return False
    left = declaration.child_by_field_name("left")
    right = declaration.child_by_field_name("right")
    if left is None or right is None or len(left.named_children) != len(right.named_children):
        return False
    position = next(
        i for i, n in enumerate(left.named_children) if same_node(n, declared[0])
    )
    if not is_call_to(src, right.named_children[position], "time", *_TIMER_CONSTRUCTORS):
        return False
    for identifier in descendants(function, "identifier"):
        parent = identifier.parent
        holder = parent.parent if parent is not None else None
        if (
            src.show(identifier) == spelled
            and parent is not None
            and parent.type == "expression_list"
            and holder is not None
            and holder.type == "assignment_statement"
            and same_node(holder.child_by_field_name("left"), parent)
        ):
            return False
    return True
