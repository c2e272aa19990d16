"""Goroutines that wait on a struct field channel which no code of the package closes or sends on.

A goroutine (``go func() {...}()``, ``go s.loop()``, ``go run(x)``: the function it starts and
the same-package functions that it calls, resolved by :mod:`~gofixleak.facts.resolve`, a few
calls deep) waits on a channel field ``f`` of the package's struct type ``T``: ``<-s.f``, a copy
of the field (``quit := s.quit``), or an accessor (``<-s.Done()`` where ``Done`` returns
``s.done``). Three rules report it, by how it waits:

- ``unclosed-quit-channel``: an endless ``for`` loop whose every exit sits in a ``case <-s.f:``
  of a ``select`` directly in it, and nothing in the package closes or sends on ``f``;
- ``range-over-unclosed-channel``: ``for v := range s.f`` that its body cannot leave, not inside
  another loop, while the package sends on ``f`` and closes it nowhere;
- ``orphaned-receiver``: a receive that blocks (bare, or the only case of its ``select``), not
  inside an endless loop (the loop rules' case), or a range as above, while nothing in the
  package sends on ``f`` or closes it.

"Nothing in the package" is :mod:`~gofixleak.facts.fields`'s complete list of the field's uses:
the field unexported (or in a ``main`` package), made with ``make`` somewhere, assigned nothing
but ``make(...)`` and ``nil``, and never passed on, stored or returned (but by an accessor whose
result is receive-only) — uses whose owner the syntax cannot tell count as possible counterparts.
Goroutines of program-lifetime code (``main``, ``init``) and of functions that never return are
left out, as in the rules' single-function shapes.

A finding is reported in the file of the ``go`` statement (the file the rules are run on): at
the waiting operation when it is in that file, at the ``go`` statement's call otherwise.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.facts import callers, declarations, resolve
from gofixleak.facts.declarations import Function
from gofixleak.facts.field_names import channel_field_names
from gofixleak.facts.fields import FieldRef, FieldUses, denoted_field, field_uses, uncancelled
from gofixleak.facts.package import GoPackage
from gofixleak.model import Edit, Finding, Related, Span
from gofixleak.source import SourceFile, span_of

QUIT = "unclosed-quit-channel"
RANGE = "range-over-unclosed-channel"
ORPHAN = "orphaned-receiver"

# The methods whose job is to end what the type started, in the order a message names them.
STOP_METHODS = ("Stop", "Close", "Shutdown", "Cancel")

_MAX_CALL_DEPTH = 3  # how many calls deep a goroutine's code is followed


@dataclass(frozen=True, eq=False)
class FieldWait:
    """A goroutine that waits forever on a field channel, and where the rule reports it."""

    rule: str
    ref: FieldRef
    uses: FieldUses
    src: SourceFile  # the go statement's file: the finding's
    go: Node
    wait_src: SourceFile
    wait: Node  # the receive, the range loop, or the first exit case's receive
    channel: Node  # the expression received from, as written
    loop: Node | None  # the endless loop whose exits wait on the field (quit)
    stops: tuple[Function, ...]  # the type's stop-like methods
    cancel: FieldRef | None = None  # for a context field's Done(): its never-called cancel

    @property
    def span(self) -> Span:
        if self.wait_src is self.src:
            return span_of(self.wait)
        call = syntax.launched_call(self.go)
        return span_of(call if call is not None else self.go)

    @property
    def in_place(self) -> bool:
        """The waiting operation is in the finding's file."""
        return self.wait_src is self.src


def field_waits(src: SourceFile, rule: str) -> list[FieldWait]:
    """The goroutines started in ``src`` that wait forever on a field channel, for ``rule``."""
    key = ("field-waits", src.path)
    derived = src.pkg.derived
    if key not in derived:
        derived[key] = _all_waits(src)
    found: list[FieldWait] = derived[key]  # type: ignore[assignment]
    return [w for w in found if w.rule == rule]


def wait_at(src: SourceFile, rule: str, span: Span) -> FieldWait | None:
    """The field wait that ``rule`` reports at ``span`` of ``src``, if any."""
    return next((w for w in field_waits(src, rule) if w.span == span), None)


