"""Every use of one struct field in a Go package, classified: what rules ask before they claim
that *no* code of the package sends on a field channel, closes it, or calls a cancel field.

A *use* of field ``f`` of struct type ``T`` is a selector ``x.f``, a key ``f:`` or a position in a
composite literal, or a use of a local that copies the field (``quit := s.quit``, then ``quit``).
Each use has an *owner*:

- known, when the syntax says ``x`` is a ``T`` (:func:`~gofixleak.facts.resolve.type_of`);
- unknown, when it cannot tell (a range variable, a map element, another package's value, a
  type that embeds ``T`` and so may promote its ``f``): the use may be ``T``'s, and a rule
  counts it as a possible counterpart;
- a use whose owner is another type of the package that declares ``f`` itself is not ``T``'s and
  is not listed.

Each use has a *kind*: ``make`` (assigned from ``make(chan ...)``), ``nil`` (assigned nil),
``derive`` (the cancel of ``x.ctx, x.cancel = context.WithCancel(p)``), ``assign`` (assigned
anything else), ``send``, ``receive``, ``range``, ``close``, ``call`` (``x.cancel()``),
``method:NAME`` (``x.ctx.Done()``), ``accessor`` (returned by a function whose result is a
receive-only channel: callers can only receive), ``harmless`` (compared with nil, ``len``,
``cap``) and ``escape`` (anything else: passed to a function that may keep or close it, stored,
returned as a bidirectional channel, its address taken). A field passed to a same-package
function that only receives from its parameter is a ``receive``.

The list holds *every* use only when the package's code is the only code that can reach the
field: the field is unexported (or exported in a ``main`` package that no other package of the
directory mentions), ``T`` is declared once, no value is converted to ``T`` (a conversion from
another struct type with the same fields brings that type's channels along), and every file of
the package could be read. Otherwise :attr:`FieldUses.unknown` says why, and rules stay silent.
Files of every build tag count (the package model reads them all), tests included.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.facts import declarations, resolve
from gofixleak.facts.declarations import Field, Function, StructType
from gofixleak.facts.package import GoPackage, package_clause
from gofixleak.facts.usage import classify_use, usage_of_call
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    FUNCTIONS,
    ancestors,
    arguments,
    call_name,
    declaring_identifiers,
    descendants,
    imports,
    is_call_to,
    references,
    same_node,
    sole_declaration,
    sole_declared_name,
    top_level_in,
)

_MAX_ALIASES = 2  # how far copies of copies (`q := s.quit; r := q`) are followed
_CANCEL_MAKERS = ("WithCancel", "WithCancelCause", "WithTimeout", "WithDeadline")


@dataclass(frozen=True)
class FieldRef:
    """Field ``field`` of the package's struct type ``type_name``."""

    type_name: str
    field: str

    def __str__(self) -> str:
        return f"{self.type_name}.{self.field}"


@dataclass(frozen=True, eq=False)
class FieldUse:
    """One use of the field: its kind, where it is, and whether its owner is known to be ``T``."""

    kind: str
    src: SourceFile
    node: Node  # the selector, the key's element, the positional element, or an alias's use
    owner_known: bool
    value: Node | None = None  # what an assignment assigns


@dataclass(frozen=True, eq=False)
class FieldUses:
    """Every use of one field in its package (see the module docstring)."""

    struct: StructType
    field: Field
    uses: tuple[FieldUse, ...]
    unknown: str | None = None  # why the uses may not all be listed

    def of_kind(self, *kinds: str) -> list[FieldUse]:
        return [u for u in self.uses if u.kind in kinds]

    @property
    def is_made(self) -> bool:
        """Assigned from ``make`` somewhere, on a value known to be a ``T``."""
        return any(u.kind == "make" and u.owner_known for u in self.uses)


def field_uses(package: GoPackage, ref: FieldRef) -> FieldUses | None:
    """Every use of ``ref`` in ``package``; None when the package declares no such struct field."""
    key = ("field-uses", ref)
    if key not in package.derived:
        package.derived[key] = _field_uses(package, ref)
    found: FieldUses | None = package.derived[key]  # type: ignore[assignment]
    return found


