"""The goroutine helpers of gofixleak.syntax."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.source import SourceFile

CODE = b"""package p

func f(g func()) {
	go func() {
		a := 1
		_ = a
	}()
	go g()
	func() {
		b := 2
		_ = b
	}()
}
"""


def parse() -> SourceFile:
    return SourceFile.parse("p.go", CODE)


def test_launched_literal_and_call() -> None:
    src = parse()
    gos = list(syntax.descendants(src.root, "go_statement"))
    literal = syntax.launched_literal(gos[0])
    assert literal is not None and literal.type == "func_literal"
    assert syntax.launched_literal(gos[1]) is None
    call = syntax.launched_call(gos[1])
    assert call is not None and src.show(call) == "g()"


def test_goroutine_literal_is_only_the_started_one() -> None:
    src = parse()
    literals = list(syntax.descendants(src.root, "func_literal"))
    assert [syntax.is_goroutine_literal(f) for f in literals] == [True, False]


def test_enclosing_goroutine() -> None:
    src = parse()
    in_go, in_plain_literal = syntax.descendants(src.root, "short_var_declaration")
    goroutine = syntax.enclosing_goroutine(in_go)
    assert goroutine is not None and goroutine.type == "func_literal"
    assert syntax.enclosing_goroutine(in_plain_literal) is None


SPAWNERS = b"""package p

func work() {}

func returns() {
	go work()
	go func() {}()
}

func forever() {
	go work()
	for {
	}
}

func init() {
	go work()
}
"""


def test_spawned_goroutine_follows_only_goroutines_that_outlive_a_returning_caller() -> None:
    src = SourceFile.parse("p.go", SPAWNERS)
    found = {}
    for go in syntax.descendants(src.root, "go_statement"):
        goroutine = syntax.spawned_goroutine(src, go)
        spawner = syntax.enclosing_function(go)
        assert spawner is not None
        key = (syntax.function_name(src, spawner), src.show(go))
        found[key] = None if goroutine is None else goroutine.function.type
    assert found == {
        ("returns", "go work()"): "function_declaration",
        ("returns", "go func() {}()"): "func_literal",
        ("forever", "go work()"): None,  # the spawner never returns
        ("init", "go work()"): None,  # lives as long as the program
    }
