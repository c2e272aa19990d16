"""--verify with fixes that edit another file of the package: the files of one fix are built
together, and dropped together (a stand-in rule: leak() becomes stop(), and stop.go gets what
the test says, which may not build)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gofixleak import api, prefilter, registry, syntax, verify
from gofixleak.model import Applicability, Edit, FileResult, Finding, Fix, RuleInfo, Span
from gofixleak.source import SourceFile, span_of
from tests.verify_rules import GO_MOD

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs go")

INFO = RuleInfo(
    "fake-leak",
    "Calls of leak().\n\nWhy it leaks\n------------\nx\n\nFix safety\n----------\nx\n",
)
SAFE = api.Options(fix=Applicability.SAFE)
CALLER = b"package p\n\nfunc f() {\n\tleak()\n}\n\nfunc leak() {}\n"


def detect(src: SourceFile) -> Iterator[Finding]:
    if b"func extra" in src.pkg.source(_stop_go(src)).data:
        return  # what a fix that edits only stop.go leaves: nothing more to fix
    for call in syntax.descendants(src.root, "call_expression"):
        if syntax.call_name(src, call) == "leak":
            function = call.child_by_field_name("function")
            assert function is not None
            yield Finding(INFO.name, src.path, span_of(call), "leak", {"name": span_of(function)})


def _stop_go(src: SourceFile) -> str:
    return os.path.join(os.path.dirname(src.path), "stop.go")


def rule(appended: bytes, *, rename: bool) -> registry.Rule:
    def fix(finding: Finding, src: SourceFile) -> Fix:
        other = _stop_go(src)
        end = len(src.pkg.source(other).data)
        own = (Edit(finding.captures["name"], b"stop"),) if rename else ()
        added = (other, (Edit(Span(end, end), appended),))
        return Fix("call stop()", own, Applicability.SAFE, elsewhere=(added,))

    return registry.Rule(INFO, detect, fix, prefilter.Word(b"leak"))


@pytest.fixture(autouse=True)
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    (tmp_path / "go.mod").write_bytes(GO_MOD)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "a.go").write_bytes(CALLER)
    (tmp_path / "p" / "stop.go").write_bytes(b"package p\n")


def run(
    monkeypatch: pytest.MonkeyPatch, appended: bytes, *, rename: bool = True
) -> verify.Verification:
    chosen = rule(appended, rename=rename)
    monkeypatch.setattr(registry, "all_rules", lambda: (chosen,))
    results = list(api.run(["p"], SAFE, jobs=1))
    return verify.verify(results, SAFE)


def by_name(outcome: verify.Verification) -> dict[str, FileResult]:
    return {Path(r.path).name: r for r in outcome.results}


def test_a_fix_over_two_files_that_builds_is_kept_in_both(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run(monkeypatch, b"\nfunc stop() {}\n")
    assert outcome.dropped == ()
    results = by_name(outcome)
    assert results["a.go"].fixed is not None and b"\tstop()\n" in results["a.go"].fixed
    assert results["stop.go"].fixed == b"package p\n\nfunc stop() {}\n"


def test_a_fix_whose_other_file_breaks_the_build_is_dropped_from_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    outcome = run(monkeypatch, b"\nfunc stop() { undefinedHere() }\n")
    ((path, reason),) = {(d.path, d.reason) for d in outcome.dropped}
    assert (path, reason) == ("p/a.go", "`go build` fails on the package with this fix")
    results = by_name(outcome)
    assert results["a.go"].fixed is None and results["stop.go"].fixed is None
    (remaining,) = results["a.go"].findings
    assert remaining.fix is None


def test_a_fix_that_edits_only_another_file_is_verified(monkeypatch: pytest.MonkeyPatch) -> None:
    outcome = run(monkeypatch, b"\nfunc extra() { undefinedHere() }\n", rename=False)
    assert [(d.path, d.rule) for d in outcome.dropped] == [("p/a.go", "fake-leak")]
    assert by_name(outcome)["stop.go"].fixed is None
