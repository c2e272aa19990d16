"""Paths and messages made safe to print, the way git quotes paths (``core.quotePath``).

A file name may hold a newline, a tab or an escape sequence. Printed raw, it splits a finding over
two lines, or makes ``git apply`` read a different file name from a diff. git's rule: a name that
holds a control character, ``"`` or ``\\`` is printed between double quotes with C escapes
(``"a/evil\\nname.go"``); with ``core.quotePath`` (git's default, used in diffs here) bytes
beyond ASCII are written as octal escapes too, and in text meant for people they stay as they
are. Every other name is printed unchanged, spaces included.
"""

from __future__ import annotations

_LETTERS = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 34: '"', 92: "\\"}


def _must_quote(byte: int, *, non_ascii: bool) -> bool:
    return byte < 0x20 or byte in (0x22, 0x5C, 0x7F) or (non_ascii and byte >= 0x80)


def quote_c(name: bytes, *, non_ascii: bool) -> bytes:
    """git's ``quote_c_style``: ``name`` itself, or quoted with C escapes when it must be."""
    if not any(_must_quote(b, non_ascii=non_ascii) for b in name):
        return name
    out = bytearray(b'"')
    for byte in name:
        if not _must_quote(byte, non_ascii=non_ascii):
            out.append(byte)
        elif byte in _LETTERS:
            out += b"\\" + _LETTERS[byte].encode()
        else:
            out += b"\\%03o" % byte
    return bytes(out + b'"')


def quote_path(path: str) -> str:
    """A path for text read by people: control characters, quotes and backslashes quoted as
    ``git -c core.quotePath=false`` quotes them; letters beyond ASCII kept."""
    # A name that is not UTF-8 (its bytes kept as surrogate escapes) has no letters to keep.
    undecodable = any("\udc80" <= char <= "\udcff" for char in path)
    quoted = quote_c(path.encode("utf-8", "surrogateescape"), non_ascii=undecodable)
    return quoted.decode("utf-8", "surrogateescape")


def escape_controls(text: str) -> str:
    """A message on one line: each control character written as its C escape (``\\n``), so a
    path inside the message can neither split nor repaint the line."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept as a surrogate escape
        return f"\\x{code - 0xDC00:02x}"
    if code in _LETTERS:
        return "\\" + _LETTERS[code]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
