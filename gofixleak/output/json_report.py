"""The versioned JSON report (schema in the README). Byte offsets follow go/analysis."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from gofixleak.model import Edit, FileResult, Finding, Fix
from gofixleak.output import skipped

VERSION = 1


def finding_dict(result: FileResult, finding: Finding) -> dict[str, Any]:
    line, column = result.position(finding.span.start)
    end_line, end_column = result.position(finding.span.end)
    entry: dict[str, Any] = {
        "rule": finding.rule,
        "path": result.path,
        "line": line,
        "column": column,
        "end_line": end_line,
        "end_column": end_column,
        "start_byte": finding.span.start,
        "end_byte": finding.span.end,
        "message": finding.message,
        "bite": finding.bite.value,
        "fix": fix_dict(finding.fix) if finding.fix is not None else None,
    }
    if finding.confirmed is not None:  # only where the tests ran (`gofixleak test`)
        entry["confirmed"] = finding.confirmed
    return entry


def fix_dict(fix: Fix) -> dict[str, Any]:
    """The fix; ``elsewhere`` (only when the fix edits other files of the package) lists those
    files' edits, each with its path."""
    out: dict[str, Any] = {
        "message": fix.message,
        "applicability": fix.applicability.label,
        "edits": _edits(fix.edits),
    }
    if fix.elsewhere:
        out["elsewhere"] = [{"path": path, "edits": _edits(edits)} for path, edits in fix.elsewhere]
    return out


def _edits(edits: tuple[Edit, ...]) -> list[dict[str, Any]]:
    return [
        {
            "start_byte": e.span.start,
            "end_byte": e.span.end,
            "new_text": e.new_text.decode("utf-8", "replace"),
        }
        for e in edits
    ]


def render(results: Iterable[FileResult]) -> str:
    results = list(results)
    findings: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    for result in results:
        findings.extend(finding_dict(result, f) for f in result.findings)
        if result.error is not None:
            errors.append({"path": result.path, "message": result.error})
    report = {"version": VERSION, "findings": findings, "errors": errors}
    report["skipped"] = skipped.json_entries(results)
    return json.dumps(report, indent=2) + "\n"
