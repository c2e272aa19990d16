"""Which mutexes a function holds at each point, and which ones its run may take, by syntax.

A mutex is a :class:`Place`: a path from a variable, as the function spells it — ``s.mu`` (a
field of the receiver), ``c.Mutex`` for the ``sync.Mutex`` that ``c``'s type embeds (``c.Lock()``),
a local ``mu``, a package-level ``var mu sync.Mutex``. A call ``P.Lock()``, ``P.Unlock()``,
``P.RLock()`` or ``P.RUnlock()`` is a lock call only when the declared type of ``P`` (a field of a
package struct type, a parameter, a ``var``, a composite literal, ``new``) is ``sync.Mutex`` or
``sync.RWMutex`` (or a pointer to one). A mutex reached through a value receiver or parameter is a
copy (the caller's stays unlocked): it is no place.

:func:`held` answers "which locks does *every* path into this node hold?". It walks the function's
statements: ``Lock``/``RLock`` adds a :class:`Hold`, ``Unlock``/``RUnlock`` removes it, ``defer
P.Unlock()`` keeps it to the end of the function, and where paths meet only the locks held on all of
them stay (loops are walked until that settles). A call of a same-package function counts what the
callee does on every normal return (:func:`effect`: the locks it leaves held, those it may release);
a call that is handed a held mutex or its owner (``helper(s)``, ``release(&s.mu)``) and does not
resolve drops the locks of that owner; calling a function value drops every lock (a closure may
unlock). A ``goto`` or ``fallthrough`` makes the answer empty. Empty is always the safe answer: a
rule that needs a lock held stays silent. Asked about the mutexes of some variables only (the
lock rule asks about those its channels are selected from), the walk follows only the calls
handed one of them, so its cost follows those variables, not the whole call graph.

:func:`acquires` answers "can the run of this function block on this lock?": the ``Lock`` and
``RLock`` calls of its body (deferred and immediately called literals included; goroutines it starts
and literals it keeps run elsewhere) and those of the same-package functions it calls, renamed to
the function's own variables. What cannot be followed is not counted: the answer can only be too
small.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace

from tree_sitter import Node

from gofixleak.facts import declarations, resolve
from gofixleak.facts.declarations import Function
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    FUNCTIONS,
    ancestors,
    arguments,
    block_statements,
    descendants,
    is_ending_call,
    is_inside,
    is_unconditional_loop,
    is_written,
    parameter_names,
    same_node,
)

MUTEX_KINDS = frozenset({"mutex", "rwmutex"})
# Method -> (acquires, shared): RLock and RUnlock are the reader side of an RWMutex.
LOCK_METHODS = {
    "Lock": (True, False),
    "RLock": (True, True),
    "Unlock": (False, False),
    "RUnlock": (False, True),
}
_MAX_CALL_DEPTH = 6  # how far acquires are followed into callees


@dataclass(frozen=True, slots=True)
class Place:
    """A mutex, named from a variable: ``root`` and the fields selected from it."""

    root: str
    path: tuple[str, ...] = ()
    package_level: bool = False  # ``root`` is a package-level variable, the same in every function

    def extended(self, path: tuple[str, ...]) -> Place:
        return replace(self, path=self.path + path)

    def __str__(self) -> str:
        return ".".join((self.root, *self.path))


@dataclass(frozen=True, slots=True)
class Hold:
    """A mutex held, or taken: for writing, or (``shared``) an RWMutex's read lock."""

    place: Place
    shared: bool = False

    def excludes(self, other: Hold) -> bool:
        """Two goroutines cannot hold these at once: the same mutex, not both as readers.

        (A reader can also wait behind a waiting writer, but only on some schedules.)"""
        return self.place == other.place and not (self.shared and other.shared)


@dataclass(frozen=True, eq=False)
class LockCall:
    """``P.Lock()`` (``Unlock``, ``RLock``, ``RUnlock``) on a mutex place."""

    call: Node
    place: Place
    method: str

    @property
    def acquires(self) -> bool:
        return LOCK_METHODS[self.method][0]

    @property
    def hold(self) -> Hold:
        return Hold(self.place, LOCK_METHODS[self.method][1])


