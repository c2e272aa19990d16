"""What a user without root's rights sees: unreadable directories. Real files, real modes, a
real process (see tests/processes.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.processes import LEAKY, gofixleak, shared_dir

__all__ = ["shared_dir"]  # the fixture


def leaky_tree(root: Path, *folders: str) -> None:
    for folder in folders:
        (root / folder).mkdir()
        (root / folder / "leaky.go").write_bytes(LEAKY)


def test_an_unreadable_directory_is_an_error_not_a_clean_result(shared_dir: Path) -> None:
    leaky_tree(shared_dir, "open", "locked")
    (shared_dir / "locked").chmod(0o000)
    run = gofixleak("--format", "json", ".", cwd=shared_dir)
    assert run.returncode == 2
    report = json.loads(run.stdout)
    assert report["errors"] == [
        {"path": "locked", "message": "locked: cannot open directory: Permission denied"}
    ]
    assert {f["path"] for f in report["findings"]} == {"open/leaky.go"}  # the rest still runs

    text = gofixleak(".", cwd=shared_dir)
    assert text.returncode == 2
    assert "gofixleak: locked: cannot open directory: Permission denied\n" in text.stderr
    assert text.stderr.endswith(", 1 error.\n")  # not "3 findings." as if all was seen

    sarif = json.loads(gofixleak("--format", "sarif", "locked", cwd=shared_dir).stdout)
    (invocation,) = sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["message"]["text"] == "locked: cannot open directory: Permission denied"


def test_a_file_in_an_unreadable_directory_is_not_called_missing(shared_dir: Path) -> None:
    leaky_tree(shared_dir, "locked")
    (shared_dir / "locked").chmod(0o000)
    run = gofixleak("locked/leaky.go", cwd=shared_dir)
    assert run.returncode == 2
    assert "gofixleak: locked/leaky.go: cannot read: Permission denied\n" in run.stderr


def test_an_excluded_unreadable_directory_is_no_error(shared_dir: Path) -> None:
    leaky_tree(shared_dir, "open", "locked")
    (shared_dir / "locked").chmod(0o000)
    (shared_dir / ".gofixleak.toml").write_text('exclude = ["locked"]\n')
    run = gofixleak("--format", "json", ".", cwd=shared_dir)
    assert run.returncode == 1  # the findings in open/
    assert json.loads(run.stdout)["errors"] == []
