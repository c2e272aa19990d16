"""A package's ``sync.WaitGroup``s: each ``Add``, the goroutines it counts, the ``Done`` and
``Wait`` calls, and whether the counter is *accounted for*.

A WaitGroup's counter is accounted for when every ``Add`` is paired with the goroutines it
counts and every ``Done`` is made by one of those goroutines, at most once per run:

- ``wg.Add(k)``, an integer literal, followed in its block by ``k`` ``go`` statements, with only
  simple statements between them (declarations, assignments, calls: no jump, no other
  ``go``, nothing that names the WaitGroup);
- ``wg.Add(n)`` followed (the same way) by a loop that runs ``n`` times — ``for _, x := range
  xs`` after ``Add(len(xs))``, ``for range n``, ``for i := 0; i < n; i++`` — whose body starts
  one goroutine per iteration: one ``go`` statement directly in it, and no ``break``,
  ``continue``, ``return`` or ``goto`` anywhere in it (nor a write to what ``n`` is read from);
- each goroutine so started calls ``Done`` on at least one path and at most once on every path;
  no other code calls ``Done``: not the function itself, not another goroutine.

Then the counter reaches zero exactly when every counted goroutine has called ``Done``; a
goroutine that can return without it leaves the counter above zero for good, and every ``Wait``
blocks forever. Anything else — another method (``Go``), a ``Done`` reached some other way, an
``Add`` of anything else, a use the model cannot follow (stored, copied, passed to an unknown
function) — leaves the counter not accounted for, and the rules say nothing about it.

Two kinds of WaitGroup are followed:

- a local, ``var wg sync.WaitGroup`` (or ``wg := &sync.WaitGroup{}``, ``new(sync.WaitGroup)``):
  its uses are those :func:`~gofixleak.facts.usage.usage` finds from the declaration, through
  same-package callees (``go worker(&wg)``) and goroutines;
- an unexported ``sync.WaitGroup`` field of a struct type of the package (``s.wg``): its uses
  are every ``x.wg`` of the package, each of which must be that type's (by
  :func:`~gofixleak.facts.resolve.type_of`, or because no other type of the package has a field
  or method of that name). A goroutine that uses it runs a literal, a method of the owner
  (``go s.run()``) or a function given the owner; such a method or function must be called by
  nothing else in the package.

Apart from the counter, :func:`never_done` lists the WaitGroups of either kind that the package
adds to (a positive constant) and waits on, and that no code of the package can call ``Done``
on: every use is such an ``Add`` or a ``Wait``, nothing escapes, and no ``Done`` or ``Go``
anywhere. No pairing of Adds with goroutines is needed for that.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Set
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.facts import constants, declarations, resolve
from gofixleak.facts.package import GoPackage
from gofixleak.facts.usage import Event, Interval, Subject, Usage, usage, usage_of_call
from gofixleak.source import SourceFile

_METHODS = frozenset({"method:Add", "method:Done", "method:Wait"})
DONE = "method:Done"

# Statements that may stand between an Add and the goroutines it counts: they cannot jump.
_SIMPLE_STATEMENTS = frozenset(
    {
        "short_var_declaration",
        "assignment_statement",
        "var_declaration",
        "const_declaration",
        "type_declaration",
        "expression_statement",
        "inc_statement",
        "dec_statement",
        "empty_statement",
    }
)
_JUMPS = ("break_statement", "continue_statement", "return_statement", "goto_statement")


@dataclass(frozen=True, eq=False)
class Goroutine:
    """A goroutine that an ``Add`` counts: its ``go`` statement, what one run of it does with
    the WaitGroup, and the function it runs (a literal, or a declaration of the package)."""

    src: SourceFile
    go: Node
    run: Usage
    function: Node | None
    function_src: SourceFile

    @property
    def done_on_return(self) -> Interval | None:
        """How often it calls ``Done`` on the paths that return; None: it never returns."""
        return self.run.returns.get(DONE) if self.run.returns is not None else None

    @property
    def done_on_exit(self) -> Interval | None:
        """How often it calls ``Done`` on the paths that end in panic, Goexit or Fatal."""
        return self.run.exits.get(DONE) if self.run.exits is not None else None


@dataclass(frozen=True, eq=False)
class Add:
    """``wg.Add(...)`` and the goroutines it counts; ``loop`` starts one per iteration."""

    src: SourceFile
    call: Node
    goroutines: tuple[Goroutine, ...]
    loop: Node | None = None


@dataclass(frozen=True, eq=False)
class WaitGroup:
    """One WaitGroup (``name``: ``wg``, or ``T.wg`` for a field), its Adds and Waits.

    ``accounted`` says whether the counter is accounted for (see the module docstring); when it
    is not, ``why`` says what stands in the way and ``adds`` may be incomplete. ``owner`` is the
    struct type of a field (shared by every caller of its methods); None for a local."""

    name: str
    adds: tuple[Add, ...]
    waits: tuple[Event, ...]
    accounted: bool
    why: str = ""
    owner: str | None = None


@dataclass(frozen=True, eq=False)
class Local:
    """A local WaitGroup's declaration: its name, where it is declared, the function that does."""

    name: str
    identifier: Node
    function: Node


