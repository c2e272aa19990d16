#!/usr/bin/env python3
"""Measure the runtime oracle (`gofixleak test`) on labelled goroutine leaks.

    python3 bench/oracle.py [--runs N] [--only goker|fixtures] [--update docs/runtime-oracle.md]

Two corpora:

- **GoKer and Uber's patterns**, as the Go runtime ships them for its own leak-profile test
  (``$(go env GOROOT)/src/runtime/testdata/testgoroutineleakprofile``): 63 programs of real
  bugs (GoBench's GoKer kernels) and Uber's six leak patterns. Each program is wrapped as a test
  (``func TestGrpc660(t *testing.T) { Grpc660() }``) in a scratch module: one package for the
  GoKer programs, one for Kubernetes1321 alone (the runtime's test leaves it out: it may crash
  its binary), one for the patterns. The labels are the runtime test's own expectations
  (``goroutineleakprofile_test.go``: each program's leaking goroutines, by entry function and
  wait reason, strict or flaky). The oracle runs each binary ``--runs`` times, half with
  ``GOMAXPROCS=1`` and half with ``GOMAXPROCS=4``, with ``GODEBUG=asyncpreemptoff=1``, as the
  runtime's test does. A program counts as found when a runtime-leak finding holds a goroutine
  matching one of its labels; a label counts when some run reported it.
- **The fixtures** (fixtures/, every rule): the labelled leaks are the ``TestLeak*`` tests of
  the goroutine rules (the ticker rules' leaks are not goroutines); a test counts as found when
  a runtime-leak finding's goroutines were started by it.

For both it then reports how many of the found leaks a static rule explains (the finding is
confirmed) and how many get a proven fix: a fix of an explaining finding after which the leak is
gone (``--verify-tests``' before -> after, one run each, with every unsafe fix included).

Prints markdown; ``--update FILE`` puts it between FILE's ``<!-- oracle:start -->`` and
``<!-- oracle:end -->`` markers.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from gofixleak import api  # noqa: E402
from gofixleak.model import Applicability, FileResult  # noqa: E402
from gofixleak.oracle import gotest, proof, report, sites, toolchain  # noqa: E402
from gofixleak.oracle.stacks import name_of_test  # noqa: E402
from gofixleak.source import line_starts  # noqa: E402
from gofixleak.verify import Unit  # noqa: E402

CORPUS = "src/runtime/testdata/testgoroutineleakprofile"
START, END = "<!-- oracle:start -->", "<!-- oracle:end -->"
GO_VERSION = (1, 22)  # the ticker rules speak only below Go 1.23
CRASHES = {"Kubernetes1321"}  # left out of the runtime's test: it may crash its binary
_REGISTER = re.compile(r'register\("(\w+)", (\w+)\)')
_CASE = re.compile(r'make(Flaky)?Test\(\s*"(\w+)"((?:\s*,\s*`[^`]*`)*)\s*,?\s*\)')
_LABEL = re.compile(r"`([^`]*)`")
_OWN_PRINT = "prof.WriteTo(os.Stdout, 2)"


@dataclass
class Program:
    name: str
    package: str
    labels: list[re.Pattern[str]] = field(default_factory=list)
    flaky: bool = False
    configured: bool = False  # the runtime's test lists it
    matched: set[str] = field(default_factory=set)  # labels some run reported
    any_leak: bool = False  # some runtime-leak finding holds one of its goroutines
    confirmed: bool = False
    proven: bool = False

    @property
    def found(self) -> bool:
        return bool(self.matched) if self.labels else self.any_leak


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each binary (default 20)")
    parser.add_argument("--only", choices=("goker", "fixtures"))
    parser.add_argument("--update", type=Path, help="write the tables into this markdown file")
    args = parser.parse_args()
    chain = toolchain.find()
    day = time.strftime("%Y-%m-%d")
    sections = [f"Measured with {chain.version}, {day}, `--runs {args.runs}`."]
    if args.only in (None, "goker"):
        sections.append(goker(chain, max(args.runs, 1)))
    if args.only in (None, "fixtures"):
        sections.append(fixtures(chain))
    text = "\n\n".join(sections) + "\n"
    print(text, end="")
    if args.update is not None:
        current = args.update.read_text(encoding="utf-8")
        pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
        args.update.write_text(pattern.sub(lambda _: f"{START}\n{text}{END}", current))
    return 0


# --- GoKer and Uber's patterns ----------------------------------------------------------------


def goker(chain: toolchain.Toolchain, runs: int) -> str:
    goroot = subprocess.run(
        [chain.go, "env", "GOROOT"], capture_output=True, text=True, check=True
    ).stdout.strip()
    corpus = Path(goroot) / CORPUS
    with tempfile.TemporaryDirectory(prefix="gofixleak-oracle-bench-") as scratch:
        root = Path(scratch)
        programs = _wrap(corpus, root)
        _label(corpus, programs)
        target = gotest.Target(str(root), ("./...",))
        half = (runs + 1) // 2
        module_runs = []
        for procs, count in (("1", half), ("4", runs - half)):
            if count:
                env = {"GOMAXPROCS": procs, "GODEBUG": "asyncpreemptoff=1"}
                module_runs.append(gotest.run(chain, target, count=count, env=env, timeout="5m"))
        leaks = [run.leaks(n) for run in module_runs for n in range(len(run.packages[0].outcomes))]
        found = sites.sites(leaks)
        _match(programs, found)
        static, fixed = _static(root)
        _confirm(programs, found, static, root)
        _prove(chain, programs, found, fixed, root)
        statuses = _statuses(module_runs)
    return _goker_table(programs, runs, statuses)


def _wrap(corpus: Path, root: Path) -> dict[str, Program]:
    """The scratch module: each program of the corpus wrapped as a test, in its package."""
    (root / "go.mod").write_text("module example.com/goker\n\ngo 1.26\n")
    programs: dict[str, Program] = {}
    layout = {"goker": sorted((corpus / "goker").glob("*.go")), "patterns": []}
    layout["patterns"] = [corpus / "main.go", corpus / "commonpatterns.go"]
    for package, files in layout.items():
        for path in files:
            if path.name == "main.go":
                continue
            for name, function in _REGISTER.findall(path.read_text()):
                home = "crashes" if name in CRASHES else package
                programs[name] = Program(name, home)
                folder = root / home
                folder.mkdir(exist_ok=True)
                # The program's own profile print is left out: the oracle collects after the
                # tests, and each print would dump every goroutine leaked so far.
                quiet = path.read_text().replace(_OWN_PRINT, "_, _ = prof, os.Stdout")
                (folder / path.name).write_text(quiet)
                main = corpus / ("goker" if package == "goker" else "") / "main.go"
                shutil.copyfile(main, folder / "main.go")
                with (folder / "programs_test.go").open("a") as tests:
                    if tests.tell() == 0:
                        tests.write('package main\n\nimport "testing"\n')
                    tests.write(f"\nfunc Test{name}(t *testing.T) {{ {function}() }}\n")
    return programs


def _label(corpus: Path, programs: Mapping[str, Program]) -> None:
    """The runtime test's expected leaks, by program."""
    test = (corpus.parent.parent / "goroutineleakprofile_test.go").read_text()
    code = "\n".join(line for line in test.splitlines() if not line.lstrip().startswith("//"))
    for flaky, name, labels in _CASE.findall(code):
        if name in programs:
            program = programs[name]
            program.labels = [re.compile(label) for label in _LABEL.findall(labels)]
            program.flaky, program.configured = bool(flaky), True


