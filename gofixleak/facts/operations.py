"""Every operation on one channel, in the whole package: the channel a struct field holds
(``s.quit``, for every value of the type) or a local one, with the variable each operation
reaches it through.

A field's channel is followed only when the package sees all of it: the field is unexported,
every ``x.f`` in the package is either selected from a variable (not a longer path) whose type
the syntax shows to be the struct type, or shown to be another type's own field or method (when
only the struct type declares a field of that name, and no function or method bears it, every
``x.f`` is the field), and every value stored in the field is a ``make`` (or ``nil``) — never a
channel from elsewhere, which other values could share. A local channel
must keep its one name: declared once with ``make``, never assigned or handed on.

Each use is a send, a receive (a select case included), a ``range``, a ``close``, or harmless
(``len``, ``cap``, a comparison with nil); ``y := x.f`` names the same channel as ``y`` in that
function. Any other use (passed to a function, returned, stored, sent as a value), a file that
could not be read, or a selector the syntax cannot type makes the answer None: unknown.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.channels import is_make_chan
from gofixleak.facts import constants, declarations, locks, resolve
from gofixleak.facts.package import GoPackage
from gofixleak.facts.usage import classify_use
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    arguments,
    declaring_identifiers,
    descendants,
    enclosing_function,
    same_node,
)

OPERATIONS = frozenset({"send", "receive", "range", "close"})


@dataclass(frozen=True, eq=False)
class Operation:
    """One operation on the channel: its kind (``send``, ``receive``, ``range``, ``close``), the
    node (the send statement, the receive, the ``for`` statement, the ``close`` call), the
    innermost function that holds it, and for a field the variable it is selected from."""

    kind: str
    src: SourceFile
    node: Node
    function: Node
    root: str | None = None


@dataclass(frozen=True)
class Operations:
    """Every operation on the channel, and whether every channel stored there is unbuffered."""

    operations: tuple[Operation, ...]
    unbuffered: bool


class _Unknown(Exception):
    pass


def field_operations(package: GoPackage, type_name: str, field_name: str) -> Operations | None:
    """The operations on the channel field ``field_name`` of struct type ``type_name``, in every
    file of the package; None when some use cannot be followed (see the module docstring)."""
    key = ("field-operations", type_name, field_name)
    if key not in package.derived:
        try:
            package.derived[key] = _field_operations(package, type_name, field_name)
        except _Unknown:
            package.derived[key] = None
    found: Operations | None = package.derived[key]  # type: ignore[assignment]
    return found


def local_operations(src: SourceFile, function: Node, name: str, make: Node) -> Operations | None:
    """The operations on the local channel ``name`` that ``function`` declares with ``make``
    (nested literals included); None when the name means something else somewhere or the
    channel is handed on."""
    declared = [n for n in declaring_identifiers(function) if src.show(n) == name]
    if len(declared) != 1:
        return None
    try:
        found = [
            op
            for node in descendants(function, "identifier")
            if src.show(node) == name and not same_node(node, declared[0])
            for op in _operations_at(src, node, None)
        ]
    except _Unknown:
        return None
    return Operations(tuple(found), _is_unbuffered(src, make))


def _field_operations(package: GoPackage, type_name: str, field_name: str) -> Operations:
    package.paths()  # reads the directory: a file that cannot be read makes it incomplete
    struct = declarations.struct_type(package, type_name)
    declared = struct.field(field_name) if struct is not None else None
    if package.incomplete or declared is None or declared.kind != "chan":
        raise _Unknown
    if declared.exported or declared.embedded:
        raise _Unknown  # other packages can reach it
    owners = declarations.struct_types_declaring(package, field_name)
    unique = len(owners) == 1 and not declarations.declares_function(package, field_name)
    found: list[Operation] = []
    stored: list[tuple[SourceFile, Node]] = []
    for src in package.mentioning(field_name):
        for node in _naming(src).get(field_name, ()):
            if node.type == "keyed_element":
                value = _keyed_value(src, node, type_name, field_name)
                if value is not None:
                    stored.append((src, value))
            elif _selects(src, node, field_name) and _is_ours(src, node, type_name, unique):
                found.extend(_field_use(src, node, stored))
        stored.extend(_positional_values(src, type_name, field_name))
    made = [v for s, v in stored if v.type != "nil"]
    unbuffered = bool(made) and all(_is_unbuffered(s, v) for s, v in stored if v.type != "nil")
    return Operations(tuple(found), unbuffered)


def _naming(src: SourceFile) -> dict[str, list[Node]]:
    """The file's selectors ``x.f`` by the name selected and its keyed elements ``k: v`` by the
    key's name, in preorder: one walk per file, not one per field asked about."""
    key = ("operations-naming", src.path)
    cached = src.pkg.derived.get(key)
    if isinstance(cached, tuple) and cached[0] is src:
        found: dict[str, list[Node]] = cached[1]
        return found
    found = {}
    for node in descendants(src.root, "selector_expression", "keyed_element"):
        if node.type == "keyed_element":
            parts = [c for c in node.named_children if c.type != "comment"]
            if len(parts) != 2:
                continue  # never a field's key (see _keyed_value)
            named = parts[0].named_children[0] if parts[0].named_children else parts[0]
        else:
            selected = node.child_by_field_name("field")
            if selected is None:
                continue
            named = selected
        found.setdefault(src.show(named), []).append(node)
    src.pkg.derived[key] = (src, found)
    return found


def _selects(src: SourceFile, selector: Node, field_name: str) -> bool:
    selected = selector.child_by_field_name("field")
    return selected is not None and src.show(selected) == field_name


