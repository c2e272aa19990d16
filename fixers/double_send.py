"""Insert the ``return`` that an error send in a goroutine is missing."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.detectors.double_send import RULE
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    span = finding.captures.get("return_after")
    send = src.node_at(span) if span is not None else None
    edit = syntax.insert_lines_after(src, send, ["return"]) if send is not None else None
    if edit is None:
        return None
    # UNSAFE: the error path now skips whatever followed the check, which needs a review.
    return Fix("return after sending the error", (edit,), Applicability.UNSAFE)
