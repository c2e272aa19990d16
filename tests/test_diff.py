"""Diffs apply with git apply and patch -p1, including files without a final newline and CRLF,
and file names as odd as a file system allows (written as git writes them)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gofixleak.output.diff import unified

CASES = {
    "plain": (b"package p\n\nfunc f() {\n\ta()\n}\n", b"package p\n\nfunc f() {\n\tb()\n}\n"),
    "no-final-newline": (b"package p\n\nfunc f() {}", b"package p\n\nfunc g() {}"),
    "newline-added": (b"package p\nfunc f() {}", b"package p\nfunc f() {}\n"),
    "crlf": (
        b"package p\r\n\r\nfunc f() {\r\n\ta()\r\n}\r\n",
        b"package p\r\n\r\nfunc f() {\r\n\tx := 1\r\n\ta(x)\r\n}\r\n",
    ),
    "non-utf8": (b"package p\n// \xff\xfe\nvar a = 1\n", b"package p\n// \xff\xfe\nvar a = 2\n"),
}


@pytest.mark.parametrize("tool", ["git", "patch"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_diff_applies(tmp_path: Path, name: str, tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is needed on PATH for this test")
    before, after = CASES[name]
    (tmp_path / "pkg").mkdir()
    target = tmp_path / "pkg" / "a.go"
    target.write_bytes(before)
    patch = unified("pkg/a.go", before, after)
    assert patch.startswith(b"--- a/pkg/a.go\n+++ b/pkg/a.go\n")
    command = ["git", "apply", "-"] if tool == "git" else ["patch", "-p1", "--quiet"]
    subprocess.run(command, cwd=tmp_path, input=patch, check=True, capture_output=True)
    assert target.read_bytes() == after


def test_no_change_no_diff() -> None:
    assert unified("a.go", b"x\n", b"x\n") == b""


ODD_NAMES = [
    "a b.go",
    "dir with space/x y.go",
    "evil\nname.go",
    "sp ace\nnl.go",
    "tab\tx.go",
    "café.go",
    "日本.go",
    'q"uote.go',
    "back\\slash.go",
    "-lead.go",
    "tick`.go",
    "del\x7f.go",
    "bell\x01.go",
    "esc\x1b[31m.go",
    os.fsdecode(b"not-utf8-\xff.go"),
]


def git(cwd: Path, *args: str) -> bytes:
    command = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args]
    return subprocess.run(command, cwd=cwd, check=True, capture_output=True).stdout


def test_file_names_are_written_as_git_writes_them(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    for name in ODD_NAMES:
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "x")
    for name in ODD_NAMES:
        (tmp_path / name).write_bytes(b"y\n")
    theirs = [
        line
        for line in git(tmp_path, "diff").splitlines(keepends=True)
        if line.startswith((b"--- ", b"+++ "))
    ]
    ours = [
        line
        for name in sorted(ODD_NAMES, key=os.fsencode)  # git's order: by bytes
        for line in unified(name, b"x\n", b"y\n").splitlines(keepends=True)[:2]
    ]
    assert ours == theirs


@pytest.mark.parametrize("tool", ["git", "patch"])
def test_odd_names_apply_to_exactly_their_file(tmp_path: Path, tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is needed on PATH for this test")
    decoy = tmp_path / "name.go"  # what a raw "evil\nname.go" header could be read as
    decoy.write_bytes(b"x\n")
    for name in ODD_NAMES:
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"x\n")
        patch = unified(name, b"x\n", b"y\n")
        command = ["git", "apply", "-"] if tool == "git" else ["patch", "-p1", "--quiet"]
        subprocess.run(command, cwd=tmp_path, input=patch, check=True, capture_output=True)
        assert path.read_bytes() == b"y\n", name
    assert decoy.read_bytes() == b"x\n"
