"""Running the tests of one module under the leak profile: ``go list``, then ``go test -json``.

One ``go test`` over all the module's packages that have tests, so that Go builds and runs
them in parallel, with the collector of inject.py in the overlay, ``-count=1`` (a cached result
has no profile) and ``-timeout``. Each package's outcome is read from the JSON events: its build
failure, its failing tests, the ``-timeout`` panic or the global deadlock (whose goroutine dump
is parsed), and its profile file. ``count`` runs repeat the ``go test``; a flaky leak shows in
some of them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from gofixleak.discovery import SKIPPED_DIRS, display_path, strip_dots
from gofixleak.oracle import inject, sites, stacks
from gofixleak.oracle.toolchain import Toolchain
from gofixleak.verify import _json_stream, module_root

PASSED, FAILED, BUILD_FAILED = "passed", "failed", "build failed"
TIMED_OUT, DEADLOCKED, NOT_COLLECTED = "timed out", "deadlocked", "not collected"
TIMEOUT_MARK = "panic: test timed out after"
DEADLOCK_MARK = "fatal error: all goroutines are asleep - deadlock!"
MAX_OUTPUT_LINES = 20
MAX_KEPT_OUTPUT = 64 * 2**20  # characters of one package's output kept in memory
# A binary that never returns from m.Run prints every goroutine: how each case is recognised.
_HANGS = ((TIMEOUT_MARK, TIMED_OUT, sites.TIMEOUT), (DEADLOCK_MARK, DEADLOCKED, sites.DEADLOCK))
_DUMP_STARTS = (TIMEOUT_MARK, DEADLOCK_MARK)
_SETUP_FAILED = re.compile(r"\[(build|setup) failed\]")

# go test flags that gofixleak test sets itself, and the option that replaces each.
OWN_FLAGS = {
    "count": "--count",
    "timeout": "--timeout",
    "json": "--format json",
    "overlay": "",
    "c": "",
    "o": "",
}
# Build flags that change which files a package has: go list must see them too.
# (True: the flag takes a value, which may be the next argument.)
_LIST_FLAGS = {
    "tags": True,
    "mod": True,
    "modfile": True,
    "race": False,
    "msan": False,
    "asan": False,
}


class FlagError(ValueError):
    """A go test flag that gofixleak test cannot pass on."""


@dataclass(frozen=True, slots=True)
class Target:
    """The packages to test in one module: its root and ``./``-relative patterns."""

    root: str
    patterns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Package:
    import_path: str
    directory: str
    name: str
    test_files: tuple[str, ...] = ()
    xtest_files: tuple[str, ...] = ()
    error: str = ""

    @property
    def has_tests(self) -> bool:
        return bool(self.test_files or self.xtest_files)

    @property
    def shown(self) -> str:
        return display_path(self.directory)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One package in one run."""

    status: str
    failed_tests: tuple[str, ...] = ()
    output: str = ""
    leaks: tuple[sites.Leak, ...] = ()
    running: tuple[str, ...] = ()  # the tests still running at the timeout


@dataclass
class PackageRun:
    package: Package
    outcomes: list[Outcome] = field(default_factory=list)
    problem: str | None = None  # why its profile cannot be collected at all

    @property
    def collected(self) -> bool:
        """Whether its leaks are known: from the profile, or from the dump of a hung binary."""
        return any(o.status in (PASSED, FAILED, TIMED_OUT, DEADLOCKED) for o in self.outcomes)


@dataclass
class ModuleRun:
    module: sites.Module
    packages: list[PackageRun] = field(default_factory=list)
    untested: list[Package] = field(default_factory=list)  # no test files
    errors: list[str] = field(default_factory=list)
    generated: set[str] = field(default_factory=set)  # the collector files in the overlay

    def leaks(self, run: int) -> list[sites.Leak]:
        return [leak for p in self.packages for leak in p.outcomes[run].leaks]


