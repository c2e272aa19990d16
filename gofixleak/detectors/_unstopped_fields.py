"""unstopped-ticker's field shape: a ticker kept in a struct field that nothing in the package
ever stops (see gofixleak.detectors.unstopped_ticker).

``s.t = time.NewTicker(d)`` or ``&S{t: time.NewTicker(d)}``, where ``t`` is an unexported,
named field of ``S`` declared ``*time.Ticker``. "Stopped" means any ``.t.Stop()`` anywhere in
the package, in any method, on any path: the rule cannot tell which value a method runs on, nor
whether ``Close`` is ever called, so a Stop anywhere keeps it silent. Every other use of a field
spelled ``t`` must be one the ticker survives without being stopped: a receive from ``x.t.C``,
``x.t.Reset(d)``, or another ``x.t = time.NewTicker(d)``. Anything else (the ticker read into a
variable, passed on, compared, set to another value, a method of that name) keeps it silent.
Only a use whose value the package model types as another struct that declares a field ``t``
of its own is not this field's (a type that embeds ``S`` and has no ``t`` reaches ``S``'s).
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.facts.declarations import base_type_name, struct_type
from gofixleak.facts.fields import FieldUse, field_uses
from gofixleak.facts.resolve import type_of
from gofixleak.source import SourceFile
from gofixleak.syntax import is_call_to, is_received, same_node


@dataclass(frozen=True)
class FieldTicker:
    """A ticker made for a field: the type and field, and the statement or literal key that
    stores it."""

    owner: str
    field: str
    store: Node


def field_ticker(src: SourceFile, call: Node) -> FieldTicker | None:
    """The field that ``call`` (``time.NewTicker(d)``) is stored in, when nothing in the package
    stops it (see the module's docstring); None when unsure."""
    stored = _stored_in(src, call)
    if stored is None:
        return None
    owner, name, store = stored
    struct = struct_type(src.pkg, owner)
    declared = struct.field(name) if struct is not None else None
    if declared is None or declared.kind != "ticker" or declared.embedded or declared.exported:
        return None
    uses = field_uses(src.pkg, name)
    if uses is None:
        return None
    ours = [use for use in uses if not _is_another_structs(use, owner, name)]
    if not all(_keeps_it_running(use) for use in ours):
        return None
    return FieldTicker(owner, name, store)


def _is_another_structs(use: FieldUse, owner: str, name: str) -> bool:
    """The use is typed as a struct other than ``owner`` that declares its own field ``name``."""
    if use.is_key:
        literal = use.node.parent.parent if use.node.parent is not None else None
        type_node = literal.child_by_field_name("type") if literal is not None else None
        if literal is None or literal.type != "composite_literal" or type_node is None:
            return False
        other = base_type_name(type_node, use.src)
    else:
        operand = use.node.child_by_field_name("operand")
        other = type_of(use.src, operand) if operand is not None else None
    if other is None or other == owner:
        return False
    struct = struct_type(use.src.pkg, other)
    declared = struct.field(name) if struct is not None else None
    return declared is not None and not declared.embedded


def _stored_in(src: SourceFile, call: Node) -> tuple[str, str, Node] | None:
    """(type, field, the assignment or keyed element) for ``x.f = call`` and ``T{f: call}``."""
    assignment = _assignment_of(call)
    if assignment is not None:
        left = assignment.child_by_field_name("left")
        target = left.named_children[0] if left is not None else None
        if target is None or target.type != "selector_expression":
            return None
        operand = target.child_by_field_name("operand")
        field = target.child_by_field_name("field")
        owner = type_of(src, operand) if operand is not None else None
        if owner is None or field is None:
            return None
        return owner, src.show(field), assignment
    keyed = _keyed_element_of(call)
    literal = keyed.parent.parent if keyed is not None and keyed.parent is not None else None
    if keyed is None or literal is None or literal.type != "composite_literal":
        return None
    type_node = literal.child_by_field_name("type")
    owner = base_type_name(type_node, src) if type_node is not None else None
    key = keyed.named_children[0]
    if owner is None or not key.named_children or key.named_children[0].type != "identifier":
        return None
    return owner, src.show(key), keyed


def _assignment_of(value: Node) -> Node | None:
    """The ``a = value`` statement (one target, one value) that ``value`` is the value of."""
    values = value.parent
    statement = values.parent if values is not None else None
    if values is None or statement is None or statement.type != "assignment_statement":
        return None
    left = statement.child_by_field_name("left")
    operator = statement.child_by_field_name("operator")
    if not same_node(statement.child_by_field_name("right"), values) or left is None:
        return None
    if operator is None or operator.type != "=" or len(values.named_children) != 1:
        return None
    return statement if len(left.named_children) == 1 else None


def _keyed_element_of(value: Node) -> Node | None:
    element = value.parent
    keyed = element.parent if element is not None else None
    if element is None or keyed is None or keyed.type != "keyed_element":
        return None
    return keyed if same_node(keyed.named_children[-1], element) else None


def _keeps_it_running(use: FieldUse) -> bool:
    """A use that neither stops the ticker nor lets it out: ``<-x.f.C``, ``x.f.Reset(d)``, or
    storing a new ticker (``x.f = time.NewTicker(d)``, ``f: time.NewTicker(d)``)."""
    src, node = use.src, use.node
    if use.is_key:
        return _is_new_ticker(src, node.named_children[-1].named_children[0])
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "expression_list":
        statement = parent.parent
        if statement is None or statement.type != "assignment_statement":
            return False
        right = statement.child_by_field_name("right")
        values = right.named_children if right is not None else []
        return (
            same_node(statement.child_by_field_name("left"), parent)
            and len(values) == 1
            and _is_new_ticker(src, values[0])
            and _assignment_of(values[0]) is not None
        )
    if parent.type != "selector_expression" or not same_node(
        parent.child_by_field_name("operand"), node
    ):
        return False
    member = parent.child_by_field_name("field")
    method = src.show(member) if member is not None else ""
    if method == "C":
        return is_received(parent)
    call = parent.parent
    return (
        method == "Reset"
        and call is not None
        and call.type == "call_expression"
        and same_node(call.child_by_field_name("function"), parent)
    )


def _is_new_ticker(src: SourceFile, node: Node | None) -> bool:
    return node is not None and is_call_to(src, node, "time", "NewTicker")
