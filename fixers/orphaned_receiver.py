"""Fixes for orphaned-receiver: each shape the rule finds has its own (see the rule's "Fixed")."""

from __future__ import annotations

from gofixleak.detectors.orphaned_receiver import RULE
from gofixleak.model import Finding, Fix
from gofixleak.source import SourceFile

from . import _orphaned_callee, _timer_drain

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    if "callee_call" in finding.captures:
        return _orphaned_callee.fix(finding, src)
    if "drain" in finding.captures:
        return _timer_drain.fix(finding, src)
    return None  # the local shape: closing would hand the goroutine a value it never expected
