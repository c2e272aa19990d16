"""Who calls a function of the package: every call site, when the syntax can list them all.

A function's name is spelled at its call sites (``f(x)``, ``s.m()``), and nowhere else but in its
declaration, in comments and strings, or where it is used as a value (``go f``, ``cb := s.m``).
:func:`call_sites` reads every identifier and selector spelled like the function in the package's
files: each must be a call that :func:`~gofixleak.facts.resolve.callee` settles to this function,
or a call it settles to another one; anything else (a value, a call it cannot settle, a method of
an interface spelled alike) means the callers cannot all be listed, and the answer is None.
An exported function may be called from other packages: None as well.
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.facts import resolve
from gofixleak.facts.declarations import Function
from gofixleak.facts.package import GoPackage
from gofixleak.source import SourceFile
from gofixleak.syntax import descendants, same_node

CallSite = tuple[SourceFile, Node]  # the file and the call_expression


def call_sites(package: GoPackage, function: Function) -> list[CallSite] | None:
    """Every call of ``function`` in ``package``, or None when they cannot all be listed."""
    if function.name[:1].isupper() or function.name in ("init", "main"):
        return None
    key = ("call-sites", function.src.path, function.node.start_byte)
    if key not in package.derived:
        package.derived[key] = _call_sites(package, function)
    found: list[CallSite] | None = package.derived[key]  # type: ignore[assignment]
    return found


def _call_sites(package: GoPackage, function: Function) -> list[CallSite] | None:
    package.paths()
    if package.incomplete:
        return None
    out: list[CallSite] = []
    declared = function.node.child_by_field_name("name")
    for src in package.mentioning(function.name):
        for name in _names(src).get(function.name, []):
            if src is function.src and same_node(name, declared):
                continue
            call = _called_by(name)
            if call is None:
                if _is_spelled_apart(name):
                    continue  # a field or a key of the same spelling, not the function
                return None
            target = resolve.callee(src, call)
            if target is None:
                return None
            if same_node(target.node, function.node) and target.src is function.src:
                out.append((src, call))
    return out


def _names(src: SourceFile) -> dict[str, list[Node]]:
    """The file's identifiers and field names by spelling, found once while its package stays
    as it is."""
    key = ("names", src.path)
    if key not in src.pkg.derived:
        found: dict[str, list[Node]] = {}
        for name in descendants(src.root, "identifier", "field_identifier"):
            found.setdefault(src.show(name), []).append(name)
        src.pkg.derived[key] = found
    names: dict[str, list[Node]] = src.pkg.derived[key]  # type: ignore[assignment]
    return names


def _called_by(name: Node) -> Node | None:
    """The call whose function ``name`` is (``name(...)`` or ``x.name(...)``)."""
    function = name
    parent = name.parent
    if parent is not None and parent.type == "selector_expression":
        if not same_node(parent.child_by_field_name("field"), name):
            return None
        function, parent = parent, parent.parent
    if parent is None or parent.type != "call_expression":
        return None
    return parent if same_node(parent.child_by_field_name("function"), function) else None


def _is_spelled_apart(name: Node) -> bool:
    """A name that cannot denote the function: a struct field's or a method's declaration, a
    composite literal's key, or a parameter or local (a declaration)."""
    parent = name.parent
    if parent is None:
        return False
    if parent.type in ("field_declaration", "method_elem", "method_declaration"):
        return True
    if parent.type in ("parameter_declaration", "variadic_parameter_declaration", "var_spec"):
        return True
    if parent.type == "literal_element":
        holder = parent.parent
        return (
            holder is not None
            and holder.type == "keyed_element"
            and same_node(holder.named_children[0], parent)
        )
    return False
