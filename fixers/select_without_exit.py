"""Fix for select-without-exit: thread ``ctx.Done()`` into the goroutine's loop.

The plan has two halves. The goroutine side adds ``case <-ctx.Done(): return`` to each select
of the loop and wraps bare sends and receives in such a select. The spawning side makes sure
the context is cancelled when the spawning function returns (reusing a cancelled one, deriving
one from a context at hand, or creating one) and hands it to the goroutine (capture, or a new
first parameter). See the rule's "Fix safety" for when the result is SAFE.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.detectors.select_without_exit import RULE
from gofixleak.model import Applicability, Edit, Finding, Fix, Span
from gofixleak.source import SourceFile

from . import _poll_then_block

__all__ = ["RULE", "fix"]

# context functions whose second result is a CancelFunc called as ``cancel()``.
_WITH_CANCEL = (
    "WithCancel",
    "WithTimeout",
    "WithDeadline",
    "WithTimeoutCause",
    "WithDeadlineCause",
)


@dataclass
class _Plan:
    """How the goroutine gets a context that ends when the spawning function returns."""

    inner: str  # the name the goroutine's new case uses
    edits: list[Edit] = field(default_factory=list)
    safe: bool = True


@dataclass(frozen=True)
class _Site:
    src: SourceFile
    go: Node
    spawner: Node
    function: Node
    qualifier: str  # how this file spells the context package


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    if "poll_send" in finding.captures:
        return _poll_then_block.fix(finding, src)
    if "poll_field" in finding.captures:
        return None  # the signals are of one kind, not known to be one: report only
    site = _site(finding, src)
    if site is None or _has_results(site.function) or _has_goto(site.spawner):
        return None
    found = [src.node_at(span) for key, span in finding.captures.items() if key.startswith("op")]
    operations = [op for op in found if op is not None]
    if not operations or len(operations) != len(found):
        return None
    channel_kind = _channels_kind(site, operations)
    if channel_kind is None:
        return None
    plan = _context_plan(site)
    if plan is None:
        return None
    inner_edits = [_op_edit(src, op, plan.inner) for op in operations]
    if any(e is None for e in inner_edits):
        return None
    edits = [e for e in inner_edits if e is not None] + plan.edits
    import_edit = syntax.add_import(src, "context")
    if import_edit is not None:
        edits.append(import_edit)
    ordered = sorted(edits, key=lambda e: e.span)
    if any(b.span.start < a.span.end for a, b in itertools.pairwise(ordered)):
        return None
    safe = (
        plan.safe
        and channel_kind == "local"
        and site.function.type == "func_literal"
        and not _has_default(operations)
        and not _has_defer(site.function)
    )
    return Fix(
        f"stop the goroutine with <-{plan.inner}.Done() when the function returns",
        tuple(ordered),
        Applicability.SAFE if safe else Applicability.UNSAFE,
        isolation=_isolation(site),
    )


def _site(finding: Finding, src: SourceFile) -> _Site | None:
    go = src.node_at(finding.captures["go"])
    spawner = src.node_at(finding.captures["spawner"])
    function = src.node_at(finding.captures["function"])
    if go is None or spawner is None or function is None:
        return None
    imported = syntax.imports(src)
    if "context" in imported:
        qualifier = syntax.import_name(src, "context")
        if qualifier is None:
            return None  # a dot or blank import: no name to spell it with
        if _declares(src, qualifier, syntax.top_level_in(src.root, spawner), function):
            return None  # a local of that name may hide the package where the fix writes it
    else:
        qualifier = "context"
        if qualifier in syntax.identifier_names(src.root, src):
            return None  # the name is taken by something else in this file
    return _Site(src, go, spawner, function, qualifier)


def _declares(src: SourceFile, name: str, *scopes: Node) -> bool:
    return any(src.show(n) == name for s in scopes for n in syntax.declaring_identifiers(s))


def _has_results(function: Node) -> bool:
    return function.child_by_field_name("result") is not None


def _has_defer(function: Node) -> bool:
    """The goroutine defers work, which never ran before and runs once the new case returns."""
    body = syntax.function_body(function)
    return body is not None and any(
        True for _ in syntax.descendants(body, "defer_statement", into_functions=False)
    )


def _has_goto(function: Node) -> bool:
    """A goto could jump over the declarations the fix adds."""
    return any(True for _ in syntax.descendants(function, "goto_statement", into_functions=False))


def _isolation(site: _Site) -> Span:
    start = min(site.spawner.start_byte, site.function.start_byte)
    end = max(site.spawner.end_byte, site.function.end_byte)
    return Span(start, end)


# --- which channels the loop talks on ------------------------------------------------------------


def _channels_kind(site: _Site, operations: list[Node]) -> str | None:
    """ "local" when every channel is the spawner's own and unbuffered, "timer" when some are
    timers, "buffered" when some local channel has a capacity; None when one outlives the
    spawning function (or cannot be told)."""
    kinds = {_channel_kind(site, channel) for op in operations for channel in _channels_of(op)}
    if None in kinds:
        return None
    return next((k for k in ("timer", "buffered") if k in kinds), "local")


def _channels_of(op: Node) -> list[Node | None]:
    if op.type == "send_statement":
        return [op.child_by_field_name("channel")]
    if op.type == "unary_expression":
        return [op.child_by_field_name("operand")]
    out: list[Node | None] = []
    for case in op.named_children:
        communication = case.child_by_field_name("communication")
        if case.type != "communication_case" or communication is None:
            continue
        if communication.type == "send_statement":
            out.append(communication.child_by_field_name("channel"))
        else:
            receive = next((n for n in syntax.walk(communication) if syntax.is_receive(n)), None)
            out.append(receive.child_by_field_name("operand") if receive is not None else None)
    return out


def _channel_kind(site: _Site, channel: Node | None) -> str | None:
    src = site.src
    if channel is None:
        return None
    if channel.type == "call_expression" and syntax.is_call_to(
        src, channel, "time", "After", "Tick"
    ):
        return "timer"
    if channel.type == "selector_expression":
        selected = channel.child_by_field_name("field")
        return "timer" if selected is not None and src.show(selected) == "C" else None
    if channel.type != "identifier":
        return None
    spawner_side = _spawner_expression(site, src.show(channel))
    if spawner_side is None or spawner_side.type != "identifier":
        return None
    name = src.show(spawner_side)
    local = _local_channel(site, name)
    if local is None or not _stays_in_view(site, local, spawner_side):
        return None
    return "buffered" if _is_buffered(src, local) else "local"


def _is_buffered(src: SourceFile, local: channels.LocalChannel) -> bool:
    """A buffer can hold values the spawning function sent just before returning, or take one
    more from the goroutine after it: the new case may then win over them."""
    capacity = local.capacity
    return capacity is not None and src.show(capacity) != "0"


def _spawner_expression(site: _Site, name: str) -> Node | None:
    """What the spawning function calls ``name`` (a name the goroutine uses): the argument bound
    to a parameter, or the captured name itself. None when it is the goroutine's own."""
    src = site.src
    call = syntax.launched_call(site.go)
    if name in syntax.parameter_names(site.function, src):
        return syntax.bound_argument(call, site.function, src, name) if call else None
    if site.function.type != "func_literal":
        return None  # a package-level name
    if any(src.show(n) == name for n in syntax.declaring_identifiers(site.function)):
        return None
    return next(
        (n for n in syntax.descendants(site.function, "identifier") if src.show(n) == name), None
    )


