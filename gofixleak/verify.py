"""Verified fixes: build and vet (and optionally test) every package a fix touches, with the fixes
in place, and drop the fixes that break it.

Nothing in the checkout is written: the fixed files go to a temporary directory and Go reads them
through ``-overlay`` (``{"Replace": {original path: fixed copy}}``), running from the package's
module root (the nearest ``go.mod``). The unit that is kept or dropped is one rule's fixes in one
file: when a package fails, the fixes of the failing package are bisected, each candidate set
being re-computed by the fix pipeline with only the kept rules selected for that file, so a
dropped rule's findings stay (unfixed) and every other fix still lands.

A fix cannot be verified, and is dropped with the reason, when its file is outside any Go module,
when the build constraints leave the file out on this platform, or when the package fails the
same checks without any fix (there is no baseline to compare with). Packages that import a fixed
package are not rebuilt: fixes that change an exported API are UNSAFE by the rules' contract.

With tests, the kept fixes are also proven with Go's leak profile: the goroutines leaked at each
fix's site before and after it, and a fix that leaves its leak or adds one is dropped
(gofixleak/oracle/proof.py).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gofixleak import api
from gofixleak.discovery import display_path
from gofixleak.model import FileResult, Finding
from gofixleak.source import line_starts

if TYPE_CHECKING:
    from gofixleak.oracle.proof import LeakCheck

GO_TIMEOUT_SECONDS = 900
MAX_OUTPUT_LINES = 20


class VerifyError(Exception):
    """Verification cannot run at all (no Go toolchain): a usage error, never a silent no-op."""


@dataclass(frozen=True, slots=True, order=True)
class Unit:
    """What is kept or dropped: the fixes of one rule in one file."""

    path: str
    rule: str


@dataclass(frozen=True, slots=True)
class Dropped:
    """A unit whose fixes were not kept, why, and what Go said."""

    path: str
    rule: str
    reason: str
    output: str = ""

    def describe(self) -> str:
        """``path: rule: fix not applied: reason`` and Go's output, indented."""
        head = f"{self.path}: {self.rule}: fix not applied: {self.reason}"
        body = "".join(f"\n    {line}" for line in self.output.splitlines())
        return head + body


@dataclass(frozen=True, slots=True)
class Verification:
    """The results with only verified fixes, what was dropped, and what was checked where."""

    results: tuple[FileResult, ...]
    dropped: tuple[Dropped, ...] = ()
    packages: tuple[str, ...] = ()  # package directories whose kept fixes passed every check
    checks: tuple[str, ...] = ()  # "go build", "go vet", "go test"
    go_version: str = ""
    leaks: LeakCheck | None = None  # --verify-tests: goroutines leaked at each fix's site

    def leak_lines(self) -> list[str]:
        """Per fix, the goroutines leaked at its site before and after it; and the notes."""
        if self.leaks is None:
            return []
        return [*self.leaks.notes, *(proof.describe() for proof in self.leaks.proofs)]

    def summary(self) -> str:
        """One line: what passed where, and how many fixes were dropped."""
        if not self.checks:
            return "no fixes to verify"
        checks = ", ".join(f"`{c}`" for c in self.checks)
        where = ", ".join(f"`{p}`" for p in self.packages) or "no package"
        text = f"{checks} passed with the fixes in place ({self.go_version}) in {where}"
        if self.dropped:
            rules = len({d.rule for d in self.dropped})
            files = len({d.path for d in self.dropped})
            text += (
                f"; the fixes of {rules} rule{'s' if rules != 1 else ''} in {files} "
                f"file{'s' if files != 1 else ''} were dropped"
            )
        return text


@dataclass(frozen=True, slots=True)
class _Failure:
    step: str
    output: str


def find_go() -> str:
    """The go command, or VerifyError with a message a user can act on."""
    go = shutil.which("go")
    if go is None:
        raise VerifyError(
            "--verify needs the Go toolchain, but no `go` command is on PATH; "
            "install Go (https://go.dev/dl/) or drop --verify"
        )
    return go


