"""The edit engine: validation, splicing and which fixes may land together."""

from __future__ import annotations

import pytest

from gofixleak import edits
from gofixleak.model import Applicability, Edit, Fix, Span


def fix(*spans_and_text: tuple[int, int, bytes], isolation: Span | None = None) -> Fix:
    return Fix(
        "f",
        tuple(Edit(Span(a, b), t) for a, b, t in spans_and_text),
        Applicability.SAFE,
        isolation,
    )


def test_apply_replaces_inserts_and_deletes() -> None:
    data = b"abcdef"
    out = edits.apply(data, [Edit(Span(0, 1), b"X"), Edit(Span(3, 3), b"+"), Edit(Span(4, 6), b"")])
    assert out == b"Xbc+d"


def test_insertions_at_one_point_keep_their_order() -> None:
    out = edits.apply(
        b"ab", [Edit(Span(1, 1), b"1"), Edit(Span(1, 1), b"2"), Edit(Span(1, 1), b"3")]
    )
    assert out == b"a123b"


def test_multibyte_text_is_spliced_by_bytes() -> None:
    data = "héllo wörld".encode()
    start = data.index("wörld".encode())
    out = edits.apply(data, [Edit(Span(start, start + len("wörld".encode())), "мир".encode())])
    assert out.decode() == "héllo мир"


@pytest.mark.parametrize(
    ("edit_list", "message"),
    [
        ([Edit(Span(0, 9), b"")], "past the end"),
        ([Edit(Span(0, 3), b""), Edit(Span(2, 4), b"")], "overlap"),
    ],
)
def test_invalid_edits_are_rejected(edit_list: list[Edit], message: str) -> None:
    with pytest.raises(edits.EditError, match=message):
        edits.apply(b"abcdef", edit_list)


def test_span_rejects_negative_or_reversed_ranges() -> None:
    with pytest.raises(ValueError):
        Span(3, 2)
    with pytest.raises(ValueError):
        Span(-1, 2)


def test_a_fix_with_overlapping_edits_is_a_bug() -> None:
    with pytest.raises(ValueError, match="overlap"):
        fix((0, 3, b"x"), (2, 4, b"y"))


def test_compatible_skips_fixes_that_touch_an_accepted_one() -> None:
    first = fix((0, 2, b"x"))
    overlapping = fix((1, 3, b"y"))
    same_point = fix((2, 2, b"z"))
    far = fix((10, 12, b"w"))
    accepted, waiting = edits.compatible([overlapping, far, first, same_point])
    assert accepted == [first, far]
    assert waiting == [overlapping, same_point]


def test_isolation_keeps_two_fixes_of_one_function_apart() -> None:
    function = Span(0, 100)
    a = fix((10, 10, b"ticker := ..."), isolation=function)
    b = fix((50, 50, b"ticker := ..."), isolation=function)
    accepted, waiting = edits.compatible([a, b])
    assert accepted == [a]
    assert waiting == [b]


def test_newlines_follow_the_file() -> None:
    converted = edits.with_newline(fix((0, 0, b"a\nb\n")), b"\r\n")
    assert converted.edits[0].new_text == b"a\r\nb\r\n"
    assert edits.with_newline(fix((0, 0, b"a\n")), b"\n").edits[0].new_text == b"a\n"
