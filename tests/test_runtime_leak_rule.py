"""runtime-leak is a rule like the others for users (listed, explained, selected, suppressed),
but a plain check never runs it: its findings come from `gofixleak test`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import config, registry
from gofixleak.cli import app
from gofixleak.model import FileResult, Finding, Related, Span
from gofixleak.output import json_report, sarif, text
from gofixleak.source import line_starts

PARKED = """package quiet

// Park parks a goroutine for the life of the process, on purpose.
func Park(forever chan struct{}) {
	go func() {
		<-forever //gofixleak:ignore runtime-leak parked for the life of the process
	}()
}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "-j", "1"])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    config.clear_cache()
    return tmp_path


def test_it_is_listed_and_explained_but_a_check_does_not_run_it() -> None:
    rules = CliRunner().invoke(app, ["rules"])
    assert rules.exit_code == 0
    assert re.search(r"^runtime-leak +report-only +on ", rules.stdout, re.MULTILINE)
    result = CliRunner().invoke(app, ["explain", "runtime-leak"])
    assert result.exit_code == 0
    assert result.stdout.startswith("runtime-leak (report only)\n\nA goroutine that Go's")
    assert "runtime-leak" not in {r.name for r in registry.select(None)}
    assert registry.select(("runtime-leak",)) == ()


def test_a_plain_check_never_judges_its_directive(folder: Path) -> None:
    (folder / "p.go").write_text(PARKED)
    assert run("p.go") == (0, "", "0 findings.\n")
    assert run("--select", "runtime-leak,unused-directive", "p.go") == (0, "", "0 findings.\n")
    # A misspelt rule name is still an invalid directive.
    (folder / "p.go").write_text(PARKED.replace("runtime-leak", "runtime-leaks"))
    code, out, _ = run("p.go")
    assert code == 1 and "invalid-directive: unknown rule 'runtime-leaks'" in out


def test_the_config_selects_and_ignores_it(folder: Path) -> None:
    (folder / ".git").mkdir()
    (folder / config.FILENAME).write_text('ignore = ["runtime-leak"]\n')
    loaded = config.find(".")
    assert loaded is not None
    assert "runtime-leak" not in loaded.enabled(str(folder / "a.go"), config.Selection())


def result_with(confirmed: bool | None) -> FileResult:
    data = b"package p\n\nfunc f() {\n\t<-ch\n}\n"
    elsewhere = Related(Span(0, 0), "by TestF", "p_test.go", 7)
    finding = Finding(
        "orphaned-receiver",
        "p.go",
        Span(23, 27),
        "receives",
        related=(elsewhere,),
        confirmed=confirmed,
    )
    return FileResult("p.go", (finding,), line_starts=line_starts(data), data=data)


def test_every_format_shows_the_confirmed_mark_only_when_the_tests_ran() -> None:
    marked = "p.go:4:2: orphaned-receiver: receives [confirmed]\n"
    assert text.render([result_with(True)]) == marked
    assert text.render([result_with(False)]) == "p.go:4:2: orphaned-receiver: receives\n"
    (entry,) = json.loads(json_report.render([result_with(False)]))["findings"]
    assert entry["confirmed"] is False
    assert "confirmed" not in json.loads(json_report.render([result_with(None)]))["findings"][0]
    (found,) = json.loads(sarif.render([result_with(True)], []))["runs"][0]["results"]
    assert found["properties"] == {"bite": "leak", "confirmed": True}
    assert found["relatedLocations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "p_test.go", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 7},
    }
    (plain,) = json.loads(sarif.render([result_with(None)], []))["runs"][0]["results"]
    assert plain["properties"] == {"bite": "leak"}