def _all_waits(src: SourceFile) -> list[FieldWait]:
    if b"go" not in src.data:
        return []  # the go statement is in this file; the wait may be in another
    if not _may_wait_forever(src.pkg):
        return []
    out: list[FieldWait] = []
    seen: set[tuple[str, Span]] = set()
    for go in syntax.descendants(src.root, "go_statement"):
        waits = list(_waits_of(src, go))
        if not waits or not _outlives_its_caller(src, go):
            continue
        for wait in waits:
            key = (wait.rule, wait.span)
            if key not in seen:
                seen.add(key)
                out.append(wait)
    return out


def _outlives_its_caller(src: SourceFile, go: Node) -> bool:
    """The goroutine's leak would outlive a function that returns: not program-lifetime code,
    nor code that only the package's initialisation runs (``var std = newLogger()``)."""
    spawner = syntax.enclosing_function(go)
    if spawner is None or syntax.is_started_for_program_lifetime(go, src):
        return False
    if not syntax.can_return(spawner, src):
        return False
    declaration = resolve.enclosing_method(src, go)
    return declaration is None or not _initialization_only(declaration, 0)


def _initialization_only(function: Function, depth: int) -> bool:
    """Every call of ``function`` is in a package-level ``var`` or in code that only such calls
    and ``init`` run: it runs once per program."""
    if function.name == "init" and not function.is_method:
        return True
    sites = callers.call_sites(function.src.pkg, function) if depth < _MAX_CALL_DEPTH else None
    if not sites:
        return False
    for site_src, call in sites:
        if syntax.top_level_in(site_src.root, call).type == "var_declaration":
            continue
        caller = resolve.enclosing_method(site_src, call)
        if caller is None or not _initialization_only(caller, depth + 1):
            return False
    return True


# --- the code a goroutine runs ------------------------------------------------------------------


def goroutine_code(src: SourceFile, go: Node) -> Iterator[tuple[SourceFile, Node]]:
    """The function a ``go`` statement starts and the same-package functions it calls (not the
    goroutines it starts) whose own bodies receive from a channel, each once, as (file,
    function node)."""
    call = syntax.launched_call(go)
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return
    if function.type == "func_literal":
        start: tuple[SourceFile, Node] = (src, function)
    else:
        target = resolve.callee(src, call)
        if target is None:
            return
        start = (target.src, target.node)
    queue = [(start, 0)]
    seen = {(start[0].path, start[1].start_byte)}
    while queue:
        (code_src, code), depth = queue.pop(0)
        yield code_src, code
        if depth >= _MAX_CALL_DEPTH:
            continue
        for callee in _callees(code_src, code):
            key = (callee.src.path, callee.node.start_byte)
            if key not in seen:
                seen.add(key)
                queue.append(((callee.src, callee.node), depth + 1))


def _callees(src: SourceFile, function: Node) -> list[Function]:
    """The same-package functions that ``function`` calls (not those it starts as goroutines)."""
    key = ("field-callees", src.path, function.start_byte)
    if key in src.pkg.derived:
        known: list[Function] = src.pkg.derived[key]  # type: ignore[assignment]
        return known
    found = []
    body = syntax.function_body(function)
    for call in syntax.descendants(body, "call_expression", into_functions=False) if body else ():
        parent = call.parent
        if parent is not None and parent.type == "go_statement":
            continue  # another goroutine: its own go statement is checked
        name = _called_name(src, call)
        if name is None or not declarations.may_receive(src.pkg, name):
            continue  # resolving costs; a function that receives nothing cannot wait
        target = resolve.callee(src, call)
        if target is not None and target.body is not None:
            found.append(target)
    src.pkg.derived[key] = found
    return found


def _called_name(src: SourceFile, call: Node) -> str | None:
    function = call.child_by_field_name("function")
    if function is not None and function.type == "selector_expression":
        function = function.child_by_field_name("field")
    return src.show(function) if function is not None and function.type in _CALLED else None


_CALLED = frozenset({"identifier", "field_identifier"})


