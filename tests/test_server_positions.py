"""Byte offsets to LSP positions and back, against positions counted from the decoded text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types

from gofixleak.server.positions import (
    UTF8,
    UTF16,
    LineIndex,
    decode,
    encode,
    preferred_encoding,
    utf16_units,
)

# Line breaks of every kind, characters of one to four UTF-8 bytes (and two UTF-16 units).
TEXT = st.text(st.sampled_from(["a", "\t", "é", "€", "😀", "\n", "\r", "\x0c"]))


def expected(text: str, index: int, encoding: str) -> types.Position:
    """The position of character ``index`` (never between the two of a CRLF), as the protocol
    defines it: lines end at CRLF, CR or LF; characters count UTF-8 bytes or UTF-16 units."""
    before = text[:index]
    breaks = list(re.finditer(r"\r\n|\r|\n", before))
    prefix = before[breaks[-1].end() :] if breaks else before
    units = len(prefix.encode()) if encoding == UTF8 else len(prefix.encode("utf-16-le")) // 2
    return types.Position(line=len(breaks), character=units)


@given(TEXT)
def test_every_character_boundary_maps_to_its_position_and_back(text: str) -> None:
    data = text.encode()
    for encoding in (UTF8, UTF16):
        index = LineIndex(data, encoding)
        for character in range(len(text) + 1):
            if text[:character].endswith("\r") and text[character:].startswith("\n"):
                continue  # inside a CRLF: not a place an editor can point at
            offset = len(text[:character].encode())
            position = index.position(offset)
            assert position == expected(text, character, encoding)
            assert index.offset(position) == offset


def test_a_character_past_the_end_of_its_line_means_the_end_of_the_line() -> None:
    data = "é😀\r\nab".encode()
    for encoding in (UTF8, UTF16):
        index = LineIndex(data, encoding)
        assert index.offset(types.Position(line=0, character=99)) == len("é😀".encode())
        assert index.offset(types.Position(line=1, character=99)) == len(data)
        assert index.offset(types.Position(line=7, character=0)) == len(data)


def test_a_position_inside_a_character_moves_to_its_start() -> None:
    data = "a😀b".encode()
    assert LineIndex(data, UTF8).offset(types.Position(line=0, character=3)) == 1
    assert LineIndex(data, UTF16).offset(types.Position(line=0, character=2)) == 1


def test_utf8_is_chosen_wherever_it_is_offered_else_utf16() -> None:
    assert preferred_encoding(["utf-32", "utf-16", "utf-8"]) == UTF8
    assert preferred_encoding(["utf-32"]) == UTF16
    assert preferred_encoding(None) == UTF16


@given(st.text())
def test_utf16_units_count_as_python_encodes(text: str) -> None:
    assert utf16_units(text.encode()) == len(text.encode("utf-16-le")) // 2


def test_a_lone_surrogate_from_json_survives_the_round_trip() -> None:
    text = "// \ud800 half an emoji\n"
    assert decode(encode(text)) == text
    assert LineIndex(encode(text), UTF16).position(len(encode(text))).line == 1
