"""Names and calls: imports and their qualifiers, call names, arguments and parameters,
declarations and references, fresh names.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.tree import (
    descendants,
    identifiers_named_that,
    same_node,
    statement_of,
    top_level_in,
    walk,
)


@functools.lru_cache(maxsize=64)
def imports(src: SourceFile) -> Mapping[str, str]:
    """Import path -> the name it is used by: its package name guess, alias, "." or "_".

    Cached for the files at hand (those of a package): rules ask for every call they look at
    (``is_call_to``), and the package model for every name it resolves.
    """
    out: dict[str, str] = {}
    # Imports stand outside function bodies: those are not walked (they are most of a file).
    outside = (
        c for c in src.root.children if c.type not in ("function_declaration", "method_declaration")
    )
    specs = (s for c in outside for s in descendants(c, "import_spec", into_functions=False))
    for spec in specs:
        path_node = spec.child_by_field_name("path")
        if path_node is None:
            continue
        path = src.text(path_node).strip(b'"`').decode("utf-8", "replace")
        alias = spec.child_by_field_name("name")
        out[path] = src.show(alias) if alias is not None else path.rsplit("/", 1)[-1]
    return MappingProxyType(out)


def import_name(src: SourceFile, path: str) -> str | None:
    """The qualifier that refers to package ``path`` here, or None (not imported, ``.``, ``_``)."""
    name = imports(src).get(path)
    return None if name in (None, ".", "_") else name


def hides_import(src: SourceFile, node: Node, path: str) -> bool:
    """A parameter, receiver or local of the top-level declaration around ``node`` is spelled
    like the import of ``path``: the package may be hidden there (without types, where exactly
    is not worked out)."""
    qualifier = import_name(src, path)
    outer = top_level_in(src.root, node)
    return qualifier is not None and any(
        src.show(n) == qualifier for n in declaring_identifiers(outer)
    )


def call_name(src: SourceFile, call: Node) -> str:
    """``"time.Tick"`` for ``time.Tick(d)``, ``"close"`` for ``close(ch)``, "" otherwise."""
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "identifier":
        return src.show(function)
    if function.type == "selector_expression":
        operand = function.child_by_field_name("operand")
        field = function.child_by_field_name("field")
        if operand is not None and field is not None and operand.type == "identifier":
            return f"{src.show(operand)}.{src.show(field)}"
    return ""


def is_call_to(src: SourceFile, node: Node, package: str, *names: str) -> bool:
    """True when ``node`` calls one of ``names`` of import path ``package`` (alias respected)."""
    if node.type != "call_expression":
        return False
    qualifier = import_name(src, package)
    if qualifier is None:
        return False
    return call_name(src, node) in {f"{qualifier}.{name}" for name in names}


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def identifier_names(node: Node, src: SourceFile) -> set[str]:
    """Every identifier spelled inside ``node``."""
    kinds = ("identifier", "type_identifier", "package_identifier", "field_identifier")
    return {src.show(n) for n in descendants(node, *kinds)}


def fresh_name(src: SourceFile, base: str, scope: Node | None = None) -> str:
    """``base``, or ``base2``, ``base3``...: the first that no identifier in ``scope`` spells.

    The scope defaults to the whole file, so a fresh name can shadow nothing in it.
    """
    taken = identifier_names(scope if scope is not None else src.root, src)
    if scope is not None:
        taken |= set(imports(src).values())
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


@functools.lru_cache(maxsize=64)
def package_name(src: SourceFile) -> str:
    clause = next((c for c in src.root.named_children if c.type == "package_clause"), None)
    if clause is None:
        return ""
    name = next((c for c in clause.named_children if c.type == "package_identifier"), None)
    return src.show(name) if name is not None else ""


def function_name(src: SourceFile, function: Node) -> str | None:
    name = function.child_by_field_name("name")
    return src.show(name) if name is not None else None


def short_var_names(declaration: Node, src: SourceFile) -> list[str]:
    """Names on the left of ``a, b := ...`` (empty for other nodes)."""
    if declaration.type != "short_var_declaration":
        return []
    left = declaration.child_by_field_name("left")
    return [src.show(n) for n in left.named_children] if left is not None else []


def parameter_names(function: Node, src: SourceFile) -> list[str]:
    """Names of a function's parameters in order ("_" kept; unnamed parameters give "")."""
    params = function.child_by_field_name("parameters")
    out: list[str] = []
    for decl in params.named_children if params is not None else []:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        names = [src.show(n) for n in decl.children_by_field_name("name")]
        out.extend(names or [""])
    return out


def parameter_type(function: Node, src: SourceFile, name: str) -> Node | None:
    """The type node of parameter ``name``, or None."""
    params = function.child_by_field_name("parameters")
    for decl in params.named_children if params is not None else []:
        if any(src.show(n) == name for n in decl.children_by_field_name("name")):
            return decl.child_by_field_name("type")
    return None


def has_variadic_parameter(function: Node) -> bool:
    params = function.child_by_field_name("parameters")
    return params is not None and any(
        c.type == "variadic_parameter_declaration" for c in params.named_children
    )


def bound_argument(call: Node, function: Node, src: SourceFile, name: str) -> Node | None:
    """The argument of ``call`` that parameter ``name`` of ``function`` receives, or None when
    the call does not line up with the parameters (variadics, spread, multi-value calls)."""
    names = parameter_names(function, src)
    args = arguments(call)
    if has_variadic_parameter(function) or len(args) != len(names) or name not in names:
        return None
    return args[names.index(name)]