def verify(
    results: Sequence[FileResult],
    options: api.Options,
    *,
    tests: bool = False,
    go: str | None = None,
) -> Verification:
    """Keep the fixes in ``results`` whose packages still build and vet (and test, if asked).

    ``options`` must be the options that produced ``results`` (their rule selection, fix level
    and Go version are used to re-run the pipeline without a dropped rule).
    """
    changed = [r for r in results if r.changed]
    if not changed:
        return Verification(tuple(results))
    toolchain = _Toolchain(go or find_go(), tests)
    verifier = _Verifier(changed, options, toolchain)
    verifier.run()
    leaks = None
    if tests:  # the leak profile's before -> after per fix (gofixleak/oracle/proof.py)
        from gofixleak.oracle import proof

        texts = proof.per_file(verifier.text)
        leaks = proof.check(verifier.accepted, verifier.by_path, texts, toolchain.go, options)
        verifier.dropped.extend(Dropped(path, rule, reason) for path, rule, reason in leaks.drops)
    rebuilt = {r.path: verifier.rebuild(r) for r in changed}
    return Verification(
        tuple(rebuilt.get(r.path, r) for r in results),
        tuple(sorted(verifier.dropped, key=lambda d: (d.path, d.rule))),
        tuple(sorted(verifier.verified_packages)),
        toolchain.steps,
        toolchain.version(),
        leaks,
    )


class _Toolchain:
    """Runs go build / go vet / go test over an overlay and reports the first failure."""

    def __init__(self, go: str, tests: bool) -> None:
        self.go = go
        self.steps = ("go build", "go vet", "go test") if tests else ("go build", "go vet")

    def _run(self, args: Sequence[str], cwd: str) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                [self.go, *args],
                cwd=cwd,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=GO_TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return subprocess.CompletedProcess(
                args, 1, "", f"go {args[0]} timed out after {GO_TIMEOUT_SECONDS}s"
            )
        except OSError as error:
            raise VerifyError(f"cannot run {self.go}: {error.strerror or error}") from error

    def version(self) -> str:
        result = self._run(["env", "GOVERSION"], os.getcwd())
        return result.stdout.strip() or "go"

    def built_files(self, root: str, packages: Sequence[str]) -> set[str]:
        """Absolute paths of the files Go compiles (with tests) in ``packages`` here."""
        fields = "Dir,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles"
        result = self._run(["list", "-e", f"-json={fields}", *_patterns(root, packages)], root)
        built: set[str] = set()
        for package in _json_stream(result.stdout):
            folder = str(package.get("Dir", ""))
            for key in ("GoFiles", "CgoFiles", "TestGoFiles", "XTestGoFiles"):
                names = package.get(key)
                if isinstance(names, list):
                    built.update(os.path.join(folder, str(name)) for name in names)
        return built

    def check(
        self,
        root: str,
        packages: Sequence[str],
        files: Mapping[str, bytes],
        names: Mapping[str, str],
    ) -> _Failure | None:
        """None when every step passes with ``files`` (absolute path -> text) overlaid."""
        with tempfile.TemporaryDirectory(prefix="gofixleak-verify-") as folder:
            overlay = _write_overlay(folder, files)
            flags = [f"-overlay={overlay}"] if files else []
            patterns = _patterns(root, packages)
            commands = {
                "go build": ["build", *flags, "-o", os.devnull, *patterns],
                "go vet": ["vet", *flags, *patterns],
                "go test": ["test", *flags, "-count=1", *patterns],
            }
            for step in self.steps:
                result = self._run(commands[step], root)
                if result.returncode != 0:
                    output = _clean(result.stdout + result.stderr, folder, files, names)
                    return _Failure(step, output)
        return None


