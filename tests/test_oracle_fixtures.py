"""The runtime oracle on the fixtures module: every goroutine leak the fixtures' tests exercise is
reported at its blocking line, nothing else is, and the goldens leak only where no fix is offered.

One `go test` under the leak profile covers the originals and the goldens of every rule (the
fixture harness's layout, tests/gomodule.py), so Go runs the packages in parallel. What must be
found is written down in tests/data/oracle/fixture-leaks.txt, with the TestLeak tests whose
leaks the profile cannot see and why.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from gofixleak import api
from gofixleak.detectors.runtime_leak import RULE
from gofixleak.oracle import gotest, report, sites, toolchain
from gofixleak.oracle.stacks import name_of_test
from gofixleak.source import line_starts
from tests import gomodule
from tests.fixture_cases import FIXTURES, SHARED, rule_dirs
from tests.test_fixtures import leak_tests

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs go")

EXPECTED = Path(__file__).resolve().parent / "data" / "oracle" / "fixture-leaks.txt"
Leak = tuple[str, str, str, str, str]  # tree, file under the tree, test, blocking code, rule


@dataclass(frozen=True)
class Expectations:
    leaks: frozenset[Leak]
    unseen: dict[tuple[str, str], str]  # (rule, test or *) -> why the profile cannot see it


def expectations() -> Expectations:
    leaks: set[Leak] = set()
    unseen: dict[tuple[str, str], str] = {}
    for number, line in enumerate(EXPECTED.read_text().splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        kind, *fields = line.split("\t")
        if kind == "unseen" and len(fields) == 3:
            unseen[(fields[0], fields[1])] = fields[2]
        elif kind in ("orig", "both") and len(fields) == 4:
            trees = ("orig", "fixed") if kind == "both" else ("orig",)
            leaks.update((tree, *fields) for tree in trees)  # type: ignore[misc]
        else:
            raise ValueError(f"{EXPECTED.name}:{number}: cannot read {line!r}")
    return Expectations(frozenset(leaks), unseen)


@dataclass(frozen=True)
class Observed:
    root: Path
    leaks: frozenset[Leak]
    runs: gotest.ModuleRun


@pytest.fixture(scope="session")
def observed(tmp_path_factory: pytest.TempPathFactory) -> Observed:
    root = tmp_path_factory.mktemp("oracle-fixtures").resolve()
    shutil.copyfile(FIXTURES / "go.mod", root / "go.mod")
    shutil.copyfile(FIXTURES / "go.sum", root / "go.sum")
    shutil.copytree(FIXTURES / SHARED, root / SHARED)
    for folder in rule_dirs():
        gomodule._copy_rule(folder.name, root / "orig" / folder.name, golden=False)
        gomodule._copy_rule(folder.name, root / "fixed" / folder.name, golden=True)
    (target,), errors = gotest.targets([str(root)])
    assert errors == []
    run = gotest.run(toolchain.find(), target)
    found = sites.sites([run.leaks(0)])
    static = [r for r in api.run([str(root)], api.Options(), jobs=1) if r.findings]
    tested = {p.package.directory for p in run.packages if p.collected}
    joined = report.join(static, found, tested, api.Options())
    explaining = {  # (absolute file, line) -> what the runtime-leak finding says explains it
        (str(Path(f.path).resolve()), r.position(f.span.start)[0]): _explaining(f.message)
        for r in joined.results
        for f in r.findings
        if f.rule == RULE.name
    }
    leaks: set[Leak] = set()
    for site in found:
        relative = Path(site.file).relative_to(root)
        tree, rest = relative.parts[0], Path(*relative.parts[1:]).as_posix()
        data = Path(site.file).read_bytes()
        span = report.line_span(data, line_starts(data), site.line)
        code = data[span.start : span.end].decode()
        for test in [name_of_test(t) for t in site.tests] or ["-"]:
            leaks.add((tree, rest, test, code, explaining[site.key]))
    return Observed(root, frozenset(leaks), run)


def _explaining(message: str) -> str:
    match = re.search(r"; (\S+(?:, \S+)*) explains? it$", message)
    return match.group(1) if match else "-"


def _show(leaks: set[Leak]) -> str:
    return "\n".join("\t".join(leak) for leak in sorted(leaks))


def test_every_leak_the_fixture_tests_exercise_is_found_and_nothing_else(
    observed: Observed,
) -> None:
    expected = expectations().leaks
    missing, unexpected = set(expected - observed.leaks), set(observed.leaks - expected)
    assert not missing and not unexpected, (
        f"missing:\n{_show(missing)}\nunexpected:\n{_show(unexpected)}"
    )


def test_every_leak_test_leaks_where_the_profile_can_see_it(observed: Observed) -> None:
    """A TestLeak test whose goroutine is not found must say why (fixture-leaks.txt, unseen)."""
    known = expectations()
    found = {(leak[1].split("/")[0], leak[2]) for leak in known.leaks if leak[0] == "orig"}
    for folder in rule_dirs():
        for name in leak_tests(folder.name):
            seen = (folder.name, name) in found
            reason = known.unseen.get((folder.name, name)) or known.unseen.get((folder.name, "*"))
            assert seen != bool(reason), (
                f"{folder.name} {name}: " + ("found, yet listed as unseen" if seen else "not found")
            )


def test_every_package_ran_and_the_one_that_cannot_be_collected_says_why(
    observed: Observed,
) -> None:
    assert observed.runs.errors == []
    problems = {p.package.shown: p.problem for p in observed.runs.packages if p.problem}
    assert sorted(Path(p).relative_to(observed.root).as_posix() for p in problems) == [
        "fixed/runtime-leak/verifytestmain",
        "orig/runtime-leak/verifytestmain",
    ]
    for package in observed.runs.packages:
        assert [o.status for o in package.outcomes] in (
            [gotest.PASSED],
            [gotest.FAILED],  # goleak fails the originals' leak tests
            [gotest.NOT_COLLECTED],
        ), package.package.shown
