"""--apply writes all or nothing, keeps the mode, and refuses what it must not touch."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from gofixleak.writer import write_fixed


def test_writes_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.go"
    target.write_bytes(b"old\n")
    target.chmod(0o640)
    assert write_fixed(str(target), b"old\n", b"new\n") is None
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["a.go"]  # no temporary file left behind


def test_read_only_file_is_left_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "a.go"
    target.write_bytes(b"old\n")
    target.chmod(0o444)
    real_access = os.access
    # A user without write permission (the suite may run as root, who may write anything).
    monkeypatch.setattr(os, "access", lambda p, mode: mode != os.W_OK and real_access(p, mode))
    error = write_fixed(str(target), b"old\n", b"new\n")
    assert error is not None and "read-only" in error
    assert target.read_bytes() == b"old\n"


def test_a_file_the_user_may_write_keeps_its_read_only_mode(tmp_path: Path) -> None:
    target = tmp_path / "a.go"
    target.write_bytes(b"old\n")
    target.chmod(0o444)
    if not os.access(target, os.W_OK):
        assert write_fixed(str(target), b"old\n", b"new\n") is not None
        return
    assert write_fixed(str(target), b"old\n", b"new\n") is None
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o444


def test_file_changed_since_read_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "a.go"
    target.write_bytes(b"edited meanwhile\n")
    error = write_fixed(str(target), b"old\n", b"new\n")
    assert error is not None and "changed while" in error
    assert target.read_bytes() == b"edited meanwhile\n"


def test_a_symlink_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.go"
    real.write_bytes(b"old\n")
    link = tmp_path / "link.go"
    link.symlink_to(real)
    assert write_fixed(str(link), b"old\n", b"new\n") is None
    assert link.is_symlink() and real.read_bytes() == b"new\n"


def test_unwritable_directory_gives_an_error_and_keeps_the_file(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    target = folder / "a.go"
    target.write_bytes(b"old\n")
    os.chmod(folder, 0o555)
    try:
        error = write_fixed(str(target), b"old\n", b"new\n")
    finally:
        os.chmod(folder, 0o755)
    if os.geteuid() != 0:  # root may write anywhere; for others the rename must fail cleanly
        assert error is not None and "cannot write" in error
        assert target.read_bytes() == b"old\n"
    else:
        assert error is None and target.read_bytes() == b"new\n"


def test_a_hard_link_sees_the_fixes(tmp_path: Path) -> None:
    target = tmp_path / "a.go"
    target.write_bytes(b"old\n")
    os.link(target, tmp_path / "link.go")
    inode = target.stat().st_ino
    assert write_fixed(str(target), b"old\n", b"new\n") is None
    assert (tmp_path / "link.go").read_bytes() == b"new\n" == target.read_bytes()
    assert target.stat().st_ino == inode
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.go", "link.go"]  # backup removed


def test_a_failed_write_in_place_puts_the_old_text_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "a.go"
    target.write_bytes(b"old text\n")
    os.link(target, tmp_path / "link.go")  # written in place
    real_fsync = os.fsync
    calls = []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the backup was written; now the file itself
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full_disk)
    error = write_fixed(str(target), b"old text\n", b"new\n")
    assert error == f"{target}: cannot write: No space left on device"
    assert target.read_bytes() == b"old text\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.go", "link.go"]


def test_a_file_that_holds_the_fixed_text_already_is_left_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "a.go"
    target.write_bytes(b"new\n")
    os.utime(target, (1, 1))
    assert write_fixed(str(target), b"old\n", b"new\n") is None
    assert target.stat().st_mtime == 1