class _Verifier:
    """The state of one verification: texts per rule subset, kept and dropped units."""

    def __init__(
        self, changed: Sequence[FileResult], options: api.Options, toolchain: _Toolchain
    ) -> None:
        self.options = options
        self.go = toolchain
        self.by_path = {r.path: r for r in changed}
        self.absolute = {os.path.abspath(r.path): r.path for r in changed}
        self.dropped: list[Dropped] = []
        self.verified_packages: set[str] = set()
        self.accepted: dict[str, list[Unit]] = {}  # package folder -> units that passed
        self._texts: dict[tuple[str, frozenset[str]], bytes] = {}

    def run(self) -> None:
        for root, packages in _modules(self.absolute).items():
            if root is None:
                for folder in packages:
                    self._drop_all(
                        self._units_in(folder), "not in a Go module (no go.mod above it)"
                    )
                continue
            self._verify_module(root, packages)

    def _units_in(self, folder: str) -> list[Unit]:
        return [
            unit
            for path, display in self.absolute.items()
            if os.path.dirname(path) == folder
            for unit in self._units_of(display)
        ]

    def _units_of(self, path: str) -> list[Unit]:
        return sorted({Unit(path, f.rule) for f in self.by_path[path].fixes_applied})

    def _drop_all(self, units: Iterable[Unit], reason: str, output: str = "") -> None:
        self.dropped.extend(Dropped(u.path, u.rule, reason, output) for u in units)

    def _verify_module(self, root: str, packages: Sequence[str]) -> None:
        built = self.go.built_files(root, packages)
        by_package: dict[str, list[Unit]] = {}
        for folder in packages:
            for unit in self._units_in(folder):
                if os.path.abspath(unit.path) in built:
                    by_package.setdefault(folder, []).append(unit)
                else:
                    self._drop_all([unit], "the build constraints leave this file out here")
        everything = [u for units in by_package.values() for u in units]
        if not everything:
            return
        together = self._check(root, list(by_package), everything)
        if together is None:
            self._accept(by_package)
            return
        for folder, units in by_package.items():
            # One package alone is known to fail; with several, find which ones do.
            failure = together if len(by_package) == 1 else self._check(root, [folder], units)
            if failure is None:
                self._accept({folder: units})
            else:
                self._verify_package(root, folder, units, failure)

    def _verify_package(self, root: str, folder: str, units: list[Unit], failure: _Failure) -> None:
        """``units`` fail together with ``failure``: drop all (no baseline) or bisect them."""
        baseline = self._check(root, [folder], [])
        if baseline is not None:
            reason = f"`{baseline.step}` fails on this package even without the fixes"
            self._drop_all(units, reason, baseline.output)
            return
        kept = self._bisect(root, folder, [], units, failure)
        if kept:
            self._accept({folder: kept})

    def _bisect(
        self, root: str, folder: str, kept: list[Unit], candidates: list[Unit], failure: _Failure
    ) -> list[Unit]:
        """Units that pass with ``kept``, given that ``kept`` passes and ``kept + candidates``
        fails with ``failure``; each unit that fails on its own is dropped with Go's message."""
        if len(candidates) == 1:
            unit = candidates[0]
            reason = f"`{failure.step}` fails on the package with this fix"
            self.dropped.append(Dropped(unit.path, unit.rule, reason, failure.output))
            return kept
        middle = len(candidates) // 2
        for half in (candidates[:middle], candidates[middle:]):
            outcome = self._check(root, [folder], kept + half)
            kept = (
                kept + half if outcome is None else self._bisect(root, folder, kept, half, outcome)
            )
        return kept

    def _accept(self, by_package: Mapping[str, Sequence[Unit]]) -> None:
        self.verified_packages.update(display_path(f) for f, units in by_package.items() if units)
        for folder, units in by_package.items():
            self.accepted.setdefault(folder, []).extend(units)

    def _check(self, root: str, packages: Sequence[str], units: Sequence[Unit]) -> _Failure | None:
        rules: dict[str, set[str]] = {}
        for unit in units:
            rules.setdefault(unit.path, set()).add(unit.rule)
        files = {}
        for path, selected in rules.items():
            text = self.text(path, frozenset(selected))
            if text != self.by_path[path].original:
                files[os.path.abspath(path)] = text
        names = {os.path.abspath(p): p for p in rules}
        return self.go.check(root, packages, files, names)

    def text(self, path: str, rules: frozenset[str]) -> bytes:
        """The file after the fixes of ``rules`` only (the pipeline re-run without the others)."""
        result = self.by_path[path]
        assert result.original is not None and result.fixed is not None
        if rules == frozenset(u.rule for u in self._units_of(path)):
            return result.fixed
        if not rules:
            return result.original
        key = (path, rules)
        if key not in self._texts:
            options = dataclasses.replace(
                file_options(self.options, path), select=tuple(sorted(rules))
            )
            subset = api.check_source(path, result.original, options)
            self._texts[key] = subset.fixed if subset.changed and subset.fixed else result.original
        return self._texts[key]

    def rebuild(self, result: FileResult) -> FileResult:
        """``result`` with the dropped rules' fixes left out and their findings kept, unfixed."""
        dropped = {d.rule for d in self.dropped if d.path == result.path}
        if not dropped:
            return result
        assert result.original is not None
        kept = frozenset(u.rule for u in self._units_of(result.path)) - dropped
        fixed = self.text(result.path, kept)
        options = file_options(self.options, result.path)
        applied: tuple[Finding, ...] = ()
        if kept:
            subset = dataclasses.replace(options, select=tuple(sorted(kept)))
            applied = api.check_source(result.path, result.original, subset).fixes_applied
        report = api.check_source(result.path, fixed, dataclasses.replace(options, fix=None))
        findings = tuple(
            dataclasses.replace(f, fix=None) if f.rule in dropped else f for f in report.findings
        )
        changed = fixed != result.original
        # Built from the report on the fixed text, so that whatever else it carries stays true.
        return dataclasses.replace(
            report,
            findings=findings,
            fixes_applied=applied,
            original=result.original if changed else None,
            fixed=fixed if changed else None,
            line_starts=line_starts(fixed),
        )