def _program_of(leak: sites.Leak) -> str | None:
    return name_of_test(leak.test).removeprefix("Test") if leak.test else None


def _match(programs: Mapping[str, Program], found: Sequence[sites.Site]) -> None:
    for site in found:
        for leak in site.leaks:
            for program in programs.values():
                hits = {p.pattern for p in program.labels if p.search(leak.signature)}
                program.matched |= hits
                if _program_of(leak) == program.name:
                    program.any_leak = True


def _holds(program: Program, site: sites.Site) -> bool:
    return any(
        any(p.search(leak.signature) for p in program.labels)
        or (not program.labels and _program_of(leak) == program.name)
        for leak in site.leaks
    )


def _static(root: Path) -> tuple[list[FileResult], list[FileResult]]:
    """The static check's results on the module, and its fixes (unsafe ones included)."""
    check = api.Options(go_version=GO_VERSION)
    fixing = dataclasses.replace(check, fix=Applicability.UNSAFE)
    static = [r for r in api.run([str(root)], check, jobs=1) if r.findings]
    fixed = [r for r in api.run([str(root)], fixing, jobs=1) if r.changed]
    return static, fixed


def _confirm(
    programs: Mapping[str, Program],
    found: Sequence[sites.Site],
    static: Sequence[FileResult],
    root: Path,
) -> None:
    joined = report.join(static, found, {str(p) for p in root.iterdir()}, api.Options())
    explained = {
        (os.path.abspath(r.path), r.position(f.span.start)[0])
        for r in joined.results
        for f in r.findings
        if f.rule == "runtime-leak" and not f.message.endswith("no static rule explains it")
    }
    for program in programs.values():
        program.confirmed = any(
            site.key in explained and _holds(program, site) for site in found if program.found
        )


