"""The ``gofixleak server`` command; pygls is imported only when it runs."""

from __future__ import annotations

from typing import Annotated

import typer


def server(
    stdio: Annotated[
        bool,
        typer.Option("--stdio", help="Talk over stdin and stdout (the default and only way)."),
    ] = True,
) -> None:
    """Run the language server on stdio: diagnostics and quick fixes in the editor."""
    from gofixleak.server.lsp import serve

    serve()


def register(app: typer.Typer) -> None:
    """Add the ``server`` command to the gofixleak CLI."""
    app.command("server")(server)
