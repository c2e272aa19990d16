"""Command-line options that more than one command takes (``check`` and ``pr``)."""

from __future__ import annotations

from typing import Annotated

import typer

SelectOption = Annotated[
    list[str] | None, typer.Option("--select", help="Only these rules (comma-separated).")
]
IgnoreOption = Annotated[
    list[str] | None, typer.Option("--ignore", help="Not these rules (comma-separated).")
]


def rule_names(values: list[str] | None) -> tuple[str, ...]:
    """``["a,b", "c"]`` -> ``("a", "b", "c")``: repeated and comma-separated rule names."""
    return tuple(n.strip() for v in values or () for n in v.split(",") if n.strip())
