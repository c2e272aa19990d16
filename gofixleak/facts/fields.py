"""Every place in a package that names a struct field: ``x.f`` selectors and ``f:`` keys of
composite literals, found by syntax in the files that mention the name.

Without types, ``x.f`` may be the field of another struct, a method value or a method call
spelled the same: a rule that needs "every use of this field" takes them all, and stays silent
when one of them is something it does not understand.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.facts.package import GoPackage
from gofixleak.source import SourceFile
from gofixleak.syntax import descendants, same_node


@dataclass(frozen=True, eq=False)
class FieldUse:
    """``x.f`` (``node`` is the selector expression) or ``f: value`` in a composite literal
    (``node`` is the keyed element)."""

    src: SourceFile
    node: Node

    @property
    def is_key(self) -> bool:
        return self.node.type == "keyed_element"


def field_uses(package: GoPackage, name: str) -> list[FieldUse] | None:
    """Every selector ``x.name`` and literal key ``name:`` in the package, in file order; None
    when a file of the package could not be read (some uses may be missing)."""
    key = ("field-uses", name)
    if key not in package.derived:
        found = [use for src in package.mentioning(name) for use in _uses_in(src, name)]
        package.derived[key] = None if package.incomplete else found
    uses: list[FieldUse] | None = package.derived[key]  # type: ignore[assignment]
    return uses


def _uses_in(src: SourceFile, name: str) -> list[FieldUse]:
    out = []
    for node in descendants(src.root, "field_identifier", "identifier"):
        if src.show(node) != name or node.parent is None:
            continue
        parent = node.parent
        if node.type == "field_identifier" and parent.type == "selector_expression":
            if same_node(parent.child_by_field_name("field"), node):
                out.append(FieldUse(src, parent))
        elif node.type == "identifier" and parent.type == "literal_element":
            keyed = parent.parent
            if keyed is not None and keyed.type == "keyed_element":
                first = keyed.named_children[0] if keyed.named_children else None
                if same_node(first, parent):
                    out.append(FieldUse(src, keyed))
    return sorted(out, key=lambda use: (use.src.path, use.node.start_byte))
