"""double-send, across calls: the error path sends twice where a named helper is involved —
the goroutine is a function of the package (``go fetch(url, ch)``), or calls one that holds
the double send (the runtime's DoubleSend kernel: ``go func() { doubleSend(ch, err) }()``), or
one of the two sends is a call of a helper that sends exactly once (``report(ch, err)``).

The package model gives the channel's whole usage, so the count can be made for several
goroutines at once: the function takes exactly one value per goroutine it starts (N
goroutines, N receives of its own, on every path), every goroutine sends at least once on every
path, and one of them sends twice on its error path. On that path N+1 values meet N receives
on an unbuffered channel: one send blocks forever. The local rule (double_send.py) decides the
goroutine literals that send by themselves; this module takes the channels it leaves.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.channels import LocalChannel
from gofixleak.detectors import double_send as local
from gofixleak.facts import constants, references, resolve
from gofixleak.facts.usage import Spawn, Usage, usage, usage_of_call
from gofixleak.model import Finding, Related, Span
from gofixleak.source import SourceFile, span_of

_MAX_DEPTH = 2  # helpers followed below a goroutine's function
# Statements after which the second send may not run (a select may take another case).
_JUMPS = frozenset(
    {
        "return_statement",
        "goto_statement",
        "break_statement",
        "continue_statement",
        "select_statement",
    }
)


@dataclass(frozen=True)
class Step:
    """One send of the error path: ``p <- v``, or a call of a helper that sends once."""

    statement: Node
    helper: str | None  # the helper's name for a call


@dataclass(frozen=True)
class Shape:
    """``if err != nil { ...; first }`` falling through to ``second``, in ``function`` (which
    names the channel ``name``); ``via`` are the calls that lead there from the goroutine."""

    src: SourceFile
    function: Node
    name: str
    check: Node
    first: Step
    second: Step
    via: tuple[tuple[SourceFile, Node], ...]
    goroutines: int = 1  # how many the function starts (and values it takes)


def findings(
    channel: LocalChannel, src: SourceFile, rule: str, seen: set[Span]
) -> Iterator[Finding]:
    """The finding for ``channel`` when a goroutine's error path sends on it twice through a
    helper, unless ``seen`` already holds its place (one helper shared by two channels)."""
    shape = double_send(channel, src)
    if shape is None:
        return
    finding = _finding(channel, shape, src, rule)
    if finding.span not in seen:
        seen.add(finding.span)
        yield finding


def double_send(channel: LocalChannel, src: SourceFile) -> Shape | None:
    if channel.capacity is not None and constants.integer(src, channel.capacity) != 0:
        return None
    use = usage(src, channel.function, channel.subject)
    if not use.known or use.of_kind("close", "range"):
        return None
    spawns = _senders(channel, use, src)
    if spawns is None or not _received_once_each(channel, use, len(spawns), src):
        return None
    for spawn in spawns:
        shape = _shape_of(spawn, channel, src)
        if shape is not None and _involves_helper(shape):
            return dataclasses.replace(shape, goroutines=len(spawns))
    return None


def _senders(channel: LocalChannel, use: Usage, src: SourceFile) -> list[Spawn] | None:
    """The goroutines the function starts, once each, all of which send at least once on every
    path; None when a send is made anywhere else or a goroutine may not send."""
    around_make = {span_of(loop) for loop in syntax.enclosing_loops(channel.declaration)}
    spawns = list(use.spawned)
    for spawn in spawns:
        if spawn.src is not src or not syntax.same_node(
            syntax.enclosing_function(spawn.go), channel.function
        ):
            return None
        if syntax.is_started_for_program_lifetime(spawn.go, src):
            return None
        if any(span_of(loop) not in around_make for loop in syntax.enclosing_loops(spawn.go)):
            return None  # started once per round: the count is not known
        run = spawn.run
        sends = run.returns.get("send") if run.returns is not None else None
        if sends is None or sends.lo < 1 or run.of_kind("receive", "range") or run.spawned:
            return None
    in_spawns = sum(len(s.run.of_kind("send")) for s in spawns)
    return spawns if spawns and in_spawns == len(use.of_kind("send")) else None


def _received_once_each(channel: LocalChannel, use: Usage, count: int, src: SourceFile) -> bool:
    """The function itself takes exactly ``count`` values on every path, outside loops."""
    receives = use.of_kind("receive")
    around_make = {span_of(loop) for loop in syntax.enclosing_loops(channel.declaration)}
    for event in receives:
        if event.src is not src or not syntax.same_node(
            syntax.enclosing_function(event.node), channel.function
        ):
            return False
        if any(span_of(loop) not in around_make for loop in syntax.enclosing_loops(event.node)):
            return False
    taken = use.returns.get("receive") if use.returns is not None else None
    return taken is not None and taken.lo == taken.hi == count


# --- the shape, in the goroutine or a helper it calls --------------------------------------


def _shape_of(spawn: Spawn, channel: LocalChannel, src: SourceFile) -> Shape | None:
    """The double send in the function that ``spawn`` runs, or in a helper it calls."""
    call = syntax.launched_call(spawn.go)
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return None
    if function.type == "func_literal":
        name = _bound_name(call, function, src, channel.name) or channel.name
        return _shape_in(src, function, name, ())
    argument = _argument_named(call, channel.name, src)
    callee = resolve.callee(src, call)
    if argument is None or callee is None or usage_of_call(src, call, argument) is None:
        return None
    parameter = _parameter(call, argument, callee.node, callee.src)
    if parameter is None:
        return None
    return _shape_in(callee.src, callee.node, parameter, ((src, call),))


def _shape_in(
    src: SourceFile, function: Node, name: str, via: tuple[tuple[SourceFile, Node], ...]
) -> Shape | None:
    body = syntax.function_body(function)
    if body is None:
        return None
    for check in syntax.descendants(body, "if_statement", into_functions=False):
        found = _falls_through(check, name, src)
        if found is not None:
            first, second = found
            return Shape(src, function, name, check, first, second, via)
    if len(via) >= _MAX_DEPTH:
        return None
    for statement in syntax.descendants(body, "expression_statement", into_functions=False):
        call = statement.named_children[0] if statement.named_children else None
        argument = _argument_named(call, name, src) if call is not None else None
        if call is None or argument is None or call.type != "call_expression":
            continue
        callee = resolve.callee(src, call)
        if callee is None or usage_of_call(src, call, argument) is None:
            continue
        parameter = _parameter(call, argument, callee.node, callee.src)
        if parameter is not None:
            shape = _shape_in(callee.src, callee.node, parameter, (*via, (src, call)))
            if shape is not None:
                return shape
    return None


def _falls_through(check: Node, name: str, src: SourceFile) -> tuple[Step, Step] | None:
    """``check`` is ``if err != nil { ...; first }`` (no else, not in a loop) and control then
    reaches a later ``second`` of the same block, with nothing between that could leave the
    block or use the channel."""
    if check.child_by_field_name("alternative") is not None or syntax.enclosing_loops(check):
        return None
    if not local.is_error_check(check.child_by_field_name("condition"), src):
        return None
    statements = syntax.block_statements(check.child_by_field_name("consequence"))
    first = _step(statements[-1], name, src) if statements else None
    if first is None or check.parent is None:
        return None
    for statement in check.parent.named_children:
        if statement.start_byte < check.end_byte or statement.type == "comment":
            continue
        second = _step(statement, name, src)
        if second is not None:
            return first, second
        if _may_leave_or_use(statement, name, src):
            return None
    return None


def _step(statement: Node, name: str, src: SourceFile) -> Step | None:
    """``name <- v``, or a call statement of a helper that sends on ``name`` exactly once and
    does nothing else with it."""
    if statement.type == "send_statement":
        channel = statement.child_by_field_name("channel")
        return Step(statement, None) if _is_name(channel, name, src) else None
    if statement.type != "expression_statement" or not statement.named_children:
        return None
    call = statement.named_children[0]
    argument = _argument_named(call, name, src) if call.type == "call_expression" else None
    run = usage_of_call(src, call, argument) if argument is not None else None
    if run is None or not run.known or run.spawned or run.returns is None:
        return None
    if run.returns.get("send").exactly_once and set(run.returns.kinds()) == {"send"}:
        callee = resolve.callee(src, call)
        return Step(statement, callee.name if callee is not None else None)
    return None


def _may_leave_or_use(statement: Node, name: str, src: SourceFile) -> bool:
    """The statement may jump away (the second send may not run), end the goroutine, or use
    the channel (a send or a call that could send)."""
    return any(
        node.type in _JUMPS or syntax.is_ending_call(src, node) or _is_name(node, name, src)
        for node in syntax.walk(statement, into_functions=False)
    )


def _involves_helper(shape: Shape) -> bool:
    """A named function holds the shape, or one of its sends is a helper's: the local rule's
    goroutine literals that send by themselves are not taken twice."""
    return bool(shape.via) or shape.first.helper is not None or shape.second.helper is not None


# --- names and arguments ---------------------------------------------------------------------


def _is_name(node: Node | None, name: str, src: SourceFile) -> bool:
    return node is not None and node.type == "identifier" and src.show(node) == name


def _argument_named(call: Node, name: str, src: SourceFile) -> Node | None:
    matching = [a for a in syntax.arguments(call) if _is_name(a, name, src)]
    return matching[0] if len(matching) == 1 else None


def _parameter(call: Node, argument: Node, function: Node, src: SourceFile) -> str | None:
    args = syntax.arguments(call)
    names = syntax.parameter_names(function, src)
    if syntax.has_variadic_parameter(function) or len(args) != len(names):
        return None
    position = next(i for i, a in enumerate(args) if syntax.same_node(a, argument))
    return names[position] if names[position] not in ("", "_") else None


def _bound_name(call: Node, literal: Node, src: SourceFile, name: str) -> str | None:
    """The literal's parameter that the channel is passed as (``go func(c chan T) {}(ch)``)."""
    argument = _argument_named(call, name, src)
    return _parameter(call, argument, literal, src) if argument is not None else None


