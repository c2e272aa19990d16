"""The command line, through typer's CliRunner, with a stand-in rule so that only the CLI is
under test: exit codes, formats, --diff, --apply, and bad input."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import api, parallel, reading, registry
from gofixleak.cli import app
from gofixleak.facts.package import Directory
from gofixleak.model import FileResult
from tests.fake_rule import INFO, detect, rename

LEAKY = b"package p\n\nfunc f() {\n\tleak()\n}\n"
CLEAN = b"package p\n\nfunc g() {}\n"


@pytest.fixture(autouse=True)
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, rename),))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.go").write_bytes(LEAKY)
    (tmp_path / "pkg" / "b.go").write_bytes(CLEAN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_findings_are_listed_and_exit_1(tree: Path) -> None:
    code, out, err = run("./...")
    assert code == 1
    assert out == "pkg/a.go:4:2: fake-leak: leak() leaks [*]\n"
    assert "1 finding" in err


def test_clean_tree_exits_0(tree: Path) -> None:
    assert run("pkg/b.go")[0] == 0


def test_json_report(tree: Path) -> None:
    code, out, _ = run("--format", "json", ".")
    assert code == 1
    report = json.loads(out)
    assert report["version"] == 1 and report["errors"] == []
    (finding,) = report["findings"]
    start = LEAKY.index(b"leak()")
    assert finding == {
        "rule": "fake-leak",
        "path": "pkg/a.go",
        "line": 4,
        "column": 2,
        "end_line": 4,
        "end_column": 8,
        "start_byte": start,
        "end_byte": start + 6,
        "message": "leak() leaks",
        "bite": "leak",
        "fix": {
            "message": "call stop()",
            "applicability": "safe",
            "edits": [{"start_byte": start, "end_byte": start + 4, "new_text": "stop"}],
        },
    }


def test_diff_prints_and_writes_nothing(tree: Path) -> None:
    code, out, _ = run("--diff", ".")
    assert code == 1
    assert out == (
        "--- a/pkg/a.go\n+++ b/pkg/a.go\n@@ -1,5 +1,5 @@\n package p\n \n func f() {\n"
        "-\tleak()\n+\tstop()\n }\n"
    )
    assert (tree / "pkg" / "a.go").read_bytes() == LEAKY


def test_apply_writes_only_changed_files_and_then_is_clean(tree: Path) -> None:
    clean = tree / "pkg" / "b.go"
    os.utime(clean, (1, 1))
    code, out, err = run("--apply", ".")
    assert code == 0 and out == ""
    assert "1 fix in 1 file" in err
    assert (tree / "pkg" / "a.go").read_bytes() == LEAKY.replace(b"leak", b"stop")
    assert clean.stat().st_mtime == 1
    assert run("--diff", ".")[:2] == (0, "")


def test_missing_path_is_reported_and_the_rest_still_runs(tree: Path) -> None:
    code, out, err = run("nothere", "pkg")
    assert code == 2
    assert "gofixleak: nothere: no such file or directory" in err
    assert "pkg/a.go:4:2" in out


def test_unreadable_file_is_an_error_and_the_rest_still_runs(tree: Path) -> None:
    (tree / "pkg" / "gone.go").symlink_to(tree / "pkg" / "deleted.go")  # dangling: unreadable
    code, out, err = run("pkg")
    assert code == 2
    assert "gofixleak: pkg/gone.go: cannot read: No such file or directory" in err
    assert "pkg/a.go:4:2" in out


def test_read_only_file_is_not_written(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tree / "pkg" / "a.go"
    target.chmod(0o444)
    real_access = os.access  # as a user without write permission (root may write anything)
    monkeypatch.setattr(os, "access", lambda p, mode: mode != os.W_OK and real_access(p, mode))
    code, _, err = run("--apply", "pkg")
    assert code == 2
    assert "pkg/a.go: read-only; fixes not written" in err
    assert target.read_bytes() == LEAKY


def test_usage_errors_exit_2(tree: Path) -> None:
    assert run("--select", "no-such-rule")[0] == 2
    assert "unknown rule 'no-such-rule'" in run("--select", "no-such-rule")[2]
    assert run("--diff", "--apply")[0] == 2
    assert run("--go-version", "banana")[0] == 2
    assert run("--format", "xml")[0] == 2


def test_select_and_ignore(tree: Path) -> None:
    assert run("--ignore", "fake-leak", ".")[0] == 0
    assert run("--select", "fake-leak", ".")[0] == 1


def test_syntax_errors_and_odd_bytes_do_not_crash(tree: Path) -> None:
    (tree / "pkg" / "a.go").write_bytes(b"package p\n\nfunc f() {\n\tleak(\n}\n\xff\xfe\x00")
    (tree / "pkg" / "c.go").write_bytes(
        b"\xef\xbb\xbfpackage p\r\n\r\nfunc h() {\r\n\tleak()\r\n}\r\n"
    )
    assert run("--apply", ".")[0] == 0  # the broken function is neither reported nor touched
    assert (tree / "pkg" / "c.go").read_bytes().endswith(b"\tstop()\r\n}\r\n")
    assert (tree / "pkg" / "a.go").read_bytes().startswith(b"package p\n\nfunc f() {\n\tleak(\n")


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and out.startswith("gofixleak ")
    code, out, _ = run("--help")
    assert code == 0 and "--diff" in out


def test_a_huge_file_is_named_and_the_rest_still_runs(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 2**20)
    (tree / "pkg" / "huge.go").write_bytes(b"package p\n" + b"/" * (2**20 - 9))  # one too many
    code, out, err = run("pkg")
    assert code == 2
    assert (
        "pkg/huge.go: not checked: 1,048,577 bytes is more than the 1,048,576 bytes (1 MiB)"
        " gofixleak reads" in err
    )
    assert "pkg/a.go:4:2" in out


@pytest.mark.parametrize("names", ["", ",,,", " , "])
def test_a_select_without_rule_names_is_an_error_not_every_rule(tree: Path, names: str) -> None:
    code, out, err = run("--select", names, ".")
    assert code == 2 and out == ""
    assert f"gofixleak: --select {names!r} names no rule\n" in err


def test_the_summary_after_an_error_does_not_read_as_clean(tree: Path) -> None:
    code, _, err = run("nothere")
    assert code == 2
    assert err == "gofixleak: nothere: no such file or directory\n0 findings, 1 error.\n"


def change_files_after_checking(
    monkeypatch: pytest.MonkeyPatch, change: Callable[[bytes], bytes]
) -> None:
    """Each file is rewritten with ``change(its text)`` right after gofixleak has read it."""
    check_files = api.check_files

    def check_then_change(
        directory: Directory, targets: Sequence[tuple[str, api.Options]]
    ) -> list[FileResult]:
        results = check_files(directory, targets)
        for path, _ in targets:
            Path(path).write_bytes(change(directory.read(path)))
        return results

    monkeypatch.setattr(api, "check_files", check_then_change)


def test_a_file_changed_during_the_run_is_reported_as_it_was_read(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = b"// edited meanwhile\n" + LEAKY
    change_files_after_checking(monkeypatch, lambda data: edited)
    code, out, err = run("--apply", "--format", "json", "-j", "1", "pkg/a.go")
    assert code == 2
    assert (tree / "pkg" / "a.go").read_bytes() == edited
    report = json.loads(out)
    (finding,) = report["findings"]  # in the text that was read, with its fix, not in the fix
    assert (finding["line"], finding["start_byte"]) == (4, LEAKY.index(b"leak()"))
    assert finding["fix"]["edits"][0]["new_text"] == "stop"
    message = "pkg/a.go: changed while gofixleak ran; fixes not written"
    assert report["errors"] == [{"path": "pkg/a.go", "message": message}]
    assert err == f"gofixleak: {message}\n"
    (tree / "pkg" / "a.go").write_bytes(LEAKY)
    code, _, err = run("--apply", "pkg/b.go", "pkg/a.go")
    assert err.endswith("0 fixes in 0 files, 1 finding left, 1 error.\n")


def test_a_file_that_already_holds_the_fixes_is_a_silent_success(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two runs of --apply at once: the other one wrote the same fixes first.
    change_files_after_checking(monkeypatch, lambda data: data.replace(b"leak()", b"stop()"))
    code, out, err = run("--apply", "-j", "1", "pkg")
    assert (code, out) == (0, "")
    assert err == "1 fix in 1 file, 0 findings left.\n"


def test_a_huge_jobs_count_is_lowered_with_a_warning(tree: Path) -> None:
    code, out, err = run("-j", "100000", "pkg")
    assert code == 1 and out.startswith("pkg/a.go:4:2")
    expected = f"--jobs 100000 is more than 4 per CPU core; using {parallel.max_jobs()}"
    assert f"gofixleak: {expected}\n" in err


def test_a_path_with_control_characters_cannot_split_a_line(tree: Path) -> None:
    folder = tree / "w\n--- a\tb\x1b[31m"
    folder.mkdir()
    (folder / "a.go").write_bytes(LEAKY)
    (folder / "gone.go").symlink_to(folder / "deleted.go")
    code, out, err = run(str(folder.relative_to(tree)))
    assert code == 2
    assert out == '"w\\n--- a\\tb\\033[31m/a.go":4:2: fake-leak: leak() leaks [*]\n'
    assert err.splitlines() == [
        "gofixleak: w\\n--- a\\tb\\x1b[31m/gone.go: cannot read: No such file or directory",
        "1 finding, 1 fixable with --diff or --apply, 1 error.",
    ]
