"""Unit tests of the timer helpers in gofixleak.syntax (shared by leaky-time-tick and
unstopped-ticker)."""

from __future__ import annotations

import pytest
from tree_sitter import Node

from gofixleak import syntax
from gofixleak.source import SourceFile


def parse(body: str, imports: str = '"time"', version: tuple[int, int] | None = None) -> SourceFile:
    code = f"package p\n\nimport {imports}\n\nfunc f() {{\n{body}\n}}\n"
    return SourceFile.parse("p.go", code.encode(), version)


def first(src: SourceFile, kind: str) -> Node:
    return next(syntax.descendants(src.root, kind))


def duration(expression: str, imports: str = '"time"') -> int | None:
    src = parse(f"_ = {expression}", imports)
    assignment = first(src, "assignment_statement")
    right = assignment.child_by_field_name("right")
    assert right is not None
    return syntax.constant_duration(src, right.named_children[0])


@pytest.mark.parametrize(
    ("version", "expected"),
    [(None, True), ((1, 21), True), ((1, 22), True), ((1, 23), False), ((1, 24), False)],
)
def test_timers_need_stop_before_go_1_23(version: tuple[int, int] | None, expected: bool) -> None:
    assert syntax.timers_need_stop(parse("", version=version)) is expected


@pytest.mark.parametrize(
    ("expression", "nanoseconds"),
    [
        ("10 * time.Millisecond", 10_000_000),
        ("time.Hour", 3_600_000_000_000),
        ("1", 1),
        ("1_000", 1000),
        ("0x10", 16),
        ("010", 8),
        ("0o10", 8),
        ("3 * time.Second / 2", 1_500_000_000),
        ("(2 + 3) * time.Minute", 300_000_000_000),
        ("time.Second + 500*time.Millisecond", 1_500_000_000),
        ("time.Second - 1", 999_999_999),
        ("-time.Second", -1_000_000_000),
        ("time.Second / 3", 333_333_333),  # Duration division truncates
        ("1 / 2 * time.Second", 0),  # untyped integer division first: 0
        ("1.0 / 2 * 4 * time.Second", 2_000_000_000),  # untyped float division is exact
        ("time.Duration(5) * time.Second", 5_000_000_000),
        ("1e9", 1_000_000_000),
    ],
)
def test_constant_duration_evaluates_constant_expressions(
    expression: str, nanoseconds: int
) -> None:
    assert duration(expression) == nanoseconds


@pytest.mark.parametrize(
    "expression",
    [
        "d",  # a variable
        "interval * time.Second",  # a named constant is not resolved
        "time.Now().Sub(t)",
        "time.Tick",  # not a unit
        "time.Second / 0",
        "0.5",  # not an integral number of nanoseconds
        "time.Second << 1",  # operators other than + - * /
        "1.5 * time.Nanosecond + time.Second",  # 1.5 cannot be a Duration: a compile error
        "0x1p-2",
        "1.5 * time.Second",  # a compile error in Go: 1.5 truncated to int64
        "1.0 / 2 * time.Second",  # likewise: 0.5 is no Duration
        "'a'",
    ],
)
def test_constant_duration_gives_none_for_anything_else(expression: str) -> None:
    assert duration(expression) is None


def test_constant_duration_respects_the_time_alias() -> None:
    assert duration("5 * t.Second", 't "time"') == 5_000_000_000
    assert duration("5 * time.Second", 't "time"') is None


def test_declaring_identifiers_finds_every_kind_of_declaration() -> None:
    src = parse(
        "a := 1\nvar b, c = 2, 3\nconst d = 4\nfor e, g := range xs {}\n"
        "select { case h := <-ch: }\nswitch i := v.(type) {}\nj = 5\n"
        "for k = range xs {}\nfunc(l int) {}(1)"
    )
    names = [src.show(n) for n in syntax.declaring_identifiers(src.root)]
    assert sorted(names) == ["a", "b", "c", "d", "e", "g", "h", "i", "l"]


def test_references_skip_declarations_and_fields() -> None:
    src = parse("tick := 1\n<-tick\ns.tick = tick\nfunc() { _ = tick }()")
    found = syntax.references(src.root, "tick", src)
    assert [src.data[n.start_byte - 2 : n.end_byte].decode() for n in found] == [
        "<-tick",
        "= tick",
        "= tick",
    ]