def _field_uses(package: GoPackage, ref: FieldRef) -> FieldUses | None:
    struct = declarations.struct_type(package, ref.type_name)
    declared = struct.field(ref.field) if struct is not None else None
    if struct is None or declared is None or declared.embedded:
        return None
    uses: list[FieldUse] = []
    for src in package.mentioning(ref.field):
        uses.extend(_selector_uses(src, ref))
        uses.extend(_keyed_uses(src, ref))
    for src in package.mentioning(ref.type_name):
        uses.extend(_positional_uses(src, ref, struct))
    uses.sort(key=lambda u: (u.src.path, u.node.start_byte))
    return FieldUses(struct, declared, tuple(uses), _why_incomplete(package, struct, declared))


def _why_incomplete(package: GoPackage, struct: StructType, field: Field) -> str | None:
    package.paths()  # sets `incomplete` when a file of the directory cannot be read
    if package.incomplete:
        return "a file of the package could not be read"
    if field.exported and not _is_unimportable_main(package, field.name):
        return f"{field.name} is exported: other packages may use it"
    if any(_conversions_to(src, struct.name) for src in package.mentioning(struct.name)):
        return f"a value is converted to {struct.name}"
    return None


def _is_unimportable_main(package: GoPackage, name: str) -> bool:
    """A ``main`` package, which no package can import, and no other package of its directory
    (a ``main_test`` external test) spells ``name``."""
    if package.name != "main":
        return False
    directory = package.directory
    for path in directory.files():
        data = directory.text(path)
        if data is None:
            return False
        if package_clause(data) != "main" and name.encode() in data:
            return False
    return True


def _conversions_to(src: SourceFile, type_name: str) -> bool:
    """``T(x)``, ``(*T)(p)``: a value of another type becomes a ``T``."""
    return type_name in _spelled(src).converted


_WRAPPERS = frozenset(
    {"parenthesized_expression", "parenthesized_type", "pointer_type", "unary_expression"}
)


@dataclass(frozen=True)
class _Spelled:
    """Where one file spells field names: selectors by field, keyed literal elements by key,
    positional literal values by their number of elements; and the names that calls or
    conversions start with (``T(x)`` converts when ``T`` is a type)."""

    selectors: dict[str, list[Node]]
    keys: dict[str, list[Node]]
    positional: dict[int, list[Node]]
    converted: frozenset[str]


def _spelled(src: SourceFile) -> _Spelled:
    """The file's :class:`_Spelled`, found in one pass and kept while its package stays as is."""
    key = ("spelled", src.path)
    if key in src.pkg.derived:
        found: _Spelled = src.pkg.derived[key]  # type: ignore[assignment]
        return found
    selectors: dict[str, list[Node]] = {}
    keys: dict[str, list[Node]] = {}
    positional: dict[int, list[Node]] = {}
    converted: set[str] = set()
    kinds = ("selector_expression", "keyed_element", "literal_value")
    for node in descendants(src.root, *kinds, "call_expression", "type_conversion_expression"):
        if node.type == "selector_expression":
            field = node.child_by_field_name("field")
            if field is not None:
                selectors.setdefault(src.show(field), []).append(node)
        elif node.type == "keyed_element":
            name = _key_name(src, node)
            if name is not None:
                keys.setdefault(name, []).append(node)
        elif node.type == "literal_value":
            elements = [c for c in node.named_children if c.type != "comment"]
            if elements and all(e.type == "literal_element" for e in elements):
                positional.setdefault(len(elements), []).append(node)
        else:
            target = _conversion_target(node)
            if target is not None:
                converted.add(src.show(target))
    found = _Spelled(selectors, keys, positional, frozenset(converted))
    src.pkg.derived[key] = found
    return found


def _key_name(src: SourceFile, element: Node) -> str | None:
    parts = [c for c in element.named_children if c.type == "literal_element"]
    key = parts[0].named_children[0] if parts and parts[0].named_children else None
    if len(parts) != 2 or key is None or key.type != "identifier":
        return None
    return src.show(key)


def _conversion_target(node: Node) -> Node | None:
    part = "function" if node.type == "call_expression" else "type"
    target = node.child_by_field_name(part)
    while target is not None and target.type in _WRAPPERS and target.named_children:
        target = target.named_children[-1]
    if target is not None and target.type == "generic_type":
        target = target.child_by_field_name("type")
    return target if target is not None and target.type in _NAMES else None


_NAMES = frozenset({"identifier", "type_identifier"})


# --- where the field is spelled ---------------------------------------------------------------


def _selector_uses(src: SourceFile, ref: FieldRef) -> Iterator[FieldUse]:
    for selector in _spelled(src).selectors.get(ref.field, []):
        operand = selector.child_by_field_name("operand")
        if operand is None:
            continue
        owner = _owner(src, operand, ref)
        if owner is not None:
            yield from _classified(src, selector, owner_known=owner, depth=0)


