"""A stand-in rule for engine and CLI tests: `leak()` calls, fixed by renaming them `stop()`."""

from __future__ import annotations

from collections.abc import Iterator

from gofixleak import syntax
from gofixleak.model import Applicability, Edit, Finding, Fix, RuleInfo
from gofixleak.source import SourceFile, span_of

INFO = RuleInfo(
    "fake-leak",
    """Calls of leak().

What it finds
-------------
x
""",
)


def detect(src: SourceFile) -> Iterator[Finding]:
    for call in syntax.descendants(src.root, "call_expression"):
        if syntax.call_name(src, call) == "leak":
            function = call.child_by_field_name("function")
            assert function is not None
            yield Finding(
                INFO.name, src.path, span_of(call), "leak() leaks", {"name": span_of(function)}
            )


def rename(finding: Finding, src: SourceFile) -> Fix:
    return Fix("call stop()", (Edit(finding.captures["name"], b"stop"),), Applicability.SAFE)


def declare(finding: Finding, src: SourceFile) -> Fix | None:
    """Declares a fresh name before the call's statement: needs one pass per call."""
    node = src.node_at(finding.span)
    assert node is not None
    statement = syntax.statement_of(node)
    function = syntax.enclosing_function(node)
    assert statement is not None and function is not None
    name = syntax.fresh_name(src, "done", function)
    insert = syntax.insert_lines_before(src, statement, [f"{name} := true", f"_ = {name}"])
    assert insert is not None
    return Fix(
        "declare",
        (insert, Edit(finding.captures["name"], b"stop")),
        Applicability.SAFE,
        isolation=span_of(function),
    )