def local_waitgroups(src: SourceFile) -> list[WaitGroup]:
    """Every WaitGroup that a function of ``src`` declares as a local."""
    found = (local_waitgroup(src, local) for local in local_declarations(src))
    return [group for group in found if group is not None]


def local_declarations(src: SourceFile) -> list[Local]:
    """The WaitGroups that functions of ``src`` declare (nothing is followed yet)."""
    if b"WaitGroup" not in src.data:
        return []
    sync = syntax.import_name(src, "sync")
    if sync is None:
        return []
    out = []
    for identifier in _local_declarations(src, sync):
        function = next(a for a in syntax.ancestors(identifier) if a.type in syntax.FUNCTIONS)
        out.append(Local(src.show(identifier), identifier, function))
    return out


def local_waitgroup(src: SourceFile, local: Local) -> WaitGroup | None:
    """The local WaitGroup followed from its declaration; None when ``sync`` is not the import
    there (a local spelled like it hides it)."""
    group = _local(src, local.function, Subject(local.name, declared=local.identifier.start_byte))
    # Checked last, for the few that matter.
    if group.accounted and syntax.hides_import(src, local.identifier, "sync"):
        return None
    return group


def field_waitgroups(src: SourceFile) -> list[WaitGroup]:
    """Every WaitGroup field of a package struct type that ``src`` calls ``Add`` on."""
    fields: dict[tuple[str, str], WaitGroup] = {}
    for owned in _fields_called(src, "Add", _FIELD_ADD):
        group = _field(src, *owned)
        if group is not None:
            fields[owned] = group
    return list(fields.values())


def _fields_called(src: SourceFile, method: str, spelled: re.Pattern[bytes]) -> list[
    tuple[str, str]
]:
    """The fields ``(struct type, field)`` of the package that ``src`` calls ``method`` on
    (``x.wg.Add(``), each once, in order, among those named like a WaitGroup field
    (``spelled`` finds ``.f.method(`` in the bytes: the cheap test first)."""
    called = {m.decode() for m in spelled.findall(src.data)}
    if not called or src.pkg.incomplete:
        return []
    candidates = called & _waitgroup_names(src.pkg)
    if not candidates:
        return []  # no x.f.Add( for a name a WaitGroup field can have
    found: dict[tuple[str, str], None] = {}
    for selector in syntax.descendants(src.root, "selector_expression"):
        selected = selector.child_by_field_name("field")
        operand = selector.child_by_field_name("operand")
        if selected is None or operand is None or src.show(selected) != method:
            continue
        field = operand.child_by_field_name("field")
        if operand.type != "selector_expression" or field is None:
            continue
        if src.show(field) not in candidates:
            continue  # x.counter.Add(1): no WaitGroup is declared under that name
        owned = _field_of(src, operand)
        if owned is not None:
            found[owned] = None
    return list(found)


_FIELD_ADD = re.compile(rb"\.([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*Add\s*\(")
_WORD = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


def _waitgroup_names(package: GoPackage) -> frozenset[str]:
    """Every word on a line of the package that spells ``.WaitGroup`` (read, not parsed): the
    names a WaitGroup field can have. Resolving ``x.f.Add`` for any other ``f`` (an atomic
    counter, a ``big.Int``) would search the package for nothing."""
    key = ("waitgroup-names",)
    if key not in package.derived:
        names: set[str] = set()
        for path in package.paths():
            text = package.directory.text(path)
            if text is None or b"WaitGroup" not in text:
                continue
            at = text.find(b".WaitGroup")
            while at != -1:
                start = text.rfind(b"\n", 0, at) + 1
                end = text.find(b"\n", at)
                line = text[start : end if end != -1 else len(text)]
                names.update(w.decode() for w in _WORD.findall(line))
                at = text.find(b".WaitGroup", end) if end != -1 else -1
        package.derived[key] = frozenset(names)
    found: frozenset[str] = package.derived[key]  # type: ignore[assignment]
    return found


def runs(top: Usage) -> Iterator[tuple[Event, Usage]]:
    """Every goroutine that ``top`` starts, at any depth, with its ``go`` statement."""
    for spawn in top.spawned:
        yield Event("go", spawn.src, spawn.go), spawn.run
        yield from runs(spawn.run)


# --- locals ---------------------------------------------------------------------------------


def _local_declarations(src: SourceFile, sync: str) -> Iterator[Node]:
    """Identifiers declared as a new ``sync.WaitGroup`` (or a pointer to a new one) by a
    ``var`` or ``:=`` statement inside a function."""
    for node in syntax.descendants(src.root, "var_spec", "short_var_declaration"):
        if src.data.find(b"WaitGroup", node.start_byte, node.end_byte) == -1:
            continue
        if node.type == "var_spec":
            names = [c for c in node.children_by_field_name("name") if c.type == "identifier"]
            type_node = node.child_by_field_name("type")
            value = node.child_by_field_name("value")
            values = list(value.named_children) if value is not None else []
            if values and len(values) != len(names):
                continue
            for index, name in enumerate(names):
                if values:
                    fresh = _is_new_waitgroup(src, values[index], sync)
                else:
                    spelled = _spelled(src, type_node) if type_node is not None else ""
                    fresh = spelled == f"{sync}.WaitGroup"
                if fresh and _in_function(node):
                    yield name
        else:
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if left is None or right is None:
                continue
            if len(left.named_children) != len(right.named_children):
                continue
            for name, value in zip(left.named_children, right.named_children, strict=True):
                if name.type == "identifier" and _is_new_waitgroup(src, value, sync):
                    yield name