def _is_ours(src: SourceFile, selector: Node, type_name: str, unique: bool) -> bool:
    """``x.f`` selects the field of ``type_name``, not a field or method of another type of the
    package spelled the same; unknown when the syntax cannot tell. A field name that only the
    struct type declares is its field whatever ``x`` is (an embedding type's promotion is the
    same field)."""
    operand = selector.child_by_field_name("operand")
    owner = resolve.type_of(src, operand) if operand is not None else None
    if owner == type_name or (owner is None and unique):
        return True
    if owner is not None and not unique:
        other = declarations.struct_type(src.pkg, owner)
        field = src.show(selector.child_by_field_name("field") or selector)
        if (other is not None and other.field(field) is not None) or declarations.methods_named(
            src.pkg, owner, field
        ):
            return False  # another type's own field or method
    raise _Unknown


def _field_use(
    src: SourceFile, selector: Node, stored: list[tuple[SourceFile, Node]]
) -> Iterator[Operation]:
    """The operations that one ``x.f`` is (a stored value goes to ``stored``)."""
    operand = selector.child_by_field_name("operand")
    if operand is None or operand.type != "identifier":
        raise _Unknown  # a path the syntax does not follow (``a.b.f``, ``xs[i].f``)
    root = src.show(operand)
    value = _assigned_value(selector)
    if value is not None:
        stored.append((src, value))
        return
    alias = _alias(src, selector)
    if alias is not None:
        function = enclosing_function(selector)
        if function is None:
            raise _Unknown
        for node in descendants(function, "identifier"):
            if src.show(node) == src.show(alias) and not same_node(node, alias):
                yield from _operations_at(src, node, root)
        return
    yield from _operations_at(src, selector, root)


def _operations_at(src: SourceFile, node: Node, root: str | None) -> Iterator[Operation]:
    kind, operation, _ = classify_use(src, node)
    if kind == "harmless":
        return
    function = enclosing_function(node)
    if kind not in OPERATIONS or function is None:
        raise _Unknown
    yield Operation(kind, src, operation, function, root)


def _assigned_value(selector: Node) -> Node | None:
    """The value of ``x.f = v`` when ``selector`` is its sole target."""
    left = selector.parent
    statement = left.parent if left is not None else None
    if (
        left is None
        or statement is None
        or left.type != "expression_list"
        or statement.type != "assignment_statement"
        or not same_node(statement.child_by_field_name("left"), left)
    ):
        return None
    right = statement.child_by_field_name("right")
    values = right.named_children if right is not None else []
    if len(left.named_children) != 1 or len(values) != 1:
        raise _Unknown  # ``a, x.f = ...``: not followed
    operator = next((c for c in statement.children if not c.is_named), None)
    if operator is None or operator.type != "=":
        raise _Unknown  # ``x.f += ...`` cannot be a channel, but say unknown
    return values[0]


def _alias(src: SourceFile, selector: Node) -> Node | None:
    """``y`` for ``y := x.f`` or ``var y = x.f`` (one name, one value), when ``y`` is declared
    nowhere else in the function and never assigned."""
    values = selector.parent
    holder = values.parent if values is not None else None
    if values is None or holder is None or values.type != "expression_list":
        return None
    if holder.type == "short_var_declaration":
        left = holder.child_by_field_name("left")
        names = list(left.named_children) if left is not None else []
    elif holder.type == "var_spec":
        names = list(holder.children_by_field_name("name"))
    else:
        return None
    if len(names) != 1 or len(values.named_children) != 1 or names[0].type != "identifier":
        return None
    function = enclosing_function(selector)
    name = src.show(names[0])
    if function is None or not locks.is_stable(src, function, name):
        raise _Unknown
    return names[0]


def _keyed_value(src: SourceFile, element: Node, type_name: str, field_name: str) -> Node | None:
    """The value of ``f: v`` in a literal of the struct type (``T{f: v}``, ``&T{...}``, or an
    element literal whose type is left out, ``[]*T{{f: v}}``)."""
    parts = [c for c in element.named_children if c.type != "comment"]
    literal = element.parent.parent if element.parent is not None else None
    if len(parts) != 2 or literal is None:
        return None
    if literal.type == "composite_literal":
        type_node = literal.child_by_field_name("type")
        if type_node is None or src.show(type_node) != type_name:
            return None  # a map's key, or another struct type (which has no field so named)
    elif literal.type != "literal_element":
        return None
    key = parts[0].named_children[0] if parts[0].named_children else parts[0]
    if key.type not in ("identifier", "field_identifier") or src.show(key) != field_name:
        return None
    value = parts[1].named_children[0] if parts[1].named_children else parts[1]
    return value


def _positional_values(
    src: SourceFile, type_name: str, field_name: str
) -> Iterator[tuple[SourceFile, Node]]:
    """The values stored in the field by unkeyed literals ``T{a, b}`` of the type."""
    struct = declarations.struct_type(src.pkg, type_name)
    if struct is None or type_name.encode() not in src.data:
        return
    index = next(i for i, f in enumerate(struct.fields) if f.name == field_name)
    for literal in descendants(src.root, "composite_literal"):
        type_node = literal.child_by_field_name("type")
        body = literal.child_by_field_name("body")
        if type_node is None or body is None or src.show(type_node) != type_name:
            continue
        elements = [c for c in body.named_children if c.type != "comment"]
        if not elements or any(c.type == "keyed_element" for c in elements):
            continue
        if len(elements) != len(struct.fields):
            raise _Unknown
        element = elements[index]
        yield src, element.named_children[0] if element.named_children else element


def _is_unbuffered(src: SourceFile, value: Node) -> bool:
    """``make(chan T)``, or ``make(chan T, 0)`` with a constant 0."""
    if not is_make_chan(src, value):
        raise _Unknown  # a channel from elsewhere: values could share it
    args = arguments(value)
    return len(args) == 1 or constants.integer(src, args[1]) == 0
