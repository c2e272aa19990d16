"""orphaned-receiver, across calls: the channel is handed to a function of the package that
never sends on it or closes it (gRPC's issue 1424, ``go cc.lbWatcher(doneChan)``).

The package model follows the channel into every function it is handed to (named functions
and methods of any file of the package, literals called on the spot) and into the goroutines
they start. When the channel's whole usage is known — it never escapes, every call settled —
and nothing in it sends or closes, a receive made by a goroutine waits for ever. The local rule
(orphaned_receiver.py) decides the channels that are handed to nobody; this module takes those
that are, so one channel is reported once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.channels import LocalChannel
from gofixleak.facts import references, resolve
from gofixleak.facts.declarations import Function
from gofixleak.facts.usage import Event, Subject, Usage, usage, usage_of_call
from gofixleak.model import Finding, Related, Span
from gofixleak.source import SourceFile, span_of

# Builtins that take the channel without handing it to anyone.
_BUILTINS = frozenset({"close", "len", "cap"})


@dataclass(frozen=True)
class Handover:
    """A call that hands the channel to a function of the package: the call, the argument,
    and the named function it runs (None for a literal called on the spot)."""

    call: Node
    argument: Node
    callee: Function | None


@dataclass(frozen=True)
class Orphan:
    """A receive that waits for ever, and the calls the channel was handed to instead."""

    receive: Node
    handovers: tuple[Handover, ...]
    fixable: Handover | None  # the callee that can close the channel when it returns


def findings(channel: LocalChannel, src: SourceFile, rule: str) -> Iterator[Finding]:
    """The finding for ``channel`` when it is handed to callees and never sent on or closed."""
    orphan = orphaned_receive(channel, src)
    if orphan is not None:
        yield _finding(channel, orphan, src, rule)


def orphaned_receive(channel: LocalChannel, src: SourceFile) -> Orphan | None:
    # The usage first: the rules share it, and most channels are sent on.
    use = usage(src, channel.function, channel.subject)
    if not use.known or use.of_kind("send", "close"):
        return None
    receives = _blocking_receives(channel, use, src)
    handovers = tuple(_handovers(channel, src)) if receives else ()
    if not handovers:
        return None  # nothing blocks, or the local rule's channel (handed to nobody)
    first = min(receives, key=lambda n: n.start_byte)
    return Orphan(first, handovers, _fixable(handovers, src))


def _handovers(channel: LocalChannel, src: SourceFile) -> Iterator[Handover]:
    """The calls in the function (and its literals) that pass the channel as an argument."""
    body = syntax.function_body(channel.function)
    if body is None:
        return
    for call in syntax.descendants(body, "call_expression"):
        if syntax.call_name(src, call) in _BUILTINS:
            continue
        for argument in syntax.arguments(call):
            if argument.type == "identifier" and src.show(argument) == channel.name:
                function = call.child_by_field_name("function")
                literal = function is not None and function.type == "func_literal"
                yield Handover(call, argument, None if literal else resolve.callee(src, call))


def _blocking_receives(channel: LocalChannel, use: Usage, src: SourceFile) -> list[Node]:
    """The receives of this file that a goroutine makes and that nothing can end: not a select
    case beside another, not in a ``for { }`` loop (the loop rules' case)."""
    in_goroutines: list[Event] = []
    for spawn in use.spawned:
        if not syntax.is_started_for_program_lifetime(spawn.go, spawn.src):
            in_goroutines.extend(spawn.run.events)
    if _is_goroutine(channel.function, src):
        spawned = {_key(e) for s in use.spawned for e in s.run.events}
        in_goroutines.extend(e for e in use.events if _key(e) not in spawned)
    return [
        e.node
        for e in in_goroutines
        if e.kind in ("receive", "range")
        and e.src is src
        and not e.gives_up
        and not any(syntax.is_unconditional_loop(loop) for loop in syntax.enclosing_loops(e.node))
    ]


def _is_goroutine(function: Node, src: SourceFile) -> bool:
    """``function`` is a literal started by ``go`` outside program-lifetime code: what its own
    body waits for, a goroutine waits for."""
    if not syntax.is_goroutine_literal(function):
        return False
    go = function.parent.parent if function.parent is not None else None
    return go is not None and not syntax.is_started_for_program_lifetime(go, src)


def _key(event: Event) -> tuple[str, int, int, str]:
    return (event.src.path, event.node.start_byte, event.node.end_byte, event.kind)


# --- the callee that can close it ----------------------------------------------------------


def _fixable(handovers: tuple[Handover, ...], src: SourceFile) -> Handover | None:
    """The one callee that may close the channel when it returns: an unexported function or
    method called nowhere else in the package, whose parameter is a channel it may close and
    that it does not use at all (it never sends, closes or receives, passes nothing on)."""
    if len(handovers) != 1:
        return None
    (handover,) = handovers
    callee = handover.callee
    if callee is None or callee.body is None or not callee.name[:1].islower():
        return None
    uses = references.uses_of(callee)
    if uses is None or len(uses) != 1:
        return None  # another call, a method value, or a file out of reach
    parameter = parameter_of(handover, src)
    if parameter is None or not _may_close(callee, parameter):
        return None
    run = usage(callee.src, callee.node, Subject(parameter))
    if not run.known or run.events or run.spawned or run.returns is None:
        return None
    if _close_is_hidden(callee):
        return None
    first = first_statement(callee)
    return handover if first is not None else None


def parameter_of(handover: Handover, src: SourceFile) -> str | None:
    """The callee's parameter that the channel is bound to."""
    callee = handover.callee
    if callee is None or usage_of_call(src, handover.call, handover.argument) is None:
        return None
    args = syntax.arguments(handover.call)
    names = syntax.parameter_names(callee.node, callee.src)
    position = next(i for i, a in enumerate(args) if syntax.same_node(a, handover.argument))
    return names[position] if len(names) == len(args) else None


def _may_close(callee: Function, parameter: str) -> bool:
    """The parameter is declared as a channel type that ``close`` takes (not receive-only)."""
    type_node = syntax.parameter_type(callee.node, callee.src, parameter)
    return (
        type_node is not None
        and type_node.type == "channel_type"
        and not callee.src.show(type_node).startswith("<-")
    )


def _close_is_hidden(callee: Function) -> bool:
    """A name ``close`` declared in the callee or the package: the inserted call would not be
    the builtin."""
    src = callee.src
    local = any(src.show(n) == "close" for n in syntax.declaring_identifiers(callee.node))
    return local or any(s.show(n) == "close" for s, n in _top_level_closes(callee))


def _top_level_closes(callee: Function) -> list[tuple[SourceFile, Node]]:
    out = []
    for src in callee.src.pkg.mentioning("close"):
        for declaration in src.root.named_children:
            name = declaration.child_by_field_name("name")
            if declaration.type == "function_declaration" and name is not None:
                out.append((src, name))
            elif declaration.type in ("var_declaration", "const_declaration", "type_declaration"):
                out.extend((src, n) for n in syntax.declaring_identifiers(declaration))
                out.extend(
                    (src, n)
                    for spec in syntax.descendants(declaration, "type_spec", "type_alias")
                    if (n := spec.child_by_field_name("name")) is not None
                )
    return out


def first_statement(callee: Function) -> Node | None:
    """What the callee's body starts with (a statement or a comment), on a line of its own."""
    body = callee.body
    if body is None:
        return None
    children = [c for c in body.named_children if c.type != "statement_list"]
    lists = [c for c in body.named_children if c.type == "statement_list"]
    candidates = children + (list(lists[0].named_children) if lists else [])
    first = min(candidates, key=lambda n: n.start_byte, default=None)
    if first is None or not syntax.starts_line(callee.src.data, first.start_byte):
        return None
    return first


# --- the finding ---------------------------------------------------------------------------


def _finding(channel: LocalChannel, orphan: Orphan, src: SourceFile, rule: str) -> Finding:
    names = sorted({_spelled(h, src) for h in orphan.handovers})
    captures: dict[str, Span] = {"make": span_of(channel.make)}
    if orphan.fixable is not None:
        captures["callee_call"] = span_of(orphan.fixable.call)
        captures["callee_argument"] = span_of(orphan.fixable.argument)
    related = [Related(span_of(channel.make), f"{channel.name} is made here")]
    for handover in orphan.handovers:
        related.append(Related(span_of(handover.call), f"{channel.name} is handed over here"))
        callee = handover.callee
        name = callee.node.child_by_field_name("name") if callee is not None else None
        if callee is not None and name is not None:
            path = None if callee.src is src else callee.src.path
            related.append(
                Related(span_of(name), f"{callee.name} never sends on it or closes it", path)
            )
    return Finding(
        rule=rule,
        path=src.path,
        span=span_of(orphan.receive),
        message=f"goroutine receives from {channel.name}, which nothing sends on or closes: it "
        f"blocks forever ({_they_get_it(names)})",
        captures=captures,
        related=tuple(related),
    )


def _they_get_it(names: list[str]) -> str:
    if len(names) == 1:
        return f"{names[0]} gets it, and never sends on it or closes it"
    return f"{', '.join(names[:-1])} and {names[-1]} get it, and never send on it or close it"


def _spelled(handover: Handover, src: SourceFile) -> str:
    if handover.callee is not None:
        return handover.callee.name
    return "the literal"
