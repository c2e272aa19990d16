"""Fixes proven by the tests (``--verify-tests``): the leaked goroutines at each fix's site,
before the fix and after it.

Once the fixes have passed ``go build``, ``go vet`` and ``go test``, the packages' tests run twice
more under the leak profile: on the checkout, and with the kept fixes in the overlay. A fix's
site is where its finding explains a runtime leak (report.explains: the lines of the finding and
of its related places); the after-run's lines are mapped back to the original text through the
diff of each fixed file. A fix after which goroutines still leak at its site is dropped, and so
is a fix after which the package leaks somewhere it did not before: alone in its package it is
dropped at once; among several, each is tried alone, and those that leak there are dropped (all
of them, when none does alone). Without a toolchain that has the profile the fixes keep the plain
``go test`` check, and a note says so.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gofixleak import api
from gofixleak.discovery import display_path
from gofixleak.model import Applicability, FileResult, Finding, position
from gofixleak.oracle import gotest, report, sites, toolchain
from gofixleak.source import line_starts
from gofixleak.verify import Unit, file_options, module_root

# A package directory's changed files (display path -> text) after the fixes of some units only.
TextsOf = Callable[[str, frozenset[Unit]], Mapping[str, bytes]]


@dataclass(frozen=True, slots=True)
class FixProof:
    """One applied fix: the goroutines leaked at its site before and after it."""

    path: str
    line: int
    rule: str
    before: int
    after: int
    dropped: str = ""  # why the fix is not kept; "" when it is

    @property
    def proven(self) -> bool:
        return self.before > 0 and self.after == 0 and not self.dropped

    def describe(self) -> str:
        text = (
            f"{self.path}:{self.line}: {self.rule}: leaked goroutines at its site "
            f"{self.before} -> {self.after}"
        )
        if self.dropped:
            return text + " (fix dropped)"
        if self.proven:
            return text + " (confirmed by the package tests)"
        return text + " (no leak there in the tests)"


@dataclass(frozen=True, slots=True)
class LeakCheck:
    """Every fix's proof, the units to drop (path, rule, reason), and any note."""

    proofs: tuple[FixProof, ...] = ()
    drops: tuple[tuple[str, str, str], ...] = ()
    notes: tuple[str, ...] = ()


def check(
    accepted: Mapping[str, Sequence[Unit]],
    results: Mapping[str, FileResult],
    texts: TextsOf,
    go: str,
    options: api.Options,
) -> LeakCheck:
    """Prove the ``accepted`` units (package folder -> units) of ``results`` (path -> result);
    ``texts(folder, units)`` are the folder's files with the fixes of ``units`` only;
    ``options`` are those that produced the results."""
    if not any(accepted.values()):
        return LeakCheck()
    try:
        chain = toolchain.find(go)
    except toolchain.Unavailable as error:
        return LeakCheck(notes=(f"{error}: the fixes were checked by a plain go test only",))
    by_module: dict[str, dict[str, list[Unit]]] = {}
    for folder, units in sorted(accepted.items()):
        root = module_root(folder)
        if root is not None and units:
            by_module.setdefault(root, {})[folder] = list(units)
    outcome = LeakCheck()
    for root, packages in by_module.items():
        proving = _Module(chain, root, packages, results, texts, options)
        outcome = _merge(outcome, proving.run())
    return outcome


def _merge(a: LeakCheck, b: LeakCheck) -> LeakCheck:
    return LeakCheck(a.proofs + b.proofs, a.drops + b.drops, a.notes + b.notes)


