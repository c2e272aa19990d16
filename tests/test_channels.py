"""The shared channel helpers of gofixleak.channels."""

from __future__ import annotations

import pytest
from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.source import SourceFile


def parse(body: str, params: str = "") -> tuple[SourceFile, Node]:
    src = SourceFile.parse("p.go", f"package p\n\nfunc f({params}) {{\n{body}\n}}\n".encode())
    function = next(syntax.descendants(src.root, "function_declaration"))
    return src, function


def only_channel(body: str, params: str = "") -> tuple[SourceFile, channels.LocalChannel]:
    src, function = parse(body, params)
    found = list(channels.local_channels(function, src))
    assert len(found) == 1, [c.name for c in found]
    return src, found[0]


def test_local_channels_finds_short_and_var_declarations() -> None:
    src, function = parse(
        "a := make(chan int)\n"
        "var b = make(chan error, 3)\n"
        "c, d := make(chan int), 5\n"
        "e := make([]int, 3)\n"
        "go func() { g := make(chan int); _ = g }()\n"
    )
    found = {c.name: c for c in channels.local_channels(function, src)}
    assert sorted(found) == ["a", "b", "c"]  # not the slice, not the nested literal's
    assert found["a"].capacity is None
    capacity = found["b"].capacity
    assert capacity is not None and src.show(capacity) == "3"
    assert src.show(found["b"].channel_type) == "chan error"


def test_is_make_chan() -> None:
    src, function = parse("_ = make(chan<- int)\n_ = make(map[int]int)\n_ = new(chan int)")
    calls = list(syntax.descendants(function, "call_expression"))
    assert [channels.is_make_chan(src, c) for c in calls] == [True, False, False]


def test_operations_on_a_channel() -> None:
    src, function = parse(
        "ch := make(chan int)\n"
        "other := make(chan int)\n"
        "go func() { ch <- 1 }()\n"
        "other <- 2\n"
        "v, ok := <-ch\n"
        "for x := range ch { _ = x }\n"
        "close(ch)\n"
        "close(other)\n"
        "_, _ = v, ok\n"
    )
    assert [src.show(s) for s in channels.sends_on(function, "ch", src)] == ["ch <- 1"]
    assert [src.show(r) for r in channels.receives_from(function, "ch", src)] == ["<-ch"]
    assert len(channels.ranges_over(function, "ch", src)) == 1
    assert [src.show(c) for c in channels.closes_of(function, "ch", src)] == ["close(ch)"]


def test_select_alternatives() -> None:
    src, function = parse(
        "select {\ncase v := <-ch:\n\t_ = v\ncase <-done:\ndefault:\n}\n"
        "select {\ncase ch <- 1:\n}\n"
        "_ = <-ch\n"
    )
    first, last = channels.receives_from(function, "ch", src)
    assert len(channels.select_alternatives(first)) == 2  # `<-done` and default
    assert channels.select_alternatives(last) == []
    (send,) = channels.sends_on(function, "ch", src)
    case = channels.communication_case_of(send)
    assert case is not None and channels.select_alternatives(send) == []


def test_go_statement_of() -> None:
    src, function = parse(
        "go func() { ch <- 1 }()\n"
        "defer func() { ch <- 2 }()\n"
        "go func() { go func() { ch <- 3 }() }()\n"
        "ch <- 4\n"
    )
    sends = channels.sends_on(function, "ch", src)
    owners = [channels.go_statement_of(s, function) for s in sends]
    assert owners[0] is not None and owners[0].type == "go_statement"
    assert owners[1:] == [None, None, None]


@pytest.mark.parametrize(
    "body",
    [
        "ch := make(chan int)\ngo func() { ch <- 1 }()\n<-ch",
        "ch := make(chan int, 1)\nch <- 1\n_ = len(ch) + cap(ch)\nclose(ch)\nfor range ch {}",
        "ch := make(chan int)\ndefer func() { <-ch }()\nfunc() { ch <- 1 }()",
    ],
)
def test_confined(body: str) -> None:
    src, channel = only_channel(body)
    assert channels.is_confined(channel, src)


@pytest.mark.parametrize(
    "body",
    [
        "ch := make(chan int)\nreturn ch",  # returned
        "ch := make(chan int)\ns.ch = ch",  # stored
        "ch := make(chan int)\ngo worker(ch)",  # passed to a function
        "ch := make(chan int)\ngo func(c chan int) { c <- 1 }(ch)",  # passed to a literal
        "ch := make(chan int)\nf := func() { <-ch }\ngo f()",  # captured by a stored literal
        "ch := make(chan int)\nch = nil",  # assigned
        "ch := make(chan int)\ngo func() { ch := make(chan int); ch <- 1 }()",  # declared again
        "ch := make(chan int)\nfor ch := range other { _ = ch }",  # declared again by range
        "ch := make(chan int)\nx := []chan int{ch}\n_ = x",  # in a composite literal
    ],
)
def test_escapes(body: str) -> None:
    src, function = parse(body, "s *T, other chan chan int, worker func(chan int)")
    channel = next(c for c in channels.local_channels(function, src) if c.name == "ch")
    assert not channels.is_confined(channel, src)
