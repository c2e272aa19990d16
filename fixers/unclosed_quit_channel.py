"""Fix for unclosed-quit-channel: ``defer close(quit)`` right after ``quit := make(...)``."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.detectors.unclosed_quit_channel import RULE
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
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
