"""Verified fixes: build and vet (and optionally test) every package a fix touches, with the fixes
in place, and drop the fixes that break it.

Nothing in the checkout is written: the fixed files go to a temporary directory and Go reads them
through ``-overlay`` (``{"Replace": {original path: fixed copy}}``), running from the package's
module root (the nearest ``go.mod``). The unit that is kept or dropped is one rule's fixes in one
file: when a package fails, the fixes of the failing package are bisected, each candidate set
being re-computed by the fix pipeline with only the kept rules selected for that file, so a
dropped rule's findings stay (unfixed) and every other fix still lands.

A fix cannot be verified, and is dropped with the reason, when its file is outside any Go module,
when ``go list`` cannot load its module or package (a go.work workspace that leaves the module
out or forbids GOFLAGS=-mod=mod, a broken go.mod: Go's own error is the output), when the build
constraints leave the file out on this platform, or when the package fails the same checks
without any fix (there is no baseline to compare with). Packages that import a fixed
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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gofixleak import api
from gofixleak.discovery import display_path
from gofixleak.model import FileResult
from gofixleak.source import line_starts

if TYPE_CHECKING:
    from gofixleak.oracle.proof import LeakCheck

GO_TIMEOUT_SECONDS = 900
MAX_OUTPUT_LINES = 20

# Told as verification goes: packages whose fixes are decided, packages in all, and the go
# command now running ("go vet: 12 packages"). Verifying a large tree takes minutes.
ProgressCallback = Callable[[int, int, str], None]


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


@dataclass(frozen=True, slots=True)
class _Listing:
    """What ``go list`` says of some packages: the files built, and Go's own errors."""

    built: frozenset[str]  # absolute paths of the files Go compiles (with tests)
    failure: str | None = None  # go list itself failed (a broken workspace, go.mod, GOFLAGS)
    errors: Mapping[str, str] = dataclasses.field(default_factory=dict)  # package dir -> error


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
    progress: ProgressCallback | None = None,
) -> Verification:
    """Keep the fixes in ``results`` whose packages still build and vet (and test, if asked).

    ``options`` must be the options that produced ``results`` (their rule selection, fix level
    and Go version are used to re-run the pipeline without a dropped rule). ``progress`` is told
    of each go command and each package decided.
    """
    changed = [r for r in results if r.changed]
    if not changed:
        return Verification(tuple(results))
    meter = _Meter(len({os.path.dirname(os.path.abspath(r.path)) for r in changed}), progress)
    toolchain = _Toolchain(go or find_go(), tests, meter.run)
    verifier = _Verifier(changed, options, toolchain, meter)
    verifier.run()
    leaks = None
    if tests:  # the leak profile's before -> after per fix (gofixleak/oracle/proof.py)
        from gofixleak.oracle import proof

        leaks = proof.check(
            verifier.accepted, verifier.by_path, verifier.texts, toolchain.go, options
        )
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


