"""A request sent to a goroutine's loop that may already have returned (etcd's issue 6857,
Istio's 17860).

A type's loop goroutine serves requests on a field channel, ``case c := <-n.status:`` in a
``for { select { ... } }``, and returns on another case (``case <-n.stop: return``,
``case <-ctx.Done(): return``). A bare send on that channel, ``n.status <- c``, outside any
``select``, then blocks forever once the loop is gone. The package model proves that nobody else
could take the value: the channel is an unexported field that only ``make(chan T)`` fills
(unbuffered), never closed nor ranged over, whose every receive is a case of that one loop,
which no other loop of its function holds. The send is the type's own: made in one of its
methods (or a literal there); the type's users, a test or a driver that starts the loop and
sends at once, may know that it still runs.

A send made by a goroutine of its own (a ``go func() { ... }()``, or a named function the
package only ever starts with ``go``) leaks that goroutine. A send made by a plain call (an
exported ``Status()``) blocks its caller, which is a leak only when the caller may call after the
loop stopped: it is reported only when the type says that it may, and how to tell: the loop
closes a done channel of the same value when it returns (``close(n.done)``, or a
``defer close(n.done)``) and somewhere else in the package a function waits on it, while the
sender does not. A goroutine's send may have such a done channel too: then it can be fixed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.facts import callers, declarations, resolve
from gofixleak.facts.operations import Operation, field_operations
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    ancestors,
    arguments,
    block_statements,
    call_name,
    descendants,
    enclosing_function,
    enclosing_loops,
    exit_case_operand,
    is_goroutine_literal,
    is_inside,
    loop_exits,
    same_node,
)


@dataclass(frozen=True)
class LoopRequest:
    """A bare send on a field channel whose only receiver is a loop that can return."""

    send: Node
    channel: str  # as the sender spells it: ``n.status``
    sender: str  # the sending function, as a person names it
    loop_function: str  # the loop's function, as a person names it
    receive: Operation  # one of the loop's receives of the channel
    exit_case: Node  # the loop's case that returns
    exit_on: str  # what that case waits on: ``n.stop``, ``ctx.Done()``
    operand: str  # the variable the sender selects the channel from: ``n``
    done_field: str | None  # the done channel the loop closes (``done``); a plain call has one
    sender_node: Node
    in_goroutine: bool


def loop_requests(src: SourceFile) -> Iterator[LoopRequest]:
    """The file's bare sends on a field channel that only a returning loop receives from."""
    if b"<-" not in src.data:
        return
    for send in descendants(src.root, "send_statement"):
        parent = send.parent
        if parent is not None and parent.type == "communication_case":
            continue  # a select's case: it has other ways on
        found = loop_request(src, send)
        if found is not None:
            yield found


def loop_request(src: SourceFile, send: Node) -> LoopRequest | None:
    """The request that the bare send ``send`` makes to a loop that may have returned."""
    channel = send.child_by_field_name("channel")
    if channel is None or channel.type != "selector_expression":
        return None
    operand = channel.child_by_field_name("operand")
    selected = channel.child_by_field_name("field")
    if operand is None or selected is None or operand.type != "identifier":
        return None
    owner = resolve.type_of(src, operand)
    if owner is None:
        return None
    operations = field_operations(src.pkg, owner, src.show(selected))
    if operations is None or not operations.unbuffered:
        return None
    receives = [op for op in operations.operations if op.kind == "receive"]
    if not receives or any(op.kind in ("close", "range") for op in operations.operations):
        return None  # nobody receives (another rule's case), or a close or range ends it
    loop = _serving_loop(receives)
    if loop is None:
        return None
    receiver = receives[0]
    sender = enclosing_function(send)
    if sender is None:
        return None
    if receiver.src is src and is_inside(send, receiver.function):
        return None  # the loop sends to itself: a deadlock of its own, not a stranded request
    method = resolve.enclosing_method(src, send)
    if method is None or not method.is_method or method.receiver_type != owner:
        return None  # the type's users (a test, a driver) may know when its loop runs
    exit_ = _exit(receiver.src, loop, src.show(selected))
    if exit_ is None:
        return None
    exit_case, exit_on = exit_
    if _restarted(receiver):
        return None
    in_goroutine = _runs_alone(src, sender)
    done_field = _unawaited_done(src, sender, receiver, exit_case, owner)
    if done_field is None and not in_goroutine:
        return None
    return LoopRequest(
        send=send,
        channel=src.show(channel),
        sender=resolve.described(src, sender),
        loop_function=resolve.described(receiver.src, receiver.function),
        receive=receiver,
        exit_case=exit_case,
        exit_on=exit_on,
        operand=src.show(operand),
        done_field=done_field,
        sender_node=sender,
        in_goroutine=in_goroutine,
    )


