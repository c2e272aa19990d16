"""Named constants of a package, by syntax: ``const chanSize = 6`` makes ``chanSize + 2`` an 8.

A name is a constant here when the top-level declaration around it declares it once, with a
``const`` (a local constant), or declares it not at all and the package declares it exactly once
with a top-level ``const name = value``. Constants without a value of their own (``iota`` and
the implicit repetition in a ``const (...)`` group) and typed constants of other kinds are not
evaluated.
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax import (
    Constant,
    constant_value,
    declaring_identifiers,
    descendants,
    integer_constant,
    top_level_in,
)

_MAX_DEPTH = 16


def integer(src: SourceFile, node: Node) -> int | None:
    """The integer value of ``node`` when it is a constant expression, names included."""
    return integer_constant(src, node, _Names())


class _Names:
    """Resolves identifiers to constants, following constants defined by other constants."""

    def __init__(self) -> None:
        self.depth = 0

    def __call__(self, src: SourceFile, identifier: Node) -> Constant | None:
        if self.depth >= _MAX_DEPTH:
            return None
        value = _definition(src, identifier)
        if value is None:
            return None
        where, node = value
        self.depth += 1
        try:
            return constant_value(where, node, self)
        finally:
            self.depth -= 1


def _definition(src: SourceFile, identifier: Node) -> tuple[SourceFile, Node] | None:
    """The file and value expression of the constant ``identifier`` names, or None."""
    name = src.show(identifier)
    outer = top_level_in(src.root, identifier)
    local = [n for n in declaring_identifiers(outer) if src.show(n) == name]
    if len(local) > 1:
        return None
    if local:
        value = _const_value(local[0])
        return (src, value) if value is not None else None
    found = []
    for other in src.pkg.mentioning(name, "const"):
        for declaration in other.root.named_children:
            if declaration.type != "const_declaration":
                continue
            for spec in descendants(declaration, "const_spec"):
                for declared in spec.children_by_field_name("name"):
                    if other.show(declared) == name:
                        found.append((other, declared))
    if len(found) != 1:
        return None
    where, declared = found[0]
    value = _const_value(declared)
    return (where, value) if value is not None else None


def _const_value(declared: Node) -> Node | None:
    """The value of ``const name = value`` (one name, one value, no type or an integer type)."""
    spec = declared.parent
    if spec is None or spec.type != "const_spec":
        return None
    names = spec.children_by_field_name("name")
    values = spec.child_by_field_name("value")
    if len(names) != 1 or values is None or len(values.named_children) != 1:
        return None
    value = values.named_children[0]
    if any(n.type == "iota" for n in descendants(value, "iota")):
        return None
    return value
