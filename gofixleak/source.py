"""A Go source file as the detectors see it: bytes, syntax tree, line index, Go version."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tree_sitter import Node, Tree

from gofixleak.golang import error_count as error_count  # where the engine and tests look
from gofixleak.golang import parse
from gofixleak.model import Span

if TYPE_CHECKING:
    from gofixleak.facts.package import GoPackage

GoVersion = tuple[int, int]

_GENERATED = re.compile(rb"^// Code generated .* DO NOT EDIT\.\r?$", re.MULTILINE)
_PACKAGE = re.compile(rb"^package\s", re.MULTILINE)
_GO_LINE = re.compile(rb"^go\s+(\d+)\.(\d+)", re.MULTILINE)


def parse_go_version(text: str) -> GoVersion:
    """``"1.22"`` or ``"go1.22.3"`` -> ``(1, 22)``; ValueError otherwise."""
    match = re.fullmatch(r"(?:go)?(\d+)\.(\d+)(?:\.\d+|rc\d+|beta\d+)?", text.strip())
    if not match:
        raise ValueError(f"not a Go version: {text!r} (expected e.g. 1.22)")
    return int(match.group(1)), int(match.group(2))


@functools.lru_cache(maxsize=4096)
def module_go_version(directory: str) -> GoVersion | None:
    """The ``go`` line of the nearest go.mod at or above ``directory``, or None.

    A directory without a go.mod asks its parent through this same cache, so the directories
    of one module look for go.mod once each, not once per level above them."""
    current = Path(directory).resolve()
    gomod = current / "go.mod"
    if gomod.is_file():
        try:
            match = _GO_LINE.search(gomod.read_bytes())
        except OSError:
            return None
        return (int(match.group(1)), int(match.group(2))) if match else None
    parent = current.parent
    return None if parent == current else module_go_version(str(parent))


def is_generated(data: bytes) -> bool:
    """Go's convention: a ``// Code generated ... DO NOT EDIT.`` line before the package clause."""
    package = _PACKAGE.search(data)
    head = data[: package.start()] if package else data
    return _GENERATED.search(head) is not None


def newline_of(data: bytes) -> bytes:
    """The file's line ending: CRLF when most of its lines end so, LF otherwise."""
    crlf = data.count(b"\r\n")
    return b"\r\n" if crlf and crlf * 2 > data.count(b"\n") else b"\n"


def line_starts(data: bytes) -> tuple[int, ...]:
    starts = [0]
    index = data.find(b"\n")
    while index != -1:
        starts.append(index + 1)
        index = data.find(b"\n", index + 1)
    return tuple(starts)


@dataclass(frozen=True, eq=False)
class SourceFile:
    """One parsed Go file. Build it with :meth:`parse`."""

    path: str
    data: bytes
    tree: Tree
    go_version: GoVersion | None
    generated: bool
    newline: bytes
    # The Go package the file was read in (its other files are the context the package model
    # sees); None when it was parsed alone.
    package: GoPackage | None = field(default=None, repr=False)

    @classmethod
    def parse(
        cls,
        path: str,
        data: bytes,
        go_version: GoVersion | None = None,
        *,
        package: GoPackage | None = None,
    ) -> SourceFile:
        return cls(
            path=path,
            data=data,
            tree=parse(data),
            go_version=go_version,
            generated=is_generated(data),
            newline=newline_of(data),
            package=package,
        )

    @functools.cached_property
    def pkg(self) -> GoPackage:
        """The Go package this file belongs to: the one it was read in, or (parsed alone) a
        package of this file only."""
        if self.package is not None:
            return self.package
        from gofixleak.facts.package import single_file_package

        own = single_file_package(self.path, self.go_version)
        own.adopt(self)
        return own

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def is_test(self) -> bool:
        return os.path.basename(self.path).endswith("_test.go")

    def text(self, node_or_span: Node | Span) -> bytes:
        if isinstance(node_or_span, Node):
            return self.data[node_or_span.start_byte : node_or_span.end_byte]
        return self.data[node_or_span.start : node_or_span.end]

    def show(self, node: Node) -> str:
        """A node's text for messages (undecodable bytes replaced)."""
        return self.data[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def node_at(self, span: Span) -> Node | None:
        """The smallest node covering exactly ``span``, or None."""
        node = self.root.descendant_for_byte_range(span.start, span.end)
        while node is not None and (node.start_byte, node.end_byte) != (span.start, span.end):
            node = node.parent
        return node

    @functools.cached_property
    def broken_regions(self) -> tuple[Span, ...]:
        """Top-level declarations (or stray text) that hold a syntax error.

        Nothing is reported or rewritten inside them: the tree there is a guess.
        """
        if not self.root.has_error:
            return ()
        return tuple(span_of(n) for n in self.root.children if n.has_error or n.is_error)

    def is_broken(self, span: Span) -> bool:
        return any(region.touches(span) for region in self.broken_regions)


def span_of(node: Node) -> Span:
    return Span(node.start_byte, node.end_byte)


def iter_lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(start offset, line without its end) for each line."""
    start = 0
    for line in data.splitlines(keepends=True):
        yield start, line.rstrip(b"\r\n")
        start += len(line)