def targets(paths: Sequence[str]) -> tuple[list[Target], list[str]]:
    """The modules and package patterns that ``paths`` name, and the paths that name none.

    A directory means its packages recursively, with the modules nested below it; a file
    means its package.
    """
    patterns: dict[str, list[str]] = {}
    errors = []
    for arg in paths or ["."]:
        path = strip_dots(arg)
        if not os.path.exists(path):
            errors.append(f"{arg}: no such file or directory")
            continue
        recursive = os.path.isdir(path)
        folder = os.path.abspath(path if recursive else os.path.dirname(path) or ".")
        roots = [r for r in [module_root(folder)] if r is not None]
        if recursive:
            roots += [r for r in _nested_modules(folder) if r not in roots]
        if not roots:
            errors.append(f"{arg}: not in a Go module (no go.mod above it or below it)")
        for root in roots:
            start = folder if folder.startswith(root) else root
            relative = os.path.relpath(start, root).replace(os.sep, "/")
            pattern = "." if relative == "." else f"./{relative}"
            if recursive:
                pattern = "./..." if pattern == "." else pattern + "/..."
            if pattern not in patterns.setdefault(root, []):
                patterns[root].append(pattern)
    return [Target(root, tuple(p)) for root, p in sorted(patterns.items())], errors


def _nested_modules(folder: str) -> list[str]:
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith((".", "_")))
        if current != folder and "go.mod" in files:
            found.append(current)
    return found


def check_flags(flags: Sequence[str]) -> None:
    """FlagError for a flag gofixleak test sets itself."""
    for flag in flags:
        name = flag.lstrip("-").split("=")[0]
        if flag.startswith("-") and name in OWN_FLAGS:
            instead = OWN_FLAGS[name]
            hint = f"; use {instead}" if instead else ""
            raise FlagError(f"go test flag {flag} is set by gofixleak test itself{hint}")


def list_flags(flags: Sequence[str]) -> list[str]:
    """The build flags among ``flags`` that ``go list`` must also see."""
    out: list[str] = []
    index = 0
    while index < len(flags):
        flag = flags[index]
        name = flag.lstrip("-").split("=")[0]
        if flag.startswith("-") and name in _LIST_FLAGS:
            out.append(flag)
            if _LIST_FLAGS[name] and "=" not in flag and index + 1 < len(flags):
                index += 1
                out.append(flags[index])
        index += 1
    return out


def run(
    toolchain: Toolchain,
    target: Target,
    *,
    flags: Sequence[str] = (),
    timeout: str = "10m",
    count: int = 1,
    overlay: Mapping[str, bytes] | None = None,
    env: Mapping[str, str] | None = None,
) -> ModuleRun:
    """Run the target's tests ``count`` times under the profile; ``overlay`` (absolute path ->
    text) replaces files, as --verify does, and ``env`` adds variables."""
    replaced = dict(overlay or {})
    environment = toolchain.environment(os.environ, env or {})
    module_path, packages, errors = _list(toolchain, target, flags, environment, replaced)
    module = sites.Module(target.root, module_path)
    result = ModuleRun(module, errors=errors)
    result.untested = [p for p in packages if not p.has_tests and not p.error]
    result.errors += [f"{p.shown}: {p.error}" for p in packages if p.error]
    tested = [p for p in packages if p.has_tests and not p.error]
    if not tested:
        return result
    files = _inject(result, tested, replaced)
    with tempfile.TemporaryDirectory(prefix="gofixleak-test-") as folder:
        overlay_file = _write_overlay(folder, files)
        args = [toolchain.go, "test", "-json", "-count=1", f"-timeout={timeout}"]
        args += [f"-overlay={overlay_file}", *flags, *(p.import_path for p in tested)]
        for number in range(count):
            profiles = os.path.join(folder, f"run{number}")
            os.mkdir(profiles)
            env_run = {**environment, inject.PROFILE_DIR_ENV: profiles}
            events, code = _stream(args, target.root, env_run)
            if not events.packages and code != 0:
                result.errors.append(_clean("".join(events.other)))
            for index, package_run in enumerate(result.packages):
                profile = os.path.join(profiles, f"{index}.txt")
                outcome = _outcome(package_run, events, profile, module, result.generated)
                package_run.outcomes.append(outcome)
    return result


