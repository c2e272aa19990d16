"""select-without-exit, poll-then-block on a struct field: CockroachDB's issue 1462 as it is
written, ``lt.Events <- m`` after a poll of ``lt.stopper.ShouldStop()``, while the only receiver
(``processEventsUntil(transport.Events, stopper)``) stops on ``stopper.ShouldStop()``.

The package model follows the field over the package: every selection of it on a value of the
owner's type (an operand whose type the syntax cannot tell keeps the rule silent), the ``make``
that fills it (unbuffered), the polled sends, and the receives — in place, or in the functions
it is handed to — each a select case beside a case on a signal of the same kind that returns.
"The same kind" is all the syntax can say: the same method of the same package type
(``ShouldStop`` of ``Stopper``), or the same field of the same type. Whether both sides hold
the same stopper is not known, so these findings carry no fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.detectors import _poll_then_block as local
from gofixleak.facts import constants, declarations, resolve
from gofixleak.facts.usage import usage_of_call
from gofixleak.model import Finding, Related
from gofixleak.source import SourceFile, span_of

Kind = tuple[str, str, str]  # ("method" | "field", type, name)


@dataclass(frozen=True)
class FieldChannel:
    owner: str  # the struct type
    name: str  # the field


def findings(src: SourceFile, rule: str) -> Iterator[Finding]:
    if b"default" not in src.data or b"<-" not in src.data:
        return
    for send in syntax.descendants(src.root, "send_statement"):
        found = _polled_field_send(send, src)
        if found is None:
            continue
        guard, field, kind = found
        stops = _receivers(field, kind, src)
        if stops:
            yield _finding(guard, field, kind, stops, src, rule)


def _polled_field_send(
    send: Node, src: SourceFile
) -> tuple[local.Guard, FieldChannel, Kind] | None:
    """``x.f <- v`` after a poll, ``x`` of a package struct type whose unexported (or
    unexported type's) channel field ``f`` is made unbuffered wherever it is filled."""
    target = send.child_by_field_name("channel")
    if target is None or target.type != "selector_expression" or syntax.is_case_communication(
        send
    ):
        return None
    guard = local.guard_of(send, src)
    if guard is None:
        return None
    operand = target.child_by_field_name("operand")
    selected = target.child_by_field_name("field")
    owner = resolve.type_of(src, operand) if operand is not None else None
    if owner is None or selected is None:
        return None
    field = FieldChannel(owner, src.show(selected))
    struct = declarations.struct_type(src.pkg, owner)
    declared = struct.field(field.name) if struct is not None else None
    if declared is None or declared.kind != "chan" or declared.embedded:
        return None
    if owner[:1].isupper() and field.name[:1].isupper():
        return None  # other packages may receive
    kind = _signal_kind(src, received(guard.poll, src))
    return (guard, field, kind) if kind is not None else None


def received(poll: Node, src: SourceFile) -> Node | None:
    case = next((c for c in poll.named_children if c.type == "communication_case"), None)
    return local.received_operand(case) if case is not None else None


def _signal_kind(src: SourceFile, signal: Node | None) -> Kind | None:
    """What a stop signal is, as far as syntax tells: ``a.M()`` with ``a`` of package type T
    (the method M of T), or ``a.f`` (the field f of T)."""
    if signal is None:
        return None
    if signal.type == "call_expression" and not syntax.arguments(signal):
        function = signal.child_by_field_name("function")
        if function is None or function.type != "selector_expression":
            return None
        operand = function.child_by_field_name("operand")
        name = function.child_by_field_name("field")
        owner = resolve.type_of(src, operand) if operand is not None else None
        return ("method", owner, src.show(name)) if owner and name is not None else None
    if signal.type == "selector_expression":
        operand = signal.child_by_field_name("operand")
        name = signal.child_by_field_name("field")
        owner = resolve.type_of(src, operand) if operand is not None else None
        return ("field", owner, src.show(name)) if owner and name is not None else None
    return None


# --- every other use of the field ----------------------------------------------------------


def _receivers(
    field: FieldChannel, kind: Kind, src: SourceFile
) -> list[tuple[SourceFile, Node]]:
    """The receivers' stop cases, when every use of the field in the package is a polled send
    on a signal of ``kind``, an unbuffered make, or a receive that stops on such a signal; []
    otherwise."""
    stops: list[tuple[SourceFile, Node]] = []
    for other in src.pkg.mentioning(field.name):
        for node in syntax.descendants(other.root, "selector_expression", "keyed_element"):
            if node.type == "keyed_element":
                if not _fills_unbuffered(node, field, other):
                    return []
                continue
            use = _use_of(node, field, other)
            if use is None:
                continue  # another type's field of that name
            if use == "bad":
                return []
            if use == "send":
                found = _polled_field_send(node.parent, other) if node.parent else None
                if found is None or found[1] != field or found[2] != kind:
                    return []
                continue
            if use == "fill":
                if not _unbuffered_make(node.parent, other):
                    return []
                continue
            stop = _stops_receiving(node, kind, other)
            if stop is None:
                return []
            stops.extend(stop)
    return [] if src.pkg.incomplete else stops


def _use_of(node: Node, field: FieldChannel, src: SourceFile) -> str | None:
    """``node`` (``x.f``) is the field on the owner's type: a send on it, an assignment to it
    (``fill``), anything else (``other``); None for another type's field; ``bad`` when the
    operand's type is not known."""
    selected = node.child_by_field_name("field")
    if selected is None or src.show(selected) != field.name:
        return None
    operand = node.child_by_field_name("operand")
    owner = resolve.type_of(src, operand) if operand is not None else None
    if owner is None:
        return "bad"
    if owner != field.owner:
        return None
    parent = node.parent
    if parent is not None and parent.type == "send_statement":
        is_channel = syntax.same_node(parent.child_by_field_name("channel"), node)
        return "send" if is_channel else "bad"
    holder = parent.parent if parent is not None else None
    if (
        parent is not None
        and parent.type == "expression_list"
        and holder is not None
        and holder.type == "assignment_statement"
        and syntax.same_node(holder.child_by_field_name("left"), parent)
    ):
        return "fill"
    return "other"


def _fills_unbuffered(element: Node, field: FieldChannel, src: SourceFile) -> bool:
    """A ``f: value`` element of a composite literal of the owner's type: the value is an
    unbuffered make (elements of other types, or other fields, are not this field's)."""
    key = element.child_by_field_name("key") or (
        element.named_children[0] if element.named_children else None
    )
    literal = element.parent.parent if element.parent is not None else None
    if key is None or src.show(key) != field.name or literal is None:
        return True
    if literal.type != "composite_literal":
        return True
    type_node = literal.child_by_field_name("type")
    if type_node is None or declarations.base_type_name(type_node, src) != field.owner:
        return True
    value = element.child_by_field_name("value") or element.named_children[-1]
    while value.type == "literal_element" and value.named_children:
        value = value.named_children[0]
    return _is_unbuffered_make(value, src)


def _unbuffered_make(assignment_left: Node | None, src: SourceFile) -> bool:
    holder = assignment_left.parent if assignment_left is not None else None
    right = holder.child_by_field_name("right") if holder is not None else None
    left = assignment_left
    if right is None or left is None or len(right.named_children) != len(left.named_children):
        return False
    return all(_is_unbuffered_make(v, src) for v in right.named_children)


def _is_unbuffered_make(value: Node, src: SourceFile) -> bool:
    if not channels.is_make_chan(src, value):
        return False
    args = syntax.arguments(value)
    return len(args) == 1 or constants.integer(src, args[1]) == 0


def _stops_receiving(
    node: Node, kind: Kind, src: SourceFile
) -> list[tuple[SourceFile, Node]] | None:
    """``x.f`` received from in a select case beside a stop case of ``kind`` that returns, or
    handed to a function of the package whose every use of it is such a receive."""
    parent = node.parent
    if parent is not None and parent.type == "unary_expression":
        stop = _stop_case_of(parent, kind, src)
        return [(src, stop)] if stop is not None else None
    call = parent.parent if parent is not None and parent.type == "argument_list" else None
    if call is None or call.type != "call_expression":
        return None
    callee = resolve.callee(src, call)
    run = usage_of_call(src, call, node) if callee is not None else None
    if callee is None or run is None or not run.known or run.spawned or run.returns is None:
        return None
    receives = run.of_kind("receive")
    if not receives or len(receives) != len(run.events):
        return None  # it sends, closes, ranges or passes the channel on
    stops = []
    for event in receives:
        if not event.gives_up or not syntax.same_node(
            syntax.enclosing_function(event.node), callee.node
        ):
            return None
        stop = _stop_case_of(event.node, kind, event.src)
        if stop is None:
            return None
        stops.append((event.src, stop))
    return stops


def _stop_case_of(receive: Node, kind: Kind, src: SourceFile) -> Node | None:
    """The case on a signal of ``kind`` that returns, in the select whose case ``receive`` is."""
    case = local.case_of(receive)
    select = case.parent if case is not None else None
    if select is None:
        return None
    function = syntax.enclosing_function(receive)
    for other in select.named_children:
        if other.type != "communication_case" or other == case:
            continue
        if _signal_kind(src, local.received_operand(other)) != kind:
            continue
        body = list(local.case_statements(other))
        if body and body[-1].type == "return_statement" and syntax.same_node(
            syntax.enclosing_function(body[-1]), function
        ):
            return other
    return None


# --- the finding -----------------------------------------------------------------------------


def _spelled(kind: Kind) -> str:
    what, owner, name = kind
    return f"a {owner}'s {name}()" if what == "method" else f"a {owner}'s {name}"


def _finding(
    guard: local.Guard,
    field: FieldChannel,
    kind: Kind,
    stops: list[tuple[SourceFile, Node]],
    src: SourceFile,
    rule: str,
) -> Finding:
    related = [Related(span_of(guard.poll), f"{guard.stop} is polled here")]
    related.extend(
        Related(span_of(stop), "a receiver stops here", None if s is src else s.path)
        for s, stop in stops
    )
    return Finding(
        rule=rule,
        path=src.path,
        span=span_of(guard.send),
        message=f"goroutine polls {guard.stop}, then blocks sending on {field.name}: every "
        f"receiver of {field.owner}.{field.name} stops on {_spelled(kind)} too, without "
        "draining; once that fires after the poll, the send blocks forever",
        captures={"poll_field": span_of(guard.send)},
        related=tuple(related),
    )

