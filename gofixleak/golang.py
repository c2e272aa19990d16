"""The Go grammar, parsers and compiled queries (tree-sitter >= 0.25 API).

Go 1.26's ``new(expr)``
-----------------------
Go 1.26 lets the operand of ``new`` be an expression (``new(uint64(10))``, ``new(e.crc.Sum32())``).
tree-sitter-go 0.25, the newest release, still parses ``new`` and ``make`` with a special
argument list whose first element must be a type, so such a call is a syntax error, and the
whole declaration around it would be left unanalysed. (So is a call of a local function that
shadows the builtin, ``make := func(n int) *X {...}; make(n - 1)``, which Go has always allowed.)
A grammar built by this project would need a C compiler on every user's machine; instead,
:func:`parse` keeps the released grammar and parses a *masked copy* of the bytes:

1. The bytes are parsed as they are. A tree without errors is returned as it is, so ``new(T)``
   with a type, and every file that parses today, gets exactly the tree it always had.
2. Otherwise each ``new`` or ``make`` that is the callee of a call which does not parse, inside a
   top-level declaration that holds an error, is masked: its bytes are replaced with another
   identifier of the same length (:data:`MASKS`), so that the call becomes an ordinary
   ``call_expression`` whose arguments are expressions, and the text is parsed again. A
   ``new(T)`` caught in an error region may now fail where it parsed before; the masks of calls
   that still fail are taken back and the text parsed a third time. Of the three trees, the one
   with the fewest ERROR and MISSING nodes wins (ties go to fewer masks), so masking never makes
   a file worse. At most three parses, however many such calls a file holds.

The mask never changes a length, so every byte offset and line/column of the tree is the same as
in the original text. Text is always read from the original bytes (``SourceFile.text``), so
``syntax.call_name`` still says ``new``; ``Node.text`` would show the mask and is never used.
Everything that parses Go goes through :func:`parse`: ``SourceFile.parse``, the engine's re-parse
after each fix, and with them ``source.error_count`` and ``SourceFile.broken_regions``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

GO = Language(tree_sitter_go.language())

# The builtins the grammar parses with a type first, and identifiers of the same length that no
# Go program is likely to call.
MASKS = {b"new": b"nw_", b"make": b"mak_"}
_BUILTIN_CALL = re.compile(rb"\b(?:new|make)\s*\(")


@functools.cache
def _parser() -> Parser:
    return Parser(GO)


def parse(data: bytes) -> Tree:
    """The tree of ``data``, with Go 1.26's ``new(expr)`` parsed as a call (module docstring)."""
    tree = _parser().parse(data)
    if not tree.root_node.has_error:
        return tree
    return _with_masked_builtins(data, tree)


def _with_masked_builtins(data: bytes, tree: Tree) -> Tree:
    """The tree with the fewest errors: as parsed, every failed call masked, or only those that
    parse once masked (a ``new(T)`` caught in an error region fails as an ordinary call)."""
    candidates = [(n.start_byte, n.end_byte) for n in _failed_builtin_calls(tree, data)]
    if not candidates:
        return tree
    masked_all = _parser().parse(_masked(data, candidates))
    parsed = [(n.start_byte, n.end_byte) for n in _calls_that_parse(masked_all, data, candidates)]
    masked_some = masked_all if parsed == candidates else _parser().parse(_masked(data, parsed))
    # Ties go to fewer masks: the tree as parsed first, then the smaller set.
    return min((tree, masked_some, masked_all), key=error_count)


def _masked(data: bytes, spans: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for start, end in spans:
        out[start:end] = MASKS[data[start:end]]
    return bytes(out)


def _failed_builtin_calls(tree: Tree, data: bytes) -> Iterator[Node]:
    """``new``/``make`` names, in declarations that hold an error, not the callee of a clean
    call."""
    root = tree.root_node
    for match in _BUILTIN_CALL.finditer(data):
        node = _name_at(root, data, match.start())
        if node is None or not _in_broken_declaration(root, node) or _is_clean_call(node):
            continue
        yield node


def _calls_that_parse(tree: Tree, data: bytes, spans: list[tuple[int, int]]) -> Iterator[Node]:
    for start, _ in spans:
        node = _name_at(tree.root_node, data, start)
        if node is not None and _is_clean_call(node):
            yield node


def _name_at(root: Node, data: bytes, start: int) -> Node | None:
    """The ``new`` or ``make`` name (or keyword) at ``start``: None in a comment or a string, or
    inside a longer name. In ``new(new(1))`` the inner ``new`` is taken for a type's name."""
    end = start + (3 if data.startswith(b"new", start) else 4)
    node = root.descendant_for_byte_range(start, end)
    if node is None or node.type not in ("identifier", "type_identifier", "new", "make"):
        return None
    return node if (node.start_byte, node.end_byte) == (start, end) else None


def _is_clean_call(callee: Node) -> bool:
    call = callee.parent
    return call is not None and call.type == "call_expression" and not call.has_error


def _in_broken_declaration(root: Node, node: Node) -> bool:
    top = node
    while top.parent is not None and top.parent != root:
        top = top.parent
    return top.has_error or top.is_error


def error_count(tree: Tree) -> int:
    """How many ERROR or MISSING nodes the tree holds."""
    count = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if not node.has_error:
            continue
        if node.is_error or node.is_missing:
            count += 1
        stack.extend(node.children)
    return count


def query(source: str) -> Query:
    """Compile a query at import time, so that a bad query fails every test run."""
    return Query(GO, source)


def captures(q: Query, node: Node) -> dict[str, list[Node]]:
    return QueryCursor(q).captures(node)


def matches(q: Query, node: Node) -> list[tuple[int, dict[str, list[Node]]]]:
    return QueryCursor(q).matches(node)
