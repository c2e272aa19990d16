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


def selected_rules(values: list[str] | None) -> tuple[str, ...] | None:
    """``--select``'s rule names, None when it is not given. Given without a name
    (``--select ''``, ``--select ,,``) is a ValueError: it would silently mean every rule."""
    names = rule_names(values)
    if values is not None and not names:
        raise ValueError(f"--select {' '.join(map(repr, values))} names no rule")
    return names or None
