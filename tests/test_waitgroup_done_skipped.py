"""waitgroup-done-skipped beyond the fixtures: how safe a fix that edits another file is (the
fixtures' check mode cannot show it), and the test helpers that end only the goroutine."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gofixleak import api
from gofixleak.model import Applicability
from gofixleak.source import parse_go_version
from tests.fixture_cases import FIXTURES

RULE = "waitgroup-done-skipped"


def applied(directory: Path, mode: Applicability) -> dict[str, list[str]]:
    """File name -> applicability of each fix applied to it (wherever its finding is)."""
    files = sorted(str(p) for p in directory.glob("*.go"))
    options = api.Options(select=(RULE,), fix=mode)
    results = api.check_files(api.package_directory(files[0]), [(f, options) for f in files])
    out: dict[str, list[str]] = {}
    for result in results:
        for finding in result.fixes_applied:
            assert finding.fix is not None
            for path in finding.fix.by_path(result.path):
                out.setdefault(Path(path).name, []).append(finding.fix.applicability.label)
    return out


def test_a_fix_in_the_callee_file_is_safe_only_for_a_function_nothing_else_calls(
    tmp_path: Path,
) -> None:
    shutil.copytree(FIXTURES / RULE / "callee", tmp_path, dirs_exist_ok=True)
    assert applied(tmp_path, Applicability.SAFE) == {"workers.go": ["safe"]}
    both = applied(tmp_path, Applicability.UNSAFE)
    assert sorted(both["workers.go"]) == ["safe", "unsafe"]


TESTING = """package p

import (
	"sync"
	"testing"
)

func run(t *testing.T, bad bool, log logger) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		if bad {
			%s
		}
		wg.Done()
	}()
	wg.Wait()
}

type logger interface{ Fatal(...any) }
"""


@pytest.mark.parametrize(
    ("ending", "reported"),
    [
        ("t.Fatal(bad)", True),  # runtime.Goexit: the deferred calls run, Wait is stranded
        ("t.FailNow()", True),
        ("log.Fatal(bad)", False),  # a logger's Fatal may end the program
    ],
)
def test_a_test_helpers_fatal_ends_only_the_goroutine(ending: str, reported: bool) -> None:
    result = api.check_source("p.go", (TESTING % ending).encode(), api.Options(select=(RULE,)))
    messages = [f.message for f in result.findings]
    assert bool(messages) == reported, messages
    if reported:
        assert "can end" in messages[0]


BY_INDEX = b"""package p

import "sync"

func run(xs []int, use func(int)) {
	var wg sync.WaitGroup
	wg.Add(len(xs))
	for i := 0; i < len(xs); i++ {
		go func() {
			defer wg.Done()
			use(xs[i])
		}()
		wg.Wait()
	}
}
"""


@pytest.mark.parametrize(("version", "label"), [("1.21", "unsafe"), ("1.22", "safe")])
def test_moving_wait_after_a_loop_whose_counter_the_goroutine_reads(
    version: str, label: str
) -> None:
    # Before Go 1.22 the loop has one i: once the Wait is after the loop, its i++ races with
    # the goroutine that reads xs[i].
    options = api.Options(select=(RULE,), go_version=parse_go_version(version))
    (finding,) = api.check_source("p.go", BY_INDEX, options).findings
    assert finding.fix is not None and finding.fix.applicability.label == label


REASSIGNED = b"""package p

import "sync"

type node struct {
	wg   sync.WaitGroup
	quit chan struct{}
	next *node
}

func (n *node) Start() {
	n.wg.Add(1)
	go n.run()
}

func (n *node) run() {
	select {
	case <-n.quit:
		return
	default:
	}
	if n.next != nil {
		n = n.next
	}
	n.wg.Done()
}

func (n *node) Stop() {
	n.wg.Wait()
}
"""


def test_a_deferred_done_on_a_field_whose_owner_is_reassigned_needs_review() -> None:
    # `defer n.wg.Done()` would read n at the start; the trailing call reads it at the end.
    (finding,) = api.check_source("p.go", REASSIGNED, api.Options(select=(RULE,))).findings
    assert finding.fix is not None and finding.fix.applicability.label == "unsafe"


def test_the_pre_screen_loses_no_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Skipping the WaitGroups that cannot strand a Wait changes nothing on the fixtures (their
    originals and goldens), the kernel cases above included."""
    from gofixleak.detectors import waitgroup_done_skipped as detector
    from gofixleak.facts.package import Directory

    def findings() -> list[tuple[str, int, str]]:
        out = []
        for folder in sorted({p.parent for p in (FIXTURES / RULE).rglob("*.go")}):
            for golden in (False, True):
                overrides = {
                    str(p.with_suffix("")): p.read_bytes()
                    for p in folder.glob("*.go.golden")
                    if golden
                }
                directory = Directory(str(folder), overrides=overrides)
                for path in directory.files():
                    package = directory.package_of(path, None)
                    for found in detector.detect(package.source(path)):
                        out.append((path, found.span.start, found.message))
        for data in (BY_INDEX, REASSIGNED, (TESTING % "t.Fatal(bad)").encode()):
            result = api.check_source("p.go", data, api.Options(select=(RULE,)))
            out.extend(("p.go", f.span.start, f.message) for f in result.findings)
        return out

    screened = findings()
    assert screened
    monkeypatch.setattr(detector, "_may_strand", lambda src, local: True)
    assert findings() == screened
