"""Reading Go files: only regular files, never more than the limit, and not Go is not "clean"."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import reading, registry
from gofixleak.cli import app
from gofixleak.reading import ReadError, read_go_file
from tests.fake_rule import INFO, detect, rename
from tests.processes import LEAKY, gofixleak


def test_a_named_pipe_in_a_tree_is_an_error_and_the_rest_still_runs(tmp_path: Path) -> None:
    (tmp_path / "leaky.go").write_bytes(LEAKY)
    os.mkfifo(tmp_path / "pipe.go")  # opening it for reading used to wait for a writer forever
    run = gofixleak(".", cwd=tmp_path, as_nobody=False, timeout=120)
    assert run.returncode == 2
    assert "gofixleak: pipe.go: not a regular file (a named pipe); not read\n" in run.stderr
    assert run.stdout.count("leaky.go:") == 3


def test_a_link_to_a_device_named_explicitly_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.go").symlink_to("/dev/zero")  # used to read until memory ran out
    run = gofixleak("zero.go", cwd=tmp_path, as_nobody=False, timeout=120)
    assert run.returncode == 2
    assert "gofixleak: zero.go: not a regular file (a character device); not read\n" in run.stderr


def test_at_most_the_limit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 2**20)
    exact = tmp_path / "exact.go"
    exact.write_bytes(b"/" * 2**20)
    assert read_go_file(str(exact)) == b"/" * 2**20
    over = tmp_path / "over.go"
    over.write_bytes(b"/" * (2**20 + 1))
    with pytest.raises(ReadError) as raised:
        read_go_file(str(over))
    assert str(raised.value) == (
        f"{over}: not checked: 1,048,577 bytes is more than the 1,048,576 bytes (1 MiB)"
        " gofixleak reads (exclude it in .gofixleak.toml)"
    )


def growing(monkeypatch: pytest.MonkeyPatch, held: int) -> None:
    """Files say they hold ``held`` bytes when opened, whatever they hold when read: they grew
    in between (or are, like /proc's, of no stated size)."""
    stat, fstat = os.stat, os.fstat

    def smaller(info: os.stat_result) -> os.stat_result:
        fields = list(info)
        fields[6] = held  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", lambda path: smaller(stat(path)))
    monkeypatch.setattr(os, "fstat", lambda fd: smaller(fstat(fd)))


def test_a_file_that_grew_after_its_size_was_read_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = b"package p\n" + b"// more\n" * 10_000
    (tmp_path / "grown.go").write_bytes(text)
    growing(monkeypatch, 0)
    assert read_go_file(str(tmp_path / "grown.go")) == text


def test_a_file_that_grew_past_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 2**20)
    (tmp_path / "grown.go").write_bytes(b"/" * (2**20 + 100))
    growing(monkeypatch, 10)
    with pytest.raises(ReadError, match=r"grown\.go: not checked: it holds more than the 1,048"):
        read_go_file(str(tmp_path / "grown.go"))


def test_a_directory_named_like_a_go_file_is_not_read(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"not a regular file \(a directory\); not read$"):
        read_go_file(str(tmp_path))


def test_a_binary_file_is_not_reported_clean_in_silence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, rename),))
    monkeypatch.chdir(tmp_path)
    Path("secret.go").write_bytes(b"\x00GITCRYPT\x00\x93\xfa leak()")  # an encrypted file, say
    result = CliRunner().invoke(app, ["secret.go"])
    assert result.exit_code == 0  # a warning: nothing was found, and nothing failed
    assert result.stderr == (
        "gofixleak: warning: secret.go: not Go source (it holds NUL bytes); not checked\n"
        "0 findings, 1 warning.\n"
    )
    sarif = json.loads(CliRunner().invoke(app, ["--format", "sarif", "secret.go"]).stdout)
    (invocation,) = sarif["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    github = CliRunner().invoke(app, ["--format", "github", "secret.go"]).stdout
    assert github == (
        "::warning file=secret.go,title=gofixleak::secret.go: not Go source (it holds NUL bytes);"
        " not checked\n"
    )
