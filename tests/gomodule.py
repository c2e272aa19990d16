"""Build the fixtures' originals and goldens side by side as one Go module, and run Go on it.

Layout of the temporary module (a copy of fixtures/go.mod):
    orig/<rule>/...   every case as written, with the rule's _test.go files
    fixed/<rule>/...  the same, with each case that has a golden replaced by it
    internal/...      Go helpers the leak tests share (fixtures/internal)
One ``go vet`` and one ``go test -json`` cover every package, so Go runs them in parallel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from tests.fixture_cases import FIXTURES, SHARED

MODULE = "example.com/fixtures"


@dataclass
class GoReport:
    root: Path
    vet: dict[str, str] = field(default_factory=dict)  # "orig/<rule>" -> vet output when it failed
    unformatted: list[str] = field(default_factory=list)  # files in fixed/ gofmt would change
    # (tree, rule) -> test name -> "pass" | "fail" | "skip"
    tests: dict[tuple[str, str], dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    build_output: dict[tuple[str, str], str] = field(default_factory=dict)


def _copy_rule(rule: str, dest: Path, *, golden: bool) -> None:
    source = FIXTURES / rule
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir():
            continue
        if any(part.startswith(("_", ".")) or part == "testdata" for part in rel.parts):
            continue
        if any(
            (source / Path(*rel.parts[:i]) / "go.mod").exists() for i in range(1, len(rel.parts))
        ):
            continue  # a nested module (a go-version case) is not part of this build
        target = dest / rel
        if path.name.endswith(".go.golden"):
            if golden:
                target = dest / rel.with_name(path.name[: -len(".golden")])
                _copy_go(path, target, rule, dest.parent.name)
            continue
        if not path.name.endswith(".go"):
            continue
        if golden and path.with_name(path.name + ".golden").exists():
            continue
        _copy_go(path, target, rule, dest.parent.name)


def _copy_go(path: Path, target: Path, rule: str, tree: str) -> None:
    """Copy a Go file into ``tree``; an import of the rule's own packages (an external test
    package's) follows the copy: example.com/fixtures/<rule>/... -> .../<tree>/<rule>/..."""
    target.parent.mkdir(parents=True, exist_ok=True)
    own = f'"{MODULE}/{rule}'.encode()
    target.write_bytes(path.read_bytes().replace(own, f'"{MODULE}/{tree}/{rule}'.encode()))


def build(rules: list[str], root: Path) -> GoReport:
    shutil.copyfile(FIXTURES / "go.mod", root / "go.mod")
    shutil.copyfile(FIXTURES / "go.sum", root / "go.sum")
    shutil.copytree(FIXTURES / SHARED, root / SHARED)
    for rule in rules:
        _copy_rule(rule, root / "orig" / rule, golden=False)
        _copy_rule(rule, root / "fixed" / rule, golden=True)
    report = GoReport(root)
    _vet(report, rules)
    _gofmt(report)
    _test(report)
    return report


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=900, check=False)


def _vet(report: GoReport, rules: list[str]) -> None:
    for tree in ("orig", "fixed"):
        for rule in rules:
            result = _run(["go", "vet", f"./{tree}/{rule}/..."], report.root)
            if result.returncode != 0:
                report.vet[f"{tree}/{rule}"] = result.stdout + result.stderr


def _gofmt(report: GoReport) -> None:
    result = _run(["gofmt", "-l", "fixed"], report.root)
    report.unformatted = result.stdout.split()


def _test(report: GoReport) -> None:
    result = _run(["go", "test", "-json", "-count=1", "./..."], report.root)
    for line in result.stdout.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        package = event.get("Package", "")
        parts = package.removeprefix(MODULE + "/").split("/")
        if len(parts) < 2:
            continue
        key = (parts[0], parts[1])
        if event.get("Action") == "output" and not event.get("Test"):
            report.build_output[key] = report.build_output.get(key, "") + event.get("Output", "")
        if event.get("Test") and event.get("Action") in ("pass", "fail", "skip"):
            name = event["Test"].split("/")[0]
            if "/" not in event["Test"]:
                report.tests[key][name] = event["Action"]
    if result.returncode != 0 and not report.tests:
        report.build_output[("", "")] = result.stdout[-4000:] + result.stderr[-4000:]