def test_is_received_for_receive_and_range_operands_only() -> None:
    src = parse("<-a\nfor range b {}\nfor c := range xs { _ = c }\nch <- d\n_ = -e")
    received = {
        src.show(n) for n in syntax.descendants(src.root, "identifier") if syntax.is_received(n)
    }
    assert received == {"a", "b", "xs"}


@pytest.mark.parametrize(
    ("body", "endless"),
    [
        ("for range time.Tick(time.Second) {\n\twork()\n}", True),
        ("L:\n\tfor range time.Tick(time.Second) {\n\t\twork()\n\t}", True),
        ("for range time.Tick(time.Second) {\n\tif done() {\n\t\tbreak\n\t}\n}", False),
        ("for range time.Tick(time.Second) {\n\tif done() {\n\t\treturn\n\t}\n}", False),
        ("for range time.Tick(time.Second) {\n}\nwork()", False),  # not the last statement
        ("for range ch {\n}", False),  # the predicate says ch can end
        ("if x {\n\treturn\n}\nfor range time.Tick(time.Second) {\n}", False),
    ],
)
def test_ends_in_endless_range(body: str, endless: bool) -> None:
    src = parse(body)
    function = first(src, "function_declaration")

    def is_tick(channel: Node) -> bool:
        return syntax.is_call_to(src, channel, "time", "Tick")

    assert syntax.ends_in_endless_range(function, src, is_tick) is endless


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        ("t := time.NewTimer(time.Hour)", "t"),
        ("var t = time.NewTimer(time.Hour)", "t"),
        ("var (\n\tt = time.NewTimer(time.Hour)\n)", "t"),
        ("a, b := time.NewTimer(time.Hour), 1", None),
        ("t := f(time.NewTimer(time.Hour))", None),
        ("t = time.NewTimer(time.Hour)", None),
    ],
)
def test_sole_declaration(body: str, declared: str | None) -> None:
    src = parse(body)
    call = next(
        c
        for c in syntax.descendants(src.root, "call_expression")
        if syntax.call_name(src, c) == "time.NewTimer"
    )
    declaration = syntax.sole_declaration(call)
    if declared is None:
        assert declaration is None
    else:
        assert declaration is not None
        assert src.show(syntax.sole_declared_name(declaration)) == declared


@pytest.mark.parametrize(
    ("body", "statement"),
    [
        ("t := time.NewTimer(time.Hour)", "t := time.NewTimer(time.Hour)"),
        ("var (\n\tt = time.NewTimer(time.Hour)\n)", "var (\n\tt = time.NewTimer(time.Hour)\n)"),
        ("if t := time.NewTimer(time.Hour); ok {\n}", None),
        ("for t := time.NewTimer(time.Hour); ; {\n}", None),
    ],
)
def test_declaration_statement_is_the_declaration_itself(body: str, statement: str | None) -> None:
    src = parse(body)
    call = next(
        c
        for c in syntax.descendants(src.root, "call_expression")
        if syntax.call_name(src, c) == "time.NewTimer"
    )
    declaration = syntax.sole_declaration(call)
    assert declaration is not None
    found = syntax.declaration_statement(declaration)
    assert (src.show(found) if found is not None else None) == statement


TIMER_SITES = b"""package p

import "time"

func init() { time.NewTicker(time.Hour) }

func Wait() { time.NewTicker(time.Hour) }

func Faked(time clock) { time.NewTicker(time.Hour) }

type clock struct{}

func (clock) NewTicker(d int) {}
"""


def test_timer_calls_and_the_functions_they_would_leak_from() -> None:
    src = SourceFile.parse("/nonexistent/p.go", TIMER_SITES, (1, 22))
    calls = list(syntax.timer_calls(src, "NewTicker"))
    assert len(calls) == 3  # by syntax, the fake clock's method looks the same
    leaking = [syntax.timer_function(src, call) for call in calls]
    names = [None if f is None else syntax.function_name(src, f) for f in leaking]
    assert names == [None, "Wait", None]  # init lives with the program; time is hidden in Faked
    assert (
        list(syntax.timer_calls(SourceFile.parse("p.go", TIMER_SITES, (1, 23)), "NewTicker")) == []
    )
    assert (
        list(syntax.timer_calls(SourceFile.parse("p_test.go", TIMER_SITES, (1, 22)), "NewTicker"))
        == []
    )