@dataclass(frozen=True, eq=False)
class Acquire:
    """A lock that a run may take, and one call that takes it (in ``src``)."""

    hold: Hold
    src: SourceFile
    call: Node


@dataclass(frozen=True)
class Effect:
    """What a call of a function does to the caller's locks, in the function's own names: the
    locks it leaves held on every normal return, those it may release without taking them."""

    acquired: frozenset[Hold] = frozenset()
    released: frozenset[Place] = frozenset()
    known: bool = True


UNKNOWN_EFFECT = Effect(known=False)


# --- places and lock calls ---------------------------------------------------------------------


def place_of(src: SourceFile, expression: Node) -> Place | None:
    """The place a path expression names: ``x``, ``x.f.g``, ``&x.f``, ``(*x).f``; None for any
    other expression."""
    kind = expression.type
    if kind == "parenthesized_expression" and expression.named_children:
        return place_of(src, expression.named_children[0])
    if kind == "unary_expression":
        operator = expression.child_by_field_name("operator")
        operand = expression.child_by_field_name("operand")
        if operator is None or operator.type not in ("&", "*") or operand is None:
            return None
        return place_of(src, operand)
    if kind == "identifier":
        name = src.show(expression)
        local = bool(resolve.declarations_of(src, expression, name))
        return Place(name, (), package_level=not local)
    if kind == "selector_expression":
        operand = expression.child_by_field_name("operand")
        selected = expression.child_by_field_name("field")
        owner = place_of(src, operand) if operand is not None else None
        return owner.extended((src.show(selected),)) if owner and selected else None
    return None


def lock_call(src: SourceFile, call: Node) -> LockCall | None:
    """The lock call ``call`` is, or None (not one of the four methods, or not on a mutex)."""
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression" or arguments(call):
        return None
    method = function.child_by_field_name("field")
    operand = function.child_by_field_name("operand")
    if method is None or operand is None or src.show(method) not in LOCK_METHODS:
        return None
    name = src.show(method)
    place = _mutex_place(src, operand, name)
    return LockCall(call, place, name) if place is not None else None


def _mutex_place(src: SourceFile, operand: Node, method: str) -> Place | None:
    """The mutex that ``operand.method()`` locks or unlocks: ``operand`` itself when its
    declared type is a mutex, or the one mutex its struct type embeds (and does not hide behind
    a method of its own)."""
    kind, pointer = _mutex_kind(src, operand)
    place = place_of(src, operand)
    if place is None:
        return None
    if kind is None:
        embedded = _embedded_mutex(src, operand, method)
        if embedded is None:
            return None
        kind, pointer, place = embedded[0], embedded[1], place.extended((embedded[2],))
    if method.startswith("R") and kind != "rwmutex":
        return None  # does not compile: not a sync mutex after all
    if not pointer and _through_a_copy(src, operand):
        return None
    return place


def _mutex_kind(src: SourceFile, expression: Node) -> tuple[str | None, bool]:
    """``("mutex"|"rwmutex", is a pointer)`` when the declared type of ``expression`` says so."""
    type_node: Node | None = None
    if expression.type == "selector_expression":
        operand = expression.child_by_field_name("operand")
        selected = expression.child_by_field_name("field")
        owner = resolve.type_of(src, operand) if operand is not None else None
        struct = declarations.struct_type(src.pkg, owner) if owner is not None else None
        declared = struct.field(src.show(selected)) if struct and selected else None
        if declared is not None and declared.kind in MUTEX_KINDS:
            return declared.kind, declared.type_node.type == "pointer_type"
        return None, False
    if expression.type == "identifier":
        type_node = resolve.declared_type(src, expression)
    if type_node is None:
        return None, False
    kind = declarations.field_kind(type_node, src)
    return (kind, type_node.type == "pointer_type") if kind in MUTEX_KINDS else (None, False)


