"""Timers and tickers: where a ticker left running leaks (Go before 1.23)."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.goroutines import is_program_lifetime
from gofixleak.syntax.names import (
    arguments,
    declaring_identifiers,
    hides_import,
    import_name,
    is_call_to,
)
from gofixleak.syntax.tree import descendants, enclosing_function, same_node

# Go 1.23 collects unreferenced timers and tickers, stopped or not (the module's `go` line picks
# the behaviour), so leaving one unstopped only leaks before that version.
TIMERS_COLLECTED_SINCE = (1, 23)


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


def timer_function(src: SourceFile, call: Node, *, in_main: bool = False) -> Node | None:
    """The function whose return strands a timer made by ``call``; None in ``main``/``init``
    (the program ends with them; ``in_main``: not None there either, for a caller that has
    another reason to report) or where a local hides the ``time`` import (``time.NewTicker``
    may then be a fake clock's method, with a ``Stop`` of its own)."""
    function = enclosing_function(call)
    if function is None or (is_program_lifetime(src, function) and not in_main):
        return None
    return None if hides_import(src, function, "time") else function


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
