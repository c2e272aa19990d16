"""The one place where text is spliced: validate edits, pick compatible fixes, apply."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from gofixleak.model import Edit, Fix, Span


class EditError(ValueError):
    """Edits that cannot be applied: out of bounds, or overlapping."""


def validate(edits: Sequence[Edit], size: int) -> None:
    """Raise EditError unless every edit lies in ``[0, size]`` and none overlap."""
    previous: Edit | None = None
    for edit in sorted(edits, key=lambda e: e.span):
        if edit.span.end > size:
            raise EditError(f"edit {edit.span.start}..{edit.span.end} is past the end ({size})")
        if previous is not None and edit.span.start < previous.span.end:
            raise EditError(
                f"edits {previous.span.start}..{previous.span.end} and "
                f"{edit.span.start}..{edit.span.end} overlap"
            )
        previous = edit


def apply(data: bytes, edits: Iterable[Edit]) -> bytes:
    """Splice ``edits`` (validated) into ``data``.

    The sort is stable, so several insertions at one point keep the order they were given in.
    """
    ordered = sorted(edits, key=lambda e: e.span)
    validate(ordered, len(data))
    out: list[bytes] = []
    cursor = 0
    for edit in ordered:
        out.append(data[cursor : edit.span.start])
        out.append(edit.new_text)
        cursor = edit.span.end
    out.append(data[cursor:])
    return b"".join(out)


def compatible(fixes: Iterable[Fix]) -> tuple[list[Fix], list[Fix]]:
    """Split fixes into those that can land together and those that must wait.

    Fixes are taken in order of their first edit; a fix whose region touches (overlaps, abuts, or
    inserts at the same point as) an accepted one waits for the next pass, when it is computed
    again on the new text.
    """
    accepted: list[Fix] = []
    waiting: list[Fix] = []
    taken: list[Span] = []
    for fix in sorted(fixes, key=lambda f: f.edits[0].span):
        spans = [e.span for e in fix.edits]
        if fix.isolation is not None:
            spans.append(fix.isolation)
        if any(span.touches(t) for span in spans for t in taken):
            waiting.append(fix)
            continue
        accepted.append(fix)
        taken.extend(spans)
    return accepted, waiting


def with_newline(fix: Fix, newline: bytes) -> Fix:
    """The fix with every ``\\n`` it inserts written as the file's own line ending."""
    if newline == b"\n":
        return fix
    edits = tuple(
        Edit(e.span, e.new_text.replace(b"\r\n", b"\n").replace(b"\n", newline)) for e in fix.edits
    )
    return Fix(fix.message, edits, fix.applicability, fix.isolation)
