"""Detectors find, fixers rewrite, the engine decides.

The engine runs the detectors on a file, drops what lies in a syntax-error region, sets aside
what a ``//gofixleak:`` directive suppresses (see suppression.py), classifies the rest by where
it bites (see bites.py) and sets aside the classes not shown, asks each
rule's fixer for a fix and validates it, then applies compatible fixes, re-parses, re-detects and
repeats until nothing applicable is left.

The unit that is fixed is a Go package (:func:`fix_package`): a detector looks at one file but
may see the package's other files through the package model, and a fix may edit several files of
the package (its ``elsewhere`` edits). Such a fix is accepted only when every file it edits may be
edited in this run (one of the files being fixed, not generated, no syntax error where it
edits), and it lands in all of its files in the same pass, or waits in all of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Mapping, Sequence

from gofixleak import bites, edits, registry, suppression
from gofixleak.facts.package import GoPackage
from gofixleak.model import Applicability, Bite, Edit, Finding, Fix, Suppressed
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
    """What :func:`analyze` returns, and the suppressed findings (never fixed) beside it, and
    those of a class not shown (never fixed either)."""

    findings: list[Finding]
    suppressed: tuple[Suppressed, ...]
    hidden: tuple[Finding, ...] = ()


def examine(
    src: SourceFile,
    rules: Sequence[Rule],
    report: Collection[str] = DIRECTIVE_RULE_NAMES,
    editable: Collection[str] = (),
    shown: Collection[Bite] = bites.ALL_BITES,
) -> Analysis:
    """:func:`analyze`, with the suppressed findings kept aside for reports.

    ``editable`` names the other files of the package that a fix may edit as well; a fix that
    edits any other file is not offered. Findings of a class not in ``shown`` are set aside.
    """
    found: list[Finding] = []
    # A rule whose prefilter does not match this text cannot fire on it: it counts as run (for
    # unused directives) without running. Checked on every pass: a fix can bring in what another
    # rule looks for.
    for rule in registry.applicable(rules, src.data, src.pkg):
        for finding in rule.detect(src):
            if src.is_broken(finding.span):
                continue
            found.append(finding)
    by_name = {rule.name: rule for rule in rules}
    known = {*registry.rule_names(), *by_name} if suppression.has_directives(src.data) else ()
    screened = suppression.screen(src, found, known, by_name, report)
    kept = [bites.classified(f, src) for f in screened.kept]
    hidden = tuple(f for f in kept if f.bite not in shown)
    findings = [_with_fix(f, src, by_name[f.rule], editable) for f in kept if f.bite in shown]
    findings.extend(screened.problems)
    findings.sort(key=lambda f: (f.span, f.rule))
    suppressed = tuple(
        dataclasses.replace(s, finding=bites.classified(s.finding, src))
        for s in screened.suppressed
    )
    return Analysis(findings, suppressed, hidden)


def _with_fix(finding: Finding, src: SourceFile, rule: Rule, editable: Collection[str]) -> Finding:
    if rule.fix is None or src.generated:
        return finding
    fix = rule.fix(finding, src)
    if fix is None:
        return finding
    files = {src.path: src}
    for path, _ in fix.elsewhere:
        if path == src.path or path not in editable:
            return finding
        files[path] = src.pkg.source(path)
    for path, changes in fix.by_path(src.path).items():
        other = files[path]
        try:
            edits.validate(changes, len(other.data))
        except edits.EditError as error:
            raise FixError(f"rule {rule.name} produced an invalid fix: {error}") from error
        if other.generated or any(other.is_broken(e.span) for e in changes):
            return finding
    return dataclasses.replace(finding, fix=_with_newlines(fix, files))


def _with_newlines(fix: Fix, files: Mapping[str, SourceFile]) -> Fix:
    own = next(iter(files.values()))
    fixed = edits.with_newline(fix, own.newline)
    if not fix.elsewhere:
        return fixed
    elsewhere = tuple(
        (path, edits.newline_edits(changes, files[path].newline)) for path, changes in fix.elsewhere
    )
    return dataclasses.replace(fixed, elsewhere=elsewhere)


@dataclasses.dataclass(frozen=True)
class Outcome:
    """The end of fixing one file: its final text, what remains and what was applied."""

    source: SourceFile
    remaining: tuple[Finding, ...]
    applied: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...] = ()
    hidden: tuple[Finding, ...] = ()


@dataclasses.dataclass(frozen=True)
class Target:
    """A file of the package to report on and fix: its rules, how far to fix (None: not at
    all), and the directive rules to report."""

    path: str
    rules: Sequence[Rule]
    required: Applicability | None
    report: Collection[str] = DIRECTIVE_RULE_NAMES
    shown: Collection[Bite] = bites.ALL_BITES


def fix_until_stable(
    src: SourceFile,
    rules: Sequence[Rule],
    required: Applicability,
    report: Collection[str] = DIRECTIVE_RULE_NAMES,
) -> Outcome:
    """Apply every fix at least ``required`` to ``src`` (alone in its package), pass after
    pass, until none is left."""
    src.pkg.adopt(src)
    return fix_package(src.pkg, [Target(src.path, rules, required, report)])[src.path]


def fix_package(
    package: GoPackage, targets: Sequence[Target], editable: Collection[str] = ()
) -> dict[str, Outcome]:
    """Report on every target of ``package`` and apply the fixes each may take, pass after
    pass, until none is left; one :class:`Outcome` per target, and one for each other file of
    ``editable`` (files of the run that no rule needs to read) that a fix edited.

    A fix may edit the targets and ``editable``; a fix that edits any other file is not
    offered (its file is not one the user asked to check, or is generated)."""
    allowed = sorted({*editable, *(t.path for t in targets)})
    by_path = {t.path: t for t in targets}
    applied: dict[str, list[Finding]] = {t.path: [] for t in targets}
    touched: set[str] = set()
    for _ in range(MAX_PASSES):
        analyses = {
            t.path: examine(package.source(t.path), t.rules, t.report, allowed, t.shown)
            for t in targets
        }
        candidates = [
            (path, f)
            for path, analysis in analyses.items()
            for f in analysis.findings
            if f.fix is not None
            and (required := by_path[path].required) is not None
            and f.fix.applicability >= required
        ]
        if not candidates:
            outcomes = {
                path: Outcome(
                    package.source(path),
                    tuple(analysis.findings),
                    tuple(applied[path]),
                    analysis.suppressed,
                    analysis.hidden,
                )
                for path, analysis in analyses.items()
            }
            for path in sorted(touched - outcomes.keys()):
                outcomes[path] = Outcome(package.source(path), (), ())
            return outcomes
        accepted = _compatible(candidates)
        touched.update(_apply(package, accepted))
        for path, finding in accepted:
            applied[path].append(finding)
    raise FixError(f"fixes did not converge after {MAX_PASSES} passes")


def _compatible(candidates: Sequence[tuple[str, Finding]]) -> list[tuple[str, Finding]]:
    """The fixes that can land together in the package (see :func:`edits.compatible_in_package`)."""
    findings = {id(f.fix): f for _, f in candidates}
    accepted, _ = edits.compatible_in_package((p, f.fix) for p, f in candidates if f.fix)
    return [(path, findings[id(fix)]) for path, fix in accepted]


def _apply(package: GoPackage, accepted: Iterable[tuple[str, Finding]]) -> set[str]:
    """Apply the accepted fixes; the files they changed."""
    changes: dict[str, list[Edit]] = {}
    rules: dict[str, set[str]] = {}
    for path, finding in accepted:
        assert finding.fix is not None
        for file, fix_edits in finding.fix.by_path(path).items():
            changes.setdefault(file, []).extend(fix_edits)
            rules.setdefault(file, set()).add(finding.rule)
    for file, file_edits in changes.items():
        names = ", ".join(sorted(rules[file]))
        before = package.source(file)
        data = edits.apply(before.data, file_edits)
        if data == before.data:
            raise FixError(f"a fix of {names} changed nothing, yet was offered again")
        fixed = package.update(file, data)
        if error_count(fixed.tree) > error_count(before.tree):
            package.update(file, before.data)
            raise FixError(
                f"a fix of {names} would introduce a syntax error; the file is left as is"
            )
    return set(changes)
