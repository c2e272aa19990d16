"""`gofixleak rules`, `gofixleak explain`, routing of paths to `check`, --quiet and the progress
bar, with the stand-in rule."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from gofixleak import progress, registry
from gofixleak.cli import app
from gofixleak.model import FileResult
from tests.fake_rule import INFO, detect, rename

LEAKY = b"package p\n\nfunc f() {\n\tleak()\n}\n"


@pytest.fixture(autouse=True)
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, rename),))


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_rules_lists_every_rule_with_its_fix_default_and_summary() -> None:
    code, out, _ = run("rules")
    assert code == 0
    assert out.splitlines() == [
        "rule               fix          default  summary",
        "fake-leak          fixable      on       Calls of leak().",
        "invalid-directive  report-only  on       A //gofixleak: suppression comment that cannot"
        " be read.",
        "unused-directive   report-only  on       A //gofixleak: suppression comment that"
        " suppresses nothing.",
    ]


def test_explain_prints_the_rule_docstring() -> None:
    code, out, _ = run("explain", "fake-leak")
    assert code == 0
    assert out == "fake-leak (fixable)\n\n" + INFO.doc.strip() + "\n"
    code, out, _ = run("explain", "unused-directive")
    assert code == 0 and out.startswith("unused-directive (directive rule, report only)\n\n")
    assert "What it finds\n-------------\n" in out


def test_explain_of_an_unknown_rule_lists_the_known_ones() -> None:
    code, out, err = run("explain", "fake-lek")
    assert code == 2 and out == ""
    assert err == (
        "gofixleak: unknown rule 'fake-lek'; known rules: "
        "fake-leak, invalid-directive, unused-directive\n"
    )


def test_paths_still_route_to_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.go").write_bytes(LEAKY)
    (tmp_path / "rules").mkdir()  # a directory named like a command is reached as ./rules
    (tmp_path / "rules" / "r.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run("pkg", "--diff")
    assert code == 1 and out.startswith("--- a/pkg/a.go\n")
    assert run("./rules")[1] == "rules/r.go:4:2: fake-leak: leak() leaks [*]\n"
    assert run("check", "rules")[1] == "rules/r.go:4:2: fake-leak: leak() leaks [*]\n"


def test_quiet_drops_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("--quiet", ".")
    assert code == 1 and out == "a.go:4:2: fake-leak: leak() leaks [*]\n" and err == ""
    assert "1 finding" in run(".")[2]


def test_the_summary_counts_suppressed_findings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.go").write_bytes(
        LEAKY.replace(b"leak()", b"leak() //gofixleak:ignore fake-leak ok")
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(".")
    assert (code, out) == (0, "")
    assert err == "0 findings, 1 suppressed by //gofixleak: directives.\n"


def results(count: int) -> list[FileResult]:
    return [FileResult(f"f{i}.go") for i in range(count)]


def test_progress_shows_on_a_terminal_after_the_delay_and_passes_results_through() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    items = results(3)
    assert list(progress.track(items, enabled=True, delay=0, console=console)) == items
    assert "gofixleak" in screen.getvalue() and "3" in screen.getvalue()


def test_no_progress_when_disabled_or_quick() -> None:
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    assert len(list(progress.track(results(3), enabled=False, delay=0, console=console))) == 3
    assert len(list(progress.track(results(3), enabled=True, delay=60, console=console))) == 3
    assert screen.getvalue() == ""
