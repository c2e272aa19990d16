"""`gofixleak test`: real go test runs under the leak profile, on small packages written here.

One module holds a package per case (a leak, a hang, a build failure, no tests, a suppressed
leak); one `gofixleak test` over it is shared by the tests that read its output.
"""

from __future__ import annotations

import json
import re
import shutil
import stat
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gofixleak.cli import app

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs go")

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "go.mod": "module example.com/scenarios\n\ngo 1.22\n",
    "leaks/leaks.go": """package leaks

// Wait starts a goroutine that waits for a value nobody sends.
func Wait() {
	ch := make(chan int)
	go func() {
		<-ch
	}()
}
""",
    "leaks/leaks_test.go": """package leaks

import "testing"

func TestWait(t *testing.T) { Wait() }

func TestNothing(t *testing.T) {}
""",
    "hang/hang.go": """package hang

import "sync"

// Hang waits for a worker that is stuck sending its second value.
func Hang() {
	ch := make(chan int)
	go func() {
		ch <- 1
		ch <- 2
	}()
	<-ch
	var wg sync.WaitGroup
	wg.Add(cap(ch) + 1) // not a constant: waitgroup-done-skipped says nothing
	wg.Wait()
}
""",
    "hang/hang_test.go": """package hang

import "testing"

func TestHang(t *testing.T) { Hang() }
""",
    "broken/broken.go": "package broken\n\nfunc F() int { return \"x\" }\n",
    "broken/broken_test.go": """package broken

import "testing"

func TestF(t *testing.T) { F() }
""",
    "notests/notests.go": "package notests\n\nfunc F() {}\n",
    "quiet/quiet.go": """package quiet

// Park parks a goroutine for the life of the process, on purpose.
func Park(forever chan struct{}) {
	go func() {
		<-forever //gofixleak:ignore runtime-leak parked for the life of the process
	}()
}
""",
    "indirect/indirect.go": "package indirect\n",
    "indirect/main_test.go": """package indirect

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int { return m.Run() }

func TestNothing(t *testing.T) {}
""",
    "quiet/quiet_test.go": """package quiet

import "testing"

func TestPark(t *testing.T) { Park(make(chan struct{})) }
""",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("scenarios")
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.fixture
def inside(scenarios: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(scenarios)
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    return scenarios


@pytest.fixture(scope="module")
def everything(scenarios: Path) -> tuple[int, dict[str, Any], str]:
    """One run over every package, its JSON report and its messages."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(scenarios)
        patch.setenv("GOTOOLCHAIN", "local")
        code, out, err = run("test", "--format", "json", "--timeout", "3s", "./...")
    return code, json.loads(out), err


def runtime_findings(report: dict[str, Any]) -> list[tuple[str, int, str]]:
    return [
        (f["path"], f["line"], f["message"])
        for f in report["findings"]
        if f["rule"] == "runtime-leak"
    ]


def test_leaks_hangs_and_broken_builds_are_reported_per_package(
    everything: tuple[int, dict[str, Any], str],
) -> None:
    code, report, err = everything
    assert code == 2  # a package does not build
    found = runtime_findings(report)
    assert (
        "leaks/leaks.go",
        7,
        "1 goroutine leaked, blocked in chan receive: started at leaks.go:6 by TestWait; "
        "orphaned-receiver explains it",
    ) in found
    assert (
        "hang/hang.go",
        10,
        "1 goroutine still blocked in chan send when the tests timed out: started at hang.go:8 "
        "by TestHang; abandoned-sender explains it",
    ) in found
    assert (
        "hang/hang.go",
        15,
        "1 goroutine still blocked in sync.WaitGroup.Wait when the tests timed out: in TestHang; "
        "no static rule explains it",
    ) in found
    assert len(found) == 3  # the suppressed one is not among them
    assert "gofixleak test: broken: build failed\n    broken/broken.go:3:23: cannot use" in err
    assert "gofixleak test: notests: not exercised: no test files" in err
    assert "gofixleak test: hang: timed out (-timeout 3s) in TestHang;" in err


def test_the_leak_a_static_rule_reports_is_confirmed(
    everything: tuple[int, dict[str, Any], str],
) -> None:
    _, report, _ = everything
    (static,) = [f for f in report["findings"] if f["rule"] == "orphaned-receiver"]
    assert (static["path"], static["line"], static["confirmed"]) == ("leaks/leaks.go", 7, True)


def test_a_deadlocked_binary_is_read_from_its_dump(inside: Path) -> None:
    code, out, err = run("test", "--timeout", "0", "hang")
    assert code == 1
    assert "hang/hang.go:10:3: runtime-leak: 1 goroutine blocked in chan send when every " in out
    assert "goroutine was asleep (deadlock)" in out
    assert "gofixleak test: hang: deadlocked; the goroutines blocked then are reported" in err


def test_count_says_how_often_a_site_leaked_and_flags_reach_go_test(inside: Path) -> None:
    code, out, _ = run("test", "--count", "2", "leaks")
    assert code == 1
    assert "1 goroutine leaked, blocked in chan receive, in 2 of 2 runs: started at" in out
    code, out, _ = run("test", "leaks", "--", "-run", "TestNothing")
    assert code == 1  # the static finding remains, not confirmed: its goroutine did not leak
    assert out == (
        "leaks/leaks.go:7:3: orphaned-receiver: goroutine receives from ch, which nothing sends "
        "on or closes: it blocks forever\n"
    )


def test_a_testmain_that_hands_m_on_is_run_but_not_collected(inside: Path) -> None:
    code, out, err = run("test", "indirect")
    assert (code, out) == (0, "")  # nothing leaked that could be seen, and the tests passed
    assert err.startswith(
        "gofixleak test: indirect: leaks not collected: main_test.go: TestMain does not call "
        "m.Run() itself"
    )


def test_the_summary_names_what_no_rule_explains(inside: Path) -> None:
    code, _, err = run("test", "--timeout", "3s", "hang")
    assert code == 1
    assert err.splitlines()[-2:] == [
        "3 findings: 2 runtime leak sites in 1 tested package, 1 static finding "
        "(1 confirmed by the tests); 1 fixable with gofixleak --diff or --apply.",
        "No static rule explains: sync.WaitGroup.Wait (1 goroutine at 1 site).",
    ]


def test_a_missing_path_is_said_once(inside: Path) -> None:
    code, out, err = run("test", "nonexistent")
    assert (code, out) == (2, "")
    assert err.count("nonexistent: no such file or directory") == 1


@pytest.mark.parametrize(
    "flag", ["-count=3", "-timeout=1s", "-json", "-overlay=o.json"], ids=lambda f: f.split("=")[0]
)
def test_go_test_flags_gofixleak_sets_itself_are_refused(inside: Path, flag: str) -> None:
    code, out, err = run("test", "leaks", "--", flag)
    assert (code, out) == (2, "")
    assert err.startswith(f"gofixleak: go test flag {flag} is set by gofixleak test itself")


def fake_go(folder: Path, script: str) -> None:
    go = folder / "go"
    go.write_text("#!/bin/sh\n" + script)
    go.chmod(go.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            None,
            "gofixleak test needs Go 1.26 or later (its goroutineleak profile), but no `go` "
            "command is on PATH",
        ),
        ('echo go1.25.4\n', "gofixleak test needs Go 1.26 or later (its goroutineleak profile); "),
        (
            'if [ -n "$GOEXPERIMENT" ]; then echo "go: unknown GOEXPERIMENT goroutineleakprofile"'
            " >&2; exit 2; fi\necho go1.26.0\n",
            "go1.26.0 cannot build the goroutineleak profile (go: unknown GOEXPERIMENT "
            "goroutineleakprofile); ",
        ),
    ],
    ids=["no-go", "old-go", "no-experiment"],
)
def test_without_a_go_that_has_the_profile_it_is_a_one_line_error(
    inside: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    script: str | None,
    message: str,
) -> None:
    if script is not None:
        fake_go(tmp_path, script)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("GOEXPERIMENT", raising=False)
    code, out, err = run("test", "leaks")
    assert (code, out) == (2, "")
    assert err.startswith(f"gofixleak: {message}") and err.count("\n") == 1


def test_the_readme_transcript_is_what_the_bundled_example_prints(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- example: test -->\n```console\n(.*?)```", readme, re.DOTALL)
    assert match, "README has no example test"
    console = match.group(1).splitlines()
    command = console[0].removeprefix("$ ").split()
    assert command[:2] == ["gofixleak", "test"]
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    code, out, err = run(*command[1:])
    assert code == 1
    assert out.splitlines() + err.splitlines() == console[1:]
