"""walk and descendants (tree cursor, per-file index of whole-file scans) meet exactly the nodes,
in exactly the order, of the plain preorder walk they replace: on every fixture, golden and
example, from the root and from every function and block, for every node type in the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.golang import parse
from gofixleak.source import SourceFile
from tests.fixture_cases import FIXTURES, ROOT

GO_FILES = sorted(
    [*FIXTURES.rglob("*.go"), *FIXTURES.rglob("*.go.golden"), *(ROOT / "examples").rglob("*.go")]
)
BROKEN = [
    b"package p\n\nfunc f() {\n\tgo func() {\n\t\tx :=\n\t}()\n}\n",
    b"package p\n\nfunc f( {\n\tgo g()\n",
    b"package p\n\nfunc f() {\n\tfor {\n\t\tselect {\n\t\tcase <-c\n\t\t}\n\t}\n}\n",
]


# Where rules start their searches, and nodes that share their range with their only child.
START_TYPES = syntax.FUNCTIONS | {
    "block",
    "statement_list",
    "expression_list",
    "expression_statement",
    "parenthesized_expression",
    "communication_case",
}


def reference_walk(node: Node, *, into_functions: bool = True) -> Iterator[Node]:
    """The original stack-based preorder walk."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and not into_functions and current.type in syntax.FUNCTIONS:
            continue
        stack.extend(reversed(current.children))


def _ids(nodes: Iterator[Node]) -> list[tuple[int, int, int, str]]:
    return [(n.id, n.start_byte, n.end_byte, n.type) for n in nodes]


def _sources() -> list[tuple[str, bytes]]:
    files = [(p.relative_to(ROOT).as_posix(), p.read_bytes()) for p in GO_FILES]
    return files + [(f"broken{i}", text) for i, text in enumerate(BROKEN)]


@pytest.mark.parametrize(
    ("name", "data"), _sources(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_walk_and_descendants_match_the_reference(name: str, data: bytes) -> None:
    root = parse(data).root_node
    everything = list(reference_walk(root))
    types = sorted({n.type for n in everything})
    starts = [root, *(n for n in everything if n.type in START_TYPES)]
    for start in starts:
        for into in (True, False):
            reference = list(reference_walk(start, into_functions=into))
            assert _ids(syntax.walk(start, into_functions=into)) == _ids(iter(reference)), name
            for kind in types:
                expected = [n for n in reference if n.type == kind]
                got = syntax.descendants(start, kind, into_functions=into)
                assert _ids(got) == _ids(iter(expected)), (name, kind, into)
    # Several types at once, as rules ask (functions; declarations; a node and its only child).
    for group in (
        tuple(syntax.FUNCTIONS),
        ("short_var_declaration", "var_spec"),
        ("expression_statement", "call_expression", "identifier"),
        ("go_statement", "defer_statement", "func_literal", "block", "statement_list"),
        ("identifier", "no_such_type", "("),
    ):
        expected = [n for n in everything if n.type in group]
        assert _ids(syntax.descendants(root, *group)) == _ids(iter(expected)), (name, group)


def test_the_index_follows_the_tree() -> None:
    first = parse(b"package p\n\nfunc f() { go f() }\n").root_node
    second = parse(b"package p\n\nfunc g() {}\nfunc h() { go g(); go h() }\n").root_node
    assert len(list(syntax.descendants(first, "go_statement"))) == 1
    assert len(list(syntax.descendants(second, "go_statement"))) == 2
    assert len(list(syntax.descendants(first, "go_statement"))) == 1


def test_descendants_is_a_fresh_iterator_each_time(tmp_path: Path) -> None:
    root = parse(b"package p\n\nfunc f() { go f(); go f() }\n").root_node
    first = syntax.descendants(root, "go_statement")
    next(first)
    assert len(list(syntax.descendants(root, "go_statement"))) == 2


def reference_local_channels(function: Node, src: SourceFile) -> list[tuple[str, int, int]]:
    """The original walk of ``channels.local_channels``: (name, declaration start, make start)."""
    body = function.child_by_field_name("body")
    out: list[tuple[str, int, int]] = []
    for node in reference_walk(body, into_functions=False) if body is not None else []:
        if node.type == "short_var_declaration":
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            lefts = left.named_children if left is not None else []
            rights = right.named_children if right is not None else []
            pairs = list(zip(lefts, rights, strict=True)) if len(lefts) == len(rights) else []
        elif node.type == "var_spec":
            names = [c for c in node.children_by_field_name("name") if c.type == "identifier"]
            values = node.child_by_field_name("value")
            pairs = list(zip(names, values.named_children, strict=False)) if values else []
            if values is not None and len(names) != len(values.named_children):
                pairs = []
        else:
            continue
        for name, value in pairs:
            if name.type == "identifier" and channels.is_make_chan(src, value):
                out.append((src.show(name), node.start_byte, value.start_byte))
    return out


@pytest.mark.parametrize(
    ("name", "data"), _sources(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_local_channels_match_the_reference(name: str, data: bytes) -> None:
    src = SourceFile.parse(name + ".go", data)
    for function in reference_walk(src.root):
        if function.type not in syntax.FUNCTIONS | {"block", "for_statement"}:
            continue
        got = [
            (c.name, c.declaration.start_byte, c.make.start_byte, c.function == function)
            for c in channels.local_channels(function, src)
        ]
        expected = [(*c, True) for c in reference_local_channels(function, src)]
        assert got == expected, (name, function.start_byte)


def test_is_confined_answers_for_the_file_at_hand() -> None:
    """The answer is kept per file: the same channel position in another file is asked again."""
    kept = b"package p\n\nfunc f() {\n\tch := make(chan int)\n\tgo func() { ch <- 1 }()\n}\n"
    leaks = b"package p\n\nfunc f() {\n\tch := make(chan int)\n\tgo func() { g(ch) }()\n}\n"
    answers = []
    for data in (kept, leaks, kept):
        src = SourceFile.parse("p.go", data)
        function = next(syntax.descendants(src.root, "function_declaration"))
        (channel,) = channels.local_channels(function, src)
        answers.append(channels.is_confined(channel, src))
        assert channels.is_confined(channel, src) == answers[-1]
    assert answers == [True, False, True]