# --- how it waits -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Stuck:
    """A wait in one function that never ends, whoever runs the function."""

    rule: str
    ref: FieldRef
    uses: FieldUses
    wait: Node
    channel: Node
    loop: Node | None
    cancel: FieldRef | None = None


def _waits_of(src: SourceFile, go: Node) -> Iterator[FieldWait]:
    for code_src, code in goroutine_code(src, go):
        for stuck in _stuck_in(code_src, code):
            yield _wait(stuck, src, go, code_src)


def _stuck_in(src: SourceFile, function: Node) -> list[_Stuck]:
    """The waits of ``function``'s own body (not its literals') that never end."""
    key = ("field-stuck", src.path, function.start_byte)
    if key in src.pkg.derived:
        known: list[_Stuck] = src.pkg.derived[key]  # type: ignore[assignment]
        return known
    found: list[_Stuck] = []
    body = syntax.function_body(function)
    text = src.text(body) if body is not None else b""
    kinds = ("for_statement", "unary_expression")
    if b"<-" not in text and b"range" not in text:
        body = None  # nothing in it can wait on a channel
    for node in syntax.descendants(body, *kinds, into_functions=False) if body else ():
        if node.type == "for_statement":
            found.extend(_quit_loop(src, node))
            found.extend(_endless_range(src, node))
        else:
            found.extend(_blocking_receive(src, node))
    src.pkg.derived[key] = found
    return found


def _quit_loop(src: SourceFile, loop: Node) -> Iterator[_Stuck]:
    """``for { select { case <-s.quit: return; ... } }``: every exit waits on one field (or on
    one context field's ``Done()``)."""
    if not syntax.is_unconditional_loop(loop):
        return
    operands = syntax.exit_case_operands(loop, src)
    awaited = {_awaited(src, o) for o in operands}
    if len(awaited) != 1:
        return
    first = min(operands, key=lambda o: o.start_byte)
    wait = first.parent if first.parent is not None else first
    yield from _never_ready(QUIT, src, awaited.pop(), wait, first, loop)


def _awaited(src: SourceFile, channel: Node) -> tuple[FieldRef, bool] | None:
    """The field that receiving from ``channel`` waits on, and whether it is a context field
    whose ``Done()`` is received from (``s.ctx.Done()``) rather than a channel field."""
    context = _done_of(src, channel)
    if context is not None:
        return context, True
    ref = denoted_field(src, channel)
    return (ref, False) if ref is not None else None


def _done_of(src: SourceFile, call: Node) -> FieldRef | None:
    """The context field ``s.ctx`` of a call ``s.ctx.Done()``."""
    if call.type != "call_expression" or syntax.arguments(call):
        return None
    function = call.child_by_field_name("function")
    field = function.child_by_field_name("field") if function is not None else None
    operand = function.child_by_field_name("operand") if function is not None else None
    if field is None or operand is None or src.show(field) != "Done":
        return None
    ref = denoted_field(src, operand)
    struct = declarations.struct_type(src.pkg, ref.type_name) if ref is not None else None
    declared = struct.field(ref.field) if struct is not None and ref is not None else None
    return ref if declared is not None and declared.kind == "context" else None


def _never_ready(
    rule: str,
    src: SourceFile,
    awaited: tuple[FieldRef, bool] | None,
    wait: Node,
    channel: Node,
    loop: Node | None,
) -> Iterator[_Stuck]:
    """The wait, when nothing in the package can ever end it: a channel field nothing closes or
    sends on, a context field whose cancel nothing calls (reported as the loop's way out that
    never fires, whatever the shape)."""
    if awaited is None:
        return
    ref, is_context = awaited
    if is_context:
        cancel = uncancelled(src.pkg, ref)
        uses = field_uses(src.pkg, ref) if cancel is not None else None
        if uses is not None:
            yield _Stuck(QUIT, ref, uses, wait, channel, loop, cancel)
        return
    found = _unready(src, ref, sends_count=rule != RANGE)
    if found is not None:
        yield _Stuck(rule, ref, found, wait, channel, loop)


