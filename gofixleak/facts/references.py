"""Where a package mentions a name, by syntax: every identifier and field name spelled so.

A fix that edits a function for the sake of one caller must know that it has no other: a
mention is any identifier or selected field spelled like the function (``f(x)``, ``go f(x)``,
``x.f()``, ``g := f``, a method of another type spelled the same), in any file of the package.
Counting too many is safe (the fix is not offered); the files that do not hold the word cannot
mention it (see :meth:`GoPackage.mentioning`).
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.facts.declarations import Function
from gofixleak.facts.package import GoPackage
from gofixleak.source import SourceFile
from gofixleak.syntax import descendants, same_node

_NAMES = ("identifier", "field_identifier")


def mentions(package: GoPackage, name: str) -> list[tuple[SourceFile, Node]]:
    """Every identifier and field name spelled ``name`` in the package's files."""
    return [
        (src, node)
        for src in package.mentioning(name)
        for node in descendants(src.root, *_NAMES)
        if src.show(node) == name
    ]


def uses_of(function: Function) -> list[tuple[SourceFile, Node]] | None:
    """The mentions of ``function``'s name other than its own declaration; None when the
    package could not be read whole (a file out of reach may mention it too)."""
    package = function.src.pkg
    declared = function.node.child_by_field_name("name")
    found = [
        (src, node)
        for src, node in mentions(package, function.name)
        if not (src is function.src and same_node(node, declared))
    ]
    return None if package.incomplete else found