class _Module:
    """The proof of the fixes in one module's packages."""

    def __init__(
        self,
        chain: toolchain.Toolchain,
        root: str,
        packages: Mapping[str, Sequence[Unit]],
        results: Mapping[str, FileResult],
        texts: TextsOf,
        options: api.Options,
    ) -> None:
        self.chain = chain
        self.packages = packages
        self.results = results
        self.texts = texts
        self.options = options
        patterns = tuple(_pattern(root, folder) for folder in packages)
        self.target = gotest.Target(root, patterns)

    def run(self) -> LeakCheck:
        everything = [u for units in self.packages.values() for u in units]
        before = gotest.run(self.chain, self.target)
        after = gotest.run(self.chain, self.target, overlay=self._overlay(everything))
        proofs: list[FixProof] = []
        drops: list[tuple[str, str, str]] = []
        notes = [
            f"{run.package.shown}: leaks not checked: {_why_not(run)}"
            for run in before.packages
            if not run.collected
        ]
        unchecked = {run.package.directory for run in before.packages if not run.collected}
        for folder, units in self.packages.items():
            if folder in unchecked:
                continue
            found_before = self._sites(before, folder, {})
            found_after = self._sites(after, folder, self._mapping(units))
            proofs += [p for u in units for p in self._proofs(u, found_before, found_after)]
            drops += [(p.path, p.rule, p.dropped) for p in proofs if p.dropped]
            new = _new_sites(found_before, found_after)
            if new:
                drops += self._blame(folder, units, new, {d[:2] for d in drops})
        dropped = {(path, rule): reason for path, rule, reason in drops}
        proofs = [
            dataclasses.replace(p, dropped=dropped.get((p.path, p.rule), ""))
            for p in proofs
        ]
        return LeakCheck(tuple(proofs), tuple(sorted(set(drops))), tuple(notes))

    def _overlay(self, units: Iterable[Unit]) -> dict[str, bytes]:
        """The changed files (absolute path -> text) with the fixes of ``units`` only."""
        by_folder: dict[str, set[Unit]] = {}
        for unit in units:
            by_folder.setdefault(os.path.dirname(os.path.abspath(unit.path)), set()).add(unit)
        return {
            os.path.abspath(path): text
            for folder, kept in by_folder.items()
            for path, text in self.texts(folder, frozenset(kept)).items()
            if text != self.results[path].original
        }

    def _mapping(self, units: Iterable[Unit]) -> dict[str, list[int]]:
        """For each fixed file (absolute path): its lines' numbers in the original text."""
        out = {}
        for path, fixed in self._overlay(units).items():
            result = self.results[display_path(path)]
            out[path] = _original_lines(result.original or b"", fixed)
        return out

    def _sites(
        self, run: gotest.ModuleRun, folder: str, mapping: Mapping[str, list[int]]
    ) -> list[sites.Site]:
        leaks = [
            _mapped(leak, mapping)
            for package in run.packages
            if package.package.directory == folder
            for outcome in package.outcomes
            for leak in outcome.leaks
        ]
        return sites.sites([leaks])

    def _proofs(
        self, unit: Unit, before: Sequence[sites.Site], after: Sequence[sites.Site]
    ) -> Iterable[FixProof]:
        result = self.results[unit.path]
        starts = line_starts(result.original or b"")
        path = os.path.abspath(unit.path)
        for finding in fixed_findings(result, unit.rule, self.options):
            count_before = _at(finding, path, before, starts)
            count_after = _at(finding, path, after, starts)
            line = position(starts, finding.span.start)[0]
            reason = ""
            if count_after and count_before:
                reason = (
                    f"its leak remains: {_goroutines(count_before)} leaked at its site before the "
                    f"fix, {count_after} after, in the package's tests under the leak profile"
                )
            elif count_after:
                reason = (
                    f"with this fix {_goroutines(count_after)} leak at its site, where none did "
                    "before, in the package's tests under the leak profile"
                )
            yield FixProof(unit.path, line, unit.rule, count_before, count_after, reason)

    def _blame(
        self,
        folder: str,
        units: Sequence[Unit],
        new: Sequence[sites.Site],
        dropped: set[tuple[str, str]],
    ) -> list[tuple[str, str, str]]:
        """The units that make the package leak at ``new`` sites."""
        where = ", ".join(f"{display_path(s.file)}:{s.line} ({s.state})" for s in new[:3])
        reason = f"with this fix the package's tests leak where they did not before: {where}"
        candidates = [u for u in units if (u.path, u.rule) not in dropped]
        if len(candidates) <= 1:
            return [(u.path, u.rule, reason) for u in candidates]
        guilty = []
        for unit in candidates:
            alone = gotest.run(self.chain, self.target, overlay=self._overlay([unit]))
            found = self._sites(alone, folder, self._mapping([unit]))
            keys = {s.key for s in found}
            if any(s.key in keys for s in new):
                guilty.append(unit)
        return [(u.path, u.rule, reason) for u in guilty or candidates]


def fixed_findings(result: FileResult, rule: str, options: api.Options) -> list[Finding]:
    """The findings of ``rule`` in ``result``'s original text whose fixes ``options`` apply, at
    their places in that text. (``fixes_applied`` holds them as each pass found them: after the
    first pass, their offsets are into a text that earlier fixes already changed.)"""
    own = file_options(options, result.path)
    required = own.fix if own.fix is not None else Applicability.SAFE
    chosen = dataclasses.replace(own, fix=None, select=(rule,))
    original = api.check_in_package(result.path, result.original or b"", chosen)
    return [f for f in original.findings if f.fix and f.fix.applicability >= required]


def _why_not(run: gotest.PackageRun) -> str:
    if run.problem:
        return run.problem
    statuses = sorted({o.status for o in run.outcomes})
    return f"its tests {' and '.join(statuses)} without the fixes"


def _pattern(root: str, folder: str) -> str:
    relative = os.path.relpath(folder, root).replace(os.sep, "/")
    return "." if relative == "." else f"./{relative}"


def _original_lines(original: bytes, fixed: bytes) -> list[int]:
    """``out[n - 1]``: the original line that fixed line ``n`` stands for (an inserted or
    changed line stands for the first line of the original region it replaces)."""
    before, after = original.splitlines(), fixed.splitlines()
    out = [0] * len(after)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for _, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(j2 - j1):
            out[j1 + offset] = i1 + min(offset, max(i2 - i1 - 1, 0)) + 1
    return out


def _mapped(leak: sites.Leak, mapping: Mapping[str, list[int]]) -> sites.Leak:
    lines = mapping.get(leak.file)
    if lines is None or not 0 < leak.line <= len(lines):
        return leak
    return dataclasses.replace(leak, line=lines[leak.line - 1])


def _at(finding: Finding, path: str, found: Sequence[sites.Site], starts: tuple[int, ...]) -> int:
    return sum(s.most for s in found if report.explains(finding, path, s, starts))


def _new_sites(before: Sequence[sites.Site], after: Sequence[sites.Site]) -> list[sites.Site]:
    known = {s.key for s in before}
    return [s for s in after if s.key not in known]


def _goroutines(count: int) -> str:
    return f"{count} goroutine{'s' if count != 1 else ''}"
