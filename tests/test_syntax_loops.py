"""syntax.can_leave_loop and syntax.is_ending_call: what counts as a way out of a loop."""

from __future__ import annotations

import pytest
from tree_sitter import Node

from gofixleak import syntax
from gofixleak.source import SourceFile


def loop_of(body: str) -> tuple[SourceFile, Node]:
    """The loop marked ``/*this*/`` (the first loop when none is marked)."""
    code = f'package p\n\nimport (\n\t"log"\n\t"os"\n)\n\nfunc f(t T) {{\n{body}\n}}\n'
    src = SourceFile.parse("p.go", code.encode())
    loops = list(syntax.descendants(src.root, "for_statement"))
    marked = [n for n in loops if src.text(n).startswith(b"for /*this*/")]
    return src, (marked or loops)[0]


@pytest.mark.parametrize(
    "body",
    [
        "for { return }",
        "for { if x { break } }",
        "L:\n\tfor { switch { case x: break L } }",
        "O:\n\tfor x {\n\t\tfor /*this*/ { continue O }\n\t}",
        "for { goto done }\ndone:",
        "for { panic(1) }",
        "for { os.Exit(1) }",
        'for { log.Fatalf("x") }',
        "for { t.FailNow() }",
    ],
)
def test_ways_out(body: str) -> None:
    src, loop = loop_of(body)
    assert syntax.can_leave_loop(loop, src)


@pytest.mark.parametrize(
    "body",
    [
        "for { work() }",
        "for { switch { case x: break } }",
        "for { select { default: break } }",
        "L:\n\tfor { continue L }",
        "for { for { break } }",
        "for { func() { return }() }",
        "for { I:\n\tfor { break I } }",
    ],
)
def test_no_way_out(body: str) -> None:
    src, loop = loop_of(body)
    assert not syntax.can_leave_loop(loop, src)
