"""--verify: fixes whose package no longer builds, vets or tests are dropped with Go's message.

Real Go builds on tiny packages, with the stand-in rules of tests/verify_rules.py: fake-leak
renames leak() to stop() (breaks the build where stop is undefined), fake-other renames other() to
fine().
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gofixleak import api, progress, verify
from gofixleak.cli import app
from gofixleak.model import Applicability
from tests.verify_rules import GO_MOD, use_rules

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs go")

SAFE = api.Options(fix=Applicability.SAFE)
CALLS = b"package p\n\nfunc f() {\n\tleak()\n\tother()\n}\n"
HELPERS_WITHOUT_STOP = b"package p\n\nfunc leak()  {}\nfunc other() {}\nfunc fine()  {}\n"
HELPERS = b"package p\n\nfunc leak() {}\nfunc stop() {}\n"


@pytest.fixture(autouse=True)
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_rules(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOTOOLCHAIN", "local")  # never download a toolchain in a test
    monkeypatch.setenv("GOPROXY", "off")
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    (tmp_path / "go.mod").write_bytes(GO_MOD)


def write(path: str, data: bytes) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(data)


def check(*paths: str, options: api.Options = SAFE, tests: bool = False) -> verify.Verification:
    results = list(api.run(list(paths), options))
    return verify.verify(results, options, tests=tests)


def test_a_fix_that_breaks_the_build_is_dropped_and_the_other_rule_kept() -> None:
    write("p/a.go", CALLS)
    write("p/helpers.go", HELPERS_WITHOUT_STOP)
    write("q/q.go", b"package q\n\nfunc g() { leak() }\n\nfunc leak() {}\nfunc stop() {}\n")
    outcome = check(".")
    (dropped,) = outcome.dropped
    assert (dropped.path, dropped.rule) == ("p/a.go", "fake-leak")
    assert dropped.reason == "`go build` fails on the package with this fix"
    assert "p/a.go:4:2: undefined: stop" in dropped.output
    assert "gofixleak-verify" not in dropped.output  # the overlay copy is never named
    a, _, q = outcome.results
    assert a.fixed == b"package p\n\nfunc f() {\n\tleak()\n\tfine()\n}\n"
    assert [f.rule for f in a.fixes_applied] == ["fake-other"]
    (remaining,) = a.findings
    assert remaining.rule == "fake-leak" and remaining.fix is None
    assert a.position(remaining.span.start) == (4, 2)
    assert q.fixed is not None and b"stop()" in q.fixed  # the other package's fix is kept
    assert outcome.packages == ("p", "q")
    assert outcome.checks == ("go build", "go vet")
    assert Path("p/a.go").read_bytes() == CALLS  # the checkout is never touched


def test_fixes_that_build_are_all_kept() -> None:
    write("p/a.go", b"package p\n\nfunc f() { leak() }\n")
    write("p/helpers.go", HELPERS)
    results = list(api.run(["."], SAFE))
    outcome = verify.verify(results, SAFE)
    assert outcome.dropped == ()
    assert outcome.results == tuple(results)
    assert outcome.packages == ("p",)
    assert outcome.go_version.startswith("go")
    assert "`go build`, `go vet` passed with the fixes in place" in outcome.summary()


def test_a_package_broken_before_the_fix_cannot_verify_it() -> None:
    write("p/a.go", b"package p\n\nfunc f() { leak(); undefinedAlready() }\n")
    write("p/helpers.go", HELPERS)
    (dropped,) = check(".").dropped
    assert dropped.reason == "`go build` fails on this package even without the fixes"
    assert "undefined: undefinedAlready" in dropped.output


def test_files_outside_a_module_or_the_build_are_dropped() -> None:
    write("p/a.go", b"//go:build windows\n\npackage p\n\nfunc f() { leak() }\n")
    write("p/helpers.go", HELPERS)
    Path("go.mod").unlink()
    write("m/go.mod", GO_MOD)
    write("m/p/a.go", b"//go:build windows\n\npackage p\n\nfunc f() { leak() }\n")
    write("m/p/helpers.go", HELPERS)
    reasons = {(d.path, d.reason) for d in check(".").dropped}
    assert reasons == {
        ("p/a.go", "not in a Go module (no go.mod above it)"),
        ("m/p/a.go", "the build constraints leave this file out here"),
    }


def test_verify_tests_drops_a_fix_whose_tests_fail() -> None:
    write("p/a.go", b"package p\n\nvar calls []string\n\nfunc f() { leak() }\n")
    write(
        "p/helpers.go",
        b'package p\n\nfunc leak() { calls = append(calls, "leak") }\n'
        b'func stop() { calls = append(calls, "stop") }\n',
    )
    write(
        "p/a_test.go",
        b'package p\n\nimport "testing"\n\nfunc TestF(t *testing.T) {\n\tf()\n'
        b'\tif calls[0] != "leak" {\n\t\tt.Fatal("behaviour changed")\n\t}\n}\n',
    )
    assert check(".").dropped == ()  # it builds and vets
    (dropped,) = check(".", tests=True).dropped
    assert dropped.reason == "`go test` fails on the package with this fix"
    assert "behaviour changed" in dropped.output


def test_no_go_on_path_is_an_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write("p/a.go", b"package p\n\nfunc f() { leak() }\n")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(verify.VerifyError, match="no `go` command is on PATH"):
        check(".")
    code, out, err = run("--diff", "--verify", ".")
    assert code == 2 and out == ""
    assert "gofixleak: --verify needs the Go toolchain" in err


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_verify_reports_the_dropped_fix_and_writes_only_the_rest() -> None:
    write("p/a.go", CALLS)
    write("p/helpers.go", HELPERS_WITHOUT_STOP)
    code, out, err = run("--apply", "--verify", ".")
    assert code == 1  # the fake-leak finding remains
    assert Path("p/a.go").read_bytes() == b"package p\n\nfunc f() {\n\tleak()\n\tfine()\n}\n"
    assert "gofixleak: p/a.go: fake-leak: fix not applied: `go build` fails" in err
    assert "p/a.go:4:2: undefined: stop" in err
    assert out == "p/a.go:4:2: fake-leak: leak() leaks\n"  # no [*]: its fix was dropped


def test_cli_verify_needs_fixes_to_verify() -> None:
    code, _, err = run("--verify", ".")
    assert code == 2
    assert "--verify checks fixes: use it with --diff or --apply" in err


def test_a_dropped_fix_is_re_run_under_the_files_config() -> None:
    write("p/a.go", CALLS)
    write("p/helpers.go", HELPERS_WITHOUT_STOP)
    write(".gofixleak.toml", b'ignore = ["fake-other"]\n')
    code, out, err = run("--diff", "--verify", ".")
    assert code == 1 and out == ""  # nothing left to fix: fake-other is off in this repository
    assert "p/a.go: fake-leak: fix not applied" in err
    assert run("--verify", "--apply", "--format", "json", ".")[1].count('"rule"') == 1


def test_a_go_list_failure_is_reported_with_gos_own_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A go.work workspace with GOFLAGS=-mod=mod (set by the fixture): every go command fails.
    monkeypatch.delenv("GOWORK", raising=False)
    write("go.work", b"go 1.21\n\nuse .\n")
    write("p/a.go", b"package p\n\nfunc f() { leak() }\n")
    write("p/helpers.go", HELPERS)
    (dropped,) = check(".").dropped
    assert dropped.reason == "`go list` fails in this module"
    assert "-mod may only be set to readonly or vendor when in workspace mode" in dropped.output


def test_a_package_go_list_cannot_load_is_reported_with_gos_error() -> None:
    write("p/a.go", b"//go:build windows\n\npackage p\n\nfunc f() { leak() }\n")
    write("p/helpers.go", b"//go:build windows\n\npackage p\n\nfunc leak() {}\nfunc stop() {}\n")
    (dropped,) = check(".").dropped
    assert dropped.reason == "`go list` fails on this package"
    assert "build constraints exclude all Go files in" in dropped.output


def test_a_module_outside_the_workspace_is_reported_with_gos_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GOFLAGS", "")
    monkeypatch.delenv("GOWORK", raising=False)
    write("go.work", b"go 1.21\n\nuse ./other\n")
    write("other/go.mod", b"module example.com/other\n\ngo 1.21\n")
    write("p/a.go", b"package p\n\nfunc f() { leak() }\n")
    write("p/helpers.go", HELPERS)
    (dropped,) = check("p").dropped
    assert dropped.reason == "`go list` fails on this package"
    assert "not one of the workspace modules listed in go.work" in dropped.output


def test_progress_is_told_each_go_command_and_each_package_decided() -> None:
    write("p/a.go", b"package p\n\nfunc f() { leak() }\n")
    write("p/helpers.go", HELPERS)
    write("q/q.go", CALLS.replace(b"package p", b"package q"))
    write("q/helpers.go", HELPERS_WITHOUT_STOP.replace(b"package p", b"package q"))
    events: list[tuple[int, int, str]] = []
    results = list(api.run(["."], SAFE))
    outcome = verify.verify(results, SAFE, progress=lambda *event: events.append(event))
    assert [(d.path, d.rule) for d in outcome.dropped] == [("q/q.go", "fake-leak")]
    assert events[0] == (0, 2, "go list: 2 packages")
    assert (0, 2, "go build: 2 packages") in events
    assert (0, 2, "go build: 1 package") in events  # q alone, then bisected
    assert events[-1][:2] == (2, 2)
    done = [event[0] for event in events]
    assert done == sorted(done)


def test_the_progress_bar_draws_packages_and_the_command() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=120)
    with progress.verification(enabled=True, console=console) as report:
        assert report is not None
        report(1, 3, "go vet: 2 packages")
    assert "1/3 packages" in screen.getvalue() and "go vet: 2 packages" in screen.getvalue()
    with progress.verification(enabled=False, console=console) as report:
        assert report is None


def test_cli_verify_ends_with_what_was_verified() -> None:
    write("p/a.go", b"package p\n\nfunc f() { leak() }\n")
    write("p/helpers.go", HELPERS)
    code, out, err = run("--diff", "--verify", ".")
    assert code == 1 and out.startswith("--- a/p/a.go")
    (line,) = [line for line in err.splitlines() if line.startswith("gofixleak: --verify: ")]
    assert line.startswith(
        "gofixleak: --verify: `go build`, `go vet` passed with the fixes in place"
    )
    assert line.endswith(" in `p`.")
    assert "--verify:" not in run("--diff", "--verify", "-q", ".")[2]