def _local_channel(site: _Site, name: str) -> channels.LocalChannel | None:
    src = site.src
    body = syntax.function_body(site.spawner)
    if body is None or name in syntax.parameter_names(site.spawner, src):
        return None
    made = [c for c in channels.local_channels(site.spawner, src) if c.name == name]
    declared = [n for n in syntax.declaring_identifiers(body) if src.show(n) == name]
    return made[0] if len(made) == 1 and len(declared) == 1 else None


def _stays_in_view(site: _Site, local: channels.LocalChannel, handed: Node) -> bool:
    """Every use of the channel is a send, receive, range, close/len/cap, or the hand-over to
    this goroutine, and runs while the spawning function can see it."""
    src = site.src
    body = syntax.function_body(site.spawner)
    if body is None:
        return False
    declaration = syntax.statement_of(local.declaration) or local.declaration
    for ident in syntax.descendants(body, "identifier"):
        if src.show(ident) != local.name or syntax.is_inside(ident, declaration):
            continue
        if syntax.is_inside(ident, site.go):
            if syntax.same_node(ident, handed):
                continue
            # the goroutine's own use (not a goroutine or deferred call of its own)
            scope = site.function if syntax.is_inside(ident, site.function) else site.spawner
        else:
            scope = site.spawner
        if not _is_channel_use(src, ident) or not _runs_in_view(ident, scope):
            return False
    return True