def _in_function(node: Node) -> bool:
    return any(a.type in syntax.FUNCTIONS for a in syntax.ancestors(node))


def _spelled(src: SourceFile, node: Node) -> str:
    return "".join(src.show(node).split())


def _is_new_waitgroup(src: SourceFile, value: Node, sync: str) -> bool:
    """``sync.WaitGroup{}``, ``&sync.WaitGroup{}`` or ``new(sync.WaitGroup)``."""
    text = _spelled(src, value)
    return text in (f"{sync}.WaitGroup{{}}", f"&{sync}.WaitGroup{{}}", f"new({sync}.WaitGroup)")


def _local(src: SourceFile, function: Node, subject: Subject) -> WaitGroup:
    top = _usage(src, function, subject)
    name = subject.name
    if not top.known:
        return WaitGroup(name, (), (), False, top.why or f"{name} is not followed")
    other = {e.kind for e in top.events} - _METHODS
    if other:
        return WaitGroup(name, (), (), False, f"{name} is used as {', '.join(sorted(other))}")
    waits = tuple(e for e in top.events if e.kind == "method:Wait")
    if _calls_done(top):
        return WaitGroup(name, (), waits, False, f"{name}.Done is called outside a goroutine")
    pairs: dict[tuple[str, int], _Pair] = {}
    for event in (e for e in top.events if e.kind == "method:Add"):
        paired = _paired(event.src, event.node)
        if paired is None:
            return WaitGroup(name, (), waits, False, _unpaired(event))
        key = _key(event.src, event.node)
        if key in pairs:  # a callee that adds, called twice: not worth following
            return WaitGroup(name, (), waits, False, "an Add is reached twice")
        pairs[key] = paired
    counted = {_key(p.src, go): key for key, p in pairs.items() for go in p.gos}
    found: dict[tuple[str, int], list[Goroutine]] = {}
    for site, run in runs(top):
        key = _key(site.src, site.node)
        add = counted.get(key)
        if add is None:
            if _calls_done(run):
                return WaitGroup(name, (), waits, False, "a goroutine no Add counts calls Done")
            continue
        if any(_key(g.src, g.go) == key for g in found.get(add, [])):
            return WaitGroup(name, (), waits, False, "a counted go statement is reached twice")
        found.setdefault(add, []).append(_goroutine(site, run))
    adds = []
    for key, pair in pairs.items():
        started = found.get(key, [])
        if len(started) != len(pair.gos):
            why = f"a counted goroutine is not followed (does it use {name}?)"
            return WaitGroup(name, (), waits, False, why)
        adds.append(Add(pair.src, pair.call, tuple(started), pair.loop))
    return _checked(WaitGroup(name, tuple(adds), waits, True))


def _calls_done(run: Usage) -> bool:
    """``run``'s own paths (not the goroutines it starts) may call Done."""
    return any(
        counts is not None and not counts.get(DONE).never for counts in (run.returns, run.exits)
    )


def _goroutine(site: Event, run: Usage) -> Goroutine:
    call = syntax.launched_call(site.node)
    function = call.child_by_field_name("function") if call is not None else None
    if function is not None and function.type == "func_literal":
        return Goroutine(site.src, site.node, run, function, site.src)
    target = resolve.callee(site.src, call) if call is not None else None
    if target is None:
        return Goroutine(site.src, site.node, run, None, site.src)
    return Goroutine(site.src, site.node, run, target.node, target.src)


def _checked(group: WaitGroup) -> WaitGroup:
    """``group`` if each counted goroutine calls Done once at most, and on some path."""
    for add in group.adds:
        for goroutine in add.goroutines:
            done = (goroutine.done_on_return, goroutine.done_on_exit)
            counts = [c for c in done if c is not None]
            why = ""
            if any(c.lo == 0 for c in counts) and _nil_guarded(goroutine.run):
                why = "a counted goroutine checks the WaitGroup for nil"
            elif any(c.hi is None or c.hi > 1 for c in counts):
                why = "a counted goroutine may call Done more than once"
            elif not any(c.hi == 1 for c in counts):
                why = "a counted goroutine never calls Done"
            if why:
                return dataclasses.replace(group, accounted=False, why=why)
    return group


def _nil_guarded(run: Usage) -> bool:
    """A Done in a declaration that compares the WaitGroup with nil (``if wg != nil { defer
    wg.Done() }``): whether it runs depends on what the caller passed, which the counts do not
    follow (they would count a path without Done)."""
    for event in run.events:
        if event.kind != DONE or event.node.type != "identifier":
            continue
        name = event.src.show(event.node)
        function = next(
            (
                f
                for f in syntax.ancestors(event.node)
                if f.type in syntax.FUNCTIONS and name in syntax.parameter_names(f, event.src)
            ),
            None,
        )
        if function is None:
            continue  # a local made by new(sync.WaitGroup) or &sync.WaitGroup{} is not nil
        for comparison in syntax.descendants(function, "binary_expression"):
            operator = comparison.child_by_field_name("operator")
            operands = {event.src.show(c) for c in comparison.named_children}
            if operator is not None and operator.type in ("==", "!=") and operands == {name, "nil"}:
                return True
    return False


