"""Fix for unstopped-ticker: ``defer t.Stop()`` right after ``t := time.NewTicker(d)``."""

from __future__ import annotations

from gofixleak.detectors.unstopped_ticker import RULE
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile
from gofixleak.syntax import insert_lines_after

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    captures = finding.captures
    if "loop" in captures or "statement" not in captures:
        return None  # a defer in a loop would pile up until the function returns
    statement = src.node_at(captures["statement"])
    if statement is None:
        return None
    name = src.text(captures["name"]).decode()
    stop = insert_lines_after(src, statement, [f"defer {name}.Stop()"])
    if stop is None:
        return None
    return Fix(f"stop {name} when the function returns", (stop,), Applicability.SAFE)
