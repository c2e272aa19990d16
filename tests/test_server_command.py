"""`gofixleak server` is a command of the CLI that costs the other commands nothing."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from gofixleak.cli import app


def test_the_cli_loads_no_language_server_until_it_is_asked_to_serve() -> None:
    probe = "import sys, gofixleak.cli; print(sorted({'pygls', 'lsprotocol'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout == "[]\n"


def test_server_is_a_command_not_a_path() -> None:
    result = CliRunner().invoke(app, ["server", "--help"])
    assert result.exit_code == 0
    assert "Run the language server on stdio" in result.stdout


def test_the_server_takes_stdio_flag_and_ends_with_its_input() -> None:
    """Some clients pass --stdio; an editor that dies closes the pipe, and the server ends."""
    done = subprocess.run(
        [sys.executable, "-m", "gofixleak", "server", "--stdio"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
