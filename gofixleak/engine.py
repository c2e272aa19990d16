"""Detectors find, fixers rewrite, the engine decides.

The engine runs the detectors on a file, drops what lies in a syntax-error region, sets aside
what a ``//gofixleak:`` directive suppresses (see suppression.py), asks each
rule's fixer for a fix and validates it, then applies compatible fixes, re-parses, re-detects and
repeats until nothing applicable is left.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence

from gofixleak import edits, registry, suppression
from gofixleak.model import Applicability, Finding, Fix, Suppressed
from gofixleak.registry import Rule
from gofixleak.source import SourceFile, error_count
from gofixleak.suppression import DIRECTIVE_RULE_NAMES

MAX_PASSES = 50


class FixError(Exception):
    """A fixer produced edits that cannot be trusted: an internal error naming the rule."""


def analyze(
    src: SourceFile, rules: Sequence[Rule], report: Collection[str] = DIRECTIVE_RULE_NAMES
) -> list[Finding]:
    """Every finding of ``rules`` in ``src`` that no directive suppresses, sorted by position,
    each with its fix (if any), and the ``report``-ed problems of the directives themselves."""
    return examine(src, rules, report).findings


@dataclasses.dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` returns, and the suppressed findings (never fixed) beside it."""

    findings: list[Finding]
    suppressed: tuple[Suppressed, ...]


def examine(
    src: SourceFile, rules: Sequence[Rule], report: Collection[str] = DIRECTIVE_RULE_NAMES
) -> Analysis:
    """:func:`analyze`, with the suppressed findings kept aside for reports."""
    found: list[Finding] = []
    # A rule whose prefilter does not match this text cannot fire on it: it counts as run (for
    # unused directives) without running. Checked on every pass: a fix can bring in what another
    # rule looks for.
    for rule in registry.applicable(rules, src.data):
        for finding in rule.detect(src):
            if src.is_broken(finding.span):
                continue
            found.append(finding)
    by_name = {rule.name: rule for rule in rules}
    known = {*registry.rule_names(), *by_name} if suppression.has_directives(src.data) else ()
    screened = suppression.screen(src, found, known, by_name, report)
    findings = [_with_fix(f, src, by_name[f.rule]) for f in screened.kept]
    findings.extend(screened.problems)
    findings.sort(key=lambda f: (f.span, f.rule))
    return Analysis(findings, screened.suppressed)


def _with_fix(finding: Finding, src: SourceFile, rule: Rule) -> Finding:
    if rule.fix is None or src.generated:
        return finding
    fix = rule.fix(finding, src)
    if fix is None:
        return finding
    try:
        edits.validate(fix.edits, len(src.data))
    except edits.EditError as error:
        raise FixError(f"rule {rule.name} produced an invalid fix: {error}") from error
    if any(src.is_broken(e.span) for e in fix.edits):
        return finding
    return dataclasses.replace(finding, fix=edits.with_newline(fix, src.newline))


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The end of fixing one file: its final text, what remains and what was applied."""

    source: SourceFile
    remaining: tuple[Finding, ...]
    applied: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...] = ()


def fix_until_stable(
    src: SourceFile,
    rules: Sequence[Rule],
    required: Applicability,
    report: Collection[str] = DIRECTIVE_RULE_NAMES,
) -> Outcome:
    """Apply every fix at least ``required``, pass after pass, until none is left."""
    applied: list[Finding] = []
    for _ in range(MAX_PASSES):
        analysis = examine(src, rules, report)
        findings = analysis.findings
        candidates = {
            id(f.fix): f for f in findings if f.fix is not None and f.fix.applicability >= required
        }
        if not candidates:
            return Outcome(src, tuple(findings), tuple(applied), analysis.suppressed)
        accepted, _ = edits.compatible(f.fix for f in candidates.values() if f.fix is not None)
        src = _apply(src, accepted, [candidates[id(fix)] for fix in accepted])
        applied.extend(candidates[id(fix)] for fix in accepted)
    raise FixError(f"fixes did not converge after {MAX_PASSES} passes")


def _apply(src: SourceFile, fixes: list[Fix], findings: list[Finding]) -> SourceFile:
    rules = ", ".join(sorted({f.rule for f in findings}))
    data = edits.apply(src.data, [e for fix in fixes for e in fix.edits])
    if data == src.data:
        raise FixError(f"a fix of {rules} changed nothing, yet was offered again")
    fixed = SourceFile.parse(src.path, data, src.go_version)
    if error_count(fixed.tree) > error_count(src.tree):
        raise FixError(f"a fix of {rules} would introduce a syntax error; the file is left as is")
    return fixed
