"""syntax.declares_name: whether a builtin's name may mean something else in a file."""

from __future__ import annotations

import pytest

from gofixleak import syntax
from gofixleak.source import SourceFile


def source(body: str) -> SourceFile:
    return SourceFile.parse("x.go", f"package p\n\n{body}\n".encode())


@pytest.mark.parametrize(
    "body",
    [
        "func f() { close := func() {}; close() }",
        "func f(close func()) { close() }",
        "func close(ch chan int) {}",
        "var close = 1",
        "type close struct{}",
        "func f() { for close := range 3 { _ = close } }",
    ],
)
def test_declared(body: str) -> None:
    assert syntax.declares_name(source(body), "close")


@pytest.mark.parametrize(
    "body",
    [
        "func f(ch chan int) { close(ch) }",
        "type t struct{ close func() }\nfunc (x t) g() { x.close() }",
        "func (t) close() {}\ntype t int",
        "func f() {}",
    ],
)
def test_not_declared(body: str) -> None:
    assert not syntax.declares_name(source(body), "close")