def _embedded_mutex(src: SourceFile, operand: Node, method: str) -> tuple[str, bool, str] | None:
    """``(kind, is a pointer, field name)`` of the one mutex that ``operand``'s struct type
    embeds, when the type declares no method ``method`` of its own."""
    owner = resolve.type_of(src, operand)
    struct = declarations.struct_type(src.pkg, owner) if owner is not None else None
    if struct is None or declarations.methods_named(src.pkg, struct.name, method):
        return None
    embedded = [f for f in struct.fields if f.embedded and f.kind in MUTEX_KINDS]
    if len(embedded) != 1:
        return None
    found = embedded[0]
    return found.kind, found.type_node.type == "pointer_type", found.name


def _through_a_copy(src: SourceFile, operand: Node) -> bool:
    """The mutex is reached from a receiver or parameter passed by value: a copy."""
    root = operand
    while root.type in ("selector_expression", "parenthesized_expression"):
        inner = root.child_by_field_name("operand") or (
            root.named_children[0] if root.named_children else None
        )
        if inner is None:
            return False
        root = inner
    if root.type != "identifier":
        return False
    found = resolve.declarations_of(src, root, src.show(root))
    holder = found[0].parent if len(found) == 1 else None
    if holder is None or holder.type != "parameter_declaration":
        return False
    type_node = holder.child_by_field_name("type")
    return type_node is not None and type_node.type != "pointer_type"


def lock_calls(src: SourceFile, scope: Node) -> list[LockCall]:
    """The lock calls in ``scope``, not entering nested function literals."""
    found = []
    for node in descendants(scope, "call_expression", into_functions=False):
        if b"Lock" in src.text(node):
            call = lock_call(src, node)
            if call is not None:
                found.append(call)
    return found


# --- stable names and bindings -----------------------------------------------------------------


def is_stable(src: SourceFile, function: Node, name: str) -> bool:
    """``name`` means one variable, holding one value, for the whole run of ``function``: it is
    declared once (a parameter, the receiver, a local of ``function`` or of a function around
    it, outside any loop of ``function``) and never assigned, incremented or addressed after.
    A package-level name counts as stable."""
    found = resolve.declarations_of(src, function, name)
    if not found:
        return True
    if len(found) != 1:
        return False
    declared = found[0]
    for ancestor in ancestors(declared):
        if same_node(ancestor, function):
            break
        if ancestor.type == "for_statement" and is_inside(ancestor, function):
            return False  # a fresh variable (or value) per iteration of this run
    outer = _top_level(src, function)
    return not any(
        is_written(n)
        for n in descendants(outer, "identifier")
        if src.show(n) == name and not same_node(n, declared)
    )


def _top_level(src: SourceFile, node: Node) -> Node:
    return src.root.child_with_descendant(node) or node


def binding(src: SourceFile, call: Node, callee: Function) -> dict[str, Place | None]:
    """The callee's receiver and parameter names, bound to the places the call hands over
    (None where the argument is no path expression)."""
    bound: dict[str, Place | None] = {}
    function = call.child_by_field_name("function")
    if callee.receiver_name is not None and function is not None:
        operand = function.child_by_field_name("operand")
        bound[callee.receiver_name] = place_of(src, operand) if operand is not None else None
    names = parameter_names(callee.node, callee.src)
    args = arguments(call)
    for index, name in enumerate(names):
        if name not in ("", "_"):
            bound[name] = place_of(src, args[index]) if index < len(args) else None
    return bound


def translate(place: Place, bound: Mapping[str, Place | None]) -> Place | None:
    """``place``, named by a callee, as the caller names it; None when it cannot be."""
    if place.package_level:
        return place
    base = bound.get(place.root)
    return base.extended(place.path) if base is not None else None


# --- held locks --------------------------------------------------------------------------------

State = frozenset[Hold]


def held(
    src: SourceFile, function: Node, node: Node, among: frozenset[str] | None = None
) -> frozenset[Hold]:
    """The locks held on every path of ``function`` (a declaration, method or literal, which
    starts holding none) into the statement that holds ``node``; for a select case, the
    select's; for a ``range`` over a channel, each iteration's receive.

    ``among`` asks only about the mutexes reached from those variables (``s`` for ``s.mu``)
    and the package-level ones; the others are left out of the answer, and the walk then
    follows only the calls that are handed one of those variables (a receiver, an argument
    that names it) or that are made while a package-level mutex is held: a callee handed none
    of them names none of their mutexes. A package-level mutex that only such an unfollowed
    callee takes and leaves held is not in the answer (too small is the safe side)."""
    walk_ = _walk(src, function, (among, among is None))
    if walk_.unknown:
        return frozenset()
    for candidate in (node, *ancestors(node)):
        key = (candidate.start_byte, candidate.end_byte, candidate.type)
        if key in walk_.before:
            return walk_.before[key]
        if candidate.type in FUNCTIONS:
            break
    return frozenset()