def _is_channel_use(src: SourceFile, ident: Node) -> bool:
    parent = ident.parent
    if parent is None:
        return False
    if parent.type == "send_statement":
        return syntax.same_node(parent.child_by_field_name("channel"), ident)
    if parent.type == "unary_expression":
        return syntax.is_receive(parent)
    if parent.type == "range_clause":
        return syntax.same_node(parent.child_by_field_name("right"), ident)
    if parent.type == "argument_list" and parent.parent is not None:
        return syntax.call_name(src, parent.parent) in ("close", "len", "cap")
    return False


def _runs_in_view(node: Node, function: Node) -> bool:
    """Every literal between ``node`` and ``function`` is called where it is written, and not by
    ``go`` or ``defer``: another goroutine, or a deferred call that runs after the new
    ``cancel()``, would talk to the goroutine once the function has stopped it."""
    for ancestor in syntax.ancestors(node):
        if syntax.same_node(ancestor, function):
            return True
        if ancestor.type in syntax.FUNCTIONS:
            call = ancestor.parent
            if call is None or call.type != "call_expression":
                return False
            if not syntax.same_node(call.child_by_field_name("function"), ancestor):
                return False
            if call.parent is not None and call.parent.type in ("go_statement", "defer_statement"):
                return False
    return True


def _has_default(operations: list[Node]) -> bool:
    return any(
        c.type == "default_case"
        for op in operations
        if op.type == "select_statement"
        for c in op.named_children
    )


# --- the goroutine side --------------------------------------------------------------------------


def _op_edit(src: SourceFile, op: Node, ctx: str) -> Edit | None:
    if op.type == "select_statement":
        return _select_case_edit(src, op, ctx)
    statement = op if op.type == "send_statement" else _receive_statement(op)
    if statement is None:
        return None
    return syntax.in_a_select(src, statement, [f"case <-{ctx}.Done():", "\treturn"])


def _receive_statement(receive: Node) -> Node | None:
    """The statement that is only ``<-ch``, or ``x = <-ch`` / ``x, ok = <-ch``; else None."""
    parent = receive.parent
    if parent is not None and parent.type == "expression_statement":
        return parent
    if parent is None or parent.type != "expression_list" or len(parent.named_children) != 1:
        return None
    statement = parent.parent
    if statement is None or statement.type != "assignment_statement":
        return None
    operator = statement.child_by_field_name("operator")
    right = statement.child_by_field_name("right")
    if operator is None or operator.type != "=" or not syntax.same_node(right, parent):
        return None
    return statement


def _select_case_edit(src: SourceFile, select: Node, ctx: str) -> Edit | None:
    if any(_is_done_case(src, c) for c in select.named_children):
        return None  # a Done case that does not return: not a shape to patch blindly
    default = next((c for c in select.named_children if c.type == "default_case"), None)
    anchor = default if default is not None else _closing_brace(select)
    if anchor is None or not syntax.starts_line(src.data, anchor.start_byte):
        return None
    indent = syntax.indent_of(src.data, anchor.start_byte).decode()
    at = syntax.line_start(src.data, anchor.start_byte)
    text = f"{indent}case <-{ctx}.Done():\n{indent}\treturn\n"
    return Edit(Span(at, at), text.encode())


def _closing_brace(select: Node) -> Node | None:
    last = select.children[-1] if select.children else None
    return last if last is not None and last.type == "}" else None


def _is_done_case(src: SourceFile, case: Node) -> bool:
    communication = case.child_by_field_name("communication")
    if case.type != "communication_case" or communication is None:
        return False
    return any(
        n.type == "call_expression" and syntax.call_name(src, n).endswith(".Done")
        for n in syntax.walk(communication)
    )


# --- the spawning side ---------------------------------------------------------------------------


