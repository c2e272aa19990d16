"""Drain a timer's channel without blocking: the value may already have been taken."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.model import Applicability, Edit, Finding, Fix
from gofixleak.source import SourceFile, span_of


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    statement = src.node_at(finding.captures["drain"])
    if statement is None or not syntax.starts_line(src.data, statement.start_byte):
        return None
    indent = syntax.indent_of(src.data, statement.start_byte).decode()
    receive = src.show(statement)
    text = f"select {{\n{indent}case {receive}:\n{indent}default:\n{indent}}}"
    # SAFE: when Stop returns false with the value still there, the select takes it at once, as
    # the plain receive did; when the value was taken, the plain receive blocked for ever.
    return Fix(
        f"drain {receive.removeprefix('<-')} without blocking",
        (Edit(span_of(statement), text.encode()),),
        Applicability.SAFE,
    )