def effect(callee: Function) -> Effect:
    """What a call of ``callee`` does to its caller's locks (see :class:`Effect`)."""
    return _effect_of(callee.src, callee.node, _EVERY)


# Which mutexes a walk follows: those reached from these variables (None: every mutex), and
# whether every package-level one is followed in full (False: those the function locks itself,
# and the calls made while one is held).
_Asked = tuple[frozenset[str] | None, bool]
_EVERY: _Asked = (None, True)


def _effect_of(src: SourceFile, function: Node, asked: _Asked) -> Effect:
    walk_ = _walk(src, function, asked)
    if walk_.unknown:
        return UNKNOWN_EFFECT
    return Effect(frozenset(walk_.left_held), frozenset(walk_.released))


def _walk(src: SourceFile, function: Node, asked: _Asked) -> _HeldWalk:
    key = ("held", src.path, function.start_byte, function.end_byte, asked)
    derived = src.pkg.derived
    cached = derived.get(key)
    if isinstance(cached, _HeldWalk):
        return cached
    active: set[object] = derived.setdefault(("held-active",), set())  # type: ignore[assignment]
    if key in active:
        return _HeldWalk.failed(src, function, asked)  # recursion: nothing is claimed
    active.add(key)
    try:
        result = _HeldWalk(src, function, asked)
        result.run()
    finally:
        active.discard(key)
    derived[key] = result
    return result


@dataclass
class _Flow:
    fall: State | None = None
    returns: State | None = None
    breaks: dict[str | None, State] = field(default_factory=dict)
    continues: dict[str | None, State] = field(default_factory=dict)

    def absorb(self, other: _Flow) -> None:
        """Add ``other``'s ways out (not its fall-through)."""
        self.returns = _meet(self.returns, other.returns)
        for ways, more in ((self.breaks, other.breaks), (self.continues, other.continues)):
            for label, state in more.items():
                ways[label] = _meet(ways.get(label), state) or state


def _meet(a: State | None, b: State | None) -> State | None:
    """Where two paths join: the locks held on both (None: a path that does not arrive)."""
    if a is None:
        return b
    if b is None:
        return a
    return a & b


class _Unknown(Exception):
    pass


