"""File names chosen to break the output: newlines, tabs, backticks, quotes, escape sequences,
letters beyond ASCII, a leading dash, spaces. Through every format, each stays parseable and
names its file exactly, and ``--diff | git apply`` patches that file and no other."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gofixleak import registry
from gofixleak.cli import app
from gofixleak.output.quoting import quote_path
from tests.fake_rule import INFO, detect, rename

LEAKY = b"package p\n\nfunc f() {\n\tleak()\n}\n"
FIXED = LEAKY.replace(b"leak()", b"stop()")
HOSTILE = list("ab- \t\n\r`'\"\\$;|&*?[]{}<>#%:,=é日\u202e\x1b\x7f\x01")


def segment(first: str) -> st.SearchStrategy[str]:
    """A file or directory name that discovery does not skip (no leading ``.`` or ``_``)."""
    return st.builds(
        lambda head, rest: head + rest,
        st.sampled_from([first, *HOSTILE]).filter(lambda c: c not in "._"),
        st.text(st.sampled_from(HOSTILE), max_size=8),
    ).filter(lambda name: name not in ("vendor", "testdata", "node_modules"))


hostile_paths = st.builds(
    lambda folder, name: f"{folder}/{name}.go" if folder else f"{name}.go",
    st.one_of(st.just(""), segment("d")),
    segment("f"),
)


@contextmanager
def repository_with(path: str) -> Iterator[Path]:
    """A git repository holding ``path`` (with a leak) and a decoy ``t.go``, as the cwd."""
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as patch:
        root = Path(folder)
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(LEAKY)
        (root / "t.go").write_bytes(b"package p\n")
        git(root, "init", "-q")
        git(root, "add", "-A")
        git(root, "commit", "-qm", "hostile")
        patch.chdir(root)
        patch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, rename),))
        yield root


def git(cwd: Path, *args: str, stdin: bytes | None = None) -> bytes:
    command = ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args]
    return subprocess.run(command, cwd=cwd, input=stdin, check=True, capture_output=True).stdout


def output(*args: str) -> bytes:
    result = CliRunner().invoke(app, [*args, "-j", "1", "."])
    assert result.exit_code == 1, result.stderr
    return result.stdout_bytes


def unescape_property(value: str) -> str:
    for escaped, char in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        value = value.replace(escaped, char)
    return value


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(hostile_paths)
def test_hostile_paths_stay_parseable_in_every_format(path: str) -> None:
    with repository_with(path) as root:
        # text: one line per finding, the path quoted exactly as git quotes it for people
        text = output("--format", "text").decode()
        (line,) = text.splitlines()
        assert text == line + "\n"
        files = git(root, "-c", "core.quotePath=false", "ls-files").decode().splitlines()
        (listed,) = [name for name in files if name != "t.go"]
        assert quote_path(path) == listed
        assert line == f"{listed}:4:2: fake-leak: leak() leaks [*]"

        (finding,) = json.loads(output("--format", "json"))["findings"]
        assert finding["path"] == path

        sarif = json.loads(output("--format", "sarif"))
        (result,) = sarif["runs"][0]["results"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert urllib.parse.unquote(uri) == path

        github = output("--format", "github").decode()
        (command,) = github.splitlines()
        assert github == command + "\n" and command.startswith("::warning file=")
        properties = command[len("::warning ") : command.index("::", 2)]
        assert unescape_property(properties.split(",")[0].removeprefix("file=")) == path

        git(root, "apply", "-", stdin=output("--diff"))
        changed = git(root, "status", "--porcelain", "-z", "--untracked-files=no")
        assert changed == b" M " + os.fsencode(path) + b"\0"  # that file, and no other
        assert (root / path).read_bytes() == FIXED


def test_a_crafted_directory_name_cannot_aim_the_patch_at_another_file() -> None:
    """The report's example: a raw name with a newline in it made git apply patch t.go."""
    with repository_with("w/x\n--- a/t.go\n+++ b/t.go") as root:
        (root / "t.go").write_bytes(LEAKY)
        git(root, "commit", "-qam", "a leak in t.go too")
        diff = CliRunner().invoke(app, ["--diff", "w"]).stdout_bytes
        git(root, "apply", "-", stdin=diff)
        assert (root / "t.go").read_bytes() == LEAKY
        assert (root / "w" / "x\n--- a" / "t.go\n+++ b" / "t.go").read_bytes() == FIXED


def test_a_name_that_is_not_utf8_keeps_its_bytes_in_json_and_sarif() -> None:
    path = os.fsdecode(b"caf\xe9.go")  # Latin-1, as old archives have them
    with repository_with(path):
        (finding,) = json.loads(output("--format", "json"))["findings"]
        assert os.fsencode(finding["path"]) == b"caf\xe9.go"
        sarif = json.loads(output("--format", "sarif"))  # used to fail: UnicodeEncodeError
        (result,) = sarif["runs"][0]["results"]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        assert uri == "caf%E9.go"
