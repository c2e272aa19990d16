"""The Go grammar, parsers and compiled queries (tree-sitter >= 0.25 API)."""

from __future__ import annotations

import functools

import tree_sitter_go
from tree_sitter import Language, Node, Parser, Query, QueryCursor, Tree

GO = Language(tree_sitter_go.language())


@functools.cache
def _parser() -> Parser:
    return Parser(GO)


def parse(data: bytes) -> Tree:
    return _parser().parse(data)


def query(source: str) -> Query:
    """Compile a query at import time, so that a bad query fails every test run."""
    return Query(GO, source)


def captures(q: Query, node: Node) -> dict[str, list[Node]]:
    return QueryCursor(q).captures(node)


def matches(q: Query, node: Node) -> list[tuple[int, dict[str, list[Node]]]]:
    return QueryCursor(q).matches(node)