class _HeldWalk:
    """The must-held locks of one function, statement by statement (see :func:`held`)."""

    def __init__(self, src: SourceFile, function: Node, asked: _Asked) -> None:
        self.src = src
        self.function = function
        self.roots, self.every_package_level = asked
        self.before: dict[tuple[int, int, str], State] = {}
        self.released: set[Place] = set()  # unlocked where the function did not hold them
        self.deferred: set[Place] = set()  # unlocked by deferred calls, when it returns
        self.left_held: State = frozenset()
        self.unknown = False

    @staticmethod
    def failed(src: SourceFile, function: Node, asked: _Asked) -> _HeldWalk:
        walk_ = _HeldWalk(src, function, asked)
        walk_.unknown = True
        return walk_

    def run(self) -> None:
        body = self.function.child_by_field_name("body")
        if body is None:
            self.unknown = True
            return
        try:
            flow = self._statements(block_statements(body), frozenset())
        except _Unknown:
            self.unknown = True
            return
        end = _meet(flow.fall, flow.returns)
        self.left_held = frozenset(
            h for h in (end or frozenset()) if h.place not in self.deferred
        )

    # --- statements ---------------------------------------------------------------------------

    def _statements(self, statements: Iterable[Node], state: State) -> _Flow:
        flow = _Flow()
        current: State | None = state
        for statement in statements:
            if current is None:
                break  # unreachable
            step = self._statement(statement, current)
            flow.absorb(step)
            current = step.fall
        flow.fall = current
        return flow

    def _record(self, node: Node, state: State) -> None:
        self.before[(node.start_byte, node.end_byte, node.type)] = state

    def _statement(self, statement: Node, state: State, label: str | None = None) -> _Flow:
        self._record(statement, state)
        kind = statement.type
        if kind == "block":
            return self._statements(block_statements(statement), state)
        if kind == "labeled_statement":
            return self._labeled(statement, state)
        if kind in ("goto_statement", "fallthrough_statement"):
            raise _Unknown(kind)
        if kind == "if_statement":
            return self._if(statement, state)
        if kind == "for_statement":
            return self._for(statement, state, label)
        if kind in ("expression_switch_statement", "type_switch_statement"):
            return self._cases(statement, self._header(statement, state), label, switch=True)
        if kind == "select_statement":
            return self._cases(statement, state, label, switch=False)
        if kind in ("break_statement", "continue_statement"):
            target = next((c for c in statement.named_children if c.type == "label_name"), None)
            ways = {self.src.show(target) if target is not None else None: state}
            return _Flow(breaks=ways) if kind == "break_statement" else _Flow(continues=ways)
        if kind == "return_statement":
            return _Flow(returns=self._calls(statement, state))
        if kind == "defer_statement":
            self._defer(statement, state)
            return _Flow(fall=state)
        if kind == "go_statement":
            return _Flow(fall=state)  # the call runs elsewhere
        after = self._calls(statement, state)
        first = statement.named_children[0] if statement.named_children else None
        if kind == "expression_statement" and first and is_ending_call(self.src, first):
            return _Flow()  # panic, os.Exit, t.Fatal: the path ends
        return _Flow(fall=after)

    def _labeled(self, statement: Node, state: State) -> _Flow:
        inner = statement.named_children[-1] if statement.named_children else None
        label_node = statement.child_by_field_name("label")
        label = self.src.show(label_node) if label_node is not None else None
        if inner is None or inner.type == "label_name":
            return _Flow(fall=state)
        flow = self._statement(inner, state, label)
        if label in flow.breaks:
            flow.fall = _meet(flow.fall, flow.breaks.pop(label))
        return flow

    def _if(self, statement: Node, state: State) -> _Flow:
        start = self._header(statement, state)
        consequence = statement.child_by_field_name("consequence")
        alternative = statement.child_by_field_name("alternative")
        then = self._statement(consequence, start) if consequence else _Flow(fall=start)
        otherwise = self._statement(alternative, start) if alternative else _Flow(fall=start)
        flow = _Flow(fall=_meet(then.fall, otherwise.fall))
        flow.absorb(then)
        flow.absorb(otherwise)
        return flow

    def _for(self, loop: Node, state: State, label: str | None) -> _Flow:
        clause = next(
            (c for c in loop.named_children if c.type in ("for_clause", "range_clause")), None
        )
        entry = self._calls(clause, state) if clause is not None else state
        body = loop.child_by_field_name("body")
        head = entry
        own = {None, label}
        while True:  # the held set only shrinks: this ends
            if clause is not None:
                self._record(clause, head)
            inner = self._statements(block_statements(body), head) if body else _Flow(fall=head)
            back = inner.fall
            for name in own:
                back = _meet(back, inner.continues.pop(name, None))
            again = head & back if back is not None else head
            if again == head:
                break
            head = again
        flow = _Flow(fall=head if not is_unconditional_loop(loop) else None)
        for name in own:
            if name in inner.breaks:
                flow.fall = _meet(flow.fall, inner.breaks.pop(name))
        flow.absorb(inner)
        return flow

    def _cases(self, statement: Node, state: State, label: str | None, *, switch: bool) -> _Flow:
        kinds = ("expression_case", "type_case", "default_case", "communication_case")
        cases = [c for c in statement.named_children if c.type in kinds]
        flow = _Flow()
        if switch and not any(c.type == "default_case" for c in cases):
            flow.fall = state
        for case in cases:
            entered = state
            communication = case.child_by_field_name("communication")
            if communication is not None:
                self._record(communication, state)
                entered = self._calls(communication, state)
            lists = [c for c in case.named_children if c.type == "statement_list"]
            body = [c for c in lists[0].named_children if c.type != "comment"] if lists else []
            inner = self._statements(body, entered)
            flow.fall = _meet(flow.fall, inner.fall)
            for name in {None, label}:
                if name in inner.breaks:
                    flow.fall = _meet(flow.fall, inner.breaks.pop(name))
            flow.absorb(inner)
        return flow  # select {} blocks forever: no way on

    def _header(self, statement: Node, state: State) -> State:
        for part in ("initializer", "condition", "value"):
            node = statement.child_by_field_name(part)
            if node is not None:
                state = self._calls(node, state)
        return state

    def _defer(self, statement: Node, state: State) -> None:
        call = statement.named_children[0] if statement.named_children else None
        if call is None or call.type != "call_expression":
            return
        found = lock_call(self.src, call)
        target = call.child_by_field_name("function")
        if found is not None and not found.acquires:
            if self._asks(found.place):
                self._release(found.place, state)
                self.deferred.add(found.place)
        elif target is not None and target.type == "func_literal":
            for inner in lock_calls(self.src, target):
                if not inner.acquires and self._asks(inner.place):
                    self._release(inner.place, state)
                    self.deferred.add(inner.place)
        elif found is None:
            callee = resolve.callee(self.src, call)
            asked = self._callee_asked(call, callee, state) if callee is not None else None
            if callee is not None and asked is not None:
                done = _effect_of(callee.src, callee.node, asked)
                bound = binding(self.src, call, callee)
                for place in (translate(r, bound) for r in done.released):
                    if place is not None:
                        self._release(place, state)
                        self.deferred.add(place)

    def _release(self, place: Place, state: State) -> None:
        if not any(h.place == place for h in state):
            self.released.add(place)

    # --- the calls of one statement -----------------------------------------------------------

    def _calls(self, node: Node, state: State) -> State:
        """``state`` after the calls that ``node`` makes itself (not those of nested literals
        it keeps; a literal called on the spot counts)."""
        for call in _own_calls(node):
            state = self._call(call, state)
        return state

    def _call(self, call: Node, state: State) -> State:
        found = lock_call(self.src, call)
        if found is not None:
            if not self._asks(found.place):
                return state
            if found.acquires:
                return state | {found.hold}
            self._release(found.place, state)
            return frozenset(h for h in state if h.place != found.place)
        function = call.child_by_field_name("function")
        if function is not None and function.type == "func_literal":
            own = frozenset(parameter_names(function, self.src))
            roots = None if self.roots is None else self.roots | own
            done = _effect_of(self.src, function, (roots, self.every_package_level))
            if any(p.root in own for p in done.released):
                return frozenset()  # it unlocks a mutex handed to it: not followed
            return self._apply(done, None, state)
        callee = resolve.callee(self.src, call)
        if callee is not None and callee.body is not None:
            asked = self._callee_asked(call, callee, state)
            if asked is None:
                return state  # handed none of the asked mutexes: it names none of them
            done = _effect_of(callee.src, callee.node, asked)
            return self._apply(done, binding(self.src, call, callee), state)
        if function is not None and function.type == "identifier" and resolve.declarations_of(
            self.src, function, self.src.show(function)
        ):
            return frozenset()  # a function value: a closure may unlock anything it sees
        handed = [p for a in arguments(call) if (p := place_of(self.src, a)) is not None]
        return frozenset(h for h in state if not any(_within(h.place, p) for p in handed))

    def _asks(self, place: Place) -> bool:
        return self.roots is None or place.package_level or place.root in self.roots

    def _callee_asked(self, call: Node, callee: Function, state: State) -> _Asked | None:
        """What to follow in a call of ``callee``: its names for the asked variables that the
        call hands it (as a path, or inside another argument: ``f(s.get())``); None when it
        is handed none and no package-level mutex needs following, so the call is passed by."""
        if self.roots is None:
            return _EVERY
        every_package_level = self.every_package_level or any(
            h.place.package_level for h in state
        )
        names: set[str] = set()
        handed: list[tuple[str, Node | None]] = []
        function = call.child_by_field_name("function")
        if callee.receiver_name is not None and function is not None:
            handed.append((callee.receiver_name, function.child_by_field_name("operand")))
        args = arguments(call)
        for index, name in enumerate(parameter_names(callee.node, callee.src)):
            handed.append((name, args[index] if index < len(args) else None))
        for name, argument in handed:
            if name in ("", "_") or argument is None:
                continue
            place = place_of(self.src, argument)
            if place is not None:
                if place.package_level or place.root in self.roots:
                    names.add(name)
            elif self._mentions_asked(argument):
                names.add(name)
        if not names and not every_package_level:
            return None
        return frozenset(names), every_package_level

    def _mentions_asked(self, expression: Node) -> bool:
        roots = self.roots or frozenset()
        return any(
            self.src.show(n) in roots for n in descendants(expression, "identifier")
        )

    def _apply(
        self, done: Effect, bound: Mapping[str, Place | None] | None, state: State
    ) -> State:
        """The caller's locks after a call whose effect is ``done`` (``bound``: the callee's
        names as the caller's; None for a literal, whose free names are the caller's)."""
        if not done.known:
            return frozenset()
        for place in done.released:
            mapped = place if bound is None else translate(place, bound)
            if mapped is None:
                if place.root in (bound or {}):
                    return frozenset()  # it releases a mutex handed over in a way not followed
                continue  # a mutex of its own
            self._release(mapped, state)
            state = frozenset(h for h in state if h.place != mapped)
        for hold in done.acquired:
            mapped = hold.place if bound is None else translate(hold.place, bound)
            if mapped is not None:
                state = state | {Hold(mapped, hold.shared)}
        return state