def _key(src: SourceFile, node: Node) -> tuple[str, int]:
    return (src.path, node.start_byte)


def _unpaired(event: Event) -> str:
    call = _add_call(event.node)
    shown = event.src.show(call) if call is not None else event.src.show(event.node)
    return f"{shown} is not paired with the goroutines it counts"


# --- pairing an Add with its goroutines -----------------------------------------------------


def _add_call(waitgroup: Node) -> Node | None:
    """The ``X.Add(...)`` call whose receiver is ``waitgroup``."""
    selector = waitgroup.parent
    call = selector.parent if selector is not None else None
    if selector is None or call is None or call.type != "call_expression":
        return None
    return call


@dataclass(frozen=True, eq=False)
class _Pair:
    src: SourceFile
    call: Node  # the Add
    gos: tuple[Node, ...]  # the go statements it counts
    loop: Node | None  # the loop that runs the one go statement n times


def paired(src: SourceFile, waitgroup: Node) -> tuple[tuple[Node, ...], Node | None] | None:
    """For ``waitgroup.Add(...)`` (``waitgroup`` is ``wg`` or ``s.wg`` there): the go statements
    it counts and the loop that runs them, or None when the Add is not paired with them (see
    the module docstring). Read from the syntax alone: nothing is followed."""
    pair = _paired(src, waitgroup)
    return (pair.gos, pair.loop) if pair is not None else None


def _paired(src: SourceFile, waitgroup: Node) -> _Pair | None:
    call = _add_call(waitgroup)
    statement = call.parent if call is not None else None
    block = statement.parent if statement is not None else None
    if call is None or statement is None or block is None:
        return None
    if statement.type != "expression_statement" or block.type != "statement_list":
        return None
    args = syntax.arguments(call)
    if len(args) != 1:
        return None
    following = _after(statement, block)
    count = _positive_literal(src, args[0])
    if count is not None and not _starts_loop(src, following, waitgroup):
        gos: list[Node] = []
        for sibling in following:
            if len(gos) == count:
                break
            if sibling.type == "go_statement":
                gos.append(sibling)
            elif not _is_simple(src, sibling, waitgroup):
                return None
        return _Pair(src, call, tuple(gos), None) if len(gos) == count else None
    read = syntax.identifier_names(args[0], src)
    loop = next((s for s in following if not _is_simple(src, s, waitgroup, read)), None)
    if loop is None or loop.type != "for_statement" or not _runs_times(src, loop, args[0]):
        return None
    go = _one_go_per_iteration(loop)
    return _Pair(src, call, (go,), loop) if go is not None else None


def _starts_loop(src: SourceFile, following: list[Node], waitgroup: Node) -> bool:
    """The first statement after the Add that is not simple is a loop (``Add(3)`` then
    ``for i := 0; i < 3; i++``), not a go statement."""
    first = next((s for s in following if not _is_simple(src, s, waitgroup)), None)
    return first is not None and first.type == "for_statement"


def _after(statement: Node, block: Node) -> list[Node]:
    siblings = [c for c in block.named_children if c.type != "comment"]
    index = next(i for i, s in enumerate(siblings) if syntax.same_node(s, statement))
    return siblings[index + 1 :]


def _positive_literal(src: SourceFile, node: Node) -> int | None:
    if node.type != "int_literal":
        return None
    try:
        value = int(src.show(node).replace("_", ""), 0)
    except ValueError:
        return None
    return value if value > 0 else None


def _is_simple(
    src: SourceFile, statement: Node, waitgroup: Node, names: Set[str] = frozenset()
) -> bool:
    """A statement that cannot jump or start a goroutine, and names neither the WaitGroup (as
    ``waitgroup`` spells it: ``wg``, ``s.wg``) nor one of ``names``."""
    if statement.type not in _SIMPLE_STATEMENTS:
        return False
    if any(syntax.descendants(statement, "go_statement", *_JUMPS, into_functions=False)):
        return False
    spelled = _spelled(src, waitgroup)
    for node in syntax.descendants(statement, "identifier", waitgroup.type):
        text = src.show(node)
        if text in names or (node.type == waitgroup.type and _spelled(src, node) == spelled):
            return False
    return True


def _runs_times(src: SourceFile, loop: Node, count: Node) -> bool:
    """``loop`` runs exactly ``count`` times: it ranges over ``xs`` for ``len(xs)`` or over an
    integer ``n`` for ``n``, or counts ``i`` from 0 to ``count``, and its body writes nothing
    that ``count`` is read from."""
    body = loop.child_by_field_name("body")
    if body is None or _writes(src, body, syntax.identifier_names(count, src)):
        return False
    wanted = _spelled(src, count)
    clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    if clause is not None:
        ranged = clause.child_by_field_name("right")
        if ranged is None:
            return False
        spelled = _spelled(src, ranged)
        if _writes(src, body, syntax.identifier_names(ranged, src)):
            return False
        return wanted in (spelled, f"len({spelled})")
    counted = syntax.counted_loop(src, loop)
    return (
        counted is not None
        and syntax.int_literal(src, counted[0]) == 0
        and _spelled(src, counted[1]) == wanted
    )