def _context_plan(site: _Site) -> _Plan | None:
    src = site.src
    own = next(
        (
            name
            for name in syntax.parameter_names(site.function, src)
            if _is_usable_name(name)
            and syntax.is_context_type(src, syntax.parameter_type(site.function, src, name))
        ),
        None,
    )
    if own is not None:
        return _plan_for_own_parameter(site, own)
    if site.function.type == "func_literal":
        return _plan_for_capture(site)
    return _plan_for_new_parameter(site)


def _plan_for_own_parameter(site: _Site, own: str) -> _Plan | None:
    """The goroutine already takes a context: make sure the one it is given gets cancelled."""
    call = syntax.launched_call(site.go)
    argument = syntax.bound_argument(call, site.function, site.src, own) if call else None
    if argument is None or argument.type != "identifier":
        return None
    name = site.src.show(argument)
    cancelled = _cancelled_locals(site)
    if name in cancelled:
        return _Plan(own, safe=cancelled[name])
    if not _is_context_parameter(site, name):
        return None
    return _derive(site, name, own)


def _plan_for_capture(site: _Site) -> _Plan | None:
    src = site.src
    shadowed = {src.show(n) for n in syntax.declaring_identifiers(site.function)}
    cancelled = _cancelled_locals(site)
    parameters = [
        p for p in syntax.parameter_names(site.spawner, src) if _is_context_parameter(site, p)
    ]
    for name, ends_on_return in cancelled.items():
        if name not in shadowed:
            return _Plan(name, safe=ends_on_return)
    for name in parameters:
        if name not in shadowed:
            return _derive(site, name, name)
    return _create(site, _Plan)


def _plan_for_new_parameter(site: _Site) -> _Plan | None:
    """A named goroutine function without a context gets ``ctx context.Context`` first."""
    src = site.src
    name = syntax.function_name(src, site.function)
    call = syntax.launched_call(site.go)
    if name is None or call is None or _reference_count(src, name) != 1:
        return None
    inner = syntax.fresh_name(src, "ctx", site.function)
    parameter_edit = _prepend(
        src, site.function.child_by_field_name("parameters"), f"{inner} {site.qualifier}.Context"
    )
    if parameter_edit is None:
        return None

    def hand_over(outer: str) -> _Plan | None:
        argument_edit = _prepend(src, call.child_by_field_name("arguments"), outer)
        if argument_edit is None:
            return None
        # Never SAFE: a caller in another file of the package (a test, often) no longer builds.
        return _Plan(inner, [parameter_edit, argument_edit], safe=False)

    cancelled = _cancelled_locals(site)
    if cancelled:
        return hand_over(next(iter(cancelled)))
    parameters = [
        p for p in syntax.parameter_names(site.spawner, src) if _is_context_parameter(site, p)
    ]
    if not parameters:
        return _create(site, hand_over)
    plan = hand_over(parameters[0])
    derived = _derive(site, parameters[0], inner)
    if plan is None or derived is None:
        return None
    return _Plan(inner, plan.edits + derived.edits, plan.safe and derived.safe)


def _reference_count(src: SourceFile, name: str) -> int:
    """How many identifiers of the file spell ``name``, not counting declarations' names."""
    return sum(
        1
        for n in syntax.descendants(src.root, "identifier")
        if src.show(n) == name and (n.parent is None or n.parent.type != "function_declaration")
    )


def _prepend(src: SourceFile, node: Node | None, text: str) -> Edit | None:
    """Insert ``text`` as the first item of a one-line parameter or argument list."""
    if node is None or b"\n" in src.text(node):
        return None
    at = node.start_byte + 1
    separator = ", " if node.named_children else ""
    return Edit(Span(at, at), f"{text}{separator}".encode())


def _is_context_parameter(site: _Site, name: str) -> bool:
    """A named (not blank) ``context.Context`` parameter of the spawning function."""
    return _is_usable_name(name) and syntax.is_context_type(
        site.src, syntax.parameter_type(site.spawner, site.src, name)
    )


def _is_usable_name(name: str) -> bool:
    return name not in ("", "_")


