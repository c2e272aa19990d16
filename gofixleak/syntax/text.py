"""Text surgery helpers for fixers: lines, indentation, inserting statements, adding imports
the way gofmt lays them out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from tree_sitter import Node

from gofixleak.model import Edit, Span
from gofixleak.source import SourceFile
from gofixleak.syntax.names import imports
from gofixleak.syntax.tree import descendants


def line_start(data: bytes, offset: int) -> int:
    return data.rfind(b"\n", 0, offset) + 1


def indent_of(data: bytes, offset: int) -> bytes:
    """The leading whitespace of the line holding ``offset``."""
    start = line_start(data, offset)
    end = start
    while end < len(data) and data[end : end + 1] in (b"\t", b" "):
        end += 1
    return data[start:end]


def starts_line(data: bytes, offset: int) -> bool:
    """Only whitespace stands between the start of the line and ``offset``."""
    return data[line_start(data, offset) : offset].strip(b" \t") == b""


def in_a_select(src: SourceFile, statement: Node, cases: Iterable[str]) -> Edit | None:
    """An edit that makes ``statement`` (a send, or a receive statement) the first case of a
    ``select`` whose other ``cases`` are given as lines (``case <-done:``, then ``\treturn``,
    each indented one level below ``select``); a comment ending the statement's line stays on
    its case line. None when the statement does not sit alone on its one line of a block."""
    if not is_own_line(src, statement):
        return None
    indent = indent_of(src.data, statement.start_byte).decode()
    end = src.data.find(b"\n", statement.end_byte)
    rest = src.data[statement.end_byte : end if end != -1 else len(src.data)].rstrip(b" \t\r")
    comment = f" {rest.strip().decode('utf-8', 'replace')}" if rest.strip() else ""
    lines = [
        "select {",
        f"{indent}case {src.show(statement)}:{comment}",
        *(f"{indent}{line}" for line in cases),
        f"{indent}}}",
    ]
    span = Span(statement.start_byte, statement.end_byte + len(rest))
    return Edit(span, "\n".join(lines).encode())


def is_own_line(src: SourceFile, statement: Node) -> bool:
    """The statement sits directly in a block, alone on its one line (a comment may end it)."""
    if statement.parent is None or statement.parent.type != "statement_list":
        return False
    if b"\n" in src.text(statement) or not starts_line(src.data, statement.start_byte):
        return False
    end = src.data.find(b"\n", statement.end_byte)
    rest = src.data[statement.end_byte : end if end != -1 else len(src.data)].strip(b" \t\r")
    return not rest or rest.startswith(b"//")


def insert_lines_before(src: SourceFile, statement: Node, lines: Iterable[str]) -> Edit | None:
    """An edit that puts ``lines`` before ``statement``, each at its indentation.

    None when the statement does not start its own line.
    """
    if not starts_line(src.data, statement.start_byte):
        return None
    at = line_start(src.data, statement.start_byte)
    indent = indent_of(src.data, statement.start_byte)
    text = b"".join(indent + line.encode() + b"\n" for line in lines)
    return Edit(Span(at, at), text)


def insert_lines_after(src: SourceFile, statement: Node, lines: Iterable[str]) -> Edit | None:
    """An edit that puts ``lines`` after ``statement`` (which must end its line)."""
    end = src.data.find(b"\n", statement.end_byte)
    rest = src.data[statement.end_byte : end if end != -1 else len(src.data)]
    if rest.strip(b" \t\r") and not rest.strip(b" \t\r").startswith(b"//"):
        return None
    at = end + 1 if end != -1 else len(src.data)
    indent = indent_of(src.data, statement.start_byte)
    prefix = b"" if end != -1 else b"\n"
    text = prefix + b"".join(indent + line.encode() + b"\n" for line in lines)
    return Edit(Span(at, at), text)


_STD_PATH = re.compile(r"^[^./]+(/|$)")


# What a new import declaration may follow when no other one can take the path.
_IMPORT_ANCHORS = frozenset({"package_clause", "import_declaration"})


def add_import(src: SourceFile, path: str) -> Edit | None:
    """An edit that imports ``path`` the way gofmt would lay it out; None if already imported.

    Standard library paths join the group of standard imports in sorted position.
    """
    if path in imports(src):
        return None
    # cgo takes its preamble from the comment right above the declaration importing "C"; adding
    # a spec there detaches it, so that declaration is left alone.
    decls = [
        c
        for c in src.root.named_children
        if c.type == "import_declaration"
        and not any(_spec_path(src, s) == "C" for s in descendants(c, "import_spec"))
    ]
    line = f'"{path}"'.encode()
    if not decls:
        anchors = [c for c in src.root.named_children if c.type in _IMPORT_ANCHORS]
        if not anchors:
            return None
        at = anchors[-1].end_byte
        return Edit(Span(at, at), b"\n\nimport " + line)
    spec_list = next(
        (c for d in decls for c in d.named_children if c.type == "import_spec_list"), None
    )
    if spec_list is None:
        single = next(c for c in decls[0].named_children if c.type == "import_spec")
        specs = sorted([line, src.text(single)], key=_import_sort_key)
        body = b"".join(b"\t" + s + b"\n" for s in specs)
        return Edit(Span(decls[0].start_byte, decls[0].end_byte), b"import (\n" + body + b")")
    return _add_to_group(src, spec_list, line)


def _import_sort_key(spec: bytes) -> bytes:
    match = re.search(rb"[\"`]([^\"`]*)[\"`]", spec)
    return match.group(1) if match else spec


def _add_to_group(src: SourceFile, spec_list: Node, line: bytes) -> Edit:
    specs = [c for c in spec_list.named_children if c.type == "import_spec"]
    groups: list[list[Node]] = []
    for spec in specs:
        previous = groups[-1][-1] if groups else None
        if previous is None or spec.start_point.row - previous.end_point.row > 1:
            groups.append([spec])
        else:
            groups[-1].append(spec)
    std = next((g for g in groups if all(_STD_PATH.match(_spec_path(src, s)) for s in g)), None)
    indent = b"\t"
    if std is None:
        first = specs[0] if specs else None
        if first is None:
            at = spec_list.start_byte + 1
            return Edit(Span(at, at), b"\n" + indent + line + b"\n")
        at = line_start(src.data, first.start_byte)
        return Edit(Span(at, at), indent + line + b"\n\n")
    key = _import_sort_key(line)
    after = next((s for s in std if _import_sort_key(src.text(s)) > key), None)
    if after is not None:
        at = line_start(src.data, after.start_byte)
        return Edit(Span(at, at), indent + line + b"\n")
    last = std[-1]
    at = src.data.find(b"\n", last.end_byte) + 1
    return Edit(Span(at, at), indent + line + b"\n")


def _spec_path(src: SourceFile, spec: Node) -> str:
    path = spec.child_by_field_name("path")
    return src.text(path).strip(b'"`').decode("utf-8", "replace") if path is not None else ""
