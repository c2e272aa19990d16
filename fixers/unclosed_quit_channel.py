"""Fix for unclosed-quit-channel: ``defer close(quit)`` right after ``quit := make(...)``; for a
quit channel kept in a struct field, a guarded ``close(s.quit)`` in the type's stop-like method."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.detectors.unclosed_quit_channel import RULE
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.shapes import field_channels
from gofixleak.source import SourceFile

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    if "field_wait" in finding.captures:
        return _close_field(finding, src)
    span = finding.captures.get("defer_after")
    declaration = src.node_at(span) if span is not None else None
    if declaration is None:
        return None  # the detector found no place where the close only lets the goroutine end
    name = src.text(finding.captures["name"]).decode()
    edit = syntax.insert_lines_after(src, declaration, [f"defer close({name})"])
    if edit is None:
        return None
    # UNSAFE: another receive of quit now goes on (with a zero value, or in other code).
    applicability = Applicability.UNSAFE if "review" in finding.captures else Applicability.SAFE
    return Fix(f"close {name} when the function returns", (edit,), applicability)


def _close_field(finding: Finding, src: SourceFile) -> Fix | None:
    wait = field_channels.wait_at(src, RULE.name, finding.captures["field_wait"])
    planned = field_channels.close_in_stop(wait) if wait is not None else None
    if wait is None or planned is None:
        return None
    target, edit = planned
    action = f"call {wait.cancel.field}" if wait.cancel is not None else f"close {wait.ref.field}"
    message = f"{action} in {wait.stops[0].name}"
    # UNSAFE: the goroutine now ends when the method is called, maybe before its work is done.
    if target.path == src.path:
        return Fix(message, (edit,), Applicability.UNSAFE)
    return Fix(message, (), Applicability.UNSAFE, elsewhere=((target.path, (edit,)),))