def _writes(src: SourceFile, body: Node, names: set[str]) -> bool:
    """``body`` assigns, increments, declares again, takes the address of or deletes from one
    of ``names`` (a slice appended to, a map changed while ranged over)."""
    for identifier in syntax.descendants(body, "identifier"):
        if src.show(identifier) not in names:
            continue
        current = identifier
        parent = current.parent
        element = False  # xs[i]: the address of an element leaves the length alone
        while parent is not None and parent.type in (
            "selector_expression",
            "index_expression",
            "parenthesized_expression",
        ):
            element = element or parent.type == "index_expression"
            current, parent = parent, parent.parent
        if parent is None:
            continue
        if parent.type == "expression_list" and parent.parent is not None:
            holder = parent.parent
            left = holder.child_by_field_name("left")
            if holder.type in ("assignment_statement", "short_var_declaration") and (
                syntax.same_node(left, parent)
            ):
                return True
        if parent.type in ("inc_statement", "dec_statement"):
            return True
        if parent.type == "unary_expression" and not element:
            operator = parent.child_by_field_name("operator")
            if operator is not None and operator.type == "&":
                return True
        if (
            parent.type == "argument_list"
            and parent.parent is not None
            and syntax.call_name(src, parent.parent) == "delete"
        ):
            return True
        if parent.type == "range_clause":
            left = parent.child_by_field_name("left")
            if left is not None and syntax.is_inside(current, left):
                return True
    return False


def _one_go_per_iteration(loop: Node) -> Node | None:
    """The one ``go`` statement of ``loop``'s body when it stands directly in the body and
    nothing in the body can skip it or leave the loop early."""
    body = loop.child_by_field_name("body")
    if body is None:
        return None
    if any(syntax.descendants(body, *_JUMPS, into_functions=False)):
        return None
    gos = list(syntax.descendants(body, "go_statement", into_functions=False))
    direct = [s for s in syntax.block_statements(body) if s.type == "go_statement"]
    if len(gos) != 1 or len(direct) != 1:
        return None
    return direct[0]


# --- fields ---------------------------------------------------------------------------------


def _field_of(src: SourceFile, selector: Node) -> tuple[str, str] | None:
    """``(T, f)`` when ``selector`` is ``x.f``, an unexported ``sync.WaitGroup`` field of the
    package's struct type ``T``."""
    if selector.type != "selector_expression":
        return None
    operand = selector.child_by_field_name("operand")
    field = selector.child_by_field_name("field")
    if operand is None or field is None:
        return None
    owner = resolve.type_of(src, operand)
    struct = declarations.struct_type(src.pkg, owner) if owner is not None else None
    declared = struct.field(src.show(field)) if struct is not None else None
    if owner is None or declared is None or declared.exported or declared.embedded:
        return None
    if declared.kind != "waitgroup" or declared.type_node.type == "pointer_type":
        return None
    return owner, declared.name


@dataclass(frozen=True, eq=False)
class _Site:
    """One ``x.f`` of the field in the package, and the function it is in."""

    src: SourceFile
    node: Node  # the selector x.f
    kind: str  # "method:Add", ..., "pass", or "other"


def _field(src: SourceFile, owner: str, name: str) -> WaitGroup | None:
    key = ("waitgroup-field", owner, name)
    derived = src.pkg.derived
    if key not in derived:
        derived[key] = _field_group(src, owner, name)
    group: WaitGroup | None = derived[key]  # type: ignore[assignment]
    return group


def _field_group(src: SourceFile, owner: str, name: str) -> WaitGroup:
    label = f"{owner}.{name}"
    sites = _field_sites(src, owner, name)
    if isinstance(sites, str):
        return WaitGroup(label, (), (), False, sites, owner)
    waits = tuple(Event(s.kind, s.src, s.node) for s in sites if s.kind == "method:Wait")
    odd = next((s for s in sites if s.kind not in {*_METHODS, "pass"}), None)
    if odd is not None:
        why = f"{odd.src.show(odd.node.parent or odd.node)!r} uses {label} otherwise"
        return _unaccounted_field(label, waits, owner, why)
    adds: list[Add] = []
    passes_counted: set[tuple[str, int]] = set()
    for site in (s for s in sites if s.kind == "method:Add"):
        paired = _paired(site.src, site.node)
        if paired is None:
            why = _unpaired(Event(site.kind, site.src, site.node))
            return _unaccounted_field(label, waits, owner, why)
        goroutines = []
        for go in paired.gos:
            goroutine = _field_goroutine(site.src, go, site.node, owner, name)
            if isinstance(goroutine, str):
                return _unaccounted_field(label, waits, owner, goroutine)
            goroutines.append(goroutine)
            passes_counted.update(_passes_in(site.src, go))
        adds.append(Add(site.src, paired.call, tuple(goroutines), paired.loop))
    done = {_key(e.src, e.node) for a in adds for g in a.goroutines for e in g.run.events}
    for site in sites:
        if site.kind == DONE and _key(site.src, site.node) not in done:
            why = f"{site.src.show(site.node)}.Done is called outside a goroutine"
            return _unaccounted_field(label, waits, owner, why)
        if site.kind == "pass" and _key(site.src, site.node) not in passes_counted:
            return _unaccounted_field(label, waits, owner, f"{label} is passed on")
    return _checked(WaitGroup(label, tuple(adds), waits, True, owner=owner))


