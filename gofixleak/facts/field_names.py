"""Every place in a package that names a struct field: ``x.f`` selectors and ``f:`` keys of
composite literals, found by syntax in the files that mention the name.

Without types, ``x.f`` may be the field of another struct, a method value or a method call
spelled the same: a rule that needs "every use of this field" takes them all, and stays silent
when one of them is something it does not understand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    key = ("field-names", name)
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


def channel_field_names(package: GoPackage) -> frozenset[bytes]:
    """The names that a struct field with a channel type may have in the package, read from
    its bytes (:func:`channel_names` of every file): a superset, no file parsed."""
    key = ("channel-field-names",)
    if key not in package.derived:
        package.derived[key] = frozenset(
            name
            for path in package.paths()
            if b"chan" in (data := package.data(path))
            for name in channel_names(data)
        )
    found: frozenset[bytes] = package.derived[key]  # type: ignore[assignment]
    return found


_CHAN = re.compile(rb"chan\b")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_NAME_LIST_BYTES = _WORD_BYTES | frozenset(b", \t")
_NAME_IN_LIST = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")


def channel_names(data: bytes) -> Iterator[bytes]:
    """The names a struct field with a channel type may declare: the words before each ``chan``
    on its line when only blanks, a ``{`` or a ``;`` precede them (``quit`` of
    ``quit chan struct{}``, ``a, b`` of ``struct{ a, b <-chan int }``; a parameter alone on its
    line as well: a superset)."""
    for match in _CHAN.finditer(data):
        start = match.start()
        if start and (data[start - 1] in _WORD_BYTES or data[start - 1] >= 0x80):
            continue  # the end of a longer word
        end = data.rfind(b"\n", 0, start) + 1
        before = data[end:start].rstrip(b" \t")
        before = before.removesuffix(b"<-").rstrip(b" \t")
        first = len(before)
        while first and (before[first - 1] in _NAME_LIST_BYTES or before[first - 1] >= 0x80):
            first -= 1
        if first and before[first - 1] not in b"{;":
            continue  # after a parenthesis, an operator...: not a field's names
        yield from _NAME_IN_LIST.findall(before, first)
