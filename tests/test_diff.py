"""Diffs apply with git apply and patch -p1, including files without a final newline and CRLF."""

from __future__ import annotations

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