def _unaccounted_field(label: str, waits: tuple[Event, ...], owner: str, why: str) -> WaitGroup:
    return WaitGroup(label, (), waits, False, why, owner)


def _field_sites(src: SourceFile, owner: str, name: str) -> list[_Site] | str:
    """Every ``x.name`` of the package, each of which must be ``owner``'s field; a string
    saying why not."""
    package = src.pkg
    unique = _sole_member(package, name)
    sites = []
    for file in package.mentioning(name):
        for selector in syntax.descendants(file.root, "selector_expression"):
            field = selector.child_by_field_name("field")
            operand = selector.child_by_field_name("operand")
            if field is None or operand is None or file.show(field) != name:
                continue
            typed = resolve.type_of(file, operand)
            if typed is not None and typed != owner:
                continue
            if typed is None and not unique:
                return f"{file.show(selector)} may be {owner}.{name}"
            sites.append(_Site(file, selector, _site_kind(file, selector)))
    return sites


def _sole_member(package: GoPackage, name: str) -> bool:
    """The package declares one field named ``name`` and no method or function of that name:
    every ``x.name`` is that field."""
    fields = 0
    for file in package.mentioning(name):
        for node in syntax.descendants(
            file.root, "field_declaration", "method_elem", "method_declaration"
        ):
            names = node.children_by_field_name("name")
            if any(file.show(n) == name for n in names):
                if node.type != "field_declaration":
                    return False
                fields += 1
    return fields == 1


def _site_kind(src: SourceFile, selector: Node) -> str:
    parent = selector.parent
    if parent is None:
        return "other"
    if parent.type == "selector_expression" and syntax.same_node(
        parent.child_by_field_name("operand"), selector
    ):
        method = parent.child_by_field_name("field")
        call = parent.parent
        if (
            method is not None
            and call is not None
            and call.type == "call_expression"
            and syntax.same_node(call.child_by_field_name("function"), parent)
        ):
            return f"method:{src.show(method)}"
        return "other"
    if parent.type == "unary_expression":
        operator = parent.child_by_field_name("operator")
        holder = parent.parent
        if operator is not None and operator.type == "&" and holder is not None:
            return "pass" if holder.type == "argument_list" else "other"
    return "other"


def _passes_in(src: SourceFile, go: Node) -> set[tuple[str, int]]:
    """The ``x.f`` selectors handed over, as ``&x.f``, in a go statement's call."""
    call = syntax.launched_call(go)
    out = set()
    for argument in syntax.arguments(call) if call is not None else []:
        if argument.type == "unary_expression" and argument.named_children:
            out.add(_key(src, argument.named_children[-1]))
    return out


def _field_goroutine(
    src: SourceFile, go: Node, waitgroup: Node, owner: str, name: str
) -> Goroutine | str:
    """The goroutine ``go`` starts, with its run of the field's uses: through a literal that
    captures the owner, a method of the owner, a function given the owner, or ``&x.f``."""
    call = syntax.launched_call(go)
    function = call.child_by_field_name("function") if call is not None else None
    holder = waitgroup.child_by_field_name("operand")
    if call is None or function is None or holder is None or holder.type != "identifier":
        return "the WaitGroup's owner is not a variable"
    owner_name = src.show(holder)
    bound = [a for a in syntax.arguments(call) if _is_owner_or_field(src, a, owner_name, name)]
    if len(bound) > 1:
        return "the goroutine is given the WaitGroup twice"
    if function.type == "func_literal":
        if bound:
            run = _bound_run(src, call, src, function, bound[0], name)
        elif owner_name in syntax.parameter_names(function, src):
            return "the goroutine's literal hides the owner"
        else:
            run = _usage(src, function, Subject(owner_name, name))
        return _field_run(src, go, run, function, src)
    target = resolve.callee(src, call)
    if target is None or target.body is None:
        return f"{src.show(function)} is not a function of the package"
    if not only_started_here(src, target.name, go):
        return f"{target.name} is called elsewhere too"
    if bound:
        run = _bound_run(src, call, target.src, target.node, bound[0], name)
    elif (
        function.type == "selector_expression"
        and target.is_method
        and (operand := function.child_by_field_name("operand")) is not None
        and operand.type == "identifier"
        and src.show(operand) == owner_name
        and target.receiver_name is not None
    ):
        run = _usage(target.src, target.node, Subject(target.receiver_name, name))
    else:
        return f"{src.show(function)} is not given the WaitGroup"
    return _field_run(src, go, run, target.node, target.src)


