"""The proof that a wait cannot end: every counterpart of its channel needs the mutex it holds.

A counterpart *needs* the mutex when it holds it where it operates on the channel, or when the
run it belongs to takes it (:func:`facts.locks.acquires`) — the run of its own function, or,
for a function that is only ever called by name from the package (or a literal called on the
spot), the runs of its callers. A goroutine started with ``go`` is a run of its own: its
starter's mutexes are not its.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import channels
from gofixleak.detectors._locked.waits import Wait
from gofixleak.facts import calls, declarations, locks, resolve
from gofixleak.facts.declarations import Function
from gofixleak.facts.locks import Hold, Place
from gofixleak.facts.operations import (
    Operation,
    Operations,
    field_operations,
    local_operations,
)
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    ancestors,
    arguments,
    descendants,
    enclosing_function,
    is_goroutine_literal,
    parameter_names,
    same_node,
)

# What a counterpart of each wait is: whoever could end it.
COUNTERPARTS = {
    "send": frozenset({"receive", "range", "close"}),
    "receive": frozenset({"send", "close"}),
}
_MAX_CALLERS_DEPTH = 4  # how far up a counterpart's callers are followed
_DONE = {"send": "sent on", "receive": "received from", "range": "ranged over", "close": "closed"}


@dataclass(frozen=True, eq=False)
class Channel:
    """The channel a wait uses, as the waiting function names it, and all its operations."""

    name: str
    operations: Operations
    root: str | None  # the variable a field is selected from; None for a local channel
    scope: Node | None = None  # the function that declares a local channel


@dataclass(frozen=True, eq=False)
class Need:
    """Where a counterpart's run takes the mutex (or the operation itself, made under it)."""

    src: SourceFile
    node: Node
    under: bool  # the operation is made while holding the mutex


@dataclass(frozen=True, eq=False)
class Counterpart:
    operation: Operation
    need: Need
    place: Place  # the mutex, as the counterpart names it
    where: str  # its function, as a person names it

    @property
    def explanation(self) -> str:
        done = _DONE[self.operation.kind]
        if self.need.under:
            return f"{done} here ({self.where}), under {self.place}"
        return f"{done} here ({self.where}), by a goroutine that takes {self.place}"


@dataclass(frozen=True, eq=False)
class Proof:
    hold: Hold
    locked: Node | None  # the waiting function's Lock call, when it makes one itself
    channels: tuple[str, ...]
    counterparts: tuple[Counterpart, ...]


def prove(src: SourceFile, function: Node, wait: Wait, hold: Hold) -> Proof | None:
    """The proof that ``wait``, made by ``function`` while it holds ``hold``, never ends; None
    when some counterpart may not need the mutex, or is not known."""
    names: list[str] = []
    found: dict[tuple[str, int], Counterpart] = {}
    for kind, expression in wait.operations:
        channel = _channel(src, function, expression, hold)
        if channel is None or not channel.operations.unbuffered:
            return None
        others = [op for op in channel.operations.operations if op.kind in COUNTERPARTS[kind]]
        if not others:
            return None  # nobody could end it, lock or no lock: another rule's case
        for operation in others:
            counterpart = _counterpart(operation, channel, hold)
            if counterpart is None:
                return None
            found[(operation.src.path, operation.node.start_byte)] = counterpart
        if channel.name not in names:
            names.append(channel.name)
    return Proof(hold, _lock_site(src, function, wait.node, hold), tuple(names), (*found.values(),))


# --- the channel ------------------------------------------------------------------------------


def may_prove(src: SourceFile, wait: Wait) -> bool:
    """What :func:`prove` asks of ``wait`` whatever mutex is held: every channel it uses is
    one the proof can follow, unbuffered, with a counterpart. Asked first, it spares the walk
    for the held mutexes of the many functions whose waits no mutex could make a deadlock."""
    for kind, expression in wait.operations:
        channel = _followed(src, expression)
        if channel is None or not channel.operations.unbuffered:
            return False
        if not any(op.kind in COUNTERPARTS[kind] for op in channel.operations.operations):
            return False
    return True


def owners(src: SourceFile, function: Node, wait: Wait) -> frozenset[str]:
    """The variables whose mutexes :func:`prove` could tie to ``wait``'s channels: the
    variable a field channel is selected from, and for a local channel the local mutexes
    ``function`` locks itself (package-level mutexes always could)."""
    found: set[str] = set()
    for _, expression in wait.operations:
        channel = _followed(src, expression)
        if channel is None:
            continue
        if channel.root is not None:
            found.add(channel.root)
        else:
            found.update(
                c.place.root
                for c in locks.lock_calls(src, function)
                if not c.place.path and not c.place.package_level
            )
    return frozenset(found)


def _channel(src: SourceFile, function: Node, expression: Node, hold: Hold) -> Channel | None:
    """The channel ``expression`` names, when its identity ties it to the held mutex: a field
    of the variable whose field (or embedded mutex) is held, or a local of the function that
    declares the held local mutex; either with a package-level mutex."""
    place = hold.place
    channel = _followed(src, expression)
    if channel is None:
        return None
    if channel.root is not None:
        related = place.package_level or (place.root == channel.root and len(place.path) == 1)
        return channel if related and locks.is_stable(src, function, channel.root) else None
    scope = channel.scope
    if scope is None or not (place.package_level or _is_local_of(src, scope, place)):
        return None
    return channel


