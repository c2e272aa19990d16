"""Unit tests of the goroutine helpers of gofixleak.syntax (started function, parameters and
arguments, context types, loop exits)."""

from __future__ import annotations

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.source import SourceFile

CODE = b"""package p

import stdctx "context"

func worker(ctx stdctx.Context, in, out chan int) {}

func spread(xs ...int) {}

func dup() {}
func dup() {}

func start(ctx stdctx.Context) {
	in := make(chan int)
	go worker(ctx, in, nil)
	go spread(1, 2)
	go dup()
	go func(v int) {}(1)
	go fmt.Println()
}
"""


def parse(code: bytes) -> SourceFile:
    return SourceFile.parse("p.go", code)


def go_statements(src: SourceFile) -> list[Node]:
    return list(syntax.descendants(src.root, "go_statement"))


def test_started_function_follows_literals_and_unique_functions_of_the_file() -> None:
    src = parse(CODE)
    started = [syntax.started_function(src, go) for go in go_statements(src)]
    names = [syntax.function_name(src, f) if f is not None else None for f in started]
    assert names == ["worker", "spread", None, None, None]
    assert started[3] is not None and started[3].type == "func_literal"


def test_parameters_and_bound_arguments() -> None:
    src = parse(CODE)
    go = go_statements(src)
    worker = syntax.started_function(src, go[0])
    call = syntax.launched_call(go[0])
    assert worker is not None and call is not None
    assert syntax.parameter_names(worker, src) == ["ctx", "in", "out"]
    bound = syntax.bound_argument(call, worker, src, "in")
    assert bound is not None and src.show(bound) == "in"
    assert syntax.bound_argument(call, worker, src, "missing") is None
    spread = syntax.started_function(src, go[1])
    spread_call = syntax.launched_call(go[1])
    assert spread is not None and spread_call is not None
    assert syntax.bound_argument(spread_call, spread, src, "xs") is None  # variadic


def test_is_context_type_respects_the_import_alias() -> None:
    src = parse(CODE)
    worker = syntax.started_function(src, go_statements(src)[0])
    assert worker is not None
    assert syntax.is_context_type(src, syntax.parameter_type(worker, src, "ctx"))
    assert not syntax.is_context_type(src, syntax.parameter_type(worker, src, "in"))
    plain = parse(b"package p\n\nfunc f(ctx context.Context) {}\n")
    function = plain.root.named_children[-1]
    assert not syntax.is_context_type(plain, syntax.parameter_type(function, plain, "ctx"))


LOOPS = b"""package p

func f(c chan int) {
outer:
	for {
		for {
			select {
			case <-c:
				continue outer
			}
		}
	}
	for {
	inner:
		for {
			break inner
		}
		go func() { return }()
	}
	for {
		switch {
		default:
			break
		}
		if true {
			return
		}
	}
}
"""


def test_loop_exits_counts_returns_and_jumps_to_outer_statements_only() -> None:
    src = parse(LOOPS)
    loops = list(syntax.descendants(src.root, "for_statement"))
    texts = [[src.show(e) for e in syntax.loop_exits(loop, src)] for loop in loops]
    # outer (continue outer stays in it), the loop inside it, the loop around `inner:`, the
    # `inner:` loop (break inner ends it), the loop with a return.
    assert texts == [[], ["continue outer"], [], ["break inner"], ["return"]]