def _field_run(
    src: SourceFile, go: Node, run: Usage | None, function: Node, function_src: SourceFile
) -> Goroutine | str:
    if run is None:
        return "the goroutine's parameter is not settled"
    if not run.known:
        return run.why
    other = {e.kind for e in run.events} - _METHODS
    if other:
        return f"the goroutine uses the WaitGroup as {', '.join(sorted(other))}"
    return Goroutine(src, go, run, function, function_src)


def _bound_run(
    src: SourceFile,
    call: Node,
    function_src: SourceFile,
    function: Node,
    argument: Node,
    name: str,
) -> Usage | None:
    """What ``function`` does with the WaitGroup that ``argument`` of ``call`` hands it: the
    owner (``s``: the parameter's field) or the field's address (``&s.wg``: the parameter)."""
    if argument.type == "identifier":
        parameter = _bound_parameter(function_src, function, call, argument)
        return _usage(function_src, function, Subject(parameter, name)) if parameter else None
    run = usage_of_call(src, call, argument)
    return _at_uses(run) if run is not None else None


def _is_owner_or_field(src: SourceFile, argument: Node, owner_name: str, name: str) -> bool:
    """``argument`` is the owner (``s``) or the field's address (``&s.wg``)."""
    if argument.type == "identifier":
        return src.show(argument) == owner_name
    return _spelled(src, argument) == f"&{owner_name}.{name}"


def _bound_parameter(src: SourceFile, function: Node, call: Node, argument: Node) -> str | None:
    """The parameter of ``function`` that ``argument`` of ``call`` is bound to."""
    args = syntax.arguments(call)
    names = syntax.parameter_names(function, src)
    position = next((i for i, a in enumerate(args) if syntax.same_node(a, argument)), None)
    if position is None or syntax.has_variadic_parameter(function) or len(args) != len(names):
        return None
    parameter = names[position]
    return parameter if parameter not in ("", "_") else None


def only_started_here(src: SourceFile, name: str, go: Node) -> bool:
    """Every mention of ``name`` in the package, but its declaration, is this go statement's
    call (no other caller, no method value, no interface that lists it)."""
    call = syntax.launched_call(go)
    function = call.child_by_field_name("function") if call is not None else None
    if function is None:
        return False
    named = (
        function.child_by_field_name("field")
        if function.type == "selector_expression"
        else function
    )
    for file in src.pkg.mentioning(name):
        for node in syntax.descendants(file.root, "identifier", "field_identifier"):
            if file.show(node) != name:
                continue
            parent = node.parent
            if (
                parent is not None
                and parent.type in ("function_declaration", "method_declaration")
                and syntax.same_node(parent.child_by_field_name("name"), node)
            ):
                continue
            if file is src and syntax.same_node(node, named):
                continue
            return False
    return True


def _usage(src: SourceFile, function: Node, subject: Subject) -> Usage:
    return _at_uses(usage(src, function, subject))


def _at_uses(run: Usage) -> Usage:
    """``run`` with each event at the WaitGroup's own node (``wg`` in ``wg.Done()``, ``s.wg``
    in ``s.wg.Add(1)``) rather than at the operation: the pairing of Adds, Dones and go
    statements here compares those nodes."""
    return dataclasses.replace(
        run,
        events=tuple(dataclasses.replace(e, node=e.use or e.node) for e in run.events),
        spawned=tuple(dataclasses.replace(s, run=_at_uses(s.run)) for s in run.spawned),
    )


# --- never done -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NeverDone:
    """A WaitGroup (``wg``, or ``T.wg`` for a field) that the package adds to and waits on, and
    on which no code of the package calls ``Done``: each ``Add`` call (a positive constant
    count) and each ``Wait`` call, as the call nodes, in whatever file of the package."""

    name: str
    adds: tuple[Event, ...]
    waits: tuple[Event, ...]


_FIELD_WAIT = re.compile(rb"\.([A-Za-z_][A-Za-z0-9_]*)\s*\.\s*Wait\s*\(")


def never_done(src: SourceFile) -> list[NeverDone]:
    """The WaitGroups that ``src`` waits on and that no code of the package calls ``Done`` on,
    while some ``Add`` with a positive count does count on them; see :func:`never_done_local`
    and :func:`never_done_fields` for what must hold. Only their ``Wait`` calls in ``src``
    are listed in ``waits``."""
    found = [*_never_done_locals(src), *never_done_fields(src)]
    out = []
    for group in found:
        waits = tuple(w for w in group.waits if w.src.path == src.path)
        if waits:
            out.append(dataclasses.replace(group, waits=waits))
    return out


def _never_done_locals(src: SourceFile) -> Iterator[NeverDone]:
    for local in local_declarations(src):
        if _may_never_be_done(src, local):
            group = never_done_local(src, local)
            if group is not None:
                yield group


def _may_never_be_done(src: SourceFile, local: Local) -> bool:
    """One look at the syntax: the function calls ``Wait`` on the local itself (a literal of
    it too) and never spells ``Done`` or ``Go`` on it."""
    waits = False
    for selector in syntax.descendants(local.function, "selector_expression"):
        operand = selector.child_by_field_name("operand")
        method = selector.child_by_field_name("field")
        if operand is None or method is None or operand.type != "identifier":
            continue
        if src.show(operand) != local.name:
            continue
        spelled = src.show(method)
        if spelled in ("Done", "Go"):
            return False
        waits = waits or spelled == "Wait"
    return waits