# --- the finding -----------------------------------------------------------------------------


def _finding(channel: LocalChannel, shape: Shape, src: SourceFile, rule: str) -> Finding:
    here = shape.src is src
    where = shape.first.statement if here else shape.via[0][1]
    line = shape.src.data[: shape.second.statement.start_byte].count(b"\n") + 1
    in_function = _function_name(shape)
    first = f"sends on {shape.name}" + _through(shape.first)
    second = "the send" + _through(shape.second)
    place = f" in {in_function}" if in_function else ""
    of_file = "" if here else f" of {os.path.basename(shape.src.path)}"
    each = "once" if shape.goroutines == 1 else "once per goroutine"
    captures: dict[str, Span] = {"send": span_of(shape.first.statement)} if here else {}
    if _is_fixable(shape, channel, src):
        captures["return_after"] = span_of(shape.first.statement)
        if not here:
            captures["return_in"] = span_of(shape.via[-1][1])
    related = [
        Related(
            span_of(shape.second.statement),
            "the second send",
            None if here else shape.src.path,
        )
    ]
    if not here:
        related.insert(0, Related(span_of(shape.first.statement), "the first send", shape.src.path))
    return Finding(
        rule=rule,
        path=src.path,
        span=span_of(where),
        message=f"goroutine {first} on the error path{place}, then falls through to {second} "
        f"on line {line}{of_file}, which blocks forever: {channel.name} is received from {each}",
        captures=captures,
        related=tuple(related),
    )


