"""Close the channel that a goroutine ranges over, once the function has sent its last value."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.detectors.range_over_unclosed_channel import RULE
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    captures = finding.captures
    if "field_wait" in captures:
        return None  # a field's senders may send after any close the fix could add: it would panic
    name = src.text(captures["channel"]).decode()
    applicability = Applicability.UNSAFE if "review" in captures else Applicability.SAFE
    if "close_after" in captures:
        statement = src.node_at(captures["close_after"])
        line, message = f"close({name})", f"close {name} after its last send"
    elif "defer_after" in captures:
        statement = src.node_at(captures["defer_after"])
        line, message = f"defer close({name})", f"close {name} when the function returns"
    else:
        return None
    edit = syntax.insert_lines_after(src, statement, [line]) if statement is not None else None
    if edit is None:
        return None
    return Fix(message, (edit,), applicability)