def _owner(src: SourceFile, operand: Node, ref: FieldRef) -> bool | None:
    """True: ``operand`` is a ``T``; False: it may be; None: it is not (another type that
    declares the field itself, or an imported package)."""
    if operand.type == "identifier" and _is_package_name(src, operand):
        return None  # pkg.f: another package's name, never this package's field
    return _is_type(src, resolve.type_of(src, operand), ref)


def _is_type(src: SourceFile, owner: str | None, ref: FieldRef) -> bool | None:
    """Whether a value of the package type ``owner`` (None: not known) has ``ref``'s field:
    True for ``T``, None for a struct type that declares the field itself, False otherwise (a
    type that may promote it from an embedded ``T``, one that is no struct)."""
    if owner == ref.type_name:
        return True
    if owner is None:
        return False
    other = declarations.struct_type(src.pkg, owner)
    declared = other.field(ref.field) if other is not None else None
    return None if declared is not None and not declared.embedded else False


def _is_package_name(src: SourceFile, identifier: Node) -> bool:
    name = src.show(identifier)
    if name not in imports(src).values():
        return False
    outer = top_level_in(src.root, identifier)
    return not any(src.show(n) == name for n in declaring_identifiers(outer))


def _keyed_uses(src: SourceFile, ref: FieldRef) -> Iterator[FieldUse]:
    """``f: value`` in a composite literal of ``T`` (or of a type the syntax does not tell)."""
    for element in _spelled(src).keys.get(ref.field, []):
        parts = [c for c in element.named_children if c.type == "literal_element"]
        owner = _literal_owner(src, element.parent, ref)
        value = parts[1].named_children[0] if parts[1].named_children else None
        if owner is not None and value is not None:
            yield FieldUse(_assigned_kind(src, value), src, parts[0], owner, value)


def _positional_uses(src: SourceFile, ref: FieldRef, struct: StructType) -> Iterator[FieldUse]:
    """``T{a, b}`` (or an elided ``{a, b}`` that may be a ``T``): the element at the field's
    position."""
    index = next(i for i, f in enumerate(struct.fields) if f.name == ref.field)
    for literal_value in _spelled(src).positional.get(len(struct.fields), []):
        elements = [c for c in literal_value.named_children if c.type != "comment"]
        owner = _literal_owner(src, literal_value, ref)
        value = elements[index].named_children[0] if elements[index].named_children else None
        if owner is not None and value is not None:
            yield FieldUse(_assigned_kind(src, value), src, elements[index], owner, value)


def _literal_owner(src: SourceFile, literal_value: Node | None, ref: FieldRef) -> bool | None:
    """Whose fields the elements of ``literal_value`` set: True for ``T``'s, False when it may be
    ``T`` (a type the syntax does not tell), None when it is not (another struct type, the
    indices of a slice, the keys of a map)."""
    parent = literal_value.parent if literal_value is not None else None
    if parent is None:
        return None
    if parent.type == "composite_literal":
        return _literal_type_owner(src, parent.child_by_field_name("type"), ref)
    if parent.type == "literal_element":  # the type is elided: the outer literal's element
        outer = _enclosing_literal(parent)
        type_node = outer.child_by_field_name("type") if outer is not None else None
        element = _element_type(type_node, parent)
        if element is None:
            return False
        return _literal_type_owner(src, element, ref)
    return None


def _literal_type_owner(src: SourceFile, type_node: Node | None, ref: FieldRef) -> bool | None:
    """A literal of ``type_node`` sets ``T``'s fields (True), may (False: a type the syntax does
    not tell), or does not (None). Unlike a selector, a literal never sets promoted fields."""
    if type_node is None:
        return False
    if type_node.type in ("slice_type", "array_type", "map_type", "implicit_length_array_type"):
        return None  # indices and keys, not fields
    if type_node.type in ("struct_type", "qualified_type"):
        return None  # an anonymous struct, another package's type
    if type_node.type == "pointer_type" and type_node.named_children:
        type_node = type_node.named_children[0]
    name = declarations.base_type_name(type_node, src)
    if name == ref.type_name:
        return True
    if name is not None and declarations.struct_type(src.pkg, name) is not None:
        return None
    return False


