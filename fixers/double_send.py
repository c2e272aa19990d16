"""Insert the ``return`` that an error send in a goroutine is missing."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.detectors.double_send import RULE
from gofixleak.facts import resolve
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    span = finding.captures.get("return_after")
    # The send may be in a helper of another file: the call captured here runs it.
    at = _file_of_helper(finding, src) if "return_in" in finding.captures else src
    send = at.node_at(span) if span is not None and at is not None else None
    edit = syntax.insert_lines_after(at, send, ["return"]) if at and send is not None else None
    if at is None or edit is None:
        return None
    # UNSAFE: the error path now skips whatever followed the check, which needs a review.
    message = "return after sending the error"
    if at is src:
        return Fix(message, (edit,), Applicability.UNSAFE)
    return Fix(message, (), Applicability.UNSAFE, elsewhere=((at.path, (edit,)),))


def _file_of_helper(finding: Finding, src: SourceFile) -> SourceFile | None:
    call = src.node_at(finding.captures["return_in"])
    callee = resolve.callee(src, call) if call is not None else None
    return callee.src if callee is not None else None
