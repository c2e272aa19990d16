"""Static and runtime findings joined: confirmed marks, runtime-leak findings offering the static
fix, suppression at the blocking line, and what every output format shows of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gofixleak import api
from gofixleak.model import FileResult
from gofixleak.oracle import report, sites
from gofixleak.oracle.stacks import Frame
from gofixleak.output import json_report, sarif, text

LEAKY = b"""package p

// Prefetch forgets its loader on an empty key.
func Prefetch(key string, load func(string) int) int {
\tresult := make(chan int)
\tgo func() {
\t\tresult <- load(key)
\t}()
\tif key == "" {
\t\treturn 0
\t}
\treturn <-result
}

// Lock waits for a mutex nobody unlocks.
func Lock(held chan struct{}) {
\tgo func() {
\t\t<-held // a comment after the code
\t}()
}
"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "go.mod").write_text("module example.com/p\n\ngo 1.22\n")
    (tmp_path / "p.go").write_bytes(LEAKY)
    (tmp_path / "p_test.go").write_bytes(b"package p\n\nfunc TestPrefetch(t *T) {}\n")
    return tmp_path


def site(folder: Path, line: int, created: int, *, state: str = "chan send") -> sites.Site:
    test = Frame("example.com/p.TestPrefetch", str(folder / "p_test.go"), 9)
    go = Frame("example.com/p.F", str(folder / "p.go"), created)
    leak = sites.Leak(str(folder / "p.go"), line, state, sites.LEAKED, "F", go, test)
    return sites.sites([[leak, leak]])[0]


def joined(folder: Path, *found: sites.Site, options: api.Options | None = None) -> FileResult:
    options = options or api.Options()
    static = [r for r in api.run(["."], options, jobs=1) if r.findings]
    result = report.join(static, found, {str(folder)}, options)
    (only,) = [r for r in result.results if r.path == "p.go"]
    return only


def test_a_confirmed_static_finding_and_the_runtime_leak_offering_its_fix(folder: Path) -> None:
    result = joined(folder, site(folder, 7, 6))
    static, runtime = result.findings
    assert (static.rule, static.confirmed) == ("abandoned-sender", True)
    assert runtime.rule == "runtime-leak" and runtime.confirmed is None
    assert result.position(runtime.span.start) == (7, 3)
    assert runtime.message == (
        "2 goroutines leaked, blocked in chan send: started at p.go:6 by TestPrefetch; "
        "abandoned-sender explains it"
    )
    assert runtime.fix is static.fix and runtime.fix is not None
    started, by_test = runtime.related
    assert (result.position(started.span.start)[0], started.path) == (6, None)
    assert (by_test.path, by_test.line, by_test.message) == ("p_test.go", 3, "by TestPrefetch")
    test_file = (folder / "p_test.go").read_bytes()
    assert test_file[by_test.span.start : by_test.span.end] == b"func TestPrefetch(t *T) {}"
    rendered = text.render([result])
    assert "p.go:5:12: abandoned-sender: result is unbuffered" in rendered
    assert rendered.splitlines()[0].endswith(" [confirmed] [*]")
    assert rendered.splitlines()[1].endswith("abandoned-sender explains it [*]")


def test_a_leak_no_rule_explains_and_a_static_finding_not_seen(folder: Path) -> None:
    outcome = report.join(
        [r for r in api.run(["."], api.Options(), jobs=1) if r.findings],
        [site(folder, 18, 17, state="chan receive")],
        {str(folder)},
        api.Options(),
    )
    (result,) = outcome.results
    static, runtime = result.findings
    assert static.confirmed is False  # the package's tests ran; its goroutine did not leak
    assert runtime.message.endswith("; no static rule explains it") and runtime.fix is None
    code = LEAKY.splitlines()[17]
    start, end = (result.position(runtime.span.start), result.position(runtime.span.end))
    assert code[start[1] - 1 : end[1] - 1] == b"<-held"  # the trailing comment is left out
    assert outcome.unexplained == (("chan receive", 2, 1),)
    assert (outcome.runtime, outcome.confirmed) == (1, 0)


def test_a_directive_at_the_blocking_line_suppresses_the_runtime_leak(folder: Path) -> None:
    directive = b"<-held //gofixleak:ignore runtime-leak held for the process"
    data = LEAKY.replace(b"<-held // a comment after the code", directive)
    (folder / "p.go").write_bytes(data)
    result = joined(folder, site(folder, 18, 17, state="chan receive"))
    assert [f.rule for f in result.findings] == ["abandoned-sender"]
    (suppressed,) = result.suppressed
    assert suppressed.finding.rule == "runtime-leak"
    assert suppressed.reason == "held for the process"


def test_runtime_leak_follows_the_rule_selection(folder: Path) -> None:
    ignored = joined(folder, site(folder, 7, 6), options=api.Options(ignore=("runtime-leak",)))
    assert [(f.rule, f.confirmed) for f in ignored.findings] == [("abandoned-sender", True)]


def test_json_and_sarif_carry_the_confirmed_mark_and_the_places(folder: Path) -> None:
    result = joined(folder, site(folder, 7, 6))
    entries = json.loads(json_report.render([result]))["findings"]
    assert [(e["rule"], e.get("confirmed")) for e in entries] == [
        ("abandoned-sender", True),
        ("runtime-leak", None),
    ]
    assert "confirmed" not in entries[1]
    log = json.loads(sarif.render([result], []))
    static, runtime = log["runs"][0]["results"]
    assert static["properties"] == {"bite": "leak", "confirmed": True}
    assert runtime["properties"] == {"bite": "leak"}
    by_test = runtime["relatedLocations"][1]["physicalLocation"]
    assert by_test == {
        "artifactLocation": {"uri": "p_test.go", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 3, "byteOffset": 11, "byteLength": 26},  # line 3 of p_test.go
    }


def test_a_plain_check_sets_no_confirmed_mark(folder: Path) -> None:
    (result,) = [r for r in api.run(["."], api.Options(), jobs=1) if r.findings]
    assert all(f.confirmed is None for f in result.findings)
    assert "confirmed" not in json_report.render([result])
    assert "[confirmed]" not in text.render([result])
