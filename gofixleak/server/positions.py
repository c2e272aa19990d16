"""UTF-8 byte offsets to LSP positions and back, in the position encoding the client negotiated.

The core counts bytes; an LSP position is a line and a count of code units in that line: UTF-8
bytes or UTF-16 code units, whichever was agreed in ``initialize``. Lines end at ``\\n``,
``\\r\\n`` or a lone ``\\r``, as the protocol says (Go counts only ``\\n``, so a stray ``\\r``
would shift every line after it if Go's line index were used here).
"""

from __future__ import annotations

import bisect
import itertools

from lsprotocol import types

from gofixleak.model import Span

UTF8 = types.PositionEncodingKind.Utf8
UTF16 = types.PositionEncodingKind.Utf16

# UTF-8 continuation bytes (10xxxxxx) start no character; lead bytes of four-byte sequences
# (11110xxx) start a character outside the BMP, which UTF-16 writes as two code units.
_CONTINUATION = bytes(range(0x80, 0xC0))
_FOUR_BYTE_LEADS = bytes(range(0xF0, 0x100))


def encode(text: str) -> bytes:
    """A buffer's bytes. JSON can carry a lone surrogate, which strict UTF-8 refuses; it passes
    through as the three bytes Python writes for it, and :func:`decode` reads it back."""
    return text.encode("utf-8", "surrogatepass")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8", "surrogatepass")
    except UnicodeDecodeError:  # fixes copy the buffer's bytes; this is only a safety net
        return data.decode("utf-8", "replace")


def preferred_encoding(offered: list[str] | None) -> types.PositionEncodingKind:
    """UTF-8 when the client offers it (no conversion at all), else UTF-16, which every client
    must support."""
    return UTF8 if offered and UTF8 in offered else UTF16


def utf16_units(text: bytes) -> int:
    """How many UTF-16 code units the UTF-8 ``text`` takes (an invalid byte counts as one)."""
    characters = len(text.translate(None, _CONTINUATION))
    return characters + len(text) - len(text.translate(None, _FOUR_BYTE_LEADS))


class LineIndex:
    """Where each line of ``data`` starts and ends, for conversions in one encoding."""

    def __init__(self, data: bytes, encoding: str) -> None:
        self.data = data
        self.encoding = encoding
        # bytes.splitlines breaks at exactly the protocol's line ends; counted in C, this is
        # most of the cost of a new buffer.
        self.starts = [0, *itertools.accumulate(map(len, data.splitlines(keepends=True)))]
        if data and not data.endswith((b"\n", b"\r")):
            self.starts.pop()  # the end of the last line, not the start of another

    def end(self, line: int) -> int:
        """Where ``line``'s text ends: at its line break, or the end of the data."""
        if line + 1 >= len(self.starts):
            return len(self.data)
        end = self.starts[line + 1]
        return end - (2 if self.data.endswith(b"\r\n", 0, end) else 1)

    def position(self, offset: int) -> types.Position:
        """The position of byte ``offset`` (clamped to the data)."""
        offset = max(0, min(offset, len(self.data)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        # An offset inside a CRLF pair belongs to the end of its line.
        prefix = self.data[start : min(offset, self.end(line))]
        return types.Position(line=line, character=self._units(prefix))

    def range(self, span: Span) -> types.Range:
        return types.Range(start=self.position(span.start), end=self.position(span.end))

    def offset(self, position: types.Position) -> int:
        """The byte offset of ``position``; a character past the end of its line means the
        line's end (as the protocol says), a line past the last one the end of the data."""
        if position.line >= len(self.starts):
            return len(self.data)
        start, end = self.starts[position.line], self.end(position.line)
        if self.encoding == UTF8:
            offset = min(start + position.character, end)
            while start < offset < end and self.data[offset] & 0xC0 == 0x80:
                offset -= 1  # never inside a character
            return offset
        units = 0
        for offset in range(start, end):
            byte = self.data[offset]
            if byte & 0xC0 == 0x80:
                continue
            width = 2 if byte >= 0xF0 else 1
            if units + width > position.character:
                return offset  # here, or inside this character's surrogate pair: its start
            units += width
        return end

    def span(self, range_: types.Range) -> Span:
        start, end = self.offset(range_.start), self.offset(range_.end)
        return Span(min(start, end), max(start, end))

    def _units(self, prefix: bytes) -> int:
        return len(prefix) if self.encoding == UTF8 else utf16_units(prefix)