def _endless_range(src: SourceFile, loop: Node) -> Iterator[_Stuck]:
    """``for v := range s.requests`` that cannot end: never closed (orphaned when never sent on
    either)."""
    clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    channel = clause.child_by_field_name("right") if clause is not None else None
    if channel is None or syntax.enclosing_loops(loop) or syntax.can_leave_loop(loop, src):
        return
    ref = denoted_field(src, channel)
    uses = _unready(src, ref, sends_count=False)
    if ref is None or uses is None:
        return
    rule = RANGE if uses.of_kind("send") else ORPHAN
    yield _Stuck(rule, ref, uses, loop, channel, None)


def _blocking_receive(src: SourceFile, receive: Node) -> Iterator[_Stuck]:
    """``<-s.ready`` that blocks: bare or alone in its select, not in an endless loop."""
    channel = receive.child_by_field_name("operand")
    if not syntax.is_receive(receive) or channel is None:
        return
    if channels.select_alternatives(receive) or _in_endless_loop(receive):
        return
    yield from _never_ready(ORPHAN, src, _awaited(src, channel), receive, channel, None)


def _in_endless_loop(node: Node) -> bool:
    return any(syntax.is_unconditional_loop(loop) for loop in syntax.enclosing_loops(node))


def _unready(src: SourceFile, ref: FieldRef | None, *, sends_count: bool) -> FieldUses | None:
    """The field's uses when none of them can ever make a receive go on (a close, or with
    ``sends_count`` a send) and the list is complete; None otherwise."""
    if ref is None or _spells_a_counterpart(src.pkg, ref.field, sends_count=sends_count):
        return None
    struct = declarations.struct_type(src.pkg, ref.type_name)
    declared = struct.field(ref.field) if struct is not None else None
    if declared is None or declared.kind != "chan":
        return None  # a slice, a map...: what its uses are is not asked (the package-wide list)
    uses = field_uses(src.pkg, ref)
    if uses is None or uses.unknown is not None or uses.field.kind != "chan":
        return None
    if not uses.is_made or uses.of_kind("assign", "derive", "escape", "close"):
        return None
    if sends_count and uses.of_kind("send"):
        return None
    if any(u.owner_known and (u.kind == "call" or u.kind.startswith("method:")) for u in uses.uses):
        return None  # not a channel's use: the declared type is not what it seems
    return uses


_CLOSED_FIELD = re.compile(rb"close\([^()\n]*\.([A-Za-z0-9_\x80-\xff]+)\s*\)")
_CONTEXT_FIELD = re.compile(rb"context\s*\.\s*Context\b")


def _may_wait_forever(package: GoPackage) -> bool:
    """What every wait of the three rules needs, read from the package's bytes: a name declared
    with a channel type (``f chan T``) that no file closes (``close(x.f)``), or a context
    field and a ``WithCancel`` (its cancel may be the one never called). Without either, no
    goroutine's code is followed (resolving its calls parses the package)."""
    key = ("field-waits-possible",)
    if key not in package.derived:
        datas = [package.data(path) for path in package.paths()]
        names = channel_field_names(package)
        # What _spells_a_counterpart finds without a send, for every name at once.
        closed = {name for data in datas for name in _CLOSED_FIELD.findall(data)}
        possible = bool(names - closed) or (
            any(b"WithCancel" in data for data in datas)
            and any(_CONTEXT_FIELD.search(data) for data in datas)
        )
        package.derived[key] = possible
    return bool(package.derived[key])


def _spells_a_counterpart(package: GoPackage, field: str, *, sends_count: bool) -> bool:
    """Some file of the package spells ``close(x.field)`` (or, with ``sends_count``,
    ``x.field <-``), whatever ``x`` is: such a field is silent anyway unless ``x`` is another
    type, and this byte test spares the package-wide list of its uses (most fields have one)."""
    close, send = _counterpart_patterns(field)
    wanted = field.encode()
    for path in package.paths():
        data = package.data(path)
        if wanted not in data:
            continue
        if close.search(data) or (sends_count and send.search(data)):
            return True
    return False


