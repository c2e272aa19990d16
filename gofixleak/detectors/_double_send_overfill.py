"""double-send, by overfill: a channel made with room for N values is sent on N+1 times along one
straight-line path before anything can receive from it (the Go runtime's Cockroach24808 kernel:
``c := &Compactor{ch: make(chan struct{}, 1)}; c.ch <- x; c.Start()``, whose first statement
sends on ``c.ch`` again, before it starts the goroutine that receives).

The channel is followed from its ``make`` statement by statement through the block that makes
it: a send on it counts; a call statement that hands it over (``f(ch)``, ``f(c)``, ``f(c.ch)``,
the method call ``c.Start()``) is followed into the same-package function it runs, whose own
statements are walked the same way, and the walk goes on after the call when the callee ends
without anything that stops it. Any other statement that names the variable holding the channel
(a receive, a close, a range, a select, a capture by a literal, a pass to a call not followed, a
store, a copy), any ``go`` statement, ``select``, loop, label, jump or ending call (``panic``,
``os.Exit``, ``t.Fatal``) stops the walk: after it, something may receive, or the path may not
go on. A statement that does not name the variable cannot reach the channel: until the first
statement that names it, only the variable holds it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.facts import constants, resolve
from gofixleak.facts.declarations import Function
from gofixleak.facts.usage import Subject
from gofixleak.model import Finding, Related, Span
from gofixleak.source import SourceFile, span_of

_MAX_DEPTH = 3  # calls followed below the function that makes the channel
_MAX_SENDS = 64  # sends counted before the capacity is asked: a larger buffer is not filled
# Statements after which the path may not go on, or something may receive from the channel.
_STOPPERS = frozenset(
    {
        "return_statement",
        "goto_statement",
        "break_statement",
        "continue_statement",
        "fallthrough_statement",
        "labeled_statement",
        "go_statement",
        "select_statement",
        "for_statement",
    }
)
_SKIPPED = frozenset({"comment", "empty_statement"})


@dataclass(frozen=True)
class Buffer:
    """``holder := make(chan T, N)``, or ``holder := &T{field: make(chan T, N)}``, in
    ``function``'s body."""

    function: Node
    statement: Node  # the declaration: short_var_declaration or var_declaration
    make: Node
    holder: str
    field: str | None

    @property
    def name(self) -> str:
        return self.holder if self.field is None else f"{self.holder}.{self.field}"


@dataclass(frozen=True)
class Send:
    """A send on the channel: in ``src``, reached through ``call`` of the function that made
    the channel (None: a send of that function itself), in the function named ``callee``."""

    src: SourceFile
    node: Node
    call: Node | None
    callee: str | None


class _Stop(Exception):
    """The walk cannot tell what happens next."""


def findings(src: SourceFile, rule: str, seen: set[Span]) -> Iterator[Finding]:
    """A finding for each channel of the file sent on beyond its capacity before anything can
    receive from it, unless ``seen`` already holds its place (a callee's send reached twice)."""
    if prefilter.MAKE_CHAN.search(src.data) is None:
        return
    for buffer in buffers(src):
        found = overfill(buffer, src)
        if found is None:
            continue
        capacity, sends = found
        finding = _finding(buffer, capacity, sends, src, rule)
        if finding.span not in seen:
            seen.add(finding.span)
            yield finding


def buffers(src: SourceFile) -> Iterator[Buffer]:
    """The channels that a function's block declares with ``make``."""
    for node in syntax.descendants(src.root, "short_var_declaration", "var_spec"):
        if src.data.find(b"chan", node.start_byte, node.end_byte) == -1:
            continue  # no make(chan ...) without the word: most declarations end here
        statement = node if node.type == "short_var_declaration" else node.parent
        block = statement.parent if statement is not None else None
        function = syntax.enclosing_function(node)
        if statement is None or block is None or block.type != "statement_list":
            continue
        if function is None or syntax.is_program_lifetime(src, function):
            continue  # main and init: a stuck main is a hang, not a leak
        found = _declared(node, src)
        if found is None:
            continue
        holder, field, make = found
        yield Buffer(function, statement, make, holder, field)


