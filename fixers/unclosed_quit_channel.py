"""Fix for unclosed-quit-channel: ``defer close(quit)`` right after ``quit := make(...)``."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.detectors.unclosed_quit_channel import RULE
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    declaration = src.node_at(finding.captures["make"])
    if declaration is None or declaration.type not in ("short_var_declaration", "var_declaration"):
        return None
    if syntax.enclosing_loops(declaration):
        return None  # a defer per iteration would pile up until the function returns
    if not syntax.starts_line(src.data, declaration.start_byte):
        return None
    name = src.text(finding.captures["name"]).decode()
    edit = syntax.insert_lines_after(src, declaration, [f"defer close({name})"])
    if edit is None:
        return None
    return Fix(f"close {name} when the function returns", (edit,), Applicability.SAFE)
