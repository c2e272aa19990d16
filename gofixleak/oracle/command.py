"""``gofixleak test [PATHS] [-- GO TEST FLAGS]``: run the tests under Go's leak profile, and
report what leaked next to what the static rules say.

Exit status: 0 nothing to report; 1 findings remain (static or runtime), or tests failed or
timed out; 2 a usage error, no suitable Go toolchain, a path that names no module, or a package
that does not build.
"""

from __future__ import annotations

import enum
from typing import Annotated

import typer
from typer.core import TyperCommand

from gofixleak.options import IgnoreOption, SelectOption

GO_FLAGS = "gofixleak.go-test-flags"


class _GoFlagsAfterDashes(TyperCommand):
    """Keep what follows ``--`` for go test: neither paths nor gofixleak options."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if "--" in args:
            index = args.index("--")
            ctx.meta[GO_FLAGS] = args[index + 1 :]
            args = args[:index]
        return super().parse_args(ctx, args)


class Format(enum.StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def test(
    ctx: typer.Context,
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Packages to test: directories (recursive; ./... accepted) or files."),
    ] = None,
    timeout: Annotated[
        str, typer.Option("--timeout", help="Bound on each test binary, as go test -timeout.")
    ] = "10m",
    count: Annotated[
        int,
        typer.Option(
            "--count", min=1, help="Run each test binary N times; say how often each site leaked."
        ),
    ] = 1,
    output_format: Annotated[
        Format, typer.Option("--format", help="Output format of the findings.")
    ] = Format.text,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    go_version: Annotated[
        str | None,
        typer.Option("--go-version", help="Go version the static rules assume (default: go.mod)."),
    ] = None,
    no_config: Annotated[
        bool, typer.Option("--no-config", help="Ignore .gofixleak.toml files.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Only findings and errors: no per-package lines.")
    ] = False,
) -> None:
    """Run the tests with Go's leak profile; report the leaked goroutines and the static findings.

    Flags after `--` go to go test (`-run`, `-tags`, `-race`, ...).
    """
    from gofixleak.oracle import testrun  # go test, stacks and sites: loaded when the command runs

    testrun.run(
        list(ctx.meta.get(GO_FLAGS, [])),
        paths,
        timeout=timeout,
        count=count,
        output_format=output_format.value,
        select=select,
        ignore=ignore,
        go_version=go_version,
        no_config=no_config,
        quiet=quiet,
    )


def register(app: typer.Typer) -> None:
    """Add the ``test`` command to the gofixleak CLI."""
    app.command("test", cls=_GoFlagsAfterDashes)(test)