def _enclosing_literal(element: Node) -> Node | None:
    """The composite literal whose literal value holds ``element`` (directly, or as a key or
    value of a keyed element)."""
    holder = element.parent
    if holder is not None and holder.type == "keyed_element":
        holder = holder.parent
    literal = holder.parent if holder is not None else None
    return literal if literal is not None and literal.type == "composite_literal" else None


def _element_type(type_node: Node | None, element: Node) -> Node | None:
    """The type of ``element`` in a literal of ``type_node``: a slice's or array's element type,
    a map's key or value type."""
    if type_node is None:
        return None
    if type_node.type in ("slice_type", "array_type", "implicit_length_array_type"):
        return type_node.child_by_field_name("element")
    if type_node.type == "map_type":
        keyed = element.parent
        is_key = keyed is not None and keyed.type == "keyed_element" and same_node(
            keyed.named_children[0], element
        )
        return type_node.child_by_field_name("key" if is_key else "value")
    return None


# --- what a use does --------------------------------------------------------------------------


def _classified(
    src: SourceFile, node: Node, *, owner_known: bool, depth: int
) -> Iterator[FieldUse]:
    """The uses that ``node`` (the field, or a local copy of it) stands for."""
    current = node
    while current.parent is not None and current.parent.type == "parenthesized_expression":
        current = current.parent
    parent = current.parent
    holder = parent.parent if parent is not None else None
    if parent is not None and parent.type == "expression_list" and holder is not None:
        if holder.type == "assignment_statement" and same_node(
            holder.child_by_field_name("left"), parent
        ):
            kind, value = _assignment(src, holder, current)
            yield FieldUse(kind, src, node, owner_known, value)
            return
        if holder.type == "return_statement":
            kind = "accessor" if _returns_receive_only(src, holder) else "escape"
            yield FieldUse(kind, src, node, owner_known)
            return
        if holder.type in ("short_var_declaration", "var_spec"):
            alias = sole_declaration(current)
            if alias is not None and depth < _MAX_ALIASES:
                yield from _alias_uses(src, alias, owner_known, depth + 1)
                return
    kind, call, argument = classify_use(src, current)
    if kind == "pass" and call is not None and argument is not None:
        kind = _passed(src, call, argument)
    yield FieldUse(kind, src, node, owner_known)


def _assignment(src: SourceFile, statement: Node, target: Node) -> tuple[str, Node | None]:
    operator = next((c for c in statement.children if not c.is_named), None)
    left = statement.child_by_field_name("left")
    right = statement.child_by_field_name("right")
    if operator is None or operator.type != "=" or left is None or right is None:
        return "escape", None
    targets = list(left.named_children)
    values = list(right.named_children)
    position = next(i for i, t in enumerate(targets) if same_node(t, target))
    if len(values) == len(targets):
        return _assigned_kind(src, values[position]), values[position]
    if len(values) == 1 and len(targets) == 2 and _is_cancel_maker(src, values[0]):
        return "derive", values[0]
    return "assign", values[0] if values else None


def _assigned_kind(src: SourceFile, value: Node) -> str:
    if value.type == "nil":
        return "nil"
    if value.type == "call_expression" and call_name(src, value) == "make":
        args = arguments(value)
        if args and args[0].type == "channel_type":
            return "make"
    return "assign"


def _is_cancel_maker(src: SourceFile, call: Node) -> bool:
    return is_call_to(src, call, "context", *_CANCEL_MAKERS)


def _returns_receive_only(src: SourceFile, statement: Node) -> bool:
    """The function that ``statement`` returns from has one result, a receive-only channel."""
    function = next((a for a in ancestors(statement) if a.type in FUNCTIONS), None)
    result = function.child_by_field_name("result") if function is not None else None
    if result is not None and result.type == "parameter_list":
        types = [d.child_by_field_name("type") for d in result.named_children]
        result = types[0] if len(types) == 1 else None
    return (
        result is not None
        and result.type == "channel_type"
        and src.show(result).replace(" ", "").startswith("<-chan")
    )


def _alias_uses(
    src: SourceFile, declaration: Node, owner_known: bool, depth: int
) -> Iterator[FieldUse]:
    """The uses of ``name`` where ``name := x.f`` declares it: each is a use of the field."""
    name_node = sole_declared_name(declaration)
    name = src.show(name_node)
    function = next((a for a in ancestors(declaration) if a.type in FUNCTIONS), None)
    body = function.child_by_field_name("body") if function is not None else None
    if body is None or sum(src.show(n) == name for n in declaring_identifiers(body)) != 1:
        yield FieldUse("escape", src, name_node, owner_known)  # the name may mean another value
        return
    for reference in references(body, name, src):
        yield from _classified(src, reference, owner_known=owner_known, depth=depth)