def _declared(node: Node, src: SourceFile) -> tuple[str, str | None, Node] | None:
    """The one name ``node`` declares, the field of its composite literal that holds the made
    channel (None: the name holds it), and the ``make``."""
    if node.type == "short_var_declaration":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        names = left.named_children if left is not None else []
        values = right.named_children if right is not None else []
    else:
        names = [c for c in node.children_by_field_name("name") if c.type == "identifier"]
        value = node.child_by_field_name("value")
        values = value.named_children if value is not None else []
    if len(names) != 1 or len(values) != 1 or names[0].type != "identifier":
        return None
    holder, value = src.show(names[0]), values[0]
    if channels.is_make_chan(src, value):
        return holder, None, value
    literal = value
    if literal.type == "unary_expression":
        operator = literal.child_by_field_name("operator")
        operand = literal.child_by_field_name("operand")
        if operator is None or operator.type != "&" or operand is None:
            return None
        literal = operand
    if literal.type != "composite_literal":
        return None
    made = [(key, v) for key, v in _keyed_elements(literal, src) if channels.is_make_chan(src, v)]
    if len(made) != 1:
        return None
    return holder, made[0][0], made[0][1]


def _keyed_elements(literal: Node, src: SourceFile) -> Iterator[tuple[str, Node]]:
    body = literal.child_by_field_name("body")
    for element in body.named_children if body is not None else []:
        if element.type != "keyed_element" or len(element.named_children) != 2:
            continue
        key, value = (_element(c) for c in element.named_children)
        if key is not None and value is not None and key.type in ("identifier", "field_identifier"):
            yield src.show(key), value


def _element(node: Node) -> Node | None:
    if node.type == "literal_element":
        return node.named_children[0] if node.named_children else None
    return node


def _capacity(make: Node, src: SourceFile) -> int | None:
    args = syntax.arguments(make)
    if len(args) == 1:
        return 0
    return constants.integer(src, args[1]) if len(args) == 2 else None


# --- the walk -------------------------------------------------------------------------------


def overfill(buffer: Buffer, src: SourceFile) -> tuple[int, list[Send]] | None:
    """The buffer's capacity and the sends up to the one that finds it full with nothing able
    to receive (the last); None when the walk stops first or the capacity is not a constant."""
    block = buffer.statement.parent
    assert block is not None
    later = [s for s in block.named_children if s.start_byte >= buffer.statement.end_byte]
    walk = _Walk(_MAX_SENDS)
    with contextlib.suppress(_Stop):  # the sends made before the walk stopped still count
        walk.statements(src, later, Subject(buffer.holder, buffer.field), 0, None, None)
    if not walk.sends:
        return None  # most channels: the capacity is not asked (a named constant is looked up)
    capacity = _capacity(buffer.make, src)
    if capacity is None or len(walk.sends) <= capacity:
        return None
    return capacity, walk.sends[: capacity + 1]


class _Walk:
    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.sends: list[Send] = []

    def statements(
        self,
        src: SourceFile,
        statements: list[Node],
        subject: Subject,
        depth: int,
        call: Node | None,
        callee: str | None,
    ) -> None:
        """Walk ``statements``; returns when they end (or a callee's top-level ``return``),
        raises _Stop when the walk cannot go on, and stops quietly once ``self.sends`` holds
        more sends than ``self.capacity``."""
        for statement in statements:
            if len(self.sends) > self.capacity:
                return
            kind = statement.type
            if kind in _SKIPPED:
                continue
            if kind == "send_statement" and subject.matches(_channel_of(statement), src):
                value = statement.child_by_field_name("value")
                if value is None or _names(value, subject.name, src) or _may_stop(value, src):
                    raise _Stop
                self.sends.append(Send(src, statement, call, callee))
                continue
            if kind == "return_statement" and depth > 0:
                if _names(statement, subject.name, src) or _may_stop_inside(statement, src):
                    raise _Stop
                return  # the callee returns to its caller's next statement
            target = _handed_over(statement, subject, src) if depth < _MAX_DEPTH else None
            if target is not None:
                function, inner = target
                body = syntax.block_statements(function.body)
                here = call if call is not None else statement.named_children[0]
                self.statements(function.src, body, inner, depth + 1, here, function.name)
                continue
            if _names(statement, subject.name, src) or _may_stop(statement, src):
                raise _Stop


def _channel_of(send: Node) -> Node:
    channel = send.child_by_field_name("channel")
    assert channel is not None
    return channel


def _names(node: Node, name: str, src: SourceFile) -> bool:
    """``node`` names the variable (nested literals included)."""
    return bool(syntax.identifiers_named(src, name, node))


