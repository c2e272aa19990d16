"""What a user without root's rights sees: unreadable directories, read-only files, directories
that cannot be written, files owned by someone else and hard links. Real files, real modes, a
real process (see tests/processes.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.processes import LEAKY, give_away, gofixleak, shared_dir

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


def test_a_read_only_file_is_reported_as_it_is_on_disk(shared_dir: Path) -> None:
    leaky_tree(shared_dir, "ro")
    (shared_dir / "ro" / "leaky.go").chmod(0o444)
    run = gofixleak("--apply", "--format", "json", "ro", cwd=shared_dir)
    assert run.returncode == 2
    assert (shared_dir / "ro" / "leaky.go").read_bytes() == LEAKY
    report = json.loads(run.stdout)
    # The findings of the text on disk, at its positions, with the fixes that were not made.
    assert [(f["rule"], f["line"]) for f in report["findings"]] == [
        ("abandoned-sender", 19),
        ("leaky-time-tick", 35),
        ("orphaned-receiver", 51),
    ]
    starts = [f["start_byte"] for f in report["findings"]]
    assert starts == [LEAKY.index(s) for s in (b"make(chan error)", b"time.Tick(", b"<-ch)")]
    assert report["findings"][0]["fix"]["applicability"] == "safe"
    assert report["errors"] == [
        {"path": "ro/leaky.go", "message": "ro/leaky.go: read-only; fixes not written"}
    ]
    text = gofixleak("--apply", "ro", cwd=shared_dir)
    assert text.stdout.splitlines()[2].startswith("ro/leaky.go:51:15: orphaned-receiver:")
    assert text.stderr.endswith("0 fixes in 0 files, 3 findings left, 1 error.\n")


def test_a_directory_that_cannot_be_written_is_named(shared_dir: Path) -> None:
    leaky_tree(shared_dir, "d")
    give_away(shared_dir / "d" / "leaky.go")  # the file may be written, its directory not
    (shared_dir / "d").chmod(0o555)
    run = gofixleak("--apply", "d", cwd=shared_dir)
    assert run.returncode == 2
    folder = os.path.realpath(shared_dir / "d")
    assert (
        f"gofixleak: d/leaky.go: cannot write: cannot create a file in {folder}:"
        " Permission denied\n" in run.stderr
    )
    assert (shared_dir / "d" / "leaky.go").read_bytes() == LEAKY


def test_a_file_keeps_its_owner_and_its_hard_links_as_with_gofmt(shared_dir: Path) -> None:
    folder = shared_dir / "d"
    leaky_tree(shared_dir, "d")
    target = folder / "leaky.go"
    target.chmod(0o666)  # anyone may write it; it belongs to the test's user
    os.link(target, folder / "hardlink.txt")
    folder.chmod(0o777)
    before = target.stat()
    run = gofixleak("--apply", "d/leaky.go", cwd=shared_dir)
    assert run.returncode == 1, run.stderr  # the orphaned receiver has no fix
    after = target.stat()
    assert (after.st_uid, after.st_gid) == (before.st_uid, before.st_gid)
    assert after.st_ino == before.st_ino
    assert target.read_bytes() != LEAKY
    assert (folder / "hardlink.txt").read_bytes() == target.read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["hardlink.txt", "leaky.go"]  # no backup


def test_an_excluded_unreadable_directory_is_no_error(shared_dir: Path) -> None:
    leaky_tree(shared_dir, "open", "locked")
    (shared_dir / "locked").chmod(0o000)
    (shared_dir / ".gofixleak.toml").write_text('exclude = ["locked"]\n')
    run = gofixleak("--format", "json", ".", cwd=shared_dir)
    assert run.returncode == 1  # the findings in open/
    assert json.loads(run.stdout)["errors"] == []
