"""The one place where text is spliced: validate edits, pick compatible fixes, apply."""

from __future__ import annotations

import dataclasses
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
    """Split one file's fixes into those that can land together and those that must wait
    (:func:`compatible_in_package` for fixes of one file)."""
    accepted, waiting = compatible_in_package(("", fix) for fix in fixes)
    return [fix for _, fix in accepted], [fix for _, fix in waiting]


FileFix = tuple[str, Fix]
"""A fix and the path of the file whose finding it removes (its ``edits`` apply there)."""


def compatible_in_package(fixes: Iterable[FileFix]) -> tuple[list[FileFix], list[FileFix]]:
    """Split a package's fixes into those that can land together and those that must wait.

    Fixes are taken in order of their first edit; a fix whose region in any file touches
    (overlaps, abuts, or inserts at the same point as) an accepted one's waits for the next
    pass, when it is computed again on the new text.
    """
    accepted: list[FileFix] = []
    waiting: list[FileFix] = []
    taken: dict[str, list[Span]] = {}
    for path, fix in sorted(fixes, key=lambda pair: _first_edit(*pair)):
        regions = _regions(path, fix)
        if any(
            span.touches(other)
            for file, spans in regions.items()
            for span in spans
            for other in taken.get(file, ())
        ):
            waiting.append((path, fix))
            continue
        accepted.append((path, fix))
        for file, spans in regions.items():
            taken.setdefault(file, []).extend(spans)
    return accepted, waiting


def _first_edit(path: str, fix: Fix) -> tuple[str, Span]:
    file, changes = next(iter(sorted(fix.by_path(path).items())))
    return file, changes[0].span


def _regions(path: str, fix: Fix) -> dict[str, list[Span]]:
    out = {file: [e.span for e in changes] for file, changes in fix.by_path(path).items()}
    if fix.isolation is not None:
        out.setdefault(path, []).append(fix.isolation)
    return out


def with_newline(fix: Fix, newline: bytes) -> Fix:
    """The fix with every ``\\n`` it inserts in its own file written as that file's line
    ending."""
    if newline == b"\n":
        return fix
    return dataclasses.replace(fix, edits=newline_edits(fix.edits, newline))


def newline_edits(edits: tuple[Edit, ...], newline: bytes) -> tuple[Edit, ...]:
    """``edits`` with every ``\\n`` they insert written as ``newline``."""
    if newline == b"\n":
        return edits
    return tuple(
        Edit(e.span, e.new_text.replace(b"\r\n", b"\n").replace(b"\n", newline)) for e in edits
    )
