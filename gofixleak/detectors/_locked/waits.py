"""The channel operations of one function that wait until a counterpart comes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.source import SourceFile

_VERBS = {
    "send": "sends on",
    "receive": "receives from",
    "range": "ranges over",
    "select": "waits in a select on",
}


@dataclass(frozen=True, eq=False)
class Wait:
    """A blocking channel operation: a send statement, a receive, a ``range`` clause, or a
    ``select`` with no ``default`` (then one operation per case)."""

    node: Node
    kind: str  # send, receive, range, select
    operations: tuple[tuple[str, Node], ...]  # ("send" | "receive", the channel expression)

    @property
    def verb(self) -> str:
        return _VERBS[self.kind]


def blocking_waits(src: SourceFile, function: Node) -> Iterator[Wait]:
    """The function's own blocking channel operations (not its nested literals'), in order."""
    body = function.child_by_field_name("body")
    if body is None:
        return
    kinds = ("select_statement", "send_statement", "unary_expression", "range_clause")
    for node in syntax.descendants(body, *kinds, into_functions=False):
        if node.type == "select_statement":
            wait = _select(node)
            if wait is not None:
                yield wait
        elif node.type == "send_statement" and not syntax.is_case_communication(node):
            channel = node.child_by_field_name("channel")
            if channel is not None:
                yield Wait(node, "send", (("send", channel),))
        elif syntax.is_receive(node) and not syntax.is_case_communication(node):
            operand = node.child_by_field_name("operand")
            if operand is not None:
                yield Wait(node, "receive", (("receive", operand),))
        elif node.type == "range_clause":
            operand = node.child_by_field_name("right")
            if operand is not None:
                yield Wait(node, "range", (("receive", operand),))


def _select(statement: Node) -> Wait | None:
    """A select that waits: no ``default``, each case a send or a receive."""
    operations = []
    for case in statement.named_children:
        if case.type == "default_case":
            return None
        communication = case.child_by_field_name("communication")
        if case.type != "communication_case" or communication is None:
            continue
        operation = _communication(communication)
        if operation is None:
            return None
        operations.append(operation)
    if not operations:
        return None  # select {}: not a channel's fault
    return Wait(statement, "select", tuple(operations))


def _communication(communication: Node) -> tuple[str, Node] | None:
    if communication.type == "send_statement":
        channel = communication.child_by_field_name("channel")
        return ("send", channel) if channel is not None else None
    receive = next(
        (n for n in syntax.walk(communication, into_functions=False) if syntax.is_receive(n)),
        None,
    )
    operand = receive.child_by_field_name("operand") if receive is not None else None
    return ("receive", operand) if operand is not None else None