def _passed(src: SourceFile, call: Node, argument: Node) -> str:
    """A field handed to a function: a ``receive`` when a same-package callee only receives
    from its parameter, an ``escape`` otherwise."""
    found = usage_of_call(src, call, argument)
    if found is None or not found.known:
        return "escape"
    kinds = {e.kind for e in found.events}
    return "receive" if kinds <= {"receive", "range"} else "escape"


# --- what an expression denotes ---------------------------------------------------------------


def denoted_field(src: SourceFile, expression: Node, depth: int = 0) -> FieldRef | None:
    """The field of a package struct type that ``expression`` reads: ``x.f`` with ``x`` known to
    be a ``T`` declaring ``f``, a call of an accessor returning it, or a local that copies it
    (declared once, never assigned again)."""
    node = expression
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    if node.type == "selector_expression":
        operand = node.child_by_field_name("operand")
        field = node.child_by_field_name("field")
        owner = resolve.type_of(src, operand) if operand is not None else None
        struct = declarations.struct_type(src.pkg, owner) if owner is not None else None
        declared = struct.field(src.show(field)) if struct is not None and field else None
        if owner is None or declared is None or declared.embedded:
            return None
        return FieldRef(owner, declared.name)
    if node.type == "call_expression" and depth < _MAX_ALIASES:
        function = resolve.callee(src, node)
        return accessor_field(function, depth + 1) if function is not None else None
    if node.type == "identifier" and depth < _MAX_ALIASES:
        return _copied_field(src, node, depth + 1)
    return None


def accessor_field(function: Function, depth: int = 0) -> FieldRef | None:
    """The field that every ``return`` of ``function`` returns (or nil): ``func (s *S) done()
    <-chan struct{} { return s.done }``; None for any other function."""
    body = function.body
    if body is None:
        return None
    found: set[FieldRef | None] = set()
    for statement in descendants(body, "return_statement", into_functions=False):
        values = [c for c in statement.named_children if c.type == "expression_list"]
        results = values[0].named_children if values else []
        if len(results) != 1:
            return None
        if results[0].type == "nil":
            continue
        found.add(denoted_field(function.src, results[0], depth))
    return found.pop() if len(found) == 1 else None


def _copied_field(src: SourceFile, identifier: Node, depth: int) -> FieldRef | None:
    name = src.show(identifier)
    function = next((a for a in ancestors(identifier) if a.type in FUNCTIONS), None)
    body = function.child_by_field_name("body") if function is not None else None
    if body is None:
        return None
    declared = [n for n in declaring_identifiers(body) if src.show(n) == name]
    if len(declared) != 1 or _is_assigned(src, body, name):
        return None
    holder = declared[0].parent
    if holder is not None and holder.type == "expression_list":
        holder = holder.parent
    if holder is None or holder.type not in ("short_var_declaration", "var_spec"):
        return None
    value = holder.child_by_field_name("right" if holder.type != "var_spec" else "value")
    values = value.named_children if value is not None else []
    if len(values) != 1 or sole_declaration(values[0]) is None:
        return None
    return denoted_field(src, values[0], depth)


def _is_assigned(src: SourceFile, body: Node, name: str) -> bool:
    for statement in descendants(body, "assignment_statement"):
        left = statement.child_by_field_name("left")
        if left is not None and any(src.show(n) == name for n in left.named_children):
            return True
    return False


# --- contexts kept in fields ------------------------------------------------------------------


def uncancelled(package: GoPackage, context: FieldRef) -> FieldRef | None:
    """The cancel field of ``context``'s type when the context field is only ever set, with that
    cancel field, from ``context.WithCancel(context.Background())`` (or ``TODO()``), and
    nothing in the package calls the cancel field or lets it out: the context is never done.
    None when that is not sure (a context from elsewhere, a parent that may be cancelled, a
    timeout or deadline, a cancel that is called, passed on, or may be through an unknown
    owner)."""
    uses = field_uses(package, context)
    if uses is None or uses.unknown is not None or uses.field.kind != "context":
        return None
    made = [u for u in uses.uses if u.kind in _ASSIGNED]
    if not made or any(not u.owner_known for u in made):
        return None
    calls = {_maker_key(u) for u in made}
    if None in calls:
        return None
    cancels = {_cancel_field_of(package, context, u) for u in made}
    if len(cancels) != 1 or None in cancels:
        return None
    cancel = cancels.pop()
    assert cancel is not None
    cancel_uses = field_uses(package, cancel)
    if cancel_uses is None or cancel_uses.unknown is not None:
        return None
    for use in cancel_uses.uses:
        if use.kind not in _ASSIGNED or _maker_key(use) not in calls:
            return None  # called, passed on, or set from elsewhere
    return cancel