@functools.lru_cache(maxsize=256)
def _counterpart_patterns(field: str) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    name = re.escape(field.encode())
    # No `\b` before `close`: a pattern that starts with a literal is searched for much faster
    # (nats-server's 13 MB package: 8 s of regex searches otherwise), and `x.close(s.f)` spelled
    # too only makes the rule more silent.
    close = re.compile(rb"close\([^()\n]*\." + name + rb"\s*\)")
    send = re.compile(rb"\." + name + rb"\s*<-")
    return close, send


def _wait(stuck: _Stuck, src: SourceFile, go: Node, code_src: SourceFile) -> FieldWait:
    type_name = stuck.ref.type_name
    stops = tuple(
        m for name in STOP_METHODS for m in declarations.methods_named(src.pkg, type_name, name)
    )
    return FieldWait(
        stuck.rule,
        stuck.ref,
        stuck.uses,
        src,
        go,
        code_src,
        stuck.wait,
        stuck.channel,
        stuck.loop,
        stops,
        stuck.cancel,
    )


# --- what the messages say -----------------------------------------------------------------


def stop_hint(wait: FieldWait, verb: str = "close") -> str:
    """``; Stop should close it``: the stop-like methods that forget it, when there are any."""
    names = sorted({m.name for m in wait.stops}, key=STOP_METHODS.index)
    if not names:
        return f"; no method of {wait.ref.type_name} {verb}s it"
    return f"; {' or '.join(names)} should {verb} it"


def described(wait: FieldWait) -> str:
    """How the finding names the channel: ``s.quit`` or ``s.done() (Server.quit)``."""
    shown = wait.wait_src.show(wait.channel)
    if shown == f"{shown.rsplit('.', 1)[0]}.{wait.ref.field}":
        return shown
    return f"{shown} ({wait.ref})"


def where(wait: FieldWait) -> str:
    """`` in loop (server.go)`` when the wait is not in the finding's file."""
    if wait.in_place:
        return ""
    function = resolve.enclosing_method(wait.wait_src, wait.wait)
    name = function.name if function is not None else "a function"
    return f" in {name} ({wait.wait_src.path.rsplit('/', 1)[-1]})"


# --- the findings -----------------------------------------------------------------------------


def findings(src: SourceFile, rule: str) -> Iterator[Finding]:
    """``rule``'s findings of field waits for goroutines started in ``src``."""
    for wait in field_waits(src, rule):
        yield Finding(
            rule=rule,
            path=src.path,
            span=wait.span,
            message=_MESSAGES[rule](wait),
            captures={"field_wait": wait.span},
            related=tuple(_related(wait)),
        )


def _quit_message(wait: FieldWait) -> str:
    received = wait.wait_src.show(wait.channel)
    if wait.cancel is not None:
        owner = received.removesuffix(".Done()").rsplit(".", 1)[0]
        way = f"`case <-{received}` exit" if wait.loop is not None else f"`<-{received}`"
        return (
            f"{owner}.{wait.cancel.field} is never called in the package, so "
            f"{received.removesuffix('.Done()')} is never done and the goroutine's {way}"
            f"{where(wait)} never fires: it leaks{stop_hint(wait, 'call')}"
        )
    return (
        f"{described(wait)} is never closed or sent on in the package, so the goroutine's "
        f"`case <-{received}` exit{where(wait)} never fires and it leaks{stop_hint(wait)}"
    )


def _range_message(wait: FieldWait) -> str:
    return (
        f"goroutine ranges over {described(wait)}{where(wait)}, which the package sends on but "
        "never closes: the loop never ends"
    )


def _orphan_message(wait: FieldWait) -> str:
    action = "ranges over" if wait.loop is None and wait.wait.type == "for_statement" else None
    verb = action or "receives from"
    return (
        f"goroutine {verb} {described(wait)}{where(wait)}, which nothing in the package sends "
        "on or closes: it blocks forever"
    )


_MESSAGES = {QUIT: _quit_message, RANGE: _range_message, ORPHAN: _orphan_message}


