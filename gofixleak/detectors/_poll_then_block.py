"""select-without-exit, poll-then-block: a goroutine's loop polls a stop signal, then blocks on a
send (CockroachDB's issue 1462)::

    for {
        select {
        case <-stop:
            return
        default:
        }
        v := next()
        ch <- v // or the send alone in the default
    }

The send can block forever only if nobody takes the value once ``stop`` fires, so the shape is
reported only with that proof, made on a channel the function makes and keeps (the package
model gives every use): the channel is unbuffered, this goroutine is its only sender and
polls before each send, and every receive of the channel is a select case beside a case on the
same signal — the same local or parameter, spelled the same, never assigned — that returns. A
receiver that drains on exit, a buffered channel, or a receive anywhere else keeps it silent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.channels import LocalChannel, local_channels
from gofixleak.facts import constants
from gofixleak.facts.usage import Spawn, Usage, usage
from gofixleak.model import Finding, Related, Span
from gofixleak.source import SourceFile, span_of


@dataclass(frozen=True)
class Guard:
    """A send and the poll before it: ``select { case <-S: return; default: }``."""

    send: Node
    poll: Node  # the select statement
    stop: str  # S, as written (blanks dropped)
    signal: Span  # where S is written
    exit: Node  # the poll case's return statement
    in_default: bool  # the send is the poll's default's only statement


@dataclass(frozen=True)
class PollThenBlock:
    channel: LocalChannel
    guards: tuple[Guard, ...]
    stops: tuple[Node, ...]  # the receivers' cases on the same signal
    broadcast: bool  # the signal is closed, never sent one value (ctx.Done(), a closed local)


def findings(src: SourceFile, rule: str) -> Iterator[Finding]:
    if b"default" not in src.data or b"chan" not in src.data:
        return
    for function in syntax.descendants(src.root, *syntax.FUNCTIONS):
        for channel in local_channels(function, src):
            found = proven(channel, src)
            if found is not None:
                yield from (_finding(found, guard, src, rule) for guard in found.guards)


def proven(channel: LocalChannel, src: SourceFile) -> PollThenBlock | None:
    """The shape, on ``channel``, with the proof that its receivers stop without draining."""
    if channel.capacity is not None and constants.integer(src, channel.capacity) != 0:
        return None
    use = usage(src, channel.function, channel.subject)
    if not use.known or use.of_kind("range"):
        return None
    sender = _only_sender(channel, use, src)
    literal = syntax.launched_literal(sender.go) if sender is not None else None
    if sender is None or literal is None:
        return None
    guards = []
    for event in sender.run.of_kind("send"):
        guard = guard_of(event.node, src) if not event.gives_up else None
        if guard is None:
            return None
        guards.append(guard)
    signals = {g.stop for g in guards}
    if len(signals) != 1 or not _is_stable(guards[0], channel, literal, src):
        return None
    (signal,) = signals
    stops = _receivers_stop_on(signal, channel, use, sender, src)
    if stops is None:
        return None
    return PollThenBlock(channel, tuple(guards), tuple(stops), _is_broadcast(signal, channel, src))


def _only_sender(channel: LocalChannel, use: Usage, src: SourceFile) -> Spawn | None:
    """The one goroutine literal of the function that makes every send (and any close), on the
    channel it captures, in its own body."""
    senders = [s for s in use.spawned if s.run.of_kind("send")]
    if len(senders) != 1:
        return None
    (sender,) = senders
    literal = syntax.launched_literal(sender.go)
    if (
        literal is None
        or sender.src is not src
        or not syntax.same_node(syntax.enclosing_function(sender.go), channel.function)
        or syntax.is_started_for_program_lifetime(sender.go, src)
    ):
        return None
    own = [e for e in sender.run.events if e.src is src]
    if len(own) != len(sender.run.events) or any(
        not syntax.same_node(syntax.enclosing_function(e.node), literal) for e in own
    ):
        return None  # through a callee or a nested literal
    in_sender = {span_of(e.node) for e in sender.run.events}
    elsewhere = [e for e in use.of_kind("send", "close") if span_of(e.node) not in in_sender]
    return None if elsewhere else sender


def guard_of(send: Node, src: SourceFile) -> Guard | None:
    """The poll that precedes ``send`` in its loop: the send is a later statement of the loop's
    body than the poll, or it sits in the poll's default."""
    loops = syntax.enclosing_loops(send)  # the sender's own loops
    if not loops:
        return None
    holder = send.parent.parent if send.parent is not None else None  # statement_list's owner
    if holder is not None and holder.type == "default_case":
        poll = holder.parent
        if poll is None or poll.type != "select_statement" or not syntax.is_inside(poll, loops[0]):
            return None
        found = _poll(poll, src, empty_default=False)
        if found is None:
            return None
        # The send becomes a case of the poll only when nothing it evaluates has effects: a
        # select evaluates its sends before it looks at the stop case, the default after.
        alone = (
            len(list(case_statements(holder))) == 1
            and not any(
                n.type == "comment" and not _trails(n, send, src) for n in syntax.walk(holder)
            )
            and _is_plain(send.child_by_field_name("value"))
        )
        return Guard(send, poll, found[0], found[1], found[2], in_default=alone)
    body = loops[0].child_by_field_name("body")
    statements = syntax.block_statements(body)
    if not any(syntax.same_node(s, send) for s in statements):
        return None
    for statement in statements:
        if statement.start_byte >= send.start_byte:
            break
        if statement.type == "select_statement":
            found = _poll(statement, src, empty_default=True)
            if found is not None:
                return Guard(send, statement, found[0], found[1], found[2], in_default=False)
    return None