def _cancelled_locals(site: _Site) -> dict[str, bool]:
    """Contexts that ``ctx, cancel := context.WithCancel(...)`` (or WithTimeout...) declares
    before the go statement, in a block around it, with a ``defer cancel()`` in the function;
    each with whether it ends only when the function returns (see :func:`_ends_on_return`)."""
    src = site.src
    body = syntax.function_body(site.spawner)
    if body is None:
        return {}
    deferred = _deferred_calls(src, body)
    out: dict[str, bool] = {}
    for declaration in syntax.descendants(body, "short_var_declaration", into_functions=False):
        names = syntax.short_var_names(declaration, src)
        right = declaration.child_by_field_name("right")
        values = right.named_children if right is not None else []
        if len(names) != 2 or len(values) != 1 or names[1] not in deferred:
            continue
        if not syntax.is_call_to(src, values[0], "context", *_WITH_CANCEL):
            continue
        if declaration.end_byte <= site.go.start_byte and _is_visible_at(declaration, site.go):
            out.setdefault(names[0], _ends_on_return(site, values[0], names[1]))
    return out


def _ends_on_return(site: _Site, call: Node, cancel: str) -> bool:
    """``context.WithCancel(context.Background())`` (or ``TODO()``) whose cancel function is
    only deferred: the context is done exactly when the function returns. One derived from a
    caller's context, or with a deadline, can end earlier and stop the goroutine while the
    function still talks to it (which then blocks for ever)."""
    src = site.src
    args = syntax.arguments(call)
    if not syntax.is_call_to(src, call, "context", "WithCancel") or len(args) != 1:
        return False
    if not syntax.is_call_to(src, args[0], "context", "Background", "TODO"):
        return False
    body = syntax.function_body(site.spawner)
    uses = syntax.references(body, cancel, src) if body is not None else []
    return len(uses) == 1


def _deferred_calls(src: SourceFile, body: Node) -> set[str]:
    """Names called as ``defer name()`` in the function itself."""
    out: set[str] = set()
    for statement in syntax.descendants(body, "defer_statement", into_functions=False):
        call = next((c for c in statement.named_children if c.type == "call_expression"), None)
        if call is not None and not syntax.arguments(call):
            function = call.child_by_field_name("function")
            if function is not None and function.type == "identifier":
                out.add(src.show(function))
    return out


def _is_visible_at(declaration: Node, node: Node) -> bool:
    """The declaration's statement list encloses ``node``: its names are in scope there."""
    block = declaration.parent
    return block is not None and block.type == "statement_list" and syntax.is_inside(node, block)


def _setup_anchor(site: _Site) -> Node | None:
    """Where the context setup goes: right before the go statement when it sits in the function's
    own block, otherwise before the function's first statement."""
    body = syntax.function_body(site.spawner)
    statements = syntax.block_statements(body)
    if any(syntax.same_node(s, site.go) for s in statements):
        return site.go
    return statements[0] if statements else None


def _derive(site: _Site, outer: str, inner: str) -> _Plan | None:
    """``outer, cancel := context.WithCancel(outer)`` + ``defer cancel()``."""
    anchor = _setup_anchor(site)
    if anchor is None:
        return None
    cancel = syntax.fresh_name(site.src, "cancel", site.spawner)
    edit = syntax.insert_lines_before(
        site.src,
        anchor,
        [f"{outer}, {cancel} := {site.qualifier}.WithCancel({outer})", f"defer {cancel}()"],
    )
    if edit is None:
        return None
    # Never SAFE: when the caller cancels ``outer`` the goroutine now stops while this function
    # may still wait on it, and then blocks for ever where it used to finish.
    return _Plan(inner, [edit], safe=False)


def _create(site: _Site, hand_over: Callable[[str], _Plan | None]) -> _Plan | None:
    """``ctx, cancel := context.WithCancel(context.Background())`` + ``defer cancel()``."""
    anchor = _setup_anchor(site)
    if anchor is None:
        return None
    ctx = syntax.fresh_name(site.src, "ctx", site.spawner)
    cancel = syntax.fresh_name(site.src, "cancel", site.spawner)
    q = site.qualifier
    edit = syntax.insert_lines_before(
        site.src,
        anchor,
        [f"{ctx}, {cancel} := {q}.WithCancel({q}.Background())", f"defer {cancel}()"],
    )
    plan = hand_over(ctx)
    if edit is None or plan is None:
        return None
    return _Plan(plan.inner, [edit, *plan.edits], plan.safe)
