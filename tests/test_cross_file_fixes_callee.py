"""Fixes that edit another file of the package: shown when checking, applied when fixing, even
where the other file holds nothing any rule looks for (it is not parsed otherwise)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gofixleak import api, prefilter, registry, syntax
from gofixleak.model import Applicability, Edit, FileResult, Finding, Fix, RuleInfo, Span
from gofixleak.source import SourceFile, span_of

INFO = RuleInfo("fake-leak", "Calls of leak(), fixed by calling stop(), declared in stop.go.\n")


def detect(src: SourceFile) -> Iterator[Finding]:
    for call in syntax.descendants(src.root, "call_expression"):
        if syntax.call_name(src, call) == "leak":
            function = call.child_by_field_name("function")
            assert function is not None
            yield Finding(INFO.name, src.path, span_of(call), "leak", {"name": span_of(function)})


def call_stop(finding: Finding, src: SourceFile) -> Fix:
    other = os.path.join(os.path.dirname(src.path), "stop.go")
    end = len(src.pkg.source(other).data)
    return Fix(
        "call stop()",
        (Edit(finding.captures["name"], b"stop"),),
        Applicability.SAFE,
        elsewhere=((other, (Edit(Span(end, end), b"\nfunc stop() {}\n"),)),),
    )


@pytest.fixture(autouse=True)
def fake_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    rule = registry.Rule(INFO, detect, call_stop, prefilter.Word(b"leak"))
    monkeypatch.setattr(registry, "all_rules", lambda: (rule,))


def run(tmp_path: Path, fix: Applicability | None, *names: str) -> dict[str, FileResult]:
    (tmp_path / "a.go").write_text("package p\n\nfunc f() {\n\tleak()\n}\n\nfunc leak() {}\n")
    (tmp_path / "stop.go").write_text("package p\n")  # nothing the rule's prefilter matches
    (tmp_path / "other.go").write_text("package p\n\nfunc g() {}\n")
    paths = [str(tmp_path / n) for n in names or ("a.go", "other.go", "stop.go")]
    results = api.run(paths, api.Options(fix=fix), jobs=1)
    return {Path(r.path).name: r for r in results}


def test_a_check_shows_a_fix_that_edits_another_file(tmp_path: Path) -> None:
    (finding,) = run(tmp_path, None)["a.go"].findings
    assert finding.fix is not None
    assert [Path(p).name for p, _ in finding.fix.elsewhere] == ["stop.go"]


def test_the_fix_edits_a_file_that_no_rule_reads(tmp_path: Path) -> None:
    results = run(tmp_path, Applicability.SAFE)
    assert results["a.go"].fixed == b"package p\n\nfunc f() {\n\tstop()\n}\n\nfunc leak() {}\n"
    assert results["stop.go"].fixed == b"package p\n\nfunc stop() {}\n"
    assert [Path(p).name for p in results["a.go"].linked] == ["stop.go"]
    assert [Path(p).name for p in results["stop.go"].linked] == ["a.go"]


def test_a_file_no_fix_edits_is_reported_as_before(tmp_path: Path) -> None:
    results = run(tmp_path, Applicability.SAFE)
    assert results["other.go"] == FileResult(str(tmp_path / "other.go"))


def test_no_fix_when_the_other_file_is_not_in_the_run(tmp_path: Path) -> None:
    results = run(tmp_path, Applicability.SAFE, "a.go", "other.go")
    (finding,) = results["a.go"].findings
    assert finding.fix is None
    assert results["a.go"].fixed is None