def _may_stop(node: Node, src: SourceFile) -> bool:
    """``node`` (a statement or an expression) may jump, start a goroutine, select, loop, or end
    the goroutine: the path may not go on as written, or something may start receiving."""
    return node.type in _STOPPERS or _may_stop_inside(node, src)


def _may_stop_inside(node: Node, src: SourceFile) -> bool:
    return any(
        (n.type in _STOPPERS and n is not node) or syntax.is_ending_call(src, n)
        for n in syntax.walk(node, into_functions=False)
    )


def _handed_over(
    statement: Node, subject: Subject, src: SourceFile
) -> tuple[Function, Subject] | None:
    """For a call statement that names the variable once, handing over what holds the channel
    (``c.Start()``, ``f(c)``, ``f(c.ch)``, ``f(ch)``) to a same-package function: that function
    and the channel as it names it; None when the statement hands nothing over. A call that
    names the variable otherwise, or whose callee is not settled, stops the walk."""
    if statement.type != "expression_statement" or not statement.named_children:
        return None
    call = statement.named_children[0]
    named = syntax.identifiers_named(src, subject.name, statement)
    if call.type != "call_expression" or not named:
        return None
    if len(named) != 1:
        raise _Stop
    use = named[0]
    parent = use.parent
    function = call.child_by_field_name("function")
    callee = resolve.callee(src, call)
    if parent is None or function is None or callee is None or callee.body is None:
        raise _Stop
    if syntax.same_node(parent, function) and parent.type == "selector_expression":
        # c.Start(): the receiver holds the channel in the same field
        if subject.field is None or callee.receiver_name in (None, "", "_"):
            raise _Stop
        assert callee.receiver_name is not None
        return callee, Subject(callee.receiver_name, subject.field)
    argument, field = use, subject.field
    if (
        subject.field is not None
        and parent.type == "selector_expression"
        and subject.matches(parent, src)
    ):
        argument, field = parent, None  # f(c.ch): the parameter is the channel
    holder = argument.parent
    if holder is None or holder.type != "argument_list" or holder.parent is None:
        raise _Stop
    if not syntax.same_node(holder.parent, call):
        raise _Stop
    parameter = _parameter(call, argument, callee.node, callee.src)
    if parameter is None:
        raise _Stop
    return callee, Subject(parameter, field)


def _parameter(call: Node, argument: Node, function: Node, src: SourceFile) -> str | None:
    args = syntax.arguments(call)
    names = syntax.parameter_names(function, src)
    if syntax.has_variadic_parameter(function) or len(args) != len(names):
        return None
    position = next((i for i, a in enumerate(args) if syntax.same_node(a, argument)), None)
    if position is None or names[position] in ("", "_"):
        return None
    return names[position]


# --- the finding -----------------------------------------------------------------------------


def _line(src: SourceFile, node: Node) -> int:
    return src.data[: node.start_byte].count(b"\n") + 1


def _finding(
    buffer: Buffer, capacity: int, sends: list[Send], src: SourceFile, rule: str
) -> Finding:
    last = sends[-1]
    here = last.src is src
    where = last.node if here else last.call
    assert where is not None
    room = (
        "is unbuffered"
        if capacity == 0
        else f"has room for {capacity} value{'s' if capacity > 1 else ''}"
    )
    times = {1: "once", 2: "twice"}.get(len(sends), f"{len(sends)} times")
    through = f" (in {last.callee})" if last.callee is not None else ""
    if here and last.call is not None:
        what = f"this send in {last.callee} (called on line {_line(src, last.call)}) blocks forever"
    elif here:
        what = "this send blocks forever"
    else:
        what = (
            f"the send on line {_line(last.src, last.node)} of "
            f"{last.src.path.rsplit('/', 1)[-1]}{through}, which this call reaches, blocks forever"
        )
    message = (
        f"{buffer.name} {room} and is sent on {times} before anything can receive from it: {what}"
    )
    related = [Related(span_of(buffer.make), f"{buffer.name} is made here")]
    for number, send in enumerate(sends[:-1], start=1):
        related.append(_related(send, src, f"send {number} of {len(sends)}"))
    if not here:
        related.append(_related(last, src, "the send that blocks"))
    return Finding(
        rule=rule,
        path=src.path,
        span=span_of(where),
        message=message,
        captures={"goroutine": span_of(buffer.function)},
        related=tuple(related),
    )


def _related(send: Send, src: SourceFile, message: str) -> Related:
    if send.src is src:
        return Related(span_of(send.node), message)
    return Related(span_of(send.node), message, send.src.path, _line(send.src, send.node))