_ASSIGNED = frozenset({"make", "nil", "derive", "assign"})


def _maker_key(use: FieldUse) -> tuple[str, int, int] | None:
    """Where the use's ``WithCancel`` call is (file and range), to match it across fields."""
    call = _cancel_maker_of(use)
    return None if call is None else (use.src.path, call.start_byte, call.end_byte)


def _cancel_maker_of(use: FieldUse) -> Node | None:
    """The ``context.WithCancel(context.Background())`` call that an assignment of a context or
    cancel field takes its value from (directly, or through the locals ``ctx, cancel :=`` that
    a composite literal's keys take, used nowhere else for the cancel), or None."""
    src, value = use.src, use.value
    if value is None:
        return None
    if use.kind == "derive":
        return value if _is_uncancellable_root(src, value) else None
    if use.kind != "assign" or value.type != "identifier":
        return None
    call, position = _declared_from_call(src, value)
    if call is None or not _is_uncancellable_root(src, call):
        return None
    if position == 1 and not _used_once(src, value):
        return None  # the local cancel may be called, or kept elsewhere
    return call


def _is_uncancellable_root(src: SourceFile, call: Node) -> bool:
    """``context.WithCancel(context.Background())`` or ``(context.TODO())``: done only when
    its cancel is called."""
    if not is_call_to(src, call, "context", "WithCancel"):
        return False
    args = arguments(call)
    return len(args) == 1 and is_call_to(src, args[0], "context", "Background", "TODO")


def _declared_from_call(src: SourceFile, identifier: Node) -> tuple[Node | None, int]:
    """The call that ``a, b := call()`` assigns the local ``identifier`` names, and its position
    among the names; (None, -1) when it is declared otherwise or more than once."""
    name = src.show(identifier)
    function = next((a for a in ancestors(identifier) if a.type in FUNCTIONS), None)
    body = function.child_by_field_name("body") if function is not None else None
    declared = [n for n in declaring_identifiers(body) if src.show(n) == name] if body else []
    if len(declared) != 1 or body is None or _is_assigned(src, body, name):
        return None, -1
    left = declared[0].parent
    holder = left.parent if left is not None else None
    if holder is None or holder.type != "short_var_declaration" or left is None:
        return None, -1
    right = holder.child_by_field_name("right")
    values = right.named_children if right is not None else []
    if len(values) != 1 or values[0].type != "call_expression":
        return None, -1
    position = next(i for i, n in enumerate(left.named_children) if same_node(n, declared[0]))
    return values[0], position


def _used_once(src: SourceFile, identifier: Node) -> bool:
    """The local is used once (a composite literal's keys spelled alike are no uses)."""
    function = next((a for a in ancestors(identifier) if a.type in FUNCTIONS), None)
    body = function.child_by_field_name("body") if function is not None else None
    if body is None:
        return False
    uses = [r for r in references(body, src.show(identifier), src) if not is_literal_key(r)]
    return len(uses) == 1


def is_literal_key(identifier: Node) -> bool:
    """``identifier`` is the key of a keyed element in a composite literal (``{quit: q}``)."""
    element = identifier.parent
    keyed = element.parent if element is not None else None
    return (
        element is not None
        and keyed is not None
        and element.type == "literal_element"
        and keyed.type == "keyed_element"
        and same_node(keyed.named_children[0], element)
    )


def _cancel_field_of(package: GoPackage, context: FieldRef, use: FieldUse) -> FieldRef | None:
    """The cancel-typed field of the context's type that the same call sets: the other target
    of ``x.ctx, x.cancel = context.WithCancel(...)`` or the key whose value is the local
    ``cancel`` of ``ctx, cancel := context.WithCancel(...)``."""
    struct = declarations.struct_type(package, context.type_name)
    if struct is None:
        return None
    cancels = [f for f in struct.fields if f.kind == "cancel" and not f.embedded]
    call = _maker_key(use)
    for field in cancels:
        ref = FieldRef(context.type_name, field.name)
        uses = field_uses(package, ref)
        if uses is not None and any(_maker_key(u) == call for u in uses.uses):
            return ref
    return None
