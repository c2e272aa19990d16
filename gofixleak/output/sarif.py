"""SARIF 2.1.0, as GitHub code scanning takes it.

Every rule is declared in ``tool.driver.rules`` with its descriptions and help taken from its
docstring; each result names its rule (``ruleId`` and ``ruleIndex``), and carries its fix as
``fixes[].artifactChanges``. Findings silenced by a ``//gofixleak:`` directive are results with
``suppressions`` (kind ``inSource``, the directive's reason as justification), not left out.
Regions use 1-based lines and columns in UTF-16 code units (``columnKind`` says so), plus the
exact UTF-8 ``byteOffset``/``byteLength``. Paths are relative to ``%SRCROOT%``, the directory
gofixleak ran in (the repository root, in CI). A result's ``level`` is ``warning`` when its class
fails the run (a leak, by default) and ``note`` otherwise; ``properties.bite`` names the class,
``properties.confirmed`` says whether `gofixleak test` saw its goroutine leak (when it ran).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.parse
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from gofixleak import __version__
from gofixleak.bites import DEFAULT_FAIL_ON
from gofixleak.model import (
    Bite,
    Edit,
    FileResult,
    Finding,
    Fix,
    Related,
    RuleInfo,
    Span,
    Suppressed,
)
from gofixleak.output import skipped
from gofixleak.output.positions import utf16_position

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"

Json = dict[str, Any]


def render(
    results: Iterable[FileResult],
    rules: Sequence[RuleInfo],
    fail_on: Collection[Bite] = DEFAULT_FAIL_ON,
) -> str:
    """The SARIF log of one run over ``results``; ``rules`` are all rules that can be reported."""
    results = list(results)
    index = {info.name: i for i, info in enumerate(rules)}
    sarif_results: list[Json] = []
    notifications: list[Json] = []
    for result in results:
        entries = [(f.span, _result(result, f, index, fail_on)) for f in result.findings]
        entries += [
            (s.finding.span, _suppressed(result, s, index, fail_on)) for s in result.suppressed
        ]
        sarif_results.extend(entry for _, entry in sorted(entries, key=lambda e: e[0]))
        if result.error is not None:
            notifications.append(_notification(result, "error", result.error))
        if result.warning is not None:
            notifications.append(_notification(result, "warning", result.warning))
    # Not analysed is not a failure of the run: these warnings leave executionSuccessful alone.
    notifications += [_skipped_notification(region) for region in skipped.regions(results)]
    run: Json = {
        "tool": {
            "driver": {
                "name": "gofixleak",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [rule_descriptor(info) for info in rules],
            }
        },
        "invocations": [
            {
                "executionSuccessful": all(n["level"] != "error" for n in notifications),
                "toolExecutionNotifications": notifications,
            }
        ],
        "columnKind": "utf16CodeUnits",
        "results": sarif_results,
    }
    log = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def rule_descriptor(info: RuleInfo) -> Json:
    doc = info.doc.strip()
    return {
        "id": info.name,
        "shortDescription": {"text": info.summary},
        "fullDescription": {"text": info.section("What it finds") or info.summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": "warning"},
    }


def _result(
    result: FileResult,
    finding: Finding,
    index: dict[str, int],
    fail_on: Collection[Bite] = DEFAULT_FAIL_ON,
) -> Json:
    entry: Json = {
        "ruleId": finding.rule,
        "level": "warning" if finding.bite in fail_on else "note",
        "message": {"text": finding.message},
        "locations": [_location(result, finding.span)],
        "properties": {"bite": finding.bite.value},
    }
    if finding.rule in index:
        entry["ruleIndex"] = index[finding.rule]
    if finding.related:
        entry["relatedLocations"] = [
            {"id": i, **_related_location(result, r), "message": {"text": r.message}}
            for i, r in enumerate(finding.related, start=1)
        ]
    if finding.fix is not None:
        entry["fixes"] = [_fix(result, finding.fix)]
    if finding.confirmed is not None:
        entry["properties"]["confirmed"] = finding.confirmed
    return entry


def _suppressed(
    result: FileResult,
    suppressed: Suppressed,
    index: dict[str, int],
    fail_on: Collection[Bite] = DEFAULT_FAIL_ON,
) -> Json:
    entry = _result(result, suppressed.finding, index, fail_on)
    entry["suppressions"] = [
        {
            "kind": "inSource",
            "justification": suppressed.reason,
            "location": _location(result, suppressed.directive),
        }
    ]
    return entry


def _fix(result: FileResult, fix: Fix) -> Json:
    changes = []
    if fix.edits:
        changes.append(_changes(result.path, [(region(result, e.span), e) for e in fix.edits]))
    changes += [
        _changes(path, [(_byte_region(e.span), e) for e in edits]) for path, edits in fix.elsewhere
    ]
    return {
        "description": {"text": fix.message},
        "artifactChanges": changes,
        "properties": {"applicability": fix.applicability.label},
    }


def _changes(path: str, replacements: list[tuple[Json, Edit]]) -> Json:
    return {
        "artifactLocation": artifact_location(path),
        "replacements": [
            {"deletedRegion": where, "insertedContent": _content(e.new_text)}
            for where, e in replacements
        ],
    }


def _byte_region(span: Span) -> Json:
    """A region of another file of the package, whose text the report does not hold: its bytes
    (SARIF allows a region given by byteOffset and byteLength alone)."""
    return {"byteOffset": span.start, "byteLength": span.end - span.start}


def _related_location(result: FileResult, related: Related) -> Json:
    if related.path is None or related.path == result.path:
        return _location(result, related.span)
    # A place whose file could not be read has its line only (and an empty span at 0).
    unknown_span = related.line > 0 and related.span == Span(0, 0)
    region = {} if unknown_span else _byte_region(related.span)
    if related.line > 0:
        region = {"startLine": related.line, **region}
    return {
        "physicalLocation": {
            "artifactLocation": artifact_location(related.path),
            "region": region,
        }
    }


def _content(data: bytes) -> Json:
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"binary": base64.b64encode(data).decode("ascii")}


def _location(result: FileResult, span: Span) -> Json:
    return {
        "physicalLocation": {
            "artifactLocation": artifact_location(result.path),
            "region": region(result, span),
        }
    }


def region(result: FileResult, span: Span) -> Json:
    """Lines and UTF-16 columns, 1-based, the end column just past the span; and its bytes."""
    line, column = utf16_position(result, span.start)
    end_line, end_column = utf16_position(result, span.end)
    return {
        "startLine": line,
        "startColumn": column,
        "endLine": end_line,
        "endColumn": end_column,
        "byteOffset": span.start,
        "byteLength": span.end - span.start,
    }


def artifact_location(path: str) -> Json:
    # Percent-encoded bytes: exact for any name, a newline or bytes that are not UTF-8 included.
    uri = urllib.parse.quote(path.replace(os.sep, "/").encode("utf-8", "surrogateescape"))
    if os.path.isabs(path):
        return {"uri": "file://" + uri}
    return {"uri": uri, "uriBaseId": SRCROOT}


def _notification(result: FileResult, level: str, message: str) -> Json:
    return {
        "level": level,
        "message": {"text": message},
        "locations": [{"physicalLocation": {"artifactLocation": artifact_location(result.path)}}],
    }


def _skipped_notification(region: skipped.Region) -> Json:
    """A region that was not analysed: a warning with its location."""
    return {
        "level": "warning",
        "message": {"text": region.message},
        "locations": [_location(region.result, region.span)],
    }
