"""What a function does with one value — a channel, a WaitGroup, a context, a cancel function
— counted on every path through its body.

A :class:`Subject` names the value inside a function: a local, a parameter or a receiver
(``ch``, ``wg``), or a field of one (``s.quit``). :func:`usage` walks the function's statements
once and counts the subject's *events* on each path: ``send``, ``receive``, ``range``, ``close``,
``call`` (``cancel()``) and ``method:NAME`` (``wg.Done()``). Each count is an
:class:`Interval` — "exactly once on every path" is ``[1, 1]``, "at most once" ``[0, 1]``,
"in a loop" ``[0, ∞]`` — kept for the paths that return normally and, apart, for the paths
that end in ``panic``, ``runtime.Goexit`` or ``t.Fatal`` (deferred calls run on both).

Calls are followed into the package: when the subject is passed to a same-package function or
method that :mod:`~gofixleak.facts.resolve` settles, that function's own usage of the parameter
is counted where the call stands (``go f(ch)``: in the goroutine it starts). A use that lets the
value go where the count cannot follow — stored, returned, passed to an unknown function,
captured by a literal kept for later — makes the usage *escape*; a ``goto``, a ``fallthrough``,
a name declared again, or a call cycle makes it *unknown*. Rules treat both as "cannot tell"
and stay silent.

Summaries are computed on demand, bottom-up along the calls that matter, and kept in the
package until one of its files changes. A call cycle (recursion) yields an unknown usage for the
functions on it, which is sound: nothing is claimed about them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from tree_sitter import Node

from gofixleak.facts import constants, resolve
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    FUNCTIONS,
    arguments,
    block_statements,
    call_name,
    counted_loop,
    declaring_identifiers,
    descendants,
    has_variadic_parameter,
    identifiers_named,
    is_declaring,
    is_ending_call,
    is_time_channel,
    is_unconditional_loop,
    parameter_names,
    same_node,
)

# --- intervals of counts -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Interval:
    """How many times something happens on a set of paths: between ``lo`` and ``hi``
    (``hi`` None: no bound)."""

    lo: int
    hi: int | None

    def __add__(self, other: Interval) -> Interval:
        hi = None if self.hi is None or other.hi is None else self.hi + other.hi
        return Interval(self.lo + other.lo, hi)

    def join(self, other: Interval) -> Interval:
        hi = None if self.hi is None or other.hi is None else max(self.hi, other.hi)
        return Interval(min(self.lo, other.lo), hi)

    def times(self, count: int) -> Interval:
        return Interval(self.lo * count, None if self.hi is None else self.hi * count)

    def repeated(self) -> Interval:
        """Any number of times (a loop of unknown trip count)."""
        return ZERO if self.hi == 0 else Interval(0, None)

    @property
    def never(self) -> bool:
        return self.hi == 0

    @property
    def exactly_once(self) -> bool:
        return self.lo == 1 and self.hi == 1

    @property
    def at_most_once(self) -> bool:
        return self.hi is not None and self.hi <= 1

    def __str__(self) -> str:
        return f"[{self.lo}, {'∞' if self.hi is None else self.hi}]"


ZERO = Interval(0, 0)
ONCE = Interval(1, 1)


@dataclass(frozen=True, slots=True)
class Counts:
    """An interval per event kind; a kind not listed never happens."""

    items: tuple[tuple[str, Interval], ...] = ()

    @staticmethod
    def of(mapping: Mapping[str, Interval]) -> Counts:
        return Counts(tuple(sorted((k, v) for k, v in mapping.items() if v != ZERO)))

    def get(self, kind: str) -> Interval:
        return dict(self.items).get(kind, ZERO)

    def kinds(self) -> set[str]:
        return {k for k, _ in self.items}

    def __add__(self, other: Counts) -> Counts:
        out = dict(self.items)
        for kind, value in other.items:
            out[kind] = out.get(kind, ZERO) + value
        return Counts.of(out)

    def join(self, other: Counts) -> Counts:
        return Counts.of({k: self.get(k).join(other.get(k)) for k in self.kinds() | other.kinds()})

    def repeated(self) -> Counts:
        return Counts.of({k: v.repeated() for k, v in self.items})

    def times(self, count: int) -> Counts:
        return Counts.of({k: v.times(count) for k, v in self.items})


NONE = Counts()


def _one(kind: str) -> Counts:
    return Counts(((kind, ONCE),))


# --- subjects and usages ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    """The value followed: the variable ``name``, or its field ``field`` (``s.quit``).

    ``declared`` is the byte offset of the identifier that declares a *local* subject in the
    function's body (``ch := make(chan T)``, ``var wg sync.WaitGroup``): the walk then follows
    the variable from that declaration, and every use must lie after it, in its block. Without
    it, the subject is a parameter, a receiver or a captured variable. Any other declaration of
    the name in the body (but a nested literal's own parameter) makes the usage unknown: the
    name would mean two things.
    """

    name: str
    field: str | None = None
    declared: int | None = None

    def matches(self, node: Node, src: SourceFile) -> bool:
        if self.field is None:
            return node.type == "identifier" and src.show(node) == self.name
        if node.type != "selector_expression":
            return False
        operand = node.child_by_field_name("operand")
        selected = node.child_by_field_name("field")
        return (
            operand is not None
            and selected is not None
            and operand.type == "identifier"
            and src.show(operand) == self.name
            and src.show(selected) == self.field
        )

    def __str__(self) -> str:
        return self.name if self.field is None else f"{self.name}.{self.field}"


@dataclass(frozen=True, slots=True)
class Event:
    """One use of the subject: its kind and where it is (file and node)."""

    kind: str
    src: SourceFile
    node: Node  # the operation: the send statement, the receive, the range loop, the call
    gives_up: bool = False  # a send or receive that is a select case with other cases
    use: Node | None = None  # the subject's own node in it (``wg`` in ``wg.Done()``)


@dataclass(frozen=True)
class Spawn:
    """A goroutine that a run starts: its ``go`` statement and what one run of it does."""

    go: Node
    src: SourceFile
    run: Usage


@dataclass(frozen=True)
class Usage:
    """What one run of a function does with the subject (see the module docstring)."""

    returns: Counts | None  # on the paths that return normally; None: it never returns
    exits: Counts | None = None  # on the paths that end in panic, Goexit, Fatal
    spawned: tuple[Spawn, ...] = ()  # the goroutines it starts (their go statements once each)
    events: tuple[Event, ...] = ()  # every use, this function's and its callees'
    escapes: bool = False
    # Where the subject escapes in this function itself (``return ch``, ``x.f = ch``); the
    # escapes in callees, literals and unknown calls are not listed (``escapes_beyond``): lets a
    # rule accept one kind of escape it understands.
    escaped_at: tuple[Node, ...] = ()
    escapes_beyond: bool = False
    unknown: bool = False
    why: str = ""  # what made it escape or unknown, for messages and tests

    @property
    def known(self) -> bool:
        return not self.escapes and not self.unknown

    def of_kind(self, *kinds: str) -> list[Event]:
        return [e for e in self.events if e.kind in kinds]

    @property
    def gives_up(self) -> bool:
        return any(e.gives_up for e in self.events)

    def everywhere(self) -> Counts:
        """Counts joined over this run and every goroutine it starts (spawned runs added)."""
        total = self.returns if self.returns is not None else NONE
        for spawn in self.spawned:
            total = total + spawn.run.everywhere()
        return total


UNKNOWN = Usage(returns=None, unknown=True, why="unknown")


def unknown(why: str) -> Usage:
    return dataclasses.replace(UNKNOWN, why=why)


def usage(src: SourceFile, function: Node, subject: Subject) -> Usage:
    """What one run of ``function`` (a declaration, method or literal) does with ``subject``."""
    key = ("usage", src.path, function.start_byte, function.end_byte, subject)
    derived = src.pkg.derived
    cached = derived.get(key)
    if isinstance(cached, Usage):
        return cached
    active: set[object] = derived.setdefault(("usage-active",), set())  # type: ignore[assignment]
    if key in active:
        return unknown("recursive call")
    active.add(key)
    try:
        result = _Walk(src, function, subject).run()
    finally:
        active.discard(key)
    derived[key] = result
    return result


def usage_of_call(src: SourceFile, call: Node, argument: Node) -> Usage | None:
    """The usage, by the function ``call`` runs (a same-package function or method, or a
    literal called on the spot), of the parameter that ``argument`` is bound to; None when the
    call or the binding is not settled."""
    function = call.child_by_field_name("function")
    if function is not None and function.type == "func_literal":
        target_src, target = src, function
    else:
        resolved = resolve.callee(src, call)
        if resolved is None or resolved.body is None:
            return None
        target_src, target = resolved.src, resolved.node
    name = _parameter_for(target_src, target, call, argument)
    if name is None or name in ("", "_"):
        return None
    return usage(target_src, target, Subject(name))


def _parameter_for(src: SourceFile, function: Node, call: Node, argument: Node) -> str | None:
    args = arguments(call)
    names = parameter_names(function, src)
    position = next((i for i, a in enumerate(args) if same_node(a, argument)), None)
    if position is None or has_variadic_parameter(function) or len(args) != len(names):
        return None
    return names[position]


# --- the walk -------------------------------------------------------------------------------

_STATEMENTS = frozenset(
    {
        "expression_statement",
        "send_statement",
        "receive_statement",
        "inc_statement",
        "dec_statement",
        "assignment_statement",
        "short_var_declaration",
        "var_declaration",
        "const_declaration",
        "type_declaration",
        "return_statement",
        "go_statement",
        "defer_statement",
        "if_statement",
        "for_statement",
        "expression_switch_statement",
        "type_switch_statement",
        "select_statement",
        "labeled_statement",
        "goto_statement",
        "break_statement",
        "continue_statement",
        "fallthrough_statement",
        "block",
        "empty_statement",
    }
)
_HARMLESS_CALLS = frozenset({"len", "cap"})


@dataclass
class _State:
    """The counts so far on a path, and those its deferred calls will add at the end."""

    now: Counts
    later: Counts = NONE

    def plus(self, counts: Counts) -> _State:
        return _State(self.now + counts, self.later)

    def join(self, other: _State) -> _State:
        return _State(self.now.join(other.now), self.later.join(other.later))

    def end(self) -> Counts:
        return self.now + self.later


def _join(a: _State | None, b: _State | None) -> _State | None:
    if a is None:
        return b
    if b is None:
        return a
    return a.join(b)


@dataclass
class _Flow:
    """Where the paths through a statement go: on, out by return, by an ending call, by break
    or continue (keyed by label, None for the innermost)."""

    fall: _State | None = None
    returns: _State | None = None
    exits: _State | None = None
    breaks: dict[str | None, _State] = field(default_factory=dict)
    continues: dict[str | None, _State] = field(default_factory=dict)

    def absorb(self, other: _Flow) -> None:
        """Add ``other``'s ways out (not its fall-through)."""
        self.returns = _join(self.returns, other.returns)
        self.exits = _join(self.exits, other.exits)
        for label, state in other.breaks.items():
            self.breaks[label] = _join(self.breaks.get(label), state) or state
        for label, state in other.continues.items():
            self.continues[label] = _join(self.continues.get(label), state) or state


class _Unknown(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class _Walk:
    """One function's usage of one subject (see :func:`usage`)."""

    def __init__(self, src: SourceFile, function: Node, subject: Subject) -> None:
        self.src = src
        self.function = function
        self.subject = subject
        self.events: list[Event] = []
        self.spawned: list[Spawn] = []
        self.escapes: list[str] = []
        self.escaped_at: list[Node] = []
        self.beyond = False  # an escape not at a node of this function (callee, literal)
        # Uses of the subject, and nested literals, by the innermost statement that holds them.
        self.uses: dict[tuple[int, int], list[Node]] = {}
        self.literals: dict[tuple[int, int], list[Node]] = {}

    def run(self) -> Usage:
        body = self.function.child_by_field_name("body")
        if body is None:
            return unknown("no body")
        try:
            self._index(body)
            flow = self._statements(block_statements(body), _State(NONE))
        except _Unknown as error:
            return unknown(error.why)
        except RecursionError:  # hundreds of nested blocks: generated code, not followed
            return unknown("nested too deeply")
        ends = _join(flow.fall, flow.returns)
        return Usage(
            returns=ends.end() if ends is not None else None,
            exits=flow.exits.end() if flow.exits is not None else None,
            spawned=tuple(self.spawned),
            events=tuple(self.events),
            escapes=bool(self.escapes),
            escaped_at=tuple(self.escaped_at),
            escapes_beyond=self.beyond,
            unknown=False,
            why="; ".join(self.escapes),
        )

    # --- the index of uses ---------------------------------------------------------------

    def _index(self, body: Node) -> None:
        src, subject = self.src, self.subject
        names = identifiers_named(src, subject.name, body)
        if any(
            is_declaring(n)
            and n.start_byte != subject.declared
            # A nested literal's own parameter: its uses there are its own (see _literal).
            and not _declared_by_literal_signature(n)
            for n in names
        ):
            raise _Unknown(f"{subject.name} is declared again in the function")
        if subject.field is not None:
            fields = identifiers_named(src, subject.field, body, "field_identifier")
            names = [f.parent for f in fields if f.parent is not None]
        scope = self._declaring_scope(body)
        for node in names:
            if not subject.matches(node, src) or node.start_byte == subject.declared:
                continue
            if scope is not None and not (
                scope[0].start_byte <= node.start_byte < scope[0].end_byte
                and node.start_byte >= scope[1]
            ):
                raise _Unknown(f"{subject.name} is used outside its declaration's scope")
            if not self._in_literal(node, body):
                self.uses.setdefault(self._holder(node), []).append(node)
        for literal in descendants(body, "func_literal"):
            if not self._in_literal(literal, body):
                self.literals.setdefault(self._holder(literal), []).append(literal)

    def _declaring_scope(self, body: Node) -> tuple[Node, int] | None:
        """For a local subject declared in ``body``: the block its declaration scopes over and
        the offset where the declaration ends (uses come after it). None when the subject is
        not declared here (a parameter, or declared by an enclosing function)."""
        offset = self.subject.declared
        if offset is None or not body.start_byte <= offset < body.end_byte:
            return None
        statement = body.descendant_for_byte_range(offset, offset)
        while statement is not None and statement.type not in (
            "short_var_declaration",
            "var_declaration",
        ):
            statement = statement.parent
        block = statement.parent if statement is not None else None
        if statement is None or block is None or block.type not in ("statement_list", "block"):
            raise _Unknown(f"{self.subject.name} is not declared by a statement of a block")
        return block, statement.end_byte

    def _holder(self, node: Node) -> tuple[int, int]:
        """The statement the walk visits that holds ``node``: a header's parts (an ``if``'s
        initializer, a ``for`` clause) belong to their statement."""
        current = node.parent
        while current is not None and not (current.type in _STATEMENTS and _is_visited(current)):
            current = current.parent
        if current is None:
            return (-1, -1)
        return (current.start_byte, current.end_byte)

    def _in_literal(self, node: Node, body: Node) -> bool:
        """Inside a function literal of the body: counted where the literal runs."""
        current = node.parent
        while current is not None and not same_node(current, body):
            if current.type in FUNCTIONS:
                return True
            current = current.parent
        return False

    # --- statements ----------------------------------------------------------------------

    def _statements(self, statements: Iterable[Node], state: _State) -> _Flow:
        flow = _Flow()
        current: _State | None = state
        for statement in statements:
            if current is None:
                break  # unreachable code
            step = self._statement(statement, current)
            flow.absorb(step)
            current = step.fall
        flow.fall = current
        return flow

    def _statement(self, statement: Node, state: _State) -> _Flow:
        kind = statement.type
        if kind == "block":
            return self._statements(block_statements(statement), state)
        if kind == "labeled_statement":
            inner = statement.named_children[-1] if statement.named_children else None
            if inner is None or inner.type == "label_name":
                return _Flow(fall=state)
            label = statement.child_by_field_name("label")
            return self._labeled(inner, state, self.src.show(label) if label else None)
        if kind in ("goto_statement", "fallthrough_statement"):
            raise _Unknown(kind.removesuffix("_statement"))  # paths the walk does not follow
        if kind == "if_statement":
            return self._if(statement, state)
        if kind == "for_statement":
            return self._for(statement, state, None)
        if kind in ("expression_switch_statement", "type_switch_statement"):
            return self._switch(statement, state, None)
        if kind == "select_statement":
            return self._select(statement, state, None)
        if kind in ("break_statement", "continue_statement"):
            target = next((c for c in statement.named_children if c.type == "label_name"), None)
            ways: dict[str | None, _State] = {
                self.src.show(target) if target is not None else None: state
            }
            return _Flow(breaks=ways) if kind == "break_statement" else _Flow(continues=ways)
        if kind == "return_statement":
            return _Flow(returns=state.plus(self._weight(statement)))
        if kind == "defer_statement":
            return _Flow(fall=_State(state.now, state.later + self._weight(statement)))
        after = state.plus(self._weight(statement))
        if kind == "expression_statement" and self._ends(statement):
            return _Flow(exits=after)
        return _Flow(fall=after)

    def _labeled(self, inner: Node, state: _State, label: str | None) -> _Flow:
        if inner.type == "for_statement":
            return self._for(inner, state, label)
        if inner.type in ("expression_switch_statement", "type_switch_statement"):
            return self._switch(inner, state, label)
        if inner.type == "select_statement":
            return self._select(inner, state, label)
        flow = self._statement(inner, state)
        if label in flow.breaks:
            flow.fall = _join(flow.fall, flow.breaks.pop(label))
        return flow

    def _ends(self, statement: Node) -> bool:
        call = statement.named_children[0] if statement.named_children else None
        return call is not None and is_ending_call(self.src, call)

    def _if(self, statement: Node, state: _State) -> _Flow:
        start = state.plus(self._weight(statement))
        consequence = statement.child_by_field_name("consequence")
        alternative = statement.child_by_field_name("alternative")
        then = self._statement(consequence, start) if consequence else _Flow(fall=start)
        otherwise = self._statement(alternative, start) if alternative else _Flow(fall=start)
        flow = _Flow(fall=_join(then.fall, otherwise.fall))
        flow.absorb(then)
        flow.absorb(otherwise)
        return flow

    def _for(self, loop: Node, state: _State, label: str | None) -> _Flow:
        header = self._weight(loop)
        clause = next(
            (c for c in loop.named_children if c.type in ("for_clause", "range_clause")), None
        )
        # A range over a ticker's channel (nothing closes it) ends only by a jump, like `for {}`.
        ranged_forever = (
            clause is not None
            and clause.type == "range_clause"
            and (channel := clause.child_by_field_name("right")) is not None
            and is_time_channel(self.src, channel)
        )
        conditional = not is_unconditional_loop(loop) and not ranged_forever
        body = loop.child_by_field_name("body")
        inner = self._statements(block_statements(body), _State(NONE)) if body else _Flow()
        if inner.fall is not None and inner.fall.later != NONE:
            raise _Unknown("defer in a loop")
        own = {None, label} if label else {None}
        again = inner.fall
        for name in own:
            if name in inner.continues:
                again = _join(again, inner.continues.pop(name))
        each = again.now if again is not None else NONE
        jumps = inner.breaks or inner.continues or inner.returns
        # The trip count matters only when an iteration does something with the subject.
        trips = self._trip_count(loop, clause) if each != NONE and not jumps else None
        repeated = each.times(trips) if trips is not None else each.repeated()
        # A range operand is evaluated once; a condition or post statement once per iteration.
        ranged = clause is not None and clause.type == "range_clause"
        entered = state.plus(header if ranged else header + header.repeated())
        looped = entered.plus(repeated)
        flow = _Flow()
        if conditional:
            flow.fall = looped
        for name in own:
            if name in inner.breaks:
                flow.fall = _join(flow.fall, looped.plus(inner.breaks.pop(name).now))
        flow.returns = _shifted(inner.returns, looped)
        flow.exits = _shifted(inner.exits, looped)
        flow.breaks = {k: _shifted(v, looped) or v for k, v in inner.breaks.items()}
        flow.continues = {k: _shifted(v, looped) or v for k, v in inner.continues.items()}
        return flow

    def _trip_count(self, loop: Node, clause: Node | None) -> int | None:
        """A constant number of iterations: ``for range 8``, ``for i := 0; i < 8; i++``, or a
        range over a composite literal with no ``...`` elements; None otherwise."""
        if clause is None:
            return None
        if clause.type == "range_clause":
            operand = clause.child_by_field_name("right")
            if operand is None:
                return None
            if operand.type in ("int_literal", "identifier", "binary_expression"):
                return constants.integer(self.src, operand)
            if operand.type == "composite_literal":
                body = operand.child_by_field_name("body")
                elements = [c for c in body.named_children if c.type != "comment"] if body else []
                if any(c.type == "keyed_element" for c in elements):
                    return None
                return len(elements)
            return None
        return _counted_loop(self.src, loop)

    def _switch(self, statement: Node, state: _State, label: str | None) -> _Flow:
        start = state.plus(self._weight(statement))
        cases = [
            c
            for c in statement.named_children
            if c.type in ("expression_case", "type_case", "default_case")
        ]
        flow = _Flow()
        if not any(c.type == "default_case" for c in cases):
            flow.fall = start
        for case in cases:
            inner = self._statements(_case_statements(case), start)
            flow.fall = _join(flow.fall, inner.fall)
            for name in {None, label}:
                if name in inner.breaks:
                    flow.fall = _join(flow.fall, inner.breaks.pop(name))
            flow.absorb(inner)
        return flow

    def _select(self, statement: Node, state: _State, label: str | None) -> _Flow:
        start = state.plus(self._weight(statement))
        cases = [
            c for c in statement.named_children if c.type in ("communication_case", "default_case")
        ]
        flow = _Flow()
        for case in cases:
            entered = start
            communication = case.child_by_field_name("communication")
            if communication is not None:
                entered = entered.plus(self._weight(communication, gives_up=len(cases) > 1))
            inner = self._statements(_case_statements(case), entered)
            flow.fall = _join(flow.fall, inner.fall)
            for name in {None, label}:
                if name in inner.breaks:
                    flow.fall = _join(flow.fall, inner.breaks.pop(name))
            flow.absorb(inner)
        return flow  # select {} blocks forever: no way on

    # --- the events of one statement -----------------------------------------------------

    def _weight(self, statement: Node, *, gives_up: bool = False) -> Counts:
        """The events of the uses (and literals) that ``statement`` holds directly."""
        key = (statement.start_byte, statement.end_byte)
        total = NONE
        context = statement.type
        for node in self.uses.get(key, ()):
            total = total + self._use(node, context, gives_up)
        for literal in self.literals.get(key, ()):
            total = total + self._literal(literal, context)
        return total

    def _use(self, node: Node, context: str, gives_up: bool) -> Counts:
        kind, operation, argument = classify_use(self.src, node)
        if kind == "harmless":
            return NONE
        if kind == "escape":
            self.escapes.append(f"{self.subject} escapes at {self.src.show(operation)!r}")
            self.escaped_at.append(node)
            return NONE
        if kind == "pass":
            assert argument is not None
            return self._pass(operation, argument, context)
        event = Event(kind, self.src, operation, gives_up and kind in ("send", "receive"), node)
        self.events.append(event)
        if context == "go_statement":
            go = self._statement_at(node, "go_statement")
            self.spawned.append(Spawn(go, self.src, Usage(returns=_one(kind), events=(event,))))
            return NONE
        return _one(kind)

    def _pass(self, call: Node, argument: Node, context: str) -> Counts:
        """The subject handed to a call: the callee's usage of its parameter, counted here (or
        in the goroutine a ``go`` statement starts)."""
        callee = usage_of_call(self.src, call, argument)
        if callee is None:
            function = call.child_by_field_name("function") or call
            self.escapes.append(f"{self.subject} is passed to {self.src.show(function)}")
            self.beyond = True
            return NONE
        launched = context == "go_statement" and self._is_launched(call)
        return self._run(callee, call.parent if launched else None)

    def _run(self, callee: Usage, go: Node | None) -> Counts:
        """Count a run of another function (a callee, a literal) here, or as a goroutine."""
        if callee.unknown:
            raise _Unknown(callee.why)
        if callee.escapes:
            self.escapes.append(callee.why)
            self.beyond = True
        self.events.extend(callee.events)
        if go is not None:
            self.spawned.append(Spawn(go, self.src, callee))
            return NONE
        self.spawned.extend(callee.spawned)
        if callee.returns is None:
            raise _Unknown("a call that never returns")
        return callee.returns

    def _statement_at(self, node: Node, kind: str) -> Node:
        current = node.parent
        while current is not None and current.type != kind:
            current = current.parent
        assert current is not None
        return current

    def _is_launched(self, call: Node) -> bool:
        parent = call.parent
        return parent is not None and parent.type == "go_statement"

    def _literal(self, literal: Node, context: str) -> Counts:
        """A function literal inside a statement: run on the spot, started as a goroutine,
        deferred, or kept (then the subject escapes if the literal uses it)."""
        if self.subject.name in _declared_by_signature(literal, self.src):
            return NONE  # its own parameter of that name: what it is given is a pass
        inner = usage(self.src, literal, self.subject)
        if inner.known and not inner.events and not inner.spawned:
            return NONE
        call = literal.parent
        if (
            call is None
            or call.type != "call_expression"
            or not same_node(call.child_by_field_name("function"), literal)
        ):
            if inner.events or inner.spawned or inner.escapes:
                self.escapes.append(f"{self.subject} is captured by a function value")
                self.beyond = True
            return NONE
        holder = call.parent
        launched = context == "go_statement" and holder is not None and holder.type == context
        return self._run(inner, holder if launched else None)


def _declared_by_literal_signature(identifier: Node) -> bool:
    """``identifier`` is a parameter or named result of a function literal."""
    current = identifier.parent
    while current is not None and current.type not in FUNCTIONS:
        if current.type == "parameter_list" and current.parent is not None:
            return current.parent.type == "func_literal"
        current = current.parent
    return False


def classify_use(src: SourceFile, node: Node) -> tuple[str, Node, Node | None]:
    """The kind of use ``node`` (an expression denoting the value followed) is: ``send``,
    ``receive``, ``range``, ``close``, ``call``, ``method:NAME``, ``harmless`` (compared with
    nil, ``len``, ``cap``), ``pass`` (an argument) or ``escape``, as the parent syntax says;
    the operation (the send statement, the receive, the ``for ... range``, the call); for a
    pass, the argument handed over."""
    current = node
    parent = current.parent
    while parent is not None and parent.type == "parenthesized_expression":
        current, parent = parent, parent.parent
    if parent is None:
        return "escape", node, None
    kind = parent.type
    if kind == "send_statement":
        if same_node(parent.child_by_field_name("channel"), current):
            return "send", parent, None
        return "escape", parent, None  # sent as a value on another channel
    if kind == "unary_expression":
        return _unary(src, parent)
    if kind == "range_clause" and same_node(parent.child_by_field_name("right"), current):
        return "range", parent.parent or parent, None
    if kind == "argument_list" and parent.parent is not None:
        return _argument(src, parent.parent, current)
    if kind == "call_expression" and same_node(parent.child_by_field_name("function"), current):
        return "call", parent, None
    if kind == "selector_expression" and same_node(
        parent.child_by_field_name("operand"), current
    ):
        return _method(src, parent)
    if kind == "binary_expression" and _is_nil_comparison(parent, current):
        return "harmless", parent, None
    return "escape", parent, None


def _unary(src: SourceFile, unary: Node) -> tuple[str, Node, Node | None]:
    operator = unary.child_by_field_name("operator")
    if operator is not None and operator.type == "<-":
        return "receive", unary, None
    holder = unary.parent
    if (
        operator is not None
        and operator.type == "&"
        and holder is not None
        and holder.type == "argument_list"
        and holder.parent is not None
    ):
        return _argument(src, holder.parent, unary)  # go worker(&wg)
    return "escape", unary, None


def _method(src: SourceFile, selector: Node) -> tuple[str, Node, Node | None]:
    """``subject.M(...)``: a method call (``wg.Done()``, ``ctx.Done()``); any other
    selection escapes."""
    selected = selector.child_by_field_name("field")
    holder = selector.parent
    if (
        selected is not None
        and holder is not None
        and holder.type == "call_expression"
        and same_node(holder.child_by_field_name("function"), selector)
    ):
        return f"method:{src.show(selected)}", holder, None
    return "escape", selector, None


def _argument(src: SourceFile, call: Node, argument: Node) -> tuple[str, Node, Node | None]:
    name = call_name(src, call)
    if name == "close" and len(arguments(call)) == 1:
        return "close", call, None
    if name in _HARMLESS_CALLS and len(arguments(call)) == 1:
        return "harmless", call, None
    return "pass", call, argument


def _declared_by_signature(function: Node, src: SourceFile) -> set[str]:
    """Names a function literal's parameters and results declare."""
    out: set[str] = set()
    for part in ("parameters", "result"):
        node = function.child_by_field_name(part)
        if node is not None:
            out.update(src.show(n) for n in declaring_identifiers(node))
    return out


def _is_nil_comparison(binary: Node, operand: Node) -> bool:
    operator = binary.child_by_field_name("operator")
    others = [c for c in binary.named_children if not same_node(c, operand)]
    return (
        operator is not None
        and operator.type in ("==", "!=")
        and len(others) == 1
        and others[0].type == "nil"
    )


def _is_visited(statement: Node) -> bool:
    """The walk visits ``statement`` on its own (not as part of another's header)."""
    parent = statement.parent
    if parent is None:
        return False
    if parent.type in ("statement_list", "labeled_statement"):
        return True
    if parent.type == "if_statement":
        return same_node(parent.child_by_field_name("alternative"), statement) or same_node(
            parent.child_by_field_name("consequence"), statement
        )
    if parent.type == "communication_case":
        return same_node(parent.child_by_field_name("communication"), statement)
    return statement.type == "block" and parent.type in (
        "for_statement",
        "func_literal",
        "function_declaration",
        "method_declaration",
    )


def _shifted(state: _State | None, by: _State) -> _State | None:
    """A way out of a loop body (counted from the body's start), counted from the loop's."""
    if state is None:
        return None
    return _State(by.now + state.now, by.later + state.later)


def _case_statements(case: Node) -> Iterator[Node]:
    lists = [c for c in case.named_children if c.type == "statement_list"]
    if lists:
        yield from (c for c in lists[0].named_children if c.type != "comment")


def _counted_loop(src: SourceFile, loop: Node) -> int | None:
    """The trip count of ``for i := A; i < B; i++`` with constant A and B (named constants
    included) and ``i`` not written in the body; None otherwise."""
    counted = counted_loop(src, loop)
    if counted is None:
        return None
    start, end = constants.integer(src, counted[0]), constants.integer(src, counted[1])
    return max(end - start, 0) if start is not None and end is not None else None