def _is_plain(value: Node | None) -> bool:
    """A value whose evaluation has no effect: a name, a literal, a field of a name."""
    if value is None:
        return False
    if value.type in ("identifier", "int_literal", "interpreted_string_literal", "true", "false"):
        return True
    operand = value.child_by_field_name("operand")
    return value.type == "selector_expression" and operand is not None and _is_plain(operand)


def _trails(comment: Node, statement: Node, src: SourceFile) -> bool:
    """``comment`` follows ``statement`` on its line (it stays there when the case is
    rewritten up to the statement's end)."""
    between = src.data[statement.end_byte : comment.start_byte]
    return comment.start_byte >= statement.end_byte and b"\n" not in between


def _poll(
    select: Node, src: SourceFile, *, empty_default: bool
) -> tuple[str, Span, Node] | None:
    """``select { case <-S: return; default: }`` (the default empty or not): S, where it is
    written, and the return."""
    cases = [c for c in select.named_children if c.type in ("communication_case", "default_case")]
    if len(cases) != 2 or {c.type for c in cases} != {"communication_case", "default_case"}:
        return None
    case = next(c for c in cases if c.type == "communication_case")
    default = next(c for c in cases if c.type == "default_case")
    if empty_default and list(case_statements(default)):
        return None
    operand = received_operand(case)
    body = list(case_statements(case))
    if operand is None or len(body) != 1 or body[0].type != "return_statement":
        return None
    return src.show(operand).replace(" ", ""), span_of(operand), body[0]


def _received(case: Node, src: SourceFile) -> str | None:
    """S of ``case <-S:`` (nothing assigned), blanks dropped."""
    operand = received_operand(case)
    return src.show(operand).replace(" ", "") if operand is not None else None


def received_operand(case: Node) -> Node | None:
    """The S of ``case <-S:`` (nothing assigned)."""
    communication = case.child_by_field_name("communication")
    if communication is None:
        return None
    if communication.type == "receive_statement":
        if communication.child_by_field_name("left") is not None:
            return None
        receive = communication.child_by_field_name("right")
    elif communication.type == "expression_statement" and communication.named_children:
        receive = communication.named_children[0]
    else:
        return None
    if receive is None or receive.type != "unary_expression":
        return None
    operator = receive.child_by_field_name("operator")
    if operator is None or operator.type != "<-":
        return None
    return receive.child_by_field_name("operand")


def case_statements(case: Node) -> Iterator[Node]:
    for child in case.named_children:
        if child.type == "statement_list":
            yield from (c for c in child.named_children if c.type != "comment")


# --- the same signal ----------------------------------------------------------------------


def _is_stable(guard: Guard, channel: LocalChannel, literal: Node, src: SourceFile) -> bool:
    """S is a local or parameter ``x``, or ``x.Done()``, declared once in the enclosing
    declaration, outside the sender, and never assigned: every goroutine that spells it so
    means the same signal."""
    root = _root(guard.stop)
    if root is None:
        return False
    outer = syntax.top_level_in(src.root, channel.function)
    declared = [n for n in syntax.declaring_identifiers(outer) if src.show(n) == root]
    if len(declared) != 1 or syntax.is_inside(declared[0], literal):
        return False
    return not any(
        _is_assigned(n) for n in syntax.descendants(outer, "identifier") if src.show(n) == root
    )


def _root(signal: str) -> str | None:
    """``x`` for ``x`` and ``x.Done()``; None for anything else."""
    name = signal.removesuffix(".Done()")
    return name if name.isidentifier() else None


