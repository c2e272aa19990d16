"""syntax.is_terminating for switch and select statements (the spec's terminating statements)."""

from __future__ import annotations

import pytest
from tree_sitter import Node

from gofixleak import syntax
from gofixleak.source import SourceFile


def last_statement(body: str) -> tuple[SourceFile, Node]:
    src = SourceFile.parse(
        "x.go", f"package p\n\nfunc f(x int, d chan int) {{\n{body}\n}}\n".encode()
    )
    function = next(syntax.descendants(src.root, "function_declaration"))
    return src, syntax.block_statements(syntax.function_body(function))[-1]


@pytest.mark.parametrize(
    "body",
    [
        "switch x {\ncase 1:\n\tpanic(1)\ndefault:\n\treturn\n}",
        "switch x {\ncase 1:\n\tfallthrough\ndefault:\n\treturn\n}",
        "switch v := any(x).(type) {\ncase int:\n\t_ = v\n\treturn\ndefault:\n\tpanic(v)\n}",
        "select {\ncase <-d:\n\treturn\ncase d <- 1:\n\tpanic(1)\n}",
        "select {}",
        "L:\nswitch x {\ndefault:\n\tfor {\n\t\tbreak\n\t}\n\treturn\n}",
    ],
)
def test_terminating(body: str) -> None:
    src, statement = last_statement(body)
    assert syntax.is_terminating(statement, src)


@pytest.mark.parametrize(
    "body",
    [
        "switch x {\ncase 1:\n\treturn\n}",  # no default
        "switch x {\ncase 1:\n\tbreak\ndefault:\n\treturn\n}",
        "L:\nswitch x {\ndefault:\n\tfor {\n\t\tbreak L\n\t}\n}",
        "select {\ncase <-d:\n\treturn\ncase <-d:\n}",
        "switch x {\ncase 1:\ndefault:\n\treturn\n}",
        "select {\ncase <-d:\n\tif x > 0 {\n\t\tbreak\n\t}\n\treturn\n}",
    ],
)
def test_not_terminating(body: str) -> None:
    src, statement = last_statement(body)
    assert not syntax.is_terminating(statement, src)