def _through(step: Step) -> str:
    return f" through {step.helper}" if step.helper else ""


def _called_only_from(function: Node, src: SourceFile, shape: Shape, name: str) -> bool:
    """Every mention of the named function holding the shape, but its declaration, lies in
    ``function`` (of ``src``, the channel's): the goroutines counted there are its only
    callers."""
    declared = shape.function.child_by_field_name("name")
    found = references.mentions(shape.src.pkg, name)
    if shape.src.pkg.incomplete:
        return False  # a file out of reach may call it too
    return all(
        (where is shape.src and declared is not None and syntax.same_node(node, declared))
        or (where is src and _inside(node, function))
        for where, node in found
    )


def _inside(node: Node, scope: Node) -> bool:
    return scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte


def _function_name(shape: Shape) -> str | None:
    name = shape.function.child_by_field_name("name")
    return shape.src.show(name) if name is not None else None


def _is_fixable(shape: Shape, channel: LocalChannel, src: SourceFile) -> bool:
    """A ``return`` may follow the first send: the function has no results, nothing after the
    check does bookkeeping others wait for (see the local rule), a named function is
    unexported and mentioned only in the function whose receives were counted, and a function
    in another file is called from this one."""
    name = _function_name(shape)
    if name is not None and not name[:1].islower():
        return False
    if name is not None and not _called_only_from(channel.function, src, shape, name):
        return False  # another caller may take both values: the return would block it
    if shape.src is not src and shape.via[-1][0] is not src:
        return False  # the fixer finds the function from the call that runs it
    first, second = shape.first.statement, shape.second.statement
    return local.is_fixable(local.DoubleSend(shape.check, first, second, shape.function), shape.src)