def _prove(
    chain: toolchain.Toolchain,
    programs: Mapping[str, Program],
    found: Sequence[sites.Site],
    fixed: Sequence[FileResult],
    root: Path,
) -> None:
    proven = _proven_sites(chain, found, fixed)
    for program in programs.values():
        program.proven = program.confirmed and any(
            site.key in proven and _holds(program, site) for site in found
        )


def _proven_sites(
    chain: toolchain.Toolchain, found: Sequence[sites.Site], fixed: Sequence[FileResult]
) -> set[tuple[str, int]]:
    """The sites that an applied fix explains and after which its before -> after is n -> 0."""
    by_path = {r.path: r for r in fixed}
    accepted: dict[str, list[Unit]] = {}
    for result in fixed:
        folder = os.path.dirname(os.path.abspath(result.path))
        units = {Unit(result.path, f.rule) for f in result.fixes_applied}
        accepted.setdefault(folder, []).extend(sorted(units))

    def text(path: str, rules: frozenset[str]) -> bytes:
        result = by_path[path]
        if rules == {f.rule for f in result.fixes_applied}:
            return result.fixed or b""
        options = api.Options(go_version=GO_VERSION, fix=Applicability.UNSAFE, select=tuple(rules))
        subset = api.check_source(path, result.original or b"", options)
        return subset.fixed if subset.fixed is not None else result.original or b""

    fixing = api.Options(go_version=GO_VERSION, fix=Applicability.UNSAFE)
    checked = proof.check(accepted, by_path, proof.per_file(text), chain.go, fixing)
    good = {(p.path, p.line, p.rule) for p in checked.proofs if p.before and not p.after}
    proven: set[tuple[str, int]] = set()
    for result in fixed:
        path = os.path.abspath(result.path)
        starts = line_starts(result.original or b"")
        for rule in sorted({f.rule for f in result.fixes_applied}):
            for finding in proof.fixed_findings(result, rule, fixing):
                line = report.position(starts, finding.span.start)[0]
                if (result.path, line, rule) in good:
                    proven |= {s.key for s in found if report.explains(finding, path, s, starts)}
    return proven