def _related(wait: FieldWait) -> Iterator[Related]:
    if wait.in_place:
        # As the single-function shapes do: the go statement (a literal's whole body), so that
        # the place where a leaked goroutine blocks lies in the finding's lines.
        yield Related(span_of(wait.go), "the goroutine that waits for it")
    field = wait.uses.field
    if field.src is wait.src:
        declaration = field.type_node.parent or field.type_node
        yield Related(span_of(declaration), f"{field.name} is declared here")
    for method in wait.stops:
        if method.src is wait.src and wait.rule == QUIT:
            yield Related(span_of(method.node), f"{method.name} could close {field.name}")


# --- the fix: close the field in the type's one stop-like method ------------------------------


def close_in_stop(wait: FieldWait) -> tuple[SourceFile, Edit] | None:
    """The edit that closes the quit field (or calls the cancel field) at the start of the
    type's only stop-like method (after a leading ``mu.Lock()`` and its deferred unlock),
    guarded so that a second call, or a call on a value whose field was never set, does not
    panic; None when no such edit is right (several stop-like methods, none, no receiver name,
    a receive-only field, a ``close`` that is not the builtin there)."""
    if wait.rule != QUIT or len(wait.stops) != 1:
        return None
    stop = wait.stops[0]
    body = stop.body
    if stop.receiver_name is None or body is None:
        return None
    if wait.cancel is None and (_is_receive_only(wait) or _close_is_not_builtin(stop)):
        return None
    lines = _stop_lines(stop.receiver_name, wait)
    edit = _insert_at_start(stop.src, body, lines)
    return (stop.src, edit) if edit is not None else None


def _stop_lines(receiver: str, wait: FieldWait) -> list[str]:
    """What the stop-like method does first: call the cancel (a cancel may be called twice),
    or close the channel unless it is closed already or was never made."""
    if wait.cancel is not None:
        cancel = f"{receiver}.{wait.cancel.field}"
        return [f"if {cancel} != nil {{", f"\t{cancel}()", "}"]
    channel = f"{receiver}.{wait.ref.field}"
    return [
        f"if {channel} != nil {{",
        "\tselect {",
        f"\tcase <-{channel}:",
        "\tdefault:",
        f"\t\tclose({channel})",
        "\t}",
        "}",
    ]


def _close_is_not_builtin(stop: Function) -> bool:
    return declarations.declares(stop.src.pkg, "close") or any(
        stop.src.show(n) == "close" for n in syntax.declaring_identifiers(stop.node)
    )


def _is_receive_only(wait: FieldWait) -> bool:
    field = wait.uses.field
    return field.src.show(field.type_node).replace(" ", "").startswith("<-chan")


def _insert_at_start(src: SourceFile, body: Node, lines: list[str]) -> Edit | None:
    statements = syntax.block_statements(body)
    skipped = _leading_lock(src, statements)
    if skipped < len(statements):
        return syntax.insert_lines_before(src, statements[skipped], lines)
    if statements:
        return syntax.insert_lines_after(src, statements[-1], lines)
    indent = syntax.indent_of(src.data, body.start_byte).decode()
    text = "".join(f"{indent}\t{line}\n" for line in lines)
    return Edit(span_of(body), f"{{\n{text}{indent}}}".encode())


def _leading_lock(src: SourceFile, statements: list[Node]) -> int:
    """How many statements at the start take a lock: ``mu.Lock()``, then ``defer mu.Unlock()``.
    The close goes after them, so that callers that race to stop are serialised."""
    count = 0
    if statements and _is_method_call(src, statements[0], "expression_statement", "Lock"):
        count = 1
        if len(statements) > 1 and _is_method_call(src, statements[1], "defer_statement", "Unlock"):
            count = 2
    return count


def _is_method_call(src: SourceFile, statement: Node, kind: str, method: str) -> bool:
    call = statement.named_children[0] if statement.named_children else None
    function = call.child_by_field_name("function") if call is not None else None
    field = function.child_by_field_name("field") if function is not None else None
    return (
        statement.type == kind
        and call is not None
        and call.type == "call_expression"
        and field is not None
        and src.show(field) == method
    )