def _within(place: Place, owner: Place) -> bool:
    """``place`` is ``owner`` or reached through it (``s.mu`` through ``s``)."""
    return place.root == owner.root and place.path[: len(owner.path)] == owner.path


def _own_calls(node: Node) -> Iterator[Node]:
    """The calls that evaluating ``node`` makes, innermost first (arguments before the call),
    leaving out nested literals' bodies and goroutines' calls."""
    found = list(descendants(node, "call_expression", into_functions=False))
    yield from sorted(found, key=lambda c: (c.end_byte, -c.start_byte))


# --- what a run may take -----------------------------------------------------------------------


def acquires(src: SourceFile, function: Node) -> tuple[Acquire, ...]:
    """The locks the run of ``function`` may take (see the module docstring), named by it."""
    return _acquires(src, function, 0)


def _acquires(src: SourceFile, function: Node, depth: int) -> tuple[Acquire, ...]:
    key = ("acquires", src.path, function.start_byte, function.end_byte)
    derived = src.pkg.derived
    cached = derived.get(key)
    if isinstance(cached, tuple):
        return cached
    active: set[object] = derived.setdefault(("acquires-active",), set())  # type: ignore[assignment]
    body = function.child_by_field_name("body")
    if key in active or depth > _MAX_CALL_DEPTH or body is None:
        return ()
    active.add(key)
    try:
        found = tuple(_taken_in(src, body, depth))
    finally:
        active.discard(key)
    derived[key] = found
    return found


def _taken_in(src: SourceFile, body: Node, depth: int) -> Iterator[Acquire]:
    for node in descendants(body, "call_expression", into_functions=False):
        if _is_launched(node):
            continue
        found = lock_call(src, node)
        if found is not None:
            if found.acquires:
                yield Acquire(found.hold, src, node)
            continue
        function = node.child_by_field_name("function")
        if function is not None and function.type == "func_literal":
            yield from _acquires(src, function, depth + 1)  # its free names are ours
            continue
        callee = resolve.callee(src, node)
        if callee is None or callee.body is None:
            continue
        bound = binding(src, node, callee)
        for taken in _acquires(callee.src, callee.node, depth + 1):
            mapped = translate(taken.hold.place, bound)
            if mapped is not None:
                yield Acquire(Hold(mapped, taken.hold.shared), taken.src, taken.call)


def _is_launched(call: Node) -> bool:
    parent = call.parent
    return parent is not None and parent.type == "go_statement"