def file_options(options: api.Options, path: str) -> api.Options:
    """``options`` as they applied to ``path`` (its .gofixleak.toml folded in), so that a re-run
    of the pipeline on it selects, fixes and assumes the Go version as the first run did."""
    return options.for_file(path) or options


def module_root(folder: str) -> str | None:
    """The nearest directory at or above ``folder`` holding a go.mod, or None."""
    current = os.path.abspath(folder)
    while True:
        if os.path.isfile(os.path.join(current, "go.mod")):
            return current
        parent = os.path.dirname(current)
        if parent == current:
            return None
        current = parent


def _modules(files: Iterable[str]) -> dict[str | None, list[str]]:
    """Package directories (sorted) grouped by module root (None: no module)."""
    modules: dict[str | None, list[str]] = {}
    for folder in sorted({os.path.dirname(path) for path in files}):
        modules.setdefault(module_root(folder), []).append(folder)
    return modules


def _patterns(root: str, packages: Sequence[str]) -> list[str]:
    out = []
    for folder in packages:
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        out.append("." if relative == "." else f"./{relative}")
    return out


def _write_overlay(folder: str, files: Mapping[str, bytes]) -> str:
    replace = {}
    for index, (path, text) in enumerate(sorted(files.items())):
        copy = os.path.join(folder, str(index), os.path.basename(path))
        os.makedirs(os.path.dirname(copy))
        with open(copy, "wb") as handle:
            handle.write(text)
        replace[path] = copy
    overlay = os.path.join(folder, "overlay.json")
    with open(overlay, "w", encoding="utf-8") as handle:
        json.dump({"Replace": replace}, handle)
    return overlay


def _clean(output: str, folder: str, files: Mapping[str, bytes], names: Mapping[str, str]) -> str:
    """Go's messages, naming the user's files instead of the overlay copies, headers dropped."""
    for index, path in enumerate(sorted(files)):
        copy = os.path.join(folder, str(index), os.path.basename(path))
        # Go prints the copy's path absolute or relative to the module root: replace any form.
        tail = re.escape(os.path.join(os.path.basename(folder), str(index), os.path.basename(path)))
        output = re.sub(rf"[^\s:]*{tail}", names.get(path, path).replace("\\", "\\\\"), output)
        output = output.replace(copy, names.get(path, path))
    lines = [
        line.removeprefix("vet: ")
        for line in output.splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith("FAIL")
    ]
    if len(lines) > MAX_OUTPUT_LINES:
        lines = [*lines[:MAX_OUTPUT_LINES], f"... ({len(lines) - MAX_OUTPUT_LINES} more lines)"]
    return "\n".join(lines)


def _json_stream(text: str) -> Iterable[dict[str, object]]:
    """The objects of ``go list -json``'s concatenated output."""
    decoder = json.JSONDecoder()
    index = 0
    while index < len(text):
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return
        try:
            item, index = decoder.raw_decode(text, index)
        except ValueError:
            return
        if isinstance(item, dict):
            yield item
