"""Columns for formats that count UTF-16 code units (SARIF's default, GitHub's annotations).

The core counts UTF-8 bytes; converting needs the line's text, which FileResult keeps as ``data``
when there is something to report.
"""

from __future__ import annotations

from gofixleak.model import FileResult


def utf16_length(data: bytes) -> int:
    """UTF-16 code units of ``data`` read as UTF-8; an undecodable byte counts as one unit."""
    text = data.decode("utf-8", "surrogateescape")
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def utf16_position(result: FileResult, offset: int) -> tuple[int, int]:
    """1-based line and 1-based UTF-16 column of byte ``offset`` in ``result.data``."""
    line, column = result.position(offset)
    if result.data is None:
        return line, column
    line_start = offset - (column - 1)
    return line, 1 + utf16_length(result.data[line_start:offset])