def _serving_loop(receives: list[Operation]) -> Node | None:
    """The one loop whose ``select`` cases make every receive, directly in the loop, in a
    function that runs no loop around it; None when the receives are anywhere else."""
    first = receives[0]
    found: Node | None = None
    for receive in receives:
        if receive.src is not first.src or not same_node(receive.function, first.function):
            return None
        case = _case_of(receive.node)
        if case is None or case.parent is None or case.parent.type != "select_statement":
            return None
        loops = enclosing_loops(case.parent)
        if len(loops) != 1 or (found is not None and not same_node(found, loops[0])):
            return None  # no loop, or a loop re-entered by an outer one
        found = loops[0]
    return found


def _case_of(receive: Node) -> Node | None:
    """The ``case`` whose communication is ``receive`` (``case v := <-x.f:``)."""
    child = receive
    for parent in ancestors(receive):
        if parent.type == "communication_case":
            communication = parent.child_by_field_name("communication")
            return parent if same_node(communication, child) else None
        if parent.type not in ("receive_statement", "expression_list", "expression_statement"):
            return None
        child = parent
    return None


def _exit(src: SourceFile, loop: Node, field_name: str) -> tuple[Node, str] | None:
    """The loop's first case, on another channel than the request's, that leaves the loop
    (returns, or breaks out of it), and what that case waits on."""
    for exit_node in loop_exits(loop, src):
        operand = exit_case_operand(loop, exit_node)
        if operand is None:
            continue
        if operand.type == "selector_expression":
            selected = operand.child_by_field_name("field")
            if selected is not None and src.show(selected) == field_name:
                continue  # the request's own case: ends only on a value (never a close)
        case = next(a for a in ancestors(exit_node) if a.type == "communication_case")
        return case, src.show(operand)
    return None


def _restarted(receive: Operation) -> bool:
    """The loop's function may run again: the package calls it in a loop."""
    declared = declarations.function_at(receive.src, receive.function)
    if declared is None:
        return receive.function.type != "func_literal" or bool(enclosing_loops(receive.function))
    sites = callers.call_sites(receive.src.pkg, declared)
    return sites is not None and any(enclosing_loops(call) for _, call in sites)


def _runs_alone(src: SourceFile, function: Node) -> bool:
    """``function`` is a goroutine: a ``go func() { ... }()``, or a named function that the
    package calls only in ``go`` statements (and at least once)."""
    if function.type == "func_literal":
        return is_goroutine_literal(function)
    declared = declarations.function_at(src, function)
    sites = callers.call_sites(src.pkg, declared) if declared is not None else None
    return bool(sites) and all(
        call.parent is not None and call.parent.type == "go_statement" for _, call in sites or ()
    )


def _unawaited_done(
    src: SourceFile, sender: Node, receive: Operation, exit_case: Node, owner: str
) -> str | None:
    """The field ``d`` of the done channel ``x.d`` of the loop's value that the loop closes when
    it returns (in its returning case, or deferred at its top), that a function of the package
    other than the loop waits on, and that ``sender`` never looks at; None when there is none."""
    loop_src, function = receive.src, receive.function
    body = function.child_by_field_name("body")
    closes = [
        call
        for call in descendants(exit_case, "call_expression", into_functions=False)
        if call_name(loop_src, call) == "close"
    ]
    if body is not None:
        closes += [
            call
            for statement in block_statements(body)
            if statement.type == "defer_statement"
            for call in statement.named_children[:1]
            if call.type == "call_expression" and call_name(loop_src, call) == "close"
        ]
    for call in closes:
        args = arguments(call)
        if len(args) != 1 or args[0].type != "selector_expression":
            continue
        root = args[0].child_by_field_name("operand")
        selected = args[0].child_by_field_name("field")
        if root is None or selected is None or loop_src.show(root) != receive.root:
            continue  # another value's channel
        done = field_operations(src.pkg, owner, loop_src.show(selected))
        if done is None:
            continue
        waiters = [op for op in done.operations if op.kind == "receive"]
        if any(op.src is src and is_inside(op.node, sender) for op in waiters):
            return None  # the sender looks at it: a protocol of its own
        if any(op.src is not loop_src or not is_inside(op.node, function) for op in waiters):
            return loop_src.show(selected)
    return None
