"""What a command loads: a plain check imports neither the bot, nor rich, nor pydantic.

Start-up is most of what a one-file check (a pre-commit hook, an editor) costs, and imports are
most of start-up. Each case runs the real command line in a fresh interpreter and looks at
``sys.modules`` afterwards: which modules were imported, not how long they took.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

LEAK = b"""package p

func first(hosts []string) error {
\terrc := make(chan error)
\tfor _, h := range hosts {
\t\tgo func(h string) { errc <- ping(h) }(h)
\t}
\tfor range hosts {
\t\tif err := <-errc; err != nil {
\t\t\treturn err
\t\t}
\t}
\treturn nil
}
"""

# The command line, then the names of every module it imported, on stderr's last line.
PROBE = """
import sys
from gofixleak import cli
sys.argv = ["gofixleak", *sys.argv[1:]]
code = 0
try:
    cli.main()
except SystemExit as stop:
    code = stop.code
print(repr((code, sorted(sys.modules))), file=sys.stderr)
"""

# Only what a command that needs them imports: the bot and its GitHub client, go verification,
# the machine formats, the progress bar (rich), typer's optional validation (pydantic), config
# parsing, worker processes, the language server.
AVOIDABLE = {
    "github",
    "requests",
    "rich",
    "pydantic",
    "tomllib",
    "multiprocessing",
    "gofixleak.verify",
    "gofixleak.bot.github",
    "gofixleak.bot.plan",
    "gofixleak.bot.run",
    "pygls",
    "lsprotocol",
    "gofixleak.output.json_report",
    "gofixleak.output.sarif",
    "gofixleak.output.github",
}


def imported(tmp_path: Path, *args: str) -> tuple[int, str, set[str]]:
    """The exit status, stdout and imported modules of ``gofixleak ARGS`` run in ``tmp_path``."""
    (tmp_path / "leak.go").write_bytes(LEAK)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.stderr, "the probe printed nothing"
    code, modules = ast.literal_eval(done.stderr.splitlines()[-1])
    return code, done.stdout, set(modules)


def loaded(modules: set[str], names: set[str]) -> set[str]:
    """The ``names`` (packages count with their submodules) among ``modules``."""
    return {m for m in modules if m in names or m.split(".")[0] in names}


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("leak.go",), "abandoned-sender"),
        (("-q", "."), "abandoned-sender"),
        (("--diff", "leak.go"), "+\terrc := make(chan error, len(hosts))"),
    ],
)
def test_a_check_imports_only_what_it_uses(
    tmp_path: Path, args: tuple[str, ...], shown: str
) -> None:
    code, out, modules = imported(tmp_path, *args)
    assert code == 1 and shown in out  # the check ran: it found the leak, or fixed it
    assert {"gofixleak.detectors.abandoned_sender", "gofixleak.fixers.abandoned_sender"} <= modules
    assert loaded(modules, AVOIDABLE) == set()


@pytest.mark.parametrize(
    ("output_format", "renderer"),
    [("json", "gofixleak.output.json_report"), ("sarif", "gofixleak.output.sarif")],
)
def test_a_machine_format_imports_its_renderer_only(
    tmp_path: Path, output_format: str, renderer: str
) -> None:
    code, out, modules = imported(tmp_path, "--format", output_format, "leak.go")
    assert code == 1 and "abandoned-sender" in out
    assert loaded(modules, AVOIDABLE) == {renderer}


def test_rules_and_explain_do_not_load_the_bot(tmp_path: Path) -> None:
    for args in [("rules",), ("explain", "abandoned-sender")]:
        code, out, modules = imported(tmp_path, *args)
        assert code == 0 and "abandoned-sender" in out
        assert loaded(modules, AVOIDABLE) == set()
