"""The fixture harness: every case under fixtures/<rule>/ is checked against its wants and golden,
and the goldens are proven with Go (gofmt, go vet, leak tests that fail before and pass after)."""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import pytest

from gofixleak import api, registry
from gofixleak.model import Applicability, FileResult, Finding, position
from gofixleak.source import SourceFile, error_count, line_starts
from tests import gomodule
from tests.fixture_cases import FIXTURES, Case, cases, parse_wants, rule_dirs

CASES = cases()
RULES = [p.name for p in rule_dirs()]
FIX_MARK = {
    None: "none",
    Applicability.SAFE: "safe",
    Applicability.UNSAFE: "unsafe",
    Applicability.DISPLAY_ONLY: "display",
}


def check(case: Case, fix: Applicability | None, *, golden: bool = False) -> FileResult:
    """The case's result when its whole directory is checked (as ``gofixleak DIR`` would):
    its other files are the package the case is read in, and a fix may edit them too.
    ``golden``: every file of the directory replaced by its golden, where it has one."""
    result = _package_results(case.path.parent, case.rule, fix, golden)[case.path]
    assert result.error is None, result.error
    return result


@functools.cache
def _package_results(
    directory: Path, rule: str, fix: Applicability | None, golden: bool
) -> dict[Path, FileResult]:
    files = sorted(p for p in directory.glob("*.go") if not p.name.endswith("_test.go"))
    overrides = {}
    if golden:
        for path in files:
            fixed = path.with_name(path.name + ".golden")
            if fixed.exists():
                overrides[str(path)] = fixed.read_bytes()
    folder = api.package_directory(str(files[0]), overrides)
    options = api.Options(select=(rule,), fix=fix)
    results = api.check_files(folder, [(str(path), options) for path in files])
    return {Path(r.path): r for r in results}


def describe(findings: list[Finding], data: bytes) -> str:
    starts = line_starts(data)
    return "\n".join(
        f"  line {position(starts, f.span.start)[0]}: {f.message} "
        f"(fix: {FIX_MARK[f.fix.applicability if f.fix else None]}, bite: {f.bite})"
        for f in findings
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_findings_match_wants(case: Case) -> None:
    data = case.path.read_bytes()
    tree = SourceFile.parse(str(case.path), data).tree
    assert (error_count(tree) > 0) == case.expects_syntax_error, "unexpected syntax error"
    wants = parse_wants(data)
    findings = list(check(case, None).findings)
    starts = line_starts(data)
    unmatched = list(findings)
    fixable = registry.get(case.rule).fixable
    for want in wants:
        match = next(
            (
                f
                for f in unmatched
                if position(starts, f.span.start)[0] == want.line
                and re.search(want.pattern, f.message)
            ),
            None,
        )
        assert match is not None, (
            f"line {want.line}: no finding matching {want.pattern!r}; got:\n"
            + describe(findings, data)
        )
        unmatched.remove(match)
        if fixable:
            assert want.fix is not None, f"line {want.line}: a want of a fixable rule states fix:"
        if want.fix is not None:
            got = FIX_MARK[match.fix.applicability if match.fix else None]
            assert got == want.fix, f"line {want.line}: fix is {got}, want {want.fix}"
        assert match.bite == want.bite, f"line {want.line}: bites {match.bite}, want {want.bite}"
    assert not unmatched, "unexpected findings:\n" + describe(unmatched, data)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden(case: Case) -> None:
    data = case.path.read_bytes()
    fixed = check(case, Applicability.UNSAFE).fixed
    if not case.golden.exists():
        assert fixed is None, "a fix is offered but the case has no golden"
        return
    golden = case.golden.read_bytes()
    assert fixed is not None, "the golden expects a fix, none was applied"
    assert fixed.decode("utf-8", "replace") == golden.decode("utf-8", "replace")
    assert fixed == golden
    assert error_count(SourceFile.parse(str(case.golden), golden).tree) == error_count(
        SourceFile.parse(str(case.path), data).tree
    ), "the golden has new syntax errors"
    again = check(case, Applicability.UNSAFE, golden=True)
    assert again.fixed is None, "fixing the golden again changes it"


@pytest.fixture(scope="session")
def go_report(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> gomodule.GoReport:
    if shutil.which("go") is None or shutil.which("gofmt") is None:
        pytest.fail("the fixture proofs need go and gofmt on PATH")
    # Build only the rules whose proofs this session runs (`-k <rule>` builds one package pair).
    selected = sorted(
        {
            str(item.callspec.params["rule"])
            for item in request.session.items
            if isinstance(item, pytest.Function) and item.originalname == "test_go_proof"
        }
    )
    return gomodule.build(selected, tmp_path_factory.mktemp("gomodule"))


def leak_tests(rule: str) -> dict[str, Path]:
    """Leak test name -> file, from the rule's _test.go files (its sub-packages' included)."""
    out = {}
    for path in sorted((FIXTURES / rule).rglob("*_test.go")):
        for name in re.findall(r"^func (TestLeak\w*)\(", path.read_text(), re.MULTILINE):
            out[name] = path
    return out


@pytest.mark.parametrize("rule", RULES)
def test_go_proof(rule: str, go_report: gomodule.GoReport) -> None:
    """Goldens are gofmt-clean and vet; leak tests fail on the original and pass on the golden."""
    assert not go_report.vet.get(f"orig/{rule}"), go_report.vet.get(f"orig/{rule}")
    assert not go_report.vet.get(f"fixed/{rule}"), go_report.vet.get(f"fixed/{rule}")
    unformatted = [f for f in go_report.unformatted if f.startswith(f"fixed/{rule}/")]
    assert not unformatted, f"goldens gofmt would change: {unformatted}"
    orig = go_report.tests.get(("orig", rule), {})
    fixed = go_report.tests.get(("fixed", rule), {})
    output = go_report.build_output.get(("fixed", rule), "") + go_report.build_output.get(
        ("", ""), ""
    )
    leaks = leak_tests(rule)
    goldens = [c for c in CASES if c.rule == rule and c.golden.exists()]
    for case in goldens:
        # A case alone in the rule's folder has its own test file; a package of several files
        # (a sub-folder) is proven by the leak tests of that package.
        test_file = case.path.with_name(case.path.stem + "_test.go")
        in_package = case.path.parent != FIXTURES / rule
        assert any(
            path == test_file or (in_package and path.parent == case.path.parent)
            for path in leaks.values()
        ), f"{case.id} has a golden but {test_file.name} holds no TestLeak test"
    for name in leaks:
        assert orig.get(name) == "fail", (
            f"{name} should fail on the leaky original: {orig.get(name)}"
        )
        assert fixed.get(name) == "pass", (
            f"{name} should pass on the golden: {fixed.get(name)}\n{output}"
        )
    for name, outcome in fixed.items():
        assert outcome == "pass", f"{name}: {outcome} on the goldens\n{output}"
    for name, outcome in orig.items():
        if name not in leaks:
            assert outcome == "pass", f"{name} (not a leak test) {outcome} on the originals"