def _inject(
    result: ModuleRun, tested: Sequence[Package], replaced: Mapping[str, bytes]
) -> dict[str, bytes]:
    """The overlay: the replaced files, and each tested package's collector (inject.py)."""
    files = dict(replaced)
    for index, package in enumerate(tested):
        injection = inject.inject(_test_package(package), str(index), _reader(replaced))
        files.update(injection.files)
        result.generated.update(p for p in injection.files if p not in replaced)
        result.packages.append(PackageRun(package, problem=injection.problem))
    return files


def _go(args: Sequence[str], cwd: str, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            list(args), cwd=cwd, env=dict(env), capture_output=True, text=True, errors="replace"
        )
    except OSError as error:
        return subprocess.CompletedProcess(list(args), 2, "", f"cannot run {args[0]}: {error}")


def _stream(args: Sequence[str], cwd: str, env: Mapping[str, str]) -> tuple[_Events, int]:
    """Run go test -json, reading its events as they come: a large suite's output is never held
    whole (see _PackageEvents.keep)."""
    events = _Events()
    try:
        process = subprocess.Popen(
            list(args),
            cwd=cwd,
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
    except OSError as error:
        events.other.append(f"cannot run {args[0]}: {error}")
        return events, 2
    assert process.stdout is not None
    with process:
        for line in process.stdout:
            events.feed(line)
    return events, process.returncode


def _list(
    toolchain: Toolchain,
    target: Target,
    flags: Sequence[str],
    env: Mapping[str, str],
    overlay: Mapping[str, bytes],
) -> tuple[str, list[Package], list[str]]:
    fields = "ImportPath,Dir,Name,TestGoFiles,XTestGoFiles,Error,Module"
    with tempfile.TemporaryDirectory(prefix="gofixleak-list-") as folder:
        extra = [f"-overlay={_write_overlay(folder, overlay)}"] if overlay else []
        args = [toolchain.go, "list", "-e", f"-json={fields}", *extra, *list_flags(flags)]
        completed = _go([*args, *target.patterns], target.root, env)
    items = list(_json_stream(completed.stdout))
    packages = [_package(item) for item in items]
    modules = [item.get("Module") for item in items]
    module_path = next((str(m["Path"]) for m in modules if isinstance(m, dict) and "Path" in m), "")
    errors = [] if packages else [_clean(completed.stderr) or "go list found no package"]
    return module_path, packages, errors


def _package(item: Mapping[str, object]) -> Package:
    error = item.get("Error")
    message = str(error.get("Err", "")) if isinstance(error, dict) else ""
    return Package(
        str(item.get("ImportPath", "")),
        str(item.get("Dir", "")),
        str(item.get("Name", "")),
        _names(item.get("TestGoFiles")),
        _names(item.get("XTestGoFiles")),
        message.strip(),
    )


def _names(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _test_package(package: Package) -> inject.TestPackage:
    return inject.TestPackage(
        package.directory, package.name, package.test_files, package.xtest_files
    )


def _reader(overlay: Mapping[str, bytes]) -> inject.Reader:
    def read(path: str) -> bytes:
        if path in overlay:
            return overlay[path]
        with open(path, "rb") as handle:
            return handle.read()

    return read


def _write_overlay(folder: str, files: Mapping[str, bytes]) -> str:
    replace = {}
    for index, (path, text) in enumerate(sorted(files.items())):
        copy = os.path.join(folder, "files", str(index), os.path.basename(path))
        os.makedirs(os.path.dirname(copy))
        with open(copy, "wb") as handle:
            handle.write(text)
        replace[path] = copy
    name = os.path.join(folder, "overlay.json")
    with open(name, "w", encoding="utf-8") as handle:
        json.dump({"Replace": replace}, handle)
    return name


@dataclass
class _PackageEvents:
    action: str = ""
    failed_build: bool = False
    output: list[str] = field(default_factory=list)
    failed_tests: list[str] = field(default_factory=list)
    size: int = 0

    def keep(self, text: str) -> None:
        """Keep a package's output, up to MAX_KEPT_OUTPUT: past it, the oldest lines go, but
        never the start of a goroutine dump (what is read from the output is at its end)."""
        self.output.append(text)
        self.size += len(text)
        if self.size <= MAX_KEPT_OUTPUT:
            return
        marks = [i for i, line in enumerate(self.output) if line.startswith(_DUMP_STARTS)]
        start = marks[-1] if marks and marks[-1] > 0 else len(self.output) // 2
        self.output = self.output[start:]
        self.size = sum(len(line) for line in self.output)


@dataclass
class _Events:
    """``go test -json``'s events, by package."""

    packages: dict[str, _PackageEvents] = field(default_factory=dict)
    build_output: dict[str, list[str]] = field(default_factory=dict)
    other: list[str] = field(default_factory=list)  # lines that are not events (go's errors)

    def feed(self, line: str) -> None:
        try:
            event = json.loads(line)
        except ValueError:
            if len(self.other) < MAX_OUTPUT_LINES * 5:
                self.other.append(line)
            return
        if isinstance(event, dict):
            self.add(event)

    def add(self, event: Mapping[str, object]) -> None:
        action = str(event.get("Action", ""))
        if action == "build-output":
            path = str(event.get("ImportPath", "")).split(" ")[0]
            self.build_output.setdefault(path, []).append(str(event.get("Output", "")))
            return
        package = str(event.get("Package", ""))
        if not package:
            return
        state = self.packages.setdefault(package, _PackageEvents())
        test = event.get("Test")
        if action == "output":
            state.keep(str(event.get("Output", "")))
        elif action == "fail" and isinstance(test, str) and "/" not in test:
            state.failed_tests.append(test)
        elif action in ("pass", "fail", "skip") and test is None:
            state.action = action
            state.failed_build = bool(event.get("FailedBuild"))


def _outcome(
    package_run: PackageRun,
    events: _Events,
    profile: str,
    module: sites.Module,
    generated: Iterable[str],
) -> Outcome:
    package = package_run.package
    state = events.packages.get(package.import_path, _PackageEvents())
    output = "".join(state.output)
    build = "".join(events.build_output.get(package.import_path, []))
    failed = tuple(state.failed_tests)
    if state.failed_build or (state.action == "fail" and _SETUP_FAILED.search(output)):
        return Outcome(BUILD_FAILED, output=_clean(build or output))
    for mark, status, how in _HANGS:
        if mark in output:
            dump = output[output.index(mark) :]
            found = sites.leaks(stacks.parse(dump), module, how, frozenset(generated))
            running = tuple(_running_tests(output))
            return Outcome(status, failed, _clean(dump), tuple(found), running)
    leaked = _profile_leaks(profile, module, frozenset(generated))
    status = FAILED if state.action == "fail" or failed else PASSED
    if leaked is None:
        return Outcome(NOT_COLLECTED, failed, _clean(output) if status == FAILED else "")
    return Outcome(status, failed, "", tuple(leaked))


def _profile_leaks(
    profile: str, module: sites.Module, generated: frozenset[str]
) -> list[sites.Leak] | None:
    """The leaks of a profile file, or None when the binary never wrote it."""
    try:
        with open(profile, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    if inject.COLLECTED_MARK not in text:
        return None
    by_id: dict[int, stacks.Goroutine] = {}
    for part in text.split(inject.COLLECTED_MARK):  # m.Run() may run, and collect, twice
        for goroutine in stacks.parse(part):
            by_id[goroutine.id] = goroutine
    return sites.leaks(list(by_id.values()), module, sites.LEAKED, generated)


def _running_tests(output: str) -> Iterable[str]:
    """The names under ``running tests:`` in the -timeout panic."""
    lines = output[output.index(TIMEOUT_MARK) :].splitlines()[1:] if TIMEOUT_MARK in output else []
    if not lines or lines[0].strip() != "running tests:":
        return
    for line in lines[1:]:
        if not line.startswith("\t\t"):
            return
        yield line.strip().split(" ")[0]


def _clean(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip() and not line.startswith("#")]
    if len(lines) > MAX_OUTPUT_LINES:
        lines = [*lines[:MAX_OUTPUT_LINES], f"... ({len(lines) - MAX_OUTPUT_LINES} more lines)"]
    return "\n".join(lines)
