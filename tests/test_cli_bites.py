"""Where findings bite, on the command line: leaks first, the other classes marked; --fail-on
and --show (and the config's fail-on and show) choose what fails the run and what is shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import config
from gofixleak.cli import app

POLLER = """package lib

import "time"

func %s(refresh func()) {
	go func() {
		for {
			refresh()
			time.Sleep(time.Minute)
		}
	}()
}
"""

TIMEOUT = """package lib

import (
	"testing"
	"time"
)

func waitFor(t *testing.T, f func() error) {
	errc := make(chan error)
	go func() {
		errc <- f()
	}()
	select {
	case <-errc:
	case <-time.After(time.Second):
		t.Fatal("timed out")
	}
}
"""


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "go.mod").write_text("module example.com/lib\n\ngo 1.22\n")
    (tmp_path / "a.go").write_text(POLLER % "Start")
    (tmp_path / "b_test.go").write_text(TIMEOUT)
    (tmp_path / "c.go").write_text(POLLER % "startPoller")
    (tmp_path / "d.go").write_text("package lib\n\nfunc init() {\n\tstartPoller(nil)\n}\n")
    monkeypatch.chdir(tmp_path)
    config.clear_cache()
    return tmp_path


def run(*args: str) -> tuple[int, list[str], str]:
    result = CliRunner().invoke(app, [*args, "-j", "1"])
    return result.exit_code, result.stdout.splitlines(), result.stderr


def test_leaks_come_first_and_the_others_are_marked(tree: Path) -> None:
    # c.go's finding comes after b_test.go's although the files come in the other order.
    code, out, err = run(".")
    assert code == 1
    assert [line.split(": ", 2)[:2] for line in out] == [
        ["a.go:7:3", "endless-goroutine-loop"],
        ["b_test.go:9:10", "abandoned-sender [test-failure]"],
        ["c.go:7:3", "endless-goroutine-loop [process-lifetime]"],
    ]
    assert err == (
        "3 findings (1 leak, 1 test-failure, 1 process-lifetime), 1 fixable with --diff or"
        " --apply, 2 not failing the run (--fail-on).\n"
    )


def test_findings_that_are_no_leaks_do_not_fail_the_run(tree: Path) -> None:
    (tree / "a.go").unlink()
    code, out, _ = run(".")
    assert code == 0 and len(out) == 2


def test_fail_on_chooses_the_classes_that_fail(tree: Path) -> None:
    (tree / "a.go").unlink()
    assert run("--fail-on", "test-failure", ".")[0] == 1
    assert run("--fail-on", "process-lifetime", "--fail-on", "leak", ".")[0] == 1
    (tree / "b_test.go").unlink()
    assert run("--fail-on", "leak,test-failure", ".")[0] == 0


def test_show_leaves_the_other_classes_out_and_unfixed(tree: Path) -> None:
    code, out, err = run("--show", "leak", ".")
    assert code == 1 and [line.split(": ")[0] for line in out] == ["a.go:7:3"]
    assert err == "1 finding, 2 not shown (test-failure, process-lifetime: --show).\n"
    code, out, err = run("--show", "leak", "--diff", ".")
    assert out == [] and code == 1  # the leak has no fix; the test-failure's fix is not made
    assert err.startswith("0 fixes in 0 files, 1 finding left, 2 not shown")
    report = json.loads(CliRunner().invoke(app, ["--show", "leak", "--format", "json", "."]).stdout)
    assert [f["bite"] for f in report["findings"]] == ["leak"]


def test_a_class_that_fails_the_run_is_shown(tree: Path) -> None:
    _, out, _ = run("--show", "leak", "--fail-on", "test-failure", ".")
    assert [line.split(": ")[0] for line in out] == ["a.go:7:3", "b_test.go:9:10"]


def test_the_formats_say_the_class(tree: Path) -> None:
    _, out, _ = run("--format", "github", ".")
    assert [line.split(" ", 1)[0] for line in out] == ["::warning", "::notice", "::notice"]
    assert "title=abandoned-sender (test-failure)::" in out[1]
    log = json.loads("\n".join(run("--format", "sarif", ".")[1]))
    results = log["runs"][0]["results"]
    assert [(r["level"], r["properties"]["bite"]) for r in results] == [
        ("warning", "leak"),
        ("note", "test-failure"),
        ("note", "process-lifetime"),
    ]
    _, out, _ = run("--format", "sarif", "--fail-on", "leak,test-failure", ".")
    levels = [r["level"] for r in json.loads("\n".join(out))["runs"][0]["results"]]
    assert levels == ["warning", "warning", "note"]


def test_the_config_sets_them_and_the_command_line_wins(tree: Path) -> None:
    (tree / "a.go").unlink()
    (tree / ".gofixleak.toml").write_text('fail-on = ["test-failure"]\nshow = ["test-failure"]\n')
    code, out, err = run(".")
    assert code == 1 and [line.split(": ")[0] for line in out] == ["b_test.go:9:10"]
    assert "1 not shown (process-lifetime: --show)" in err
    code, out, _ = run("--fail-on", "leak", "--show", "leak,process-lifetime", ".")
    assert code == 0 and [line.split(": ")[0] for line in out] == ["c.go:7:3"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--show", "leaks"], "gofixleak: --show: unknown class 'leaks'; known classes: leak,"),
        (["--fail-on", ","], "gofixleak: --fail-on: no class named; known classes: leak,"),
    ],
)
def test_unknown_classes_are_usage_errors(tree: Path, args: list[str], message: str) -> None:
    code, out, err = run(*args, ".")
    assert code == 2 and out == [] and err.startswith(message)


def test_a_bad_class_in_the_config_names_its_line(tree: Path) -> None:
    (tree / ".gofixleak.toml").write_text('strict = false\nfail-on = ["tests"]\n')
    code, _, err = run(".")
    assert code == 2
    assert err.startswith(
        f"gofixleak: {tree / '.gofixleak.toml'}:2: fail-on: unknown class 'tests'; known classes:"
    )


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
README_LIB = {
    "poll.go": POLLER.replace("%s(refresh func()) {", "Start(refresh func()) {").replace(
        "\nfunc Start",
        "\n// Start refreshes every minute; nothing can stop it, and each call starts one more."
        "\nfunc Start",
    ),
    "stats.go": """package lib

import "time"

func init() { startSyncer() }

// startSyncer flushes the stats for the life of the process.
func startSyncer() {
	go func() {
		for {
			flush()
			time.Sleep(time.Second)
		}
	}()
}

func flush() {}
""",
    "wait_test.go": """package lib

import (
	"testing"
	"time"
)

func TestRefresh(t *testing.T) {
	errc := make(chan error)
	go func() {
		errc <- nil
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Second):
		t.Fatal("timed out")
	}
}
""",
}


def test_the_readme_example_is_what_gofixleak_prints(tmp_path: Path) -> None:
    block = re.search(r"<!-- example: bites -->\n```console\n(.*?)```", README, re.DOTALL)
    assert block is not None
    command, *expected = block.group(1).splitlines()
    assert command == "$ gofixleak lib/"
    (tmp_path / "lib").mkdir()
    for name, text in README_LIB.items():
        (tmp_path / "lib" / name).write_text(text)
    code, out, err = run(str(tmp_path / "lib"))
    prefix = str(tmp_path) + "/"
    assert code == 1
    assert [line.removeprefix(prefix) for line in out] + err.splitlines() == expected