def is_context_type(src: SourceFile, type_node: Node | None) -> bool:
    """``context.Context`` (the import's alias respected)."""
    qualifier = import_name(src, "context")
    return (
        type_node is not None
        and qualifier is not None
        and src.text(type_node) == f"{qualifier}.Context".encode()
    )


_DECLARATION_SPECS = frozenset(
    {"parameter_declaration", "variadic_parameter_declaration", "var_spec", "const_spec"}
)


def sole_declaration(value: Node) -> Node | None:
    """The ``name := value`` (short var declaration) or ``var name = value`` (var spec) that
    declares exactly one identifier with exactly this value; None otherwise."""
    values = value.parent
    holder = values.parent if values is not None else None
    if values is None or holder is None or values.type != "expression_list":
        return None
    if len(values.named_children) != 1:
        return None
    if holder.type == "short_var_declaration":
        left = holder.child_by_field_name("left")
        names = left.named_children if left is not None else []
    elif holder.type == "var_spec":
        names = holder.children_by_field_name("name")
    else:
        return None
    return holder if len(names) == 1 and names[0].type == "identifier" else None


def sole_declared_name(declaration: Node) -> Node:
    """The identifier that a :func:`sole_declaration` declares."""
    if declaration.type == "var_spec":
        return declaration.children_by_field_name("name")[0]
    left = declaration.child_by_field_name("left")
    assert left is not None
    return left.named_children[0]


def declaration_statement(declaration: Node) -> Node | None:
    """The statement that a declaration is: the short var declaration itself, or the ``var``
    statement of a var spec; None inside an ``if``, ``for`` or ``switch`` header, whose names
    end with that statement."""
    statement = statement_of(declaration)
    if statement is None:
        return None
    if declaration.type == "short_var_declaration":
        return statement if same_node(statement, declaration) else None
    holder = declaration.parent
    if holder is not None and holder.type == "var_spec_list":
        holder = holder.parent
    return statement if same_node(holder, statement) else None


def declaring_identifiers(node: Node) -> list[Node]:
    """Identifiers that declare a name inside ``node``: parameters, results, receivers, ``:=``
    (also in ``range``, ``select`` cases and type switches), ``var`` and ``const``."""
    if not node.has_error:
        # From the file's index of identifiers (in preorder, as the walk below finds them).
        return [n for n in descendants(node, "identifier") if is_declaring(n)]
    out: list[Node] = []
    for n in walk(node):
        if n.type in _DECLARATION_SPECS:
            out.extend(n.children_by_field_name("name"))
        elif n.type in ("short_var_declaration", "range_clause", "receive_statement"):
            left = n.child_by_field_name("left")
            if left is not None and any(c.type == ":=" for c in n.children):
                out.extend(c for c in left.named_children if c.type == "identifier")
        elif n.type == "type_switch_statement":
            alias = n.child_by_field_name("alias")
            out.extend(alias.named_children if alias is not None else [])
    return [n for n in out if n.type == "identifier"]


def is_declaring(identifier: Node) -> bool:
    """``identifier`` declares its name (see :func:`declaring_identifiers`), decided from its
    parents: no walk."""
    parent = identifier.parent
    if parent is None or identifier.type != "identifier":
        return False
    if parent.type in _DECLARATION_SPECS:
        return any(same_node(n, identifier) for n in parent.children_by_field_name("name"))
    holder = parent.parent
    if parent.type != "expression_list" or holder is None:
        return False
    if holder.type in ("short_var_declaration", "range_clause", "receive_statement"):
        return same_node(holder.child_by_field_name("left"), parent) and any(
            c.type == ":=" for c in holder.children
        )
    return holder.type == "type_switch_statement" and same_node(
        holder.child_by_field_name("alias"), parent
    )


def declarations_named(src: SourceFile, name: str, node: Node) -> list[Node]:
    """The identifiers inside ``node`` that declare ``name`` (:func:`declaring_identifiers`
    of that name, through the file's index of names)."""
    return identifiers_named_that(src, name, node, "declaring", is_declaring)


def references(node: Node, name: str, src: SourceFile) -> list[Node]:
    """Identifiers spelled ``name`` inside ``node`` (nested literals included) that do not
    declare it. Without types, a shadowing declaration elsewhere is the caller's concern."""
    declaring = {(n.start_byte, n.end_byte) for n in declaring_identifiers(node)}
    return [
        n
        for n in descendants(node, "identifier")
        if src.show(n) == name and (n.start_byte, n.end_byte) not in declaring
    ]


def declares_name(src: SourceFile, name: str) -> bool:
    """The file declares ``name`` somewhere: a function, type, variable, constant or parameter
    (``:=`` included). A builtin of that name (``close``, ``len``) may then not be the builtin
    where a fix would call it. Declarations in the package's other files are not seen."""
    if name.encode() not in src.data:
        return False
    if any(src.show(n) == name for n in declaring_identifiers(src.root)):
        return True
    return any(
        (n := d.child_by_field_name("name")) is not None and src.show(n) == name
        for d in descendants(src.root, "function_declaration", "type_spec", "type_alias")
    )
