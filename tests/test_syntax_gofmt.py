"""syntax.gofmt_expression prints an expression moved to a statement of its own as gofmt would:
checked against gofmt itself on hand-picked and generated expressions."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from gofixleak import syntax
from gofixleak.source import SourceFile

PICKED = [
    "100*time.Microsecond",
    "2*time.Second + 500*time.Millisecond",
    "(a+b)*c",
    "a*-b",
    "x.y(a+b, c)*2",
    "-a*(b+c)",
    "time.Duration(n)*time.Second",
    "a / *p",
    "a*b+c*d",
    "f(a*b+c)",
    "(a*b)+c",
    "a<<2|b",
    "((a+b))*c",
    "a - -b",
    "a + +b",
    "<-c + 1",
    "a&^b*c",
    "a == b && c != d || e",
    "f(a, b*c)*g(d+e)",
    "a %b",
    "a/b/c",
    "a-(b-c)",
]

OPERATORS = ["*", "/", "%", "<<", ">>", "&", "&^", "+", "-", "|", "^", "==", "<", "&&", "||"]


def expressions() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(["a", "b", "2", "time.Second", "f(x)", "-a", "<-c", "*p"])

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(OPERATORS), inner, st.sampled_from(["", " "]))
        return st.one_of(
            binary.map(lambda t: f"{t[0]}{t[3]}{t[1]}{t[3]}{t[2]}"),
            inner.map(lambda e: f"({e})"),
            st.tuples(inner, inner).map(lambda t: f"g({t[0]}, {t[1]})"),
        )

    return st.recursive(leaf, grow, max_leaves=6)


def gofmt_statements(exprs: list[str]) -> list[str] | None:
    """What gofmt makes of ``t := g(EXPR)`` for each expression (one gofmt run); None when the
    text is not Go (``a/*p`` opens a comment)."""
    if shutil.which("gofmt") is None:
        pytest.fail("gofmt is needed on PATH for this test")
    body = "".join(f"\tt{i} := g({e})\n\t_ = t{i}\n" for i, e in enumerate(exprs))
    result = subprocess.run(
        ["gofmt"],
        input=f"package p\n\nfunc h() {{\n{body}}}\n",
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        return None
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip().startswith("t")]
    return [line.split(" := g(", 1)[1][:-1] for line in lines]


def ours(expr: str) -> str | None:
    """Our print of ``expr`` taken from inside a two-argument call (depth 2 in gofmt's terms)."""
    src = SourceFile.parse("x.go", f"package p\n\nvar x = f({expr}, z)\n".encode())
    arguments = next(syntax.descendants(src.root, "argument_list"))
    return syntax.gofmt_expression(src, arguments.named_children[0], depth=1)


def check(exprs: list[str], printed: list[str]) -> None:
    for expr, want in zip(exprs, printed, strict=True):
        got = ours(expr)
        assert got is None or got == want, f"{expr!r}: printed {got!r}, gofmt prints {want!r}"


def test_picked_expressions_print_as_gofmt_prints_them() -> None:
    printed = gofmt_statements(PICKED)
    assert printed is not None
    check(PICKED, printed)
    assert ours("2*time.Second") == "2 * time.Second"  # the case that matters: spaces appear


@settings(max_examples=60, deadline=None)
@given(st.lists(expressions(), min_size=1, max_size=8))
def test_generated_expressions_print_as_gofmt_prints_them(exprs: list[str]) -> None:
    printed = gofmt_statements(exprs)
    assume(printed is not None)  # generated text that is not Go, such as a/*p
    assert printed is not None
    check(exprs, printed)
