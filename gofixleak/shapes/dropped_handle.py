"""A dropped handle that holds the only cancel of the context its goroutine waits on.

A same-package function or method ``F`` (the *constructor*) builds ``v := &T{ctx: ctx, cancel:
cancel}`` from ``ctx, cancel := context.WithCancel(p)``, starts a goroutine that waits on
``v.ctx.Done()`` with no other way out, and returns ``v`` on every return. Only code that holds
``v`` can call ``v.cancel``: a caller that drops the result (``F(...)`` as a statement, or
``_ = F(...)``) while the parent ``p`` can never be done (``context.Background()`` or
``context.TODO()``, at the call or in ``F``) leaks the goroutine (GoKer's cockroach_13197).

What must hold:

- ``F`` returns ``*T`` and every ``return`` returns ``v``; ``v := &T{...}`` is its only
  declaration, never assigned;
- the literal's one context-typed key and one cancel-typed key take the two results of one
  ``ctx, cancel := context.WithCancel(p)`` in ``F``'s own block, and the local ``cancel`` is used
  nowhere else (not stored, passed, called, returned);
- ``p`` is ``context.Background()``/``TODO()`` in ``F``, or a parameter of ``F`` (never assigned
  but by that ``:=``) whose argument at the dropping call is ``Background()``/``TODO()``;
- ``F`` uses ``v`` only to return it, to start the goroutine, and to read or set ``v.f`` for a
  field ``f`` other than the cancel field (the context field only read: never assigned, nor its
  address taken): no method of ``v`` is called or taken as a value, ``v`` is handed to nothing,
  stored nowhere, ``v.cancel`` is never read;
- the goroutine is started by one of ``F``'s top statements, after none that may return (so on
  every path that returns ``v``; a ``go`` under an ``if`` is silent); it (a ``go func() {...}()``
  literal that does not redeclare ``v``, or ``go v.m()`` for the one method ``m`` of ``T`` with
  a named receiver and no parameters) uses its ``v`` (the method's receiver) the same way, and
  waits, among the top statements of its body and after statements with no ``return``,
  ``goto`` or ``Goexit``, in a bare ``<-v.ctx.Done()``, a ``select`` whose every case receives
  from it, or an endless ``for`` whose every exit is such a case.

Then once the caller has dropped the result, nothing can reach ``v`` any more, so nothing can
call ``v.cancel`` or let it out (a method that would, ``Rollback`` or one that stores the cancel,
needs ``v``), and ``p`` is never done: whatever the rest of the package does with the fields of
other ``T`` values, this goroutine waits forever. A constructor that cancels on some path
(``v.cancel()`` on an error path) uses ``v`` otherwise and is silent, even when it still
returns the handle. A cancel field that nothing in the package calls is left to the field
shape of :mod:`~gofixleak.shapes.field_channels`, which reports the goroutine where it starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.facts import declarations, resolve
from gofixleak.facts.declarations import Field, Function
from gofixleak.facts.fields import FieldRef, is_literal_key, uncancelled
from gofixleak.facts.package import GoPackage
from gofixleak.model import Finding, Related
from gofixleak.source import SourceFile, span_of


@dataclass(frozen=True, eq=False)
class Handle:
    """A constructor whose result holds the only cancel of the context its goroutine awaits."""

    function: Function
    type_name: str
    context: Field
    cancel: Field
    variable: str  # the constructor's name for the handle
    go: Node  # the go statement in the constructor
    wait_src: SourceFile
    wait: Node  # the receive of v.ctx.Done() (the first exit case's, in a loop)
    parent: str | None  # the constructor's parameter the parent comes from; None: its own root


def dropped_handles(src: SourceFile) -> Iterator[tuple[Node, Handle]]:
    """The calls in ``src`` that drop the handle a constructor of the package returns."""
    if not src.pkg.paths_mentioning("WithCancel"):
        return  # no constructor of the package can make the handle's context
    for call in syntax.descendants(src.root, "call_expression"):
        if not _is_dropped(src, call):
            continue
        name = _called_name(src, call)
        if name is None:
            continue
        handles = _handles_named(src.pkg, name)
        if not handles:
            continue
        target = resolve.callee(src, call)
        handle = next(
            (h for h in handles if target is not None and _same(h.function, target)), None
        )
        if handle is None or syntax.is_started_for_program_lifetime(call, src):
            continue
        if handle.parent is not None:
            argument = syntax.bound_argument(
                call, handle.function.node, handle.function.src, handle.parent
            )
            if argument is None or not _is_root(src, argument):
                continue
        yield call, handle


def finding(rule: str, src: SourceFile, call: Node, handle: Handle) -> Finding:
    function = handle.function
    shown = src.show(call.child_by_field_name("function") or call)
    received = handle.wait_src.show(handle.wait)
    owner = received.removeprefix("<-").removesuffix(".Done()").rsplit(".", 1)[0]
    where = function.src.path.rsplit("/", 1)[-1]
    message = (
        f"the *{handle.type_name} that {shown} returns is dropped: only a holder of it can call "
        f"{handle.type_name}.{handle.cancel.name}, so {owner}.{handle.context.name} is never done "
        f"and the goroutine that {function.name} starts ({where}) waits on `{received}` forever"
    )
    go_path = None if function.src is src else function.src.path
    cancel_src = handle.cancel.src
    declaration = handle.cancel.type_node.parent or handle.cancel.type_node
    return Finding(
        rule=rule,
        path=src.path,
        span=span_of(call),
        message=message,
        captures={"dropped": span_of(call)},
        related=(
            Related(
                span_of(handle.go),
                "the goroutine that waits for it",
                go_path,
                _line(function.src, handle.go) if go_path else 0,
            ),
            Related(
                span_of(declaration),
                f"{handle.cancel.name} is declared here",
                None if cancel_src is src else cancel_src.path,
                0 if cancel_src is src else _line(cancel_src, declaration),
            ),
        ),
    )


def _line(src: SourceFile, node: Node) -> int:
    return node.start_point[0] + 1


# --- the call that drops the handle ------------------------------------------------------------


def _called_name(src: SourceFile, call: Node) -> str | None:
    function = call.child_by_field_name("function")
    if function is not None and function.type == "selector_expression":
        function = function.child_by_field_name("field")
    if function is None or function.type not in ("identifier", "field_identifier"):
        return None
    return src.show(function)


def _is_dropped(src: SourceFile, call: Node) -> bool:
    """``F(...)`` as a statement, or ``_ = F(...)``."""
    parent = call.parent
    if parent is None:
        return False
    if parent.type == "expression_statement":
        return True
    holder = parent.parent
    if parent.type != "expression_list" or holder is None or len(parent.named_children) != 1:
        return False
    if holder.type != "assignment_statement":
        return False
    left = holder.child_by_field_name("left")
    right = holder.child_by_field_name("right")
    return (
        left is not None
        and right is not None
        and syntax.same_node(right, parent)
        and src.show(left) == "_"
    )


def _is_root(src: SourceFile, node: Node) -> bool:
    return syntax.is_call_to(src, node, "context", "Background", "TODO")


def _same(a: Function, b: Function) -> bool:
    return a.src.path == b.src.path and a.node.start_byte == b.node.start_byte


# --- the constructors --------------------------------------------------------------------------


def _handles_named(package: GoPackage, name: str) -> list[Handle]:
    """The constructors spelled ``name`` (functions or methods) that return a handle: looked
    for only in the files where a function or method ``name`` may call ``WithCancel``, so
    that a file whose dropped calls name no such constructor parses no other file."""
    key = ("dropped-handles", name)
    if key not in package.derived:
        found: list[Handle] = []
        for path in declarations.declaring_with(package, name, "WithCancel"):
            for function in declarations.functions_in(package.source(path)):
                body = function.body
                if function.name != name or body is None:
                    continue
                if b"WithCancel" not in function.src.text(body):
                    continue
                handle = _handle_of(function)
                if handle is not None:
                    found.append(handle)
        package.derived[key] = found
    handles: list[Handle] = package.derived[key]  # type: ignore[assignment]
    return handles


def _handle_of(function: Function) -> Handle | None:
    src, body = function.src, function.body
    result = function.node.child_by_field_name("result")
    if body is None or result is None or result.type != "pointer_type":
        return None
    type_name = declarations.base_type_name(result, src)
    struct = declarations.struct_type(src.pkg, type_name) if type_name else None
    variable = _returned_variable(src, body)
    if struct is None or type_name is None or variable is None:
        return None
    literal = _built_literal(src, body, variable, type_name)
    if literal is None:
        return None
    pair = _context_pair(src, body, literal, struct.fields)
    if pair is None:
        return None
    context, cancel, maker = pair
    parent = _parent_of(src, function, maker)
    if parent is False:
        return None
    if _reported_where_started(src, type_name, context):
        return None
    readable = _readable(struct.fields, cancel, context)
    started = _waiting_goroutine(function, variable, type_name, context, readable)
    if started is None:
        return None
    go, wait_src, wait, allowed = started
    if not _handle_stays(src, body, variable, allowed, readable):
        return None
    return Handle(
        function,
        type_name,
        context,
        cancel,
        variable,
        go,
        wait_src,
        wait,
        parent if isinstance(parent, str) else None,
    )


def _returned_variable(src: SourceFile, body: Node) -> str | None:
    """The one identifier every ``return`` of the body returns."""
    names = set()
    for statement in syntax.descendants(body, "return_statement", into_functions=False):
        values = [c for c in statement.named_children if c.type != "comment"]
        if len(values) != 1 or values[0].type != "expression_list":
            return None
        returned = values[0].named_children
        if len(returned) != 1 or returned[0].type != "identifier":
            return None
        names.add(src.show(returned[0]))
    return names.pop() if len(names) == 1 else None


def _built_literal(src: SourceFile, body: Node, variable: str, type_name: str) -> Node | None:
    """The ``&T{...}`` literal of ``variable := &T{...}``, its only declaration, never assigned."""
    found = _short_declaration(src, body, variable)
    if found is None:
        return None
    _, left, holder = found
    right = holder.child_by_field_name("right")
    values = right.named_children if right is not None else []
    if len(left.named_children) != 1 or len(values) != 1:
        return None
    value = values[0]
    operator = value.child_by_field_name("operator")
    operand = value.child_by_field_name("operand")
    if value.type != "unary_expression" or operator is None or operator.type != "&":
        return None
    if operand is None or operand.type != "composite_literal":
        return None
    literal_type = operand.child_by_field_name("type")
    if literal_type is None or literal_type.type != "type_identifier":
        return None
    return operand if src.show(literal_type) == type_name else None


def _is_assigned(src: SourceFile, body: Node, name: str) -> bool:
    for statement in syntax.descendants(body, "assignment_statement", "inc_statement"):
        left = statement.child_by_field_name("left") or statement
        if any(src.show(n) == name for n in left.named_children):
            return True
    return False


def _context_pair(
    src: SourceFile, body: Node, literal: Node, fields: tuple[Field, ...] | list[Field]
) -> tuple[Field, Field, Node] | None:
    """The literal's context and cancel fields, set from ``ctx, cancel := context.WithCancel(p)``
    of the body, and that call."""
    keyed: dict[str, Node] = {}
    value_list = literal.child_by_field_name("body")
    for element in value_list.named_children if value_list is not None else []:
        if element.type != "keyed_element" or len(element.named_children) != 2:
            continue
        key, value = element.named_children
        key_ident = key.named_children[0] if key.named_children else key
        value_node = value.named_children[0] if value.named_children else value
        keyed[src.show(key_ident)] = value_node
    by_kind: dict[str, list[tuple[Field, Node]]] = {"context": [], "cancel": []}
    for field in fields:
        if field.kind in by_kind and field.name in keyed and not field.embedded:
            by_kind[field.kind].append((field, keyed[field.name]))
    if len(by_kind["context"]) != 1 or len(by_kind["cancel"]) != 1:
        return None
    (context, ctx_value), (cancel, cancel_value) = by_kind["context"][0], by_kind["cancel"][0]
    if ctx_value.type != "identifier" or cancel_value.type != "identifier":
        return None
    ctx_call = _declared_from(src, body, ctx_value, 0)
    cancel_call = _declared_from(src, body, cancel_value, 1)
    if ctx_call is None or cancel_call is None or not syntax.same_node(ctx_call, cancel_call):
        return None
    if not syntax.is_call_to(src, ctx_call, "context", "WithCancel"):
        return None
    if len(syntax.arguments(ctx_call)) != 1 or not _used_once(src, body, cancel_value):
        return None
    return context, cancel, ctx_call


def _short_declaration(
    src: SourceFile, body: Node, name: str
) -> tuple[Node, Node, Node] | None:
    """The declaring identifier, the names and the ``:=`` statement of the local ``name``,
    declared once in ``body`` (by ``:=``) and never assigned."""
    declared = [n for n in syntax.declaring_identifiers(body) if src.show(n) == name]
    if len(declared) != 1 or _is_assigned(src, body, name):
        return None
    left = declared[0].parent
    holder = left.parent if left is not None else None
    if left is None or holder is None or holder.type != "short_var_declaration":
        return None
    return declared[0], left, holder


def _declared_from(src: SourceFile, body: Node, identifier: Node, position: int) -> Node | None:
    """The call of ``a, b := call()`` (in the body's own block) whose ``position``-th name is the
    local ``identifier``, declared once and never assigned."""
    found = _short_declaration(src, body, src.show(identifier))
    if found is None:
        return None
    declared, left, holder = found
    if holder.parent is None or holder.parent.parent is None:
        return None
    if not syntax.same_node(holder.parent.parent, body):
        return None  # in a nested block: it may not run
    names = left.named_children
    right = holder.child_by_field_name("right")
    values = right.named_children if right is not None else []
    if len(names) != 2 or len(values) != 1 or not syntax.same_node(names[position], declared):
        return None
    return values[0] if values[0].type == "call_expression" else None


def _used_once(src: SourceFile, body: Node, identifier: Node) -> bool:
    """The local is used once: as the literal's value (keys spelled alike are no uses)."""
    uses = [r for r in syntax.references(body, src.show(identifier), src) if not is_literal_key(r)]
    return len(uses) == 1


def _parent_of(src: SourceFile, function: Function, maker: Node) -> str | bool:
    """True when the parent is ``Background()``/``TODO()`` in the constructor, the name of the
    parameter it is when the caller's argument decides, False otherwise."""
    parent = syntax.arguments(maker)[0]
    if _is_root(src, parent):
        return True
    if parent.type != "identifier":
        return False
    name = src.show(parent)
    body = function.body
    if body is None or name not in syntax.parameter_names(function.node, src):
        return False
    declared = [n for n in syntax.declaring_identifiers(body) if src.show(n) == name]
    if _is_assigned(src, body, name):
        return False
    # Only the WithCancel's own `ctx, cancel :=` may redeclare it (then it is assigned there).
    statement = maker.parent.parent if maker.parent is not None else None
    if any(statement is None or not syntax.is_inside(n, statement) for n in declared):
        return False
    return name


def _reported_where_started(src: SourceFile, type_name: str, context: Field) -> bool:
    """A cancel that nothing in the package calls: unclosed-quit-channel's field shape reports
    the goroutine at its ``go`` statement, whoever holds the handle."""
    return uncancelled(src.pkg, FieldRef(type_name, context.name)) is not None


# --- the goroutine ----------------------------------------------------------------------------


def _waiting_goroutine(
    function: Function, variable: str, type_name: str, context: Field, readable: frozenset[str]
) -> tuple[Node, SourceFile, Node, list[Node]] | None:
    """The first ``go`` statement among the constructor's top statements, after none that may
    return, whose goroutine waits on the handle's ``ctx.Done()`` with no other way out: the
    statement, the wait's file and receive, and the constructor's identifiers that hand it the
    handle."""
    src, body = function.src, function.body
    if body is None:
        return None
    for go in syntax.block_statements(body):
        if go.type != "go_statement":
            if _may_leave(src, go):
                return None  # a return may hand v out before the goroutine starts
            continue  # a go statement under an `if` starts the goroutine on some paths only
        call = syntax.launched_call(go)
        started = call.child_by_field_name("function") if call is not None else None
        if call is None or started is None or syntax.arguments(call):
            continue
        if started.type == "func_literal":
            if variable in {src.show(n) for n in syntax.declaring_identifiers(started)}:
                continue
            wait = _top_wait(src, started, variable, context.name, readable)
            if wait is not None:
                return go, src, wait, syntax.references(started, variable, src)
            continue
        operand = started.child_by_field_name("operand")
        field = started.child_by_field_name("field")
        if started.type != "selector_expression" or operand is None or field is None:
            continue
        if operand.type != "identifier" or src.show(operand) != variable:
            continue
        methods = declarations.methods_named(src.pkg, type_name, src.show(field))
        if len(methods) != 1 or methods[0].receiver_name is None:
            continue
        method = methods[0]
        receiver = method.receiver_name
        if receiver is None or syntax.parameter_names(method.node, method.src):
            continue
        wait = _top_wait(method.src, method.node, receiver, context.name, readable)
        if wait is not None:
            return go, method.src, wait, [operand]
    return None


def _top_wait(
    src: SourceFile, function: Node, name: str, context: str, readable: frozenset[str]
) -> Node | None:
    """The receive from ``name.context.Done()`` that the function's body reaches (after
    statements that cannot return) and cannot leave but by it, when ``name`` is used only to
    read its ``readable`` fields; None otherwise."""
    body = syntax.function_body(function)
    if body is None:
        return None
    if not all(_reads_field(src, r, readable) for r in syntax.references(body, name, src)):
        return None  # the handle may be kept, handed on, or cancelled there
    if name in {src.show(n) for n in syntax.declaring_identifiers(body)}:
        return None
    for statement in syntax.block_statements(body):
        wait = _waits_in(src, statement, name, context)
        if wait is not None:
            return wait
        if _may_leave(src, statement):
            return None
    return None


def _reads_field(src: SourceFile, identifier: Node, readable: frozenset[str]) -> bool:
    """``v.f`` with ``f`` one of the fields: neither the handle itself nor a method of it; and
    the context field (the first of ``readable``'s names that the struct's context field has,
    see :func:`_readable`) is only read, never set nor has its address taken."""
    selector = identifier.parent
    field = selector.child_by_field_name("field") if selector is not None else None
    if selector is None or field is None or selector.type != "selector_expression":
        return False
    if not syntax.same_node(selector.child_by_field_name("operand"), identifier):
        return False
    name = src.show(field)
    if name not in readable:
        return False
    return f"{_CONTEXT_MARK}{name}" not in readable or not syntax.is_written(selector)


_CONTEXT_MARK = "="  # a mark no Go name spells: ``=ctx`` in ``readable`` says ctx is only read


def _readable(
    fields: list[Field] | tuple[Field, ...], cancel: Field, context: Field
) -> frozenset[str]:
    names = {f.name for f in fields if f.name != cancel.name and not f.embedded}
    return frozenset({*names, f"{_CONTEXT_MARK}{context.name}"})


def _is_done_of(src: SourceFile, node: Node | None, name: str, context: str) -> bool:
    return node is not None and src.show(node).replace(" ", "") == f"{name}.{context}.Done()"


def _waits_in(src: SourceFile, statement: Node, name: str, context: str) -> Node | None:
    """``<-v.ctx.Done()``, a select whose every case receives from it (no default), or an
    endless loop whose every exit is such a case: the receive (the first exit's)."""
    if statement.type == "expression_statement" and statement.named_children:
        receive = statement.named_children[0]
        operand = receive.child_by_field_name("operand")
        if syntax.is_receive(receive) and _is_done_of(src, operand, name, context):
            return receive
        return None
    if statement.type == "select_statement":
        cases = [c for c in statement.named_children if c.type != "comment"]
        operands = [_case_operand(c) for c in cases]
        if cases and all(_is_done_of(src, o, name, context) for o in operands):
            first = operands[0]
            return first.parent if first is not None else None
        return None
    if statement.type == "for_statement" and syntax.is_unconditional_loop(statement):
        exits = syntax.exit_case_operands(statement, src)
        if exits and all(_is_done_of(src, o, name, context) for o in exits):
            first = min(exits, key=lambda o: o.start_byte)
            return first.parent
    return None


def _case_operand(case: Node) -> Node | None:
    if case.type != "communication_case":
        return None
    receive = case.child_by_field_name("communication")
    right = receive.child_by_field_name("right") if receive is not None else None
    if receive is None or receive.type != "receive_statement" or right is None:
        return None
    return right.child_by_field_name("operand")


def _may_leave(src: SourceFile, statement: Node) -> bool:
    """The statement may end the goroutine before its wait: a return, a goto, an exit."""
    for node in syntax.walk(statement, into_functions=False):
        if node.type in ("return_statement", "goto_statement"):
            return True
        if node.type == "call_expression" and syntax.call_name(src, node).endswith("Goexit"):
            return True
    return False


# --- who holds the handle --------------------------------------------------------------------


def _handle_stays(
    src: SourceFile, body: Node, variable: str, allowed: list[Node], readable: frozenset[str]
) -> bool:
    """The constructor uses the handle only to return it, to start its goroutines and to read
    or set its fields (but the cancel)."""
    for reference in syntax.references(body, variable, src):
        if any(syntax.same_node(reference, a) for a in allowed):
            continue
        if _reads_field(src, reference, readable):
            continue
        parent = reference.parent
        holder = parent.parent if parent is not None else None
        if (
            parent is not None
            and parent.type == "expression_list"
            and holder is not None
            and (holder.type == "return_statement")
        ):
            continue
        return False
    return True
