"""Which same-package function a call runs, and which named type a value has, by syntax.

``f(x)`` resolves to the package's one top-level ``func f`` unless a local or parameter of the
enclosing declaration is spelled ``f``. ``x.m()`` resolves to the one method ``m`` of ``x``'s
type when the syntax says what that type is: the method's receiver, a parameter or ``var`` of
type ``T`` or ``*T``, a composite literal ``T{}`` or ``&T{}``, a type assertion ``x.(*T)``,
``new(T)``, a call of a same-package constructor whose (first) result is ``T`` or ``*T``, or a
field ``y.f`` whose struct type declares ``f`` so. Anything else — interfaces, function values,
other packages, names declared more than once — is unknown (None), and an unknown keeps the
rules silent.
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.facts import declarations
from gofixleak.facts.declarations import Function
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    declarations_named,
    descendants,
    imports,
    is_goroutine_literal,
    is_inside,
    same_node,
    top_level_in,
)

_MAX_DEPTH = 8  # how far a type is followed through values, fields and constructors


def callee(src: SourceFile, call: Node, depth: int = 0) -> Function | None:
    """The same-package function or method that ``call`` (or ``go``/``defer``'s call) runs.
    ``depth``: how deep in a type's resolution the call is (see :func:`type_of`)."""
    function = call.child_by_field_name("function")
    while function is not None and function.type == "parenthesized_expression":
        function = function.named_children[0] if function.named_children else None
    if function is None:
        return None
    if function.type == "identifier":
        name = src.show(function)
        if _is_declared_locally(src, function, name):
            return None  # a function value held in a local or parameter
        found = declarations.functions_named(src.pkg, name)
        return found[0] if len(found) == 1 else None
    if function.type == "selector_expression":
        operand = function.child_by_field_name("operand")
        field = function.child_by_field_name("field")
        if operand is None or field is None:
            return None
        type_name = type_of(src, operand, depth)
        if type_name is None:
            return None
        found = declarations.methods_named(src.pkg, type_name, src.show(field))
        return found[0] if len(found) == 1 else None
    return None


def enclosing_method(src: SourceFile, node: Node) -> Function | None:
    """The top-level function or method declaration that holds ``node``, as a Function."""
    outer = top_level_in(src.root, node)
    name = outer.child_by_field_name("name")
    if outer.type not in ("function_declaration", "method_declaration") or name is None:
        return None
    return declarations.function_at(src, outer)


def described(src: SourceFile, function: Node) -> str:
    """The function as a person names it: ``Server.run``, ``start``, ``a goroutine in Start``."""
    declared = enclosing_method(src, function)
    if declared is None:
        return "a function literal"
    name = f"{declared.receiver_type}.{declared.name}" if declared.is_method else declared.name
    if function.type != "func_literal":
        return name
    return f"a goroutine in {name}" if is_goroutine_literal(function) else f"a literal in {name}"


def type_of(src: SourceFile, expression: Node, depth: int = 0) -> str | None:
    """The name of the package type that ``expression``'s value has (``T`` for a ``T`` or a
    ``*T``), or None when the syntax does not tell."""
    if depth > _MAX_DEPTH:
        return None
    kind = expression.type
    if kind == "parenthesized_expression" and expression.named_children:
        return type_of(src, expression.named_children[0], depth + 1)
    if kind == "unary_expression":
        operator = expression.child_by_field_name("operator")
        operand = expression.child_by_field_name("operand")
        if operator is not None and operator.type in ("&", "*") and operand is not None:
            return type_of(src, operand, depth + 1)
        return None
    if kind in ("composite_literal", "type_assertion_expression"):
        type_node = expression.child_by_field_name("type")  # T{...}, x.(T), x.(*T)
        return _package_type(src, type_node, expression)
    if kind == "call_expression":
        return _call_result_type(src, expression, depth)
    if kind == "identifier":
        return _variable_type(src, expression, depth)
    if kind == "selector_expression":
        return _field_type(src, expression, depth)
    return None


def _package_type(src: SourceFile, type_node: Node | None, at: Node) -> str | None:
    """``type_node``'s base name when it names a type declared at the package's top level (and
    not hidden by a type declared locally around ``at``)."""
    if type_node is None:
        return None
    name = declarations.base_type_name(type_node, src)
    if name is None or _declares_local_type(src, at, name):
        return None
    return name if declarations.declares(src.pkg, name) else None


def _call_result_type(src: SourceFile, call: Node, depth: int, index: int = 0) -> str | None:
    function = call.child_by_field_name("function")
    if function is not None and function.type == "identifier" and src.show(function) == "new":
        args = call.child_by_field_name("arguments")
        first = args.named_children[0] if args is not None and args.named_children else None
        if first is not None and not _is_declared_locally(src, function, "new"):
            return _package_type(src, first, call)
    target = callee(src, call, depth + 1)
    if target is None:
        return None
    result = target.node.child_by_field_name("result")
    if result is None:
        return None
    if result.type == "parameter_list":
        types = [
            d.child_by_field_name("type")
            for d in result.named_children
            if d.type == "parameter_declaration"
        ]
        if index >= len(types):
            return None
        result = types[index]
    elif index != 0:
        return None
    return _package_type(target.src, result, target.node) if result is not None else None


def _variable_type(src: SourceFile, identifier: Node, depth: int) -> str | None:
    name = src.show(identifier)
    found = _declarations_of(src, identifier, name)  # a method's receiver included
    if len(found) != 1:
        if found or name in imports(src).values():
            return None  # declared twice, or an imported package (no package var may share it)
        return _package_var_type(src, identifier, name)
    declared = found[0]
    holder = declared.parent
    if holder is not None and holder.type == "expression_list":
        holder = holder.parent
    if holder is None:
        return None
    if holder.type in ("parameter_declaration", "variadic_parameter_declaration"):
        if holder.type == "variadic_parameter_declaration":
            return None
        return _package_type(src, holder.child_by_field_name("type"), identifier)
    if holder.type == "var_spec" and holder.child_by_field_name("type") is not None:
        return _package_type(src, holder.child_by_field_name("type"), identifier)
    if holder.type in ("short_var_declaration", "var_spec"):
        value = holder.child_by_field_name("right" if holder.type != "var_spec" else "value")
        if value is not None and is_inside(identifier, value):
            return None  # `peer, ok := peer.From(ctx)`: on the right, the name is not yet this
        return _assigned_type(src, holder, declared, depth)
    if holder.type == "range_clause":
        return _element_type(src, holder, declared)
    return None


def _element_type(src: SourceFile, clause: Node, declared: Node) -> str | None:
    """The type of the value variable of ``for _, v := range xs`` when ``xs`` is declared as a
    slice, array or map of ``T`` or ``*T`` (a parameter or a ``var`` with its type written)."""
    left = clause.child_by_field_name("left")
    names = list(left.named_children) if left is not None else []
    operand = clause.child_by_field_name("right")
    if len(names) != 2 or not same_node(names[1], declared) or operand is None:
        return None
    container = _written_type(src, operand)
    if container is None or container.type not in ("slice_type", "array_type", "map_type"):
        return None
    element = container.child_by_field_name("element" if container.type != "map_type" else "value")
    return _package_type(src, element, clause)


def _written_type(src: SourceFile, expression: Node) -> Node | None:
    """The type node written where the identifier ``expression`` is declared, as a parameter or
    a ``var name T``; None otherwise."""
    if expression.type != "identifier":
        return None
    found = _declarations_of(src, expression, src.show(expression))
    if len(found) != 1 or found[0].parent is None:
        return None
    holder = found[0].parent
    if holder.type in ("parameter_declaration", "var_spec"):
        return holder.child_by_field_name("type")
    return None


def _assigned_type(src: SourceFile, holder: Node, declared: Node, depth: int) -> str | None:
    if holder.type == "short_var_declaration":
        left = holder.child_by_field_name("left")
        names = list(left.named_children) if left is not None else []
    else:
        names = list(holder.children_by_field_name("name"))
    value_field = "right" if holder.type == "short_var_declaration" else "value"
    right = holder.child_by_field_name(value_field)
    values = list(right.named_children) if right is not None else []
    position = next((i for i, n in enumerate(names) if n == declared), None)
    if position is None:
        return None
    if len(values) == len(names):
        return type_of(src, values[position], depth + 1)
    if len(values) == 1 and values[0].type == "call_expression":
        return _call_result_type(src, values[0], depth, position)
    return None


def _package_var_type(src: SourceFile, at: Node, name: str) -> str | None:
    types = declarations.package_var_types(src.pkg, name)
    if len(types) != 1:
        return None
    return _package_type(src, types[0], at)


def _field_type(src: SourceFile, selector: Node, depth: int) -> str | None:
    operand = selector.child_by_field_name("operand")
    field = selector.child_by_field_name("field")
    if operand is None or field is None:
        return None
    owner = type_of(src, operand, depth + 1)
    struct = declarations.struct_type(src.pkg, owner) if owner is not None else None
    declared = struct.field(src.show(field)) if struct is not None else None
    if declared is None:
        return None
    return _package_type(declared.src, declared.type_node, struct.node if struct else selector)


def declarations_of(src: SourceFile, at: Node, name: str) -> list[Node]:
    """The identifiers that declare ``name`` in the top-level declaration around ``at`` (its
    parameters, receiver and locals, in any scope); [] for a package-level name."""
    return _declarations_of(src, at, name)


def declared_type(src: SourceFile, identifier: Node) -> Node | None:
    """The type written for the variable ``identifier`` names, from any package: a parameter's
    or ``var``'s type, the type of the composite literal, ``&T{}`` or ``new(T)`` it is declared
    with, or a package-level ``var``'s type; None when the syntax does not say (declared more
    than once, from a call)."""
    name = src.show(identifier)
    found = _declarations_of(src, identifier, name)
    if not found:
        types = declarations.package_var_types(src.pkg, name)
        return types[0] if len(types) == 1 else None
    holder = found[0].parent
    if holder is not None and holder.type == "expression_list":
        holder = holder.parent
    if len(found) != 1 or holder is None:
        return None
    written = holder.child_by_field_name("type")
    if holder.type in ("parameter_declaration", "var_spec") and written is not None:
        return written
    if holder.type not in ("short_var_declaration", "var_spec"):
        return None
    if holder.type == "short_var_declaration":
        left = holder.child_by_field_name("left")
        names = list(left.named_children) if left is not None else []
    else:
        names = list(holder.children_by_field_name("name"))
    short = holder.type == "short_var_declaration"
    right = holder.child_by_field_name("right" if short else "value")
    values = list(right.named_children) if right is not None else []
    position = next((i for i, n in enumerate(names) if same_node(n, found[0])), None)
    if position is None or len(values) != len(names):
        return None
    return _constructed_type(src, values[position])


def _constructed_type(src: SourceFile, value: Node) -> Node | None:
    """``T`` for ``T{...}``, ``&T{...}`` and ``new(T)``."""
    if value.type == "unary_expression":
        operator = value.child_by_field_name("operator")
        operand = value.child_by_field_name("operand")
        if operator is None or operator.type != "&" or operand is None:
            return None
        return _constructed_type(src, operand)
    if value.type == "composite_literal":
        return value.child_by_field_name("type")
    function = value.child_by_field_name("function") if value.type == "call_expression" else None
    if function is not None and src.show(function) == "new":
        args = value.child_by_field_name("arguments")
        return args.named_children[0] if args is not None and args.named_children else None
    return None


def _declarations_of(src: SourceFile, at: Node, name: str) -> list[Node]:
    """Identifiers declaring ``name`` in the top-level declaration around ``at``."""
    return declarations_named(src, name, top_level_in(src.root, at))


def _is_declared_locally(src: SourceFile, at: Node, name: str) -> bool:
    return bool(_declarations_of(src, at, name)) or _declares_local_type(src, at, name)


def _declares_local_type(src: SourceFile, at: Node, name: str) -> bool:
    outer = top_level_in(src.root, at)
    if outer.type not in ("function_declaration", "method_declaration"):
        return False
    key = ("local-types", src.path, outer.start_byte, outer.end_byte)
    cached = src.pkg.derived.get(key)
    if isinstance(cached, tuple) and cached[0] is src:
        names: set[str] = cached[1]
    else:
        names = {
            src.show(n)
            for spec in descendants(outer, "type_spec", "type_alias")
            if (n := spec.child_by_field_name("name")) is not None
        }
        src.pkg.derived[key] = (src, names)
    return name in names