def _is_assigned(identifier: Node) -> bool:
    parent = identifier.parent
    holder = parent.parent if parent is not None else None
    return (
        parent is not None
        and parent.type == "expression_list"
        and holder is not None
        and holder.type == "assignment_statement"
        and syntax.same_node(holder.child_by_field_name("left"), parent)
    ) or (parent is not None and parent.type == "unary_expression" and _operator(parent) == "&")


def _operator(unary: Node) -> str:
    operator = unary.child_by_field_name("operator")
    return operator.type if operator is not None else ""


def _is_broadcast(signal: str, channel: LocalChannel, src: SourceFile) -> bool:
    """The signal reaches every goroutine that waits for it: ``ctx.Done()`` of a parameter
    declared ``context.Context``, or a local channel made in the same function that is closed
    and never sent on (one value sent would reach only one of them)."""
    root = _root(signal)
    if root is None:
        return False
    if signal.endswith(".Done()"):
        kind = syntax.parameter_type(channel.function, src, root)
        return syntax.is_context_type(src, kind)
    stop = next((c for c in local_channels(channel.function, src) if c.name == root), None)
    if stop is None:
        return False
    use = usage(src, stop.function, stop.subject)
    return use.known and bool(use.of_kind("close")) and not use.of_kind("send")


def _receivers_stop_on(
    signal: str, channel: LocalChannel, use: Usage, sender: Spawn, src: SourceFile
) -> list[Node] | None:
    """For every receive of the channel, the case of its select on ``signal`` that returns from
    the receiving function (the channel's function or a goroutine literal it starts); None when
    a receive is anything else."""
    receives = use.of_kind("receive")
    if not receives:
        return None
    stops = []
    for event in receives:
        if event.src is not src or not event.gives_up:
            return None
        function = syntax.enclosing_function(event.node)
        if function is None or not _receives_for_good(function, channel, sender, src):
            return None
        case = case_of(event.node)
        select = case.parent if case is not None else None
        stop = _stop_case(select, signal, function, src) if select is not None else None
        if stop is None:
            return None
        stops.append(stop)
    return stops


def _receives_for_good(
    function: Node, channel: LocalChannel, sender: Spawn, src: SourceFile
) -> bool:
    """A return of ``function`` ends its receiving: it is the channel's function, or a
    goroutine literal that function starts (not the sender)."""
    if syntax.same_node(function, channel.function):
        return True
    if not syntax.is_goroutine_literal(function) or function.parent is None:
        return False
    go = function.parent.parent
    return (
        go is not None
        and not syntax.same_node(go, sender.go)
        and syntax.same_node(syntax.enclosing_function(go), channel.function)
    )


def case_of(receive: Node) -> Node | None:
    for ancestor in syntax.ancestors(receive):
        if ancestor.type == "communication_case":
            return ancestor
        if ancestor.type in syntax.FUNCTIONS or ancestor.type == "block":
            return None
    return None


def _stop_case(select: Node, signal: str, function: Node, src: SourceFile) -> Node | None:
    for case in select.named_children:
        if case.type != "communication_case" or _received(case, src) != signal:
            continue
        body = list(case_statements(case))
        if body and body[-1].type == "return_statement" and syntax.same_node(
            syntax.enclosing_function(body[-1]), function
        ):
            return case
    return None


# --- the finding -----------------------------------------------------------------------------


def _finding(found: PollThenBlock, guard: Guard, src: SourceFile, rule: str) -> Finding:
    name = found.channel.name
    captures: dict[str, Span] = {
        "poll_send": span_of(guard.send),
        "poll_exit": span_of(guard.exit),
        "poll_signal": guard.signal,
    }
    if found.broadcast:
        captures["poll_safe"] = span_of(guard.send)
    if guard.in_default:
        default = guard.send.parent.parent if guard.send.parent is not None else None
        if default is not None:  # from `default:` to the send (the case's node runs on)
            captures["poll_default"] = Span(default.start_byte, guard.send.end_byte)
    related = [Related(span_of(guard.poll), f"{guard.stop} is polled here")]
    related.extend(
        Related(span_of(stop), "a receiver stops here, without draining") for stop in found.stops
    )
    return Finding(
        rule=rule,
        path=src.path,
        span=span_of(guard.send),
        message=f"goroutine polls {guard.stop}, then blocks sending on {name}: once "
        f"{guard.stop} fires, every receiver of {name} stops on it without draining, and the "
        "send blocks forever",
        captures=captures,
        related=tuple(related),
    )