class _Meter:
    """Counts the packages whose fixes are decided, and names the go command running."""

    def __init__(self, total: int, report: ProgressCallback | None = None) -> None:
        self.total = total
        self.report = report
        self.decided: set[str] = set()
        self.running = ""

    def run(self, args: Sequence[str]) -> None:
        patterns = sum(1 for arg in args if arg.startswith("."))
        self.running = f"go {args[0]}" + (f": {_plural(patterns, 'package')}" if patterns else "")
        self._send()

    def decide(self, folders: Iterable[str]) -> None:
        self.decided.update(folders)
        self._send()

    def _send(self) -> None:
        if self.report is not None:
            self.report(len(self.decided), self.total, self.running)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class _Toolchain:
    """Runs go build / go vet / go test over an overlay and reports the first failure."""

    def __init__(
        self, go: str, tests: bool, on_run: Callable[[Sequence[str]], None] | None = None
    ) -> None:
        self.go = go
        self.steps = ("go build", "go vet", "go test") if tests else ("go build", "go vet")
        self.on_run = on_run

    def _run(self, args: Sequence[str], cwd: str) -> subprocess.CompletedProcess[str]:
        if self.on_run is not None:
            self.on_run(args)
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

    def built_files(self, root: str, packages: Sequence[str]) -> _Listing:
        """The files Go compiles (with tests) in ``packages`` here, and what stops it."""
        fields = "Dir,ImportPath,Error,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles"
        result = self._run(["list", "-e", f"-json={fields}", *_patterns(root, packages)], root)
        if result.returncode != 0:
            return _Listing(frozenset(), _clean(result.stderr or result.stdout, "", {}, {}))
        built: set[str] = set()
        errors: dict[str, str] = {}
        for package in _json_stream(result.stdout):
            # A package Go cannot load may have no Dir; its ImportPath is then our pattern.
            folder = str(package.get("Dir") or os.path.join(root, str(package.get("ImportPath"))))
            error = package.get("Error")
            if isinstance(error, dict) and error.get("Err"):
                errors[os.path.normpath(folder)] = str(error["Err"])
            for key in ("GoFiles", "CgoFiles", "TestGoFiles", "XTestGoFiles"):
                names = package.get(key)
                if isinstance(names, list):
                    built.update(os.path.join(folder, str(name)) for name in names)
        return _Listing(frozenset(built), errors=errors)

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
        self,
        changed: Sequence[FileResult],
        options: api.Options,
        toolchain: _Toolchain,
        meter: _Meter | None = None,
    ) -> None:
        self.options = options
        self.go = toolchain
        self.meter = meter or _Meter(0)
        self.by_path = {r.path: r for r in changed}
        self.absolute = {os.path.abspath(r.path): r.path for r in changed}
        self.dropped: list[Dropped] = []
        self.verified_packages: set[str] = set()
        self.accepted: dict[str, list[Unit]] = {}  # package folder -> units that passed
        # The fix pipeline re-run on a package directory with only some units' fixes.
        self._runs: dict[tuple[str, frozenset[Unit]], dict[str, FileResult]] = {}

    def run(self) -> None:
        for root, packages in _modules(self.absolute).items():
            if root is None:
                for folder in packages:
                    self._drop_all(
                        self._units_in(folder), "not in a Go module (no go.mod above it)"
                    )
            else:
                self._verify_module(root, packages)
            self.meter.decide(packages)

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
        listing = self.go.built_files(root, packages)
        if listing.failure is not None:
            for folder in packages:
                units = self._units_in(folder)
                self._drop_all(units, "`go list` fails in this module", listing.failure)
            return
        by_package: dict[str, list[Unit]] = {}
        for folder in packages:
            for unit in self._units_in(folder):
                if os.path.abspath(unit.path) in listing.built:
                    by_package.setdefault(folder, []).append(unit)
                elif folder in listing.errors:
                    reason = "`go list` fails on this package"
                    self._drop_all([unit], reason, listing.errors[folder])
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
            self.meter.decide([folder])

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
        files = {}
        for folder in {_folder(u.path) for u in units}:
            kept = frozenset(u for u in units if _folder(u.path) == folder)
            for path, text in self.texts(folder, kept).items():
                if text != self.by_path[path].original:
                    files[os.path.abspath(path)] = text
        names = {os.path.abspath(p): p for p in self.by_path}
        return self.go.check(root, packages, files, names)

    def _changed_in(self, folder: str) -> list[str]:
        """The changed files of the package directory ``folder`` (display paths)."""
        return sorted(d for a, d in self.absolute.items() if os.path.dirname(a) == folder)

    def texts(self, folder: str, units: frozenset[Unit]) -> dict[str, bytes]:
        """Each changed file of ``folder`` after the fixes of ``units`` only: the pipeline re-run
        on the package without the others (a fix that edits several files lands in all of
        them or none, with its unit)."""
        paths = self._changed_in(folder)
        if units == frozenset(u for p in paths for u in self._units_of(p)):
            return {p: self._fixed(self.by_path[p]) for p in paths}
        if not units:
            return {p: self._original(self.by_path[p]) for p in paths}
        runs = self._run(folder, units)
        return {p: _text(runs[p], self._original(self.by_path[p])) for p in paths}

    def _run(self, folder: str, units: frozenset[Unit]) -> dict[str, FileResult]:
        key = (folder, units)
        if key not in self._runs:
            paths = self._changed_in(folder)
            originals = {p: self._original(self.by_path[p]) for p in paths}
            rules = {p: {u.rule for u in units if u.path == p} for p in paths}
            self._runs[key] = api.fix_subset(originals, rules, self.options)
        return self._runs[key]

    def rebuild(self, result: FileResult) -> FileResult:
        """``result`` with the dropped units' fixes left out (also those of other files whose
        fixes edit this one) and their findings kept, unfixed."""
        folder = _folder(result.path)
        everything = frozenset(u for p in self._changed_in(folder) for u in self._units_of(p))
        dropped = {Unit(d.path, d.rule) for d in self.dropped}
        kept = frozenset(everything - dropped)
        if kept == everything:
            return result
        original = self._original(result)
        fixed = self.texts(folder, kept)[result.path]
        applied = self._run(folder, kept)[result.path].fixes_applied if kept else ()
        options = file_options(self.options, result.path)
        directory = api.package_directory(result.path, overrides=self.texts(folder, kept))
        unfixed = dataclasses.replace(options, fix=None)
        report = api.check_files(directory, [(result.path, unfixed)])[0]
        findings = tuple(
            dataclasses.replace(f, fix=None) if Unit(result.path, f.rule) in dropped else f
            for f in report.findings
        )
        changed = fixed != original
        # Built from the report on the fixed text, so that whatever else it carries stays true.
        return dataclasses.replace(
            report,
            findings=findings,
            fixes_applied=applied,
            original=original if changed else None,
            fixed=fixed if changed else None,
            line_starts=line_starts(fixed),
        )

    @staticmethod
    def _original(result: FileResult) -> bytes:
        assert result.original is not None
        return result.original

    @staticmethod
    def _fixed(result: FileResult) -> bytes:
        assert result.fixed is not None
        return result.fixed


def _text(run: FileResult, original: bytes) -> bytes:
    return run.fixed if run.fixed is not None else original


def _folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def file_options(options: api.Options, path: str) -> api.Options:
    """``options`` as they applied to ``path`` (see :func:`api.options_for`)."""
    return api.options_for(options, path)


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