def _statuses(module_runs: Iterable[gotest.ModuleRun]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for run in module_runs:
        for package in run.packages:
            name = os.path.basename(package.package.directory)
            out.setdefault(name, []).extend(o.status for o in package.outcomes)
    return out


def _goker_table(
    programs: Mapping[str, Program], runs: int, statuses: Mapping[str, list[str]]
) -> str:
    goker = [p for p in programs.values() if p.package != "patterns"]
    patterns = [p for p in programs.values() if p.package == "patterns"]
    lines = [
        f"**GoKer** ({len(goker)} programs) and **Uber's patterns** ({len(patterns)}), "
        f"{runs} runs of each test binary:",
        "",
        "| corpus | programs | found (a labelled leak reported) | any leak reported | "
        "labels reported | explained by a static rule | proven fix |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for title, group in (("GoKer", goker), ("Uber patterns", patterns)):
        labels = sum(len(p.labels) for p in group)
        matched = sum(len(p.matched) for p in group)
        lines.append(
            f"| {title} | {len(group)} | {sum(p.found for p in group)} | "
            f"{sum(p.any_leak or bool(p.matched) for p in group)} | {matched} of {labels} | "
            f"{sum(p.confirmed for p in group)} | {sum(p.proven for p in group)} |"
        )
    missed = sorted(p.name for p in goker if not p.found)
    unlabelled = sorted(p.name for p in programs.values() if not p.labels)
    lines += ["", f"Not found: {', '.join(missed) or 'none'}."]
    if unlabelled:
        lines.append(
            f"Without labels in the runtime's test (counted as found when any leak of theirs is "
            f"reported): {', '.join(unlabelled)}."
        )
    confirmed = sorted(p.name for p in programs.values() if p.confirmed)
    lines.append(f"Explained by a static rule: {', '.join(confirmed) or 'none'}.")
    proven = sorted(p.name for p in programs.values() if p.proven)
    lines.append(f"Proven fix: {', '.join(proven) or 'none'}.")
    unproven = sorted(p.name for p in programs.values() if p.confirmed and not p.proven)
    lines.append(f"Explained, without a proven fix: {', '.join(unproven) or 'none'}.")
    outcome = "; ".join(
        f"`{package}`: " + ", ".join(f"{s} {n}" for s, n in sorted(_count(found).items()))
        for package, found in sorted(statuses.items())
    )
    lines.append(f"Test binaries' outcomes per run: {outcome}.")
    return "\n".join(lines)


def _count(items: Iterable[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        out[item] = out.get(item, 0) + 1
    return out


# --- the fixtures ------------------------------------------------------------------------------


def fixtures(chain: toolchain.Toolchain) -> str:
    from tests import gomodule
    from tests.fixture_cases import FIXTURES, SHARED, rule_dirs
    from tests.test_fixtures import leak_tests

    ticker_rules = {"leaky-time-tick", "unstopped-ticker"}
    with tempfile.TemporaryDirectory(prefix="gofixleak-oracle-fixtures-") as scratch:
        root = Path(scratch).resolve()
        shutil.copyfile(FIXTURES / "go.mod", root / "go.mod")
        shutil.copyfile(FIXTURES / "go.sum", root / "go.sum")
        shutil.copytree(FIXTURES / SHARED, root / SHARED)
        labelled: dict[tuple[str, str], bool] = {}  # (rule, TestLeak) -> found
        for folder in rule_dirs():
            gomodule._copy_rule(folder.name, root / "orig" / folder.name, golden=False)
            if folder.name not in ticker_rules:
                labelled.update({(folder.name, name): False for name in leak_tests(folder.name)})
        (target,), _ = gotest.targets([str(root)])
        run = gotest.run(chain, target)
        found = sites.sites([run.leaks(0)])
        static, fixed = _static(root)
        tested = {p.package.directory for p in run.packages}
        joined = report.join(static, found, tested, api.Options())
        explained = {
            (os.path.abspath(r.path), r.position(f.span.start)[0])
            for r in joined.results
            for f in r.findings
            if f.rule == "runtime-leak" and not f.message.endswith("no static rule explains it")
        }
        proven = _proven_sites(chain, found, fixed)
        confirmed: set[tuple[str, str]] = set()
        fixed_tests: set[tuple[str, str]] = set()
        for site in found:
            rule = Path(site.file).relative_to(root).parts[1]
            for test in site.tests:
                key = (rule, name_of_test(test))
                if key in labelled:
                    labelled[key] = True
                    if site.key in explained:
                        confirmed.add(key)
                    if site.key in proven:
                        fixed_tests.add(key)
    seen = sum(labelled.values())
    return "\n".join(
        [
            f"**Fixtures**: {len(labelled)} `TestLeak` tests of the goroutine rules (the ticker "
            "rules' leaks are not goroutines), one run:",
            "",
            "| labelled leaks | reported | explained by a static rule | proven fix |",
            "| --- | --- | --- | --- |",
            f"| {len(labelled)} | {seen} | {len(confirmed)} | {len(fixed_tests)} |",
            "",
            "Not reported: "
            + (", ".join(f"{r} {t}" for (r, t), hit in sorted(labelled.items()) if not hit))
            + ".",
            "Explained by a static rule, without a proven fix: "
            + (", ".join(f"{r} {t}" for r, t in sorted(confirmed - fixed_tests)) or "none")
            + ".",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
