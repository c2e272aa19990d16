"""The prefilter never loses a finding: every fixture, golden and bundled example gives the same
findings and fixes with and without it, and each rule that reports in a file has a prefilter that
matches that file. Plus the go-statement matcher's own cases."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from gofixleak import api, prefilter, registry, syntax
from gofixleak.model import Applicability, FileResult
from gofixleak.source import GoVersion, SourceFile, module_go_version
from tests import fake_rule
from tests.fixture_cases import FIXTURES, ROOT

GO_FILES = sorted(
    [*FIXTURES.rglob("*.go"), *FIXTURES.rglob("*.go.golden"), *(ROOT / "examples").rglob("*.go")]
)


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _as_go_path(path: Path) -> str:
    """A golden is checked as the Go file it stands for (``_test.go`` and go.mod lookups)."""
    return str(path.with_name(path.name.removesuffix(".golden")))


def _without_prefilters(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tuple(
        dataclasses.replace(r, prefilter=None, package_prefilter=None)
        for r in registry.all_rules()
    )
    monkeypatch.setattr(registry, "all_rules", lambda: rules)


def _summary(result: FileResult) -> tuple[object, ...]:
    return (result.findings, result.fixes_applied, result.fixed, result.error, result.suppressed)


def test_every_rule_declares_a_prefilter() -> None:
    """Not required by the registry, but every current rule can say what it needs."""
    missing = [r.name for r in registry.all_rules() if r.prefilter is None]
    assert missing == []


@pytest.mark.parametrize("mode", [None, Applicability.UNSAFE], ids=["check", "fix"])
def test_same_results_with_and_without_prefilter(
    mode: Applicability | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert GO_FILES, "no fixtures found"
    options = api.Options(fix=mode)
    data = {path: path.read_bytes() for path in GO_FILES}
    with_prefilter = {
        p: _summary(api.check_source(_as_go_path(p), d, options)) for p, d in data.items()
    }
    _without_prefilters(monkeypatch)
    for path, text in data.items():
        without = _summary(api.check_source(_as_go_path(path), text, options))
        assert with_prefilter[path] == without, _id(path)


@pytest.mark.parametrize("checked", registry.all_rules(), ids=lambda r: r.name)
def test_a_rule_reports_only_where_its_prefilter_matches(checked: registry.Rule) -> None:
    """The necessary condition, rule by rule, on the detector itself (before the engine)."""
    for path in GO_FILES:
        data = path.read_bytes()
        go_path = _as_go_path(path)
        src = SourceFile.parse(go_path, data, module_go_version(str(path.parent)))
        if any(True for _ in checked.detect(src)):
            assert checked.may_match(data), f"{checked.name} reports in {_id(path)}"
            admitted = checked.package_prefilter is None or checked.package_prefilter(data, src.pkg)
            assert admitted, f"{checked.name} reports in {_id(path)}, not admitted in its package"


def test_files_no_rule_can_fire_on_are_not_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    only_leak = re.compile(rb"\bleak\(")
    rule = registry.Rule(fake_rule.INFO, fake_rule.detect, fake_rule.rename, only_leak)
    monkeypatch.setattr(registry, "all_rules", lambda: (rule,))
    parsed: list[str] = []
    original = SourceFile.parse

    def counting(
        path: str, data: bytes, version: GoVersion | None = None, **context: Any
    ) -> SourceFile:
        parsed.append(path)
        return original(path, data, version, **context)

    monkeypatch.setattr(SourceFile, "parse", staticmethod(counting))
    assert api.check_source("quiet.go", b"package p\n", api.Options()) == FileResult("quiet.go")
    assert parsed == []
    busy = api.check_source("busy.go", b"package p\n\nfunc f() {\n\tleak()\n}\n", api.Options())
    assert parsed == ["busy.go"] and len(busy.findings) == 1
    # A directive needs the parse, to be judged (unused-directive), even where no rule can fire.
    directive = b"package p\n\n//gofixleak:ignore fake-leak not here\nfunc f() {}\n"
    assert api.check_source("directive.go", directive, api.Options()).findings
    assert parsed == ["busy.go", "directive.go"]


GO_STATEMENTS = [
    b"package p\nfunc f() {\n\tgo g()\n}\n",
    b"package p\nfunc f() { go g() }\n",
    b"package p\nfunc f() { g(); go g() }\n",
    b"package p\nfunc f() {\n\tselect {\n\tcase <-c: go g()\n\t}\n}\n",
    b"package p\nfunc f() {\nL: go g()\n}\n",
    b"package p\nfunc f() {\n\t/* start */ go g()\n}\n",
    b"package p\nfunc f() {\n\tgo\n\tg()\n}\n",  # valid Go: no semicolon is inserted after `go`
    b"package p\nfunc f() {\n\tgo(g)()\n}\n",
    b"package p\nfunc f() {\n\tgo/* c */g()\n}\n",
    b"package p\nfunc f() {\r\n\tgo g()\r\n}\r\n",
    b"package p\nfunc f() {\xc2\xa0go g()\n}\n",  # a no-break space (tree-sitter's \s)
    b"package p\nfunc f() {\x00go g()\n}\n",  # NUL ends a statement in tree-sitter-go
    b"go g()\n",  # tree-sitter-go accepts statements at top level
]

NOT_GO_STATEMENTS = [
    b"package p\n\n//go:build linux\n",
    b"package p\n\n// Let go of the lock, then go on.\n",
    b'package p\n\nimport "go/token"\n',
    b'package p\n\nvar s = "we go"\n',
    b"package p\n\nvar algo, gopher, go_ = 1, 2, 3\n",
    b"package p\n\n// see x.go\n",
    b"package p\n\nfunc f() { defer g() }\n",
]


@pytest.mark.parametrize("text", GO_STATEMENTS)
def test_go_statement_is_seen(text: bytes) -> None:
    assert prefilter.GO_STATEMENT.search(text) is not None
    src = SourceFile.parse("p.go", text)
    assert any(syntax.descendants(src.root, "go_statement")), "the case is no go statement"


@pytest.mark.parametrize("text", NOT_GO_STATEMENTS)
def test_go_in_comments_strings_and_names_is_not_a_statement(text: bytes) -> None:
    assert prefilter.GO_STATEMENT.search(text) is None


def test_timer_prefilters() -> None:
    assert prefilter.TIME_TICK.search(b"for range t.Tick(d) {}") is not None
    assert prefilter.TIME_TICK.search(b"x := Tick(d)") is not None
    assert prefilter.TIME_TICK.search(b"ticker := time.NewTicker(d)") is None
    assert prefilter.NEW_TICKER_OR_TIMER.search(b"t := time.NewTimer(d)") is not None
    assert prefilter.NEW_TICKER_OR_TIMER.search(b"t := time.NewTicker(d)") is not None
    assert prefilter.NEW_TICKER_OR_TIMER.search(b"c := time.Tick(d)") is None


def test_locked_channel_wait_prefilter() -> None:
    """A lock call (a helper's too: the file may never spell Lock) and a channel operation."""
    wait = prefilter.LOCKED_CHANNEL_WAIT
    assert wait.search(b"s.mu.Lock()\n<-s.done") is not None
    assert wait.search(b"g.lock()\ndefer g.unlock()\ng.samples <- v") is not None
    assert wait.search(b"c.mu.RLock()\nfor v := range c.items {}") is not None
    assert wait.search(b"s.mu.Lock()\ns.n++") is None
    assert wait.search(b"v := <-s.done") is None


def test_rules_sharing_a_prefilter_search_once() -> None:
    calls: list[bytes] = []

    class Counting:
        def search(self, data: bytes, /) -> object | None:
            calls.append(data)
            return None

    shared = Counting()
    rule = registry.all_rules()[0]
    rules = [dataclasses.replace(rule, prefilter=shared) for _ in range(3)]
    assert registry.applicable(rules, b"package p\n") == ()
    assert len(calls) == 1


def test_waitgroup_prefilter_needs_add_and_a_go_statement() -> None:
    assert prefilter.WAITGROUP_ADD.search(b"\twg.Add(1)\n\tgo f()\n") is not None
    assert prefilter.WAITGROUP_ADD.search(b"\twg.Add(1)\n\tf()\n") is None
    assert prefilter.WAITGROUP_ADD.search(b"\tx.AddInt(1) // go on\n\tgo f()\n") is None


def test_any_of_matches_where_one_of_its_prefilters_does() -> None:
    either = prefilter.AnyOf(prefilter.GO_STATEMENT, prefilter.Word(b"Stop"))
    assert either.search(b"package p\n\nfunc f() {\n\tgo g()\n}\n") is not None
    assert either.search(b"package p\n\nvar ok = t.Stop()\n") is not None
    assert either.search(b"package p\n\n// go to Stopwatch\n") is None


def test_contains_matches_only_where_each_of_its_needles_occurs() -> None:
    both = prefilter.Contains(b"default", b"<-")
    assert both.search(b"select {\ndefault:\n\tch <- v\n}\n") is not None
    assert both.search(b"switch x {\ndefault:\n}\n") is None
    assert both.search(b"v := <-ch\n") is None


LOCKED_RANGE_TYPE = """package p

import "sync"

type hub struct {
	mu      sync.Mutex
	updates chan int
	names   []string
}
"""

LOCKED_RANGE = """package p

func (h *hub) %s() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range h.%s {
	}
}
"""


@pytest.mark.parametrize(("ranged", "admitted"), [("updates", True), ("names", False)])
def test_a_locked_range_is_parsed_only_over_a_channel_field_of_the_package(
    tmp_path: Path, ranged: str, admitted: bool
) -> None:
    """lock-held-channel-wait's package prefilter: a file with no ``<-`` and no ``make(chan``
    waits only in a range over a field that some file of the package declares as a channel."""
    (tmp_path / "hub.go").write_text(LOCKED_RANGE_TYPE)
    path = tmp_path / "drain.go"
    path.write_text(LOCKED_RANGE % ("drain", ranged))
    (rule,) = [r for r in registry.all_rules() if r.name == "lock-held-channel-wait"]
    package = api.package_directory(str(path)).package_of(str(path), None)
    data = path.read_bytes()
    assert rule.may_match(data)
    assert registry.in_package((rule,), data, package) == ((rule,) if admitted else ())


def test_make_chan_is_seen_whatever_parts_its_tokens() -> None:
    """The overfill of double-send starts at a ``make(chan ...)``, in a file that may start no
    goroutine."""
    make_chan = prefilter.MAKE_CHAN
    for text in (
        b"ch := make(chan int, 1)",
        b"ch := make(<-chan int)",
        b"c := &C{ch: make( chan<- struct{} )}",
        b"ch := make(/* unbuffered */ chan int)",
        b"ch := make(\n\t// values\n\tchan int,\n\t2)",
    ):
        assert make_chan.search(text) is not None, text
    for text in (b"s := make([]chan int, 1)", b"m := remake(chan int)", b"make(channels)"):
        assert make_chan.search(text) is None, text
    for text in (b"\xc3\xa9make(chan int)", b"_make(chan int)", b"make2(chan int)"):
        assert make_chan.search(text) is None, text  # the end of another name
    found = make_chan.search(b"remake(chan int); make(chan int)")
    assert isinstance(found, re.Match) and found.start() == 18  # the first make that starts a name


def test_a_field_send_is_seen_and_other_channel_operations_are_not() -> None:
    """abandoned-sender's request to a loop is a send on a field, in a file that may start no
    goroutine."""
    field_send = prefilter.FIELD_SEND
    for text in (
        b"n.status <- c",
        b"\ta.statusCh\t<- epoch",
        b"s.reqs[0].ch <- v",
        b"s.a /* the queue */ <- v",
        b"a.\xc3\xb1 <- v",
    ):
        assert field_send.search(text) is not None, text
    for text in (b"ch <- v", b"<-n.done", b"x := <-s.ch", b"v <- 1\n.x", b"case <-s.quit:"):
        assert field_send.search(text) is None, text


def test_a_word_prefilter_finds_whole_words_only() -> None:
    word = prefilter.Word(b"NewTicker", b"NewTimer")
    for text in (b"NewTimerX NewTickers", b"xNewTimer", b"New_Timer", b""):
        assert word.search(text) is None, text
    for text, at in ((b"NewTimerX NewTicker", 10), (b"t.NewTimer(d)", 2), (b"\xc3NewTimer", 1)):
        found = word.search(text)
        assert found is not None and found.start() == at, text


@pytest.mark.parametrize(
    ("other", "admitted"),
    [
        ("package p\n\nimport \"sync\"\n\ntype T struct{ wg sync.WaitGroup }\n\n"
         "func (t *T) start() { t.wg.Add(1) }\n", True),
        ("package p\n\nfunc start() {}\n", False),
    ],
    ids=["a-waitgroup-added-to", "no-waitgroup"],
)
def test_a_lone_wait_is_parsed_only_in_a_package_with_a_waitgroup_and_an_add(
    tmp_path: Path, other: str, admitted: bool
) -> None:
    """waitgroup-done-skipped's package prefilter: a file with a Wait but no Add and go
    statement holds only the never-Done shape."""
    (tmp_path / "other.go").write_text(other)
    path = tmp_path / "wait.go"
    path.write_text("package p\n\nfunc (t *T) stop(c interface{ Wait() }) {\n\tc.Wait()\n}\n")
    (rule,) = [r for r in registry.all_rules() if r.name == "waitgroup-done-skipped"]
    package = api.package_directory(str(path)).package_of(str(path), None)
    data = path.read_bytes()
    assert rule.may_match(data)
    assert registry.in_package((rule,), data, package) == ((rule,) if admitted else ())
