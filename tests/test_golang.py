"""golang.parse: Go 1.26's new(expr) parses as a call (a masked copy of the bytes), every Go
1.22-1.26 syntax addition parses without error regions, and new(T) parses exactly as before."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tree_sitter import Node, Parser

from gofixleak import api, syntax
from gofixleak.golang import GO, parse
from gofixleak.model import Applicability
from gofixleak.source import SourceFile, error_count

ADDITIONS = Path(__file__).parent / "data" / "syntax"

# Go 1.26 code as etcd writes it; tree-sitter-go 0.25 parses neither call.
NEW_EXPR = b"""package p

func F(e entry) (*uint64, *uint32) {
\tlimit := new(uint64(10))
\treturn limit, new(e.crc.Sum32())
}
"""


def raw(data: bytes) -> Node:
    """The tree tree-sitter-go itself gives, with no masking."""
    return Parser(GO).parse(data).root_node


def calls_of_new(src: SourceFile) -> list[Node]:
    return [
        call
        for call in syntax.descendants(src.root, "call_expression")
        if syntax.call_name(src, call) == "new"
    ]


def test_every_go_1_22_to_1_26_syntax_addition_parses_without_error_regions() -> None:
    data = (ADDITIONS / "additions.go").read_bytes()
    assert error_count(Parser(GO).parse(data)) > 0  # what tree-sitter-go 0.25 makes of it
    src = SourceFile.parse("additions.go", data)
    assert src.broken_regions == ()
    assert error_count(src.tree) == 0


@pytest.mark.skipif(shutil.which("go") is None, reason="needs go")
def test_the_syntax_additions_file_is_go_that_builds() -> None:
    environment = {**os.environ, "GOTOOLCHAIN": "local", "GOFLAGS": "", "GOWORK": "off"}
    result = subprocess.run(
        ["go", "vet", "."], cwd=ADDITIONS, capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr


def test_new_expr_is_a_call_whose_text_is_read_from_the_original_bytes() -> None:
    src = SourceFile.parse("p.go", NEW_EXPR)
    assert src.broken_regions == ()
    limit, checksum = calls_of_new(src)
    assert src.text(limit) == b"new(uint64(10))"
    assert src.text(checksum) == b"new(e.crc.Sum32())"
    assert limit.start_byte == NEW_EXPR.index(b"new(uint64")  # offsets are the file's
    assert limit.start_point == (3, 10)
    arguments = limit.child_by_field_name("arguments")
    assert arguments is not None
    assert [a.type for a in arguments.named_children] == ["call_expression"]


def test_new_with_a_type_parses_exactly_as_before() -> None:
    data = (ADDITIONS / "additions.go").read_bytes()
    types = data[data.index(b"// new(T) with a type") :]
    assert b"make(chan int)" in types
    code = b"package p\n\n" + types
    assert str(parse(code).root_node) == str(raw(code))
    # Beside a new(expr) and a genuine syntax error, the new(T) calls keep their own trees.
    mixed = code + b"\nfunc G() *int { return new(1 + 2) }\n\nfunc H() { x := }\n"
    masked = parse(mixed).root_node
    assert str(function(masked, mixed, b"Types")) == str(function(raw(mixed), mixed, b"Types"))
    assert function(masked, mixed, b"G").has_error is False  # new(1 + 2) is a call
    assert function(masked, mixed, b"H").has_error is True


def function(root: Node, data: bytes, name: bytes) -> Node:
    (declaration,) = [
        d
        for d in root.children
        if d.type == "function_declaration"
        and (n := d.child_by_field_name("name")) is not None
        and data[n.start_byte : n.end_byte] == name
    ]
    return declaration


def test_a_local_function_that_shadows_make_is_called_like_any_other() -> None:
    data = (
        b"package p\n\nfunc F(n int) int {\n"
        b"\tmake := func(n int) int { return n }\n\treturn make(n - 1)\n}\n"
    )
    assert raw(data).has_error  # the grammar wants a type first
    src = SourceFile.parse("p.go", data)
    assert src.broken_regions == ()
    (call,) = syntax.descendants(src.root, "call_expression")
    assert syntax.call_name(src, call) == "make" and src.text(call) == b"make(n - 1)"


def test_a_genuine_syntax_error_still_breaks_its_declaration() -> None:
    data = NEW_EXPR + b"\nfunc G() {\n\tx := new(uint64(1)) +\n}\n"
    src = SourceFile.parse("p.go", data)
    (region,) = src.broken_regions
    assert data[region.start : region.end].startswith(b"func G()")
    assert error_count(src.tree) > 0


FANOUT = b"""package p

type entry struct{ size int }

// Sizes answers with the first of two lookups; the other sender blocks forever.
func Sizes(e entry, primary, backup func() int) *int {
\tc := make(chan int)
\tgo func() { c <- primary() }()
\tgo func() { c <- backup() }()
\treturn new(<-c + e.size)
}
"""


def test_a_leak_next_to_new_expr_is_found_and_fixed() -> None:
    options = api.Options(go_version=(1, 26))
    (finding,) = api.check_source("p.go", FANOUT, options).findings
    assert finding.rule == "abandoned-sender"
    fixed = api.check_source(
        "p.go", FANOUT, api.Options(go_version=(1, 26), fix=Applicability.SAFE)
    )
    assert fixed.fixed is not None and b"c := make(chan int, 2)" in fixed.fixed
    assert fixed.findings == () and fixed.skipped == ()