def never_done_local(src: SourceFile, local: Local) -> NeverDone | None:
    """The local WaitGroup when every use of it, followed from its declaration through the
    package's callees and goroutines (:func:`~gofixleak.facts.usage.usage`), is a ``Wait`` or
    an ``Add`` of a positive constant, with one ``Add`` at least: nothing escapes (no address
    or value handed to code that is not followed, no method value, nothing stored, captured
    by a function value or returned), and nothing calls ``Done`` or ``Go``."""
    top = usage(src, local.function, Subject(local.name, declared=local.identifier.start_byte))
    if not top.known:
        return None
    group = _never_done_events(local.name, top.events)
    if group is None or syntax.hides_import(src, local.identifier, "sync"):
        return None
    return group


def _never_done_events(name: str, events: tuple[Event, ...]) -> NeverDone | None:
    """``events`` (at the calls) as a :class:`NeverDone`, or None when one is not an ``Add`` of
    a positive constant nor a ``Wait``, or when none is an ``Add``."""
    adds: dict[tuple[str, int], Event] = {}
    waits: dict[tuple[str, int], Event] = {}
    for event in events:
        if event.kind == "method:Wait":
            waits.setdefault(_key(event.src, event.node), event)
        elif event.kind == "method:Add" and _positive_count(event.src, event.node):
            adds.setdefault(_key(event.src, event.node), event)
        else:
            return None
    if not adds or not waits:
        return None
    return NeverDone(name, tuple(adds.values()), tuple(waits.values()))


def _positive_count(src: SourceFile, call: Node) -> bool:
    """``call`` (``wg.Add(k)``) adds a constant ``k`` > 0."""
    args = syntax.arguments(call)
    if call.type != "call_expression" or len(args) != 1:
        return False
    value = constants.integer(src, args[0])
    return value is not None and value > 0


def never_done_fields(src: SourceFile) -> list[NeverDone]:
    """The WaitGroup fields that ``src`` calls ``Wait`` on (``x.wg.Wait()``) and that no code of
    the package calls ``Done`` on. The field is an unexported, non-embedded ``sync.WaitGroup``
    (not a pointer) of a struct type ``T`` of the package; every ``x.wg`` of every file is
    ``T``'s (:func:`_field_sites`: resolved to ``T``, or no other type has a member of that
    name) and is a ``Wait`` or an ``Add`` of a positive constant (one at least): its address is
    not taken, it is not copied, stored, returned, nor used as a method value
    (``defer s.wg.Done``). No other type of the package is made of ``T`` (an alias, a type
    defined as ``T``, a struct embedding ``T`` or ``*T``), through which ``x.wg`` could name
    the same field under another type. Code of other packages cannot name an unexported field."""
    found = (_never_done_field(src, *owned) for owned in _fields_called(src, "Wait", _FIELD_WAIT))
    return [group for group in found if group is not None]


def _never_done_field(src: SourceFile, owner: str, name: str) -> NeverDone | None:
    key = ("waitgroup-never-done", owner, name)
    derived = src.pkg.derived
    if key not in derived:
        derived[key] = _never_done_field_group(src, owner, name)
    group: NeverDone | None = derived[key]  # type: ignore[assignment]
    return group


def _never_done_field_group(src: SourceFile, owner: str, name: str) -> NeverDone | None:
    sites = _field_sites(src, owner, name)
    if isinstance(sites, str):
        return None
    events = []
    for site in sites:
        if site.kind not in ("method:Add", "method:Wait"):
            return None  # Done, Go, passed on, copied, a method value...
        call = _add_call(site.node)
        if call is None:
            return None
        events.append(Event(site.kind, site.src, call, use=site.node))
    group = _never_done_events(f"{owner}.{name}", tuple(events))
    if group is None or _remade(src.pkg, owner):
        return None
    return group


def _remade(package: GoPackage, owner: str) -> bool:
    """Some type of the package other than ``owner`` itself is made of it: ``type A = T``,
    ``type B T``, ``type B *T``, or a struct that embeds ``T`` or ``*T`` (its ``x.wg`` is
    ``T``'s field under another type's name)."""
    for file in package.mentioning(owner):
        for spec in syntax.descendants(file.root, "type_spec", "type_alias"):
            declared = spec.child_by_field_name("name")
            body = spec.child_by_field_name("type")
            if declared is None or body is None:
                continue
            if file.show(declared) == owner and spec.type == "type_spec":
                if body.type == "struct_type" and _embeds(file, body, owner):
                    return True
                continue
            if declarations.base_type_name(body, file) == owner:
                return True
            if body.type == "struct_type" and _embeds(file, body, owner):
                return True
    return False


def _embeds(src: SourceFile, struct: Node, owner: str) -> bool:
    for declaration in syntax.descendants(struct, "field_declaration"):
        type_node = declaration.child_by_field_name("type")
        if declaration.children_by_field_name("name") or type_node is None:
            continue
        if declarations.base_type_name(type_node, src) == owner:
            return True
    return False
