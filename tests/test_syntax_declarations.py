"""syntax.top_level_in: the top-level declaration around a node, found from the root down."""

from __future__ import annotations

import time

from gofixleak import syntax
from gofixleak.source import SourceFile

CODE = b"""package p

var x = func() int { return 1 }()

func F() {
	go func() {
		for {
			_ = x
		}
	}()
}

type T struct{}

func (T) M() {}
"""


def test_agrees_with_top_level_declaration_everywhere() -> None:
    src = SourceFile.parse("p.go", CODE)
    for node in syntax.walk(src.root):
        if node == src.root:
            continue
        assert syntax.top_level_in(src.root, node) == syntax.top_level_declaration(node)


def test_a_top_level_node_is_its_own_declaration() -> None:
    src = SourceFile.parse("p.go", CODE)
    declarations = src.root.named_children
    assert [syntax.top_level_in(src.root, d) for d in declarations] == declarations


def test_deep_nesting_stays_fast() -> None:
    depth = 400
    body = "go func() {\n" * depth + "_ = 1\n" + "}()\n" * depth
    src = SourceFile.parse("p.go", f"package p\n\nfunc F() {{\n{body}}}\n".encode())
    started = time.monotonic()
    for go in syntax.descendants(src.root, "go_statement"):
        assert syntax.top_level_in(src.root, go).type == "function_declaration"
    assert time.monotonic() - started < 1.0  # climbing parents took seconds here