def _followed(src: SourceFile, expression: Node) -> Channel | None:
    """The channel ``expression`` names with all its operations, when the package sees them
    all: an unexported field selected from a variable of a known struct type, or a local channel
    made in the function that declares it."""
    if expression.type == "selector_expression":
        operand = expression.child_by_field_name("operand")
        selected = expression.child_by_field_name("field")
        if operand is None or selected is None or operand.type != "identifier":
            return None
        if src.show(selected)[:1].isupper():
            return None  # an exported field: code out of view may operate on it
        owner = resolve.type_of(src, operand)
        if owner is None:
            return None
        found = field_operations(src.pkg, owner, src.show(selected))
        if found is None:
            return None
        return Channel(src.show(expression), found, src.show(operand))
    if expression.type == "identifier":
        return _local_channel(src, expression)
    return None


def _local_channel(src: SourceFile, identifier: Node) -> Channel | None:
    name = src.show(identifier)
    declared = resolve.declarations_of(src, identifier, name)
    scope = enclosing_function(declared[0]) if len(declared) == 1 else None
    if scope is None:
        return None
    made = next(
        (c for c in channels.local_channels(scope, src) if c.declared == declared[0].start_byte),
        None,
    )
    if made is None:
        return None
    found = local_operations(src, scope, name, made.make)
    return Channel(name, found, None, scope) if found is not None else None


def _is_local_of(src: SourceFile, scope: Node, place: Place) -> bool:
    """``place`` is a mutex variable that ``scope`` itself declares (not a parameter)."""
    if place.path:
        return False
    declared = resolve.declarations_of(src, scope, place.root)
    return (
        len(declared) == 1
        and same_node(enclosing_function(declared[0]), scope)
        and not any(a.type == "parameter_list" for a in ancestors(declared[0]))
        and locks.is_stable(src, scope, place.root)
    )


# --- the counterparts -------------------------------------------------------------------------


def _counterpart(operation: Operation, channel: Channel, hold: Hold) -> Counterpart | None:
    place = hold.place
    if channel.root is not None and not place.package_level:
        assert operation.root is not None
        if not locks.is_stable(operation.src, operation.function, operation.root):
            return None
        place = Place(operation.root, place.path)
    need = _need(operation.src, operation.function, operation.node, Hold(place, hold.shared), 0)
    if need is None:
        return None
    return Counterpart(operation, need, place, resolve.described(operation.src, operation.function))


def _need(src: SourceFile, function: Node, node: Node, hold: Hold, depth: int) -> Need | None:
    """Where the run that reaches ``node`` in ``function`` needs ``hold``'s mutex; None when
    it may not."""
    among = frozenset() if hold.place.package_level else frozenset({hold.place.root})
    if any(h.excludes(hold) for h in locks.held(src, function, node, among)):
        return Need(src, node, True)
    taken = next((a for a in locks.acquires(src, function) if a.hold.excludes(hold)), None)
    if taken is not None:
        return Need(taken.src, taken.call, False)
    callers = _callers(src, function) if depth < _MAX_CALLERS_DEPTH else None
    if not callers:
        return None
    needs = []
    for caller_src, call, caller, bound, keeps_free in callers:
        mapped = _renamed(hold.place, bound, keeps_free)
        if mapped is None:
            return None
        need = _need(caller_src, caller, call, Hold(mapped, hold.shared), depth + 1)
        if need is None:
            return None
        needs.append(need)
    return needs[0]


_Caller = tuple[SourceFile, Node, Node, Mapping[str, Place | None], bool]


def _callers(src: SourceFile, function: Node) -> list[_Caller] | None:
    """Every place that runs ``function`` in the caller's own run: the call of a literal called
    on the spot, or every call of an unexported function that the package only ever calls by
    name; None when some run of it may start elsewhere (``go``, a function value, an interface,
    another package)."""
    if function.type == "func_literal":
        call = function.parent
        if (
            call is None
            or call.type != "call_expression"
            or not same_node(call.child_by_field_name("function"), function)
            or is_goroutine_literal(function)
        ):
            return None
        outer = enclosing_function(call)
        bound = dict(zip(parameter_names(function, src), _places(src, call), strict=False))
        return [(src, call, outer, bound, True)] if outer is not None else None
    declared = declarations.function_at(src, function)
    if declared is None or declared.name[:1].isupper() or declared.name in ("init", "main"):
        return None
    found = calls.callers(declared)
    if not found or len(found) != _mentions(declared):
        return None
    out: list[_Caller] = []
    for caller_src, call in found:
        outer = enclosing_function(call)
        if outer is None or (call.parent is not None and call.parent.type == "go_statement"):
            return None
        out.append((caller_src, call, outer, locks.binding(caller_src, call, declared), False))
    return out


def _places(src: SourceFile, call: Node) -> list[Place | None]:
    return [locks.place_of(src, a) for a in arguments(call)]


def _renamed(place: Place, bound: Mapping[str, Place | None], keeps_free: bool) -> Place | None:
    """``place`` as the caller names it; a literal's free names are its caller's own."""
    if keeps_free and place.root not in bound:
        return place
    return locks.translate(place, bound)


def _mentions(function: Function) -> int:
    """How often the package names ``function`` other than where it declares it (a method by
    ``x.name``, a function by its name): each mention that is no call lets it run elsewhere."""
    count = 0
    for src in function.src.pkg.mentioning(function.name):
        if function.is_method:
            count += sum(
                1
                for node in descendants(src.root, "selector_expression")
                if (field := node.child_by_field_name("field")) is not None
                and src.show(field) == function.name
            )
        else:
            count += sum(
                1
                for node in descendants(src.root, "identifier")
                if src.show(node) == function.name
                and not (node.parent is not None and node.parent.type == "function_declaration")
            )
    return count


def _lock_site(src: SourceFile, function: Node, wait: Node, hold: Hold) -> Node | None:
    """The last call in ``function`` before ``wait`` that takes the held mutex."""
    taken = [
        c.call
        for c in locks.lock_calls(src, function)
        if c.acquires and c.hold == hold and c.call.end_byte <= wait.start_byte
    ]
    return taken[-1] if taken else None

