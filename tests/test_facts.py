"""The package model on small packages: declarations, call resolution, usage summaries."""

from __future__ import annotations

from pathlib import Path

import pytest
from tree_sitter import Node

from gofixleak import syntax
from gofixleak.facts import constants, declarations, resolve
from gofixleak.facts import package as package_module
from gofixleak.facts.package import Directory, GoPackage, names_in, package_clause
from gofixleak.facts.usage import Interval, Subject, Usage, usage
from gofixleak.source import SourceFile


def package(tmp_path: Path, **files: str) -> GoPackage:
    for name, text in files.items():
        (tmp_path / f"{name}.go").write_text(text)
    return Directory(str(tmp_path)).package("p", None)


def function(pkg: GoPackage, name: str) -> tuple[SourceFile, Node]:
    (found,) = declarations.functions_named(pkg, name) or [
        m for src in pkg.sources() for m in declarations.functions_in(src) if m.name == name
    ]
    return found.src, found.node


def usage_of(pkg: GoPackage, name: str, subject: str) -> Usage:
    src, node = function(pkg, name)
    return usage(src, node, Subject(subject))


def sends(pkg: GoPackage, name: str, subject: str = "out") -> Interval | None:
    found = usage_of(pkg, name, subject)
    assert found.known, found.why
    return found.returns.get("send") if found.returns is not None else None


def test_package_clause_skips_comments_and_reads_the_name() -> None:
    assert package_clause(b"// doc\n/* x */\npackage  foo // c\n") == "foo"
    assert package_clause(b"\xef\xbb\xbfpackage bar\n") == "bar"
    assert package_clause(b"packagefoo\n") is None
    assert package_clause(b"func f() {}\n") is None


def test_a_package_holds_the_files_of_its_clause_only(tmp_path: Path) -> None:
    pkg = package(tmp_path, a="package p\n", a_test="package p_test\n", b="package p\n")
    (tmp_path / "_skip.go").write_text("package p\n")
    assert [Path(p).name for p in pkg.paths()] == ["a.go", "b.go"]


def test_only_files_that_mention_a_name_are_parsed(tmp_path: Path) -> None:
    pkg = package(tmp_path, a="package p\n\nfunc helper() {}\n", b="package p\n\nfunc other() {}\n")
    assert [Path(s.path).name for s in pkg.mentioning("helper")] == ["a.go"]
    assert not pkg.has_source(str(tmp_path / "b.go"))


def test_files_that_may_declare_a_name_are_found_on_any_line_of_it(tmp_path: Path) -> None:
    """The declaration comes after many uses of the name, or ends the file."""
    uses = "".join(f"func use{i}() {{ _ = limit; _ = unlimited }}\n" for i in range(50))
    pkg = package(
        tmp_path,
        a=f"package p\n\n{uses}\nvar (\n\tother = 1\n\tlimit = 2\n)\n",
        b=f"package p\n\n{uses}",
        c="package p\n\nfunc (s *S) limit() {}\n\ntype limit int",
    )
    assert [Path(s.path).name for s in pkg.mentioning("limit", "var")] == ["a.go"]
    assert [Path(s.path).name for s in pkg.mentioning("limit", "func")] == ["c.go"]
    assert [Path(s.path).name for s in pkg.mentioning("limit", "type")] == ["c.go"]
    assert [Path(s.path).name for s in pkg.mentioning("S", "method")] == ["c.go"]
    assert pkg.mentioning("S", "func") == []  # a receiver's type names no function
    assert [Path(s.path).name for s in pkg.mentioning("limit")] == ["a.go", "b.go", "c.go"]
    assert pkg.mentioning("limi") == []


def test_what_mentions_a_name_follows_a_fixed_file(tmp_path: Path) -> None:
    """An answer is kept, and forgotten when a fix changes a file of the package."""
    pkg = package(tmp_path, a="package p\n\nfunc helper() {}\n", b="package p\n")
    b = str(tmp_path / "b.go")
    assert [Path(s.path).name for s in pkg.mentioning("helper")] == ["a.go"]
    pkg.update(b, b"package p\n\nfunc use() { helper() }\n")
    assert [Path(s.path).name for s in pkg.mentioning("helper")] == ["a.go", "b.go"]
    assert [Path(s.path).name for s in pkg.mentioning("helper", "func")] == ["a.go"]


CALLEES = """package p

func validate(x int, out chan error) {
	if x < 0 {
		out <- nil
		return
	}
	out <- nil
}

func maybe(x int, out chan error) {
	if x < 0 {
		return
	}
	out <- nil
}

func loop(xs []int, out chan int) {
	for _, x := range xs {
		out <- x
	}
}

func eight(out chan int) {
	for i := 0; i < 8; i++ {
		out <- i
	}
}

func four(out chan int) {
	for _, x := range []int{1, 2, 3, 4} {
		out <- x
	}
	for range 2 {
		out <- 0
	}
}

func relay(out chan error) {
	validate(1, out)
}

func handOff(out chan error) {
	go validate(1, out)
}

func unknown(out chan error, f func(chan error)) {
	f(out)
}

func recursive(n int, out chan error) {
	if n == 0 {
		out <- nil
		return
	}
	recursive(n-1, out)
}

func jumps(out chan error) {
	goto end
end:
	out <- nil
}

func deferred(out chan error) {
	defer func() { out <- nil }()
}

func gives(out chan error, done chan struct{}) {
	select {
	case out <- nil:
	case <-done:
	}
}
"""


def test_sends_are_counted_on_every_path(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=CALLEES)
    assert sends(pkg, "validate") == Interval(1, 1)
    assert sends(pkg, "maybe") == Interval(0, 1)
    assert sends(pkg, "loop") == Interval(0, None)
    assert sends(pkg, "eight") == Interval(8, 8)
    assert sends(pkg, "four") == Interval(6, 6)
    assert sends(pkg, "deferred") == Interval(1, 1)


def test_calls_are_followed_into_the_package(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=CALLEES)
    assert sends(pkg, "relay") == Interval(1, 1)
    hand_off = usage_of(pkg, "handOff", "out")
    assert hand_off.returns is not None and hand_off.returns.get("send") == Interval(0, 0)
    (spawned,) = hand_off.spawned
    assert spawned.src.show(spawned.go) == "go validate(1, out)"
    assert spawned.run.returns is not None
    assert spawned.run.returns.get("send") == Interval(1, 1)


def test_what_cannot_be_followed_is_an_escape_or_unknown(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=CALLEES)
    assert usage_of(pkg, "unknown", "out").escapes
    assert usage_of(pkg, "recursive", "out").unknown
    assert usage_of(pkg, "jumps", "out").unknown


def test_a_send_in_a_select_with_other_cases_can_give_up(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=CALLEES)
    found = usage_of(pkg, "gives", "out")
    assert found.gives_up and found.returns is not None
    assert found.returns.get("send") == Interval(0, 1)


def test_callees_in_other_files_of_the_package(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="package p\n\nfunc run(ch chan int) {\n\tsend(ch)\n}\n",
        b="package p\n\nfunc send(ch chan int) {\n\tch <- 1\n}\n",
    )
    assert sends(pkg, "run", "ch") == Interval(1, 1)


WAITGROUPS = """package p

import "sync"

func deferred(wg *sync.WaitGroup, err error) {
	defer wg.Done()
	if err != nil {
		return
	}
}

func trailing(wg *sync.WaitGroup, err error) {
	if err != nil {
		return
	}
	wg.Done()
}

func fatal(wg *sync.WaitGroup, err error) {
	if err != nil {
		panic(err)
	}
	wg.Done()
}
"""


def test_waitgroup_done_on_every_path(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=WAITGROUPS)
    for name, on_return, on_exit in [
        ("deferred", Interval(1, 1), None),
        ("trailing", Interval(0, 1), None),
        ("fatal", Interval(1, 1), Interval(0, 0)),
    ]:
        found = usage_of(pkg, name, "wg")
        assert found.known and found.returns is not None, name
        assert found.returns.get("method:Done") == on_return, name
        if on_exit is not None:
            assert found.exits is not None and found.exits.get("method:Done") == on_exit


TYPES = """package p

type Server struct {
	quit chan struct{}
	inner *Worker
}

type Worker struct{}

func NewServer() *Server { return &Server{} }

func (s *Server) Serve() {
	s.inner.Run()
}

func (w *Worker) Run() {}

func (s *Server) stop() {}

func use(w Worker, p *Server) {
	a := NewServer()
	b := &Server{}
	c := new(Server)
	var d Server
	a.stop()
	b.stop()
	c.stop()
	d.stop()
	w.Run()
	p.stop()
	e := func() {}
	e()
}
"""


def test_calls_resolve_by_the_receiver_type_that_syntax_shows(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=TYPES)
    src = next(iter(pkg.sources()))
    resolved = {
        src.show(call): target.name if (target := resolve.callee(src, call)) else None
        for call in syntax.descendants(src.root, "call_expression")
    }
    assert resolved["a.stop()"] == resolved["b.stop()"] == "stop"
    assert resolved["c.stop()"] == resolved["d.stop()"] == resolved["p.stop()"] == "stop"
    assert resolved["w.Run()"] == resolved["s.inner.Run()"] == "Run"
    assert resolved["NewServer()"] == "NewServer"
    assert resolved["e()"] is None


def test_struct_fields_and_their_kinds(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="package p\n\nimport (\n\t\"context\"\n\t\"sync\"\n)\n\n"
        "type S struct {\n\tquit chan struct{}\n\tcancel context.CancelFunc\n"
        "\twg sync.WaitGroup\n\tsync.Mutex\n\ta, b int\n}\n",
    )
    struct = declarations.struct_type(pkg, "S")
    assert struct is not None
    assert [(f.name, f.kind, f.embedded) for f in struct.fields] == [
        ("quit", "chan", False),
        ("cancel", "cancel", False),
        ("wg", "waitgroup", False),
        ("Mutex", "mutex", True),
        ("a", "other", False),
        ("b", "other", False),
    ]


@pytest.mark.parametrize("text", ["for {\n\t\tout <- nil\n\t}", "select {}"])
def test_a_function_that_never_returns_has_no_return_counts(tmp_path: Path, text: str) -> None:
    pkg = package(tmp_path, a=f"package p\n\nfunc f(out chan error) {{\n\t{text}\n}}\n")
    found = usage_of(pkg, "f", "out")
    assert found.known and found.returns is None


DECLARING = """package p

type (
	Pair[K comparable] struct{ k K }
	alias = int
)

var (
	limit, extra = 1, 2
)

func (p *Pair[K]) Run() { <-make(chan K) }

func (Pair[K]) Peek() {}

func helper() {}
"""

USING = """package p

func user() {
	var p Pair[int]
	p.Run()
	p.Peek()
	helper()
	_ = limit + extra
	_ = alias(0)
}
"""

CONSTANTS = """package p

const size = 6

const (
	first = iota
	second
)

func loops(out chan int) {
	for i := 0; i < size+2; i++ {
		out <- i
	}
	const twice = 2 * size
	for range twice {
		out <- 0
	}
	for i := 0; i < second; i++ {
		out <- i
	}
}
"""


def test_declarations_are_parsed_only_in_the_files_whose_text_declares_them(
    tmp_path: Path,
) -> None:
    pkg = package(tmp_path, a=DECLARING, b=USING)
    b = str(tmp_path / "b.go")
    assert [f.name for f in declarations.functions_named(pkg, "helper")] == ["helper"]
    assert [f.name for f in declarations.methods_named(pkg, "Pair", "Run")] == ["Run"]
    assert [f.name for f in declarations.methods_named(pkg, "Pair", "Peek")] == ["Peek"]
    assert declarations.methods_named(pkg, "Other", "Run") == []
    assert all(declarations.declares(pkg, n) for n in ("Pair", "alias", "limit", "extra"))
    assert declarations.struct_type(pkg, "Pair") is not None
    assert not pkg.has_source(b)  # b.go uses all those names and declares none of them
    assert declarations.declares(pkg, "user")


def test_only_functions_whose_text_receives_may_receive(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=DECLARING, b=USING)
    assert declarations.may_receive(pkg, "Run")
    assert not declarations.may_receive(pkg, "Peek")
    assert not declarations.may_receive(pkg, "helper")
    assert not declarations.may_receive(pkg, "missing")
def test_named_constants_count_loop_trips(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=CONSTANTS)
    src = next(iter(pkg.sources()))
    values = {
        src.show(n): constants.integer(src, n)
        for n in syntax.descendants(src.root, "binary_expression", "identifier")
    }
    assert values["size+2"] == 8 and values["twice"] == 12 and values["second"] is None
    assert values["i < size+2"] is None
    assert sends(pkg, "loops", "out") == Interval(20, None)


def test_types_of_names_declared_from_each_other_are_unknown(tmp_path: Path) -> None:
    """Names are not scoped: two declared in other blocks from each other's calls must not
    send the resolver round in circles."""
    pkg = package(
        tmp_path,
        a="""package p

type T struct{}

func (t *T) next() *T { return t }

func f() {
	{
		a := b.next()
		_ = a
	}
	{
		b := a.next()
		_ = b
	}
}
""",
    )
    src, node = function(pkg, "f")
    call = next(c for c in syntax.descendants(node, "call_expression"))
    assert resolve.callee(src, call) is None


def test_a_declaration_found_in_a_parsed_file_spares_parsing_the_others(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="package p\n\ntype limit int\n",
        b="package p\n\nfunc f() {\n\tlimit := 3\n\t_ = limit\n}\n",
    )
    pkg.source(str(tmp_path / "a.go"))
    assert declarations.declares(pkg, "limit")
    assert not pkg.has_source(str(tmp_path / "b.go"))
    assert not declarations.declares(pkg, "f2")
    assert declarations.declares(pkg, "f") and pkg.has_source(str(tmp_path / "b.go"))


def test_the_files_where_a_function_may_spell_a_word_are_found_unparsed(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="package p\n\nfunc New() *T {\n\tctx, cancel := context.WithCancel(nil)\n}\n",
        b="package p\n\nfunc New() {}\n\nfunc (t *T) New() {}\n\nfunc other() { WithCancel() }\n",
        c="package p\n\nfunc (t *T) New() {\n\tWithCancel()\n}\n",
    )
    found = declarations.declaring_with(pkg, "New", "WithCancel")
    assert [Path(p).name for p in found] == ["a.go", "c.go"]  # b.go's call is other's
    assert declarations.declaring_with(pkg, "other", "context") == []
    assert not any(pkg.has_source(p) for p in pkg.paths())


def test_a_package_asked_about_many_names_answers_them_alike(tmp_path: Path) -> None:
    """The first questions are asked of each file, the later ones of an index: same answers."""
    words = [f"name{i}" for i in range(40)]
    pkg = package(
        tmp_path,
        a="package p\n\n" + "".join(f"func {w}() {{}}\n" for w in words[::2]),
        b="package p\n\n" + "".join(f"var _ = {w}\n" for w in words[::3]),
    )
    for word in words:
        index = int(word.removeprefix("name"))
        expected = [f for f, step in (("a.go", 2), ("b.go", 3)) if index % step == 0]
        assert [Path(p).name for p in pkg.paths_mentioning(word)] == expected, word
        declaring = ["a.go"] if index % 2 == 0 else []
        assert [Path(p).name for p in pkg.paths_mentioning(word, "func")] == declaring, word
    pkg.update(str(tmp_path / "b.go"), b"package p\n\nvar _ = name39\n")
    assert [Path(p).name for p in pkg.paths_mentioning("name39")] == ["b.go"]
    assert pkg.paths_mentioning("name3") == []


@pytest.mark.parametrize(
    "word", [b"quit", b"q", b"quit2", b"_quit", b"\xc3\xa9quit", b"a.b", b"", b"go", b"func"]
)
def test_a_word_is_found_in_place_as_a_split_would_find_it(word: bytes) -> None:
    """The first questions of a package look for the word in the bytes; the index splits them
    into words: both answers are the same."""
    data = (
        b"package p\n\n// quitting \xc3\xa9quit _quit\nfunc f() { quit2 := a.b; go g(q) }\n"
        b"func(x) {}\nvar myfunc = 1\n"
    )
    assert package_module._holds_word(data, word) == (word in names_in(data)["words"])
    assert package_module._holds_word(data + b" " + word, word) == (
        word in names_in(data + b" " + word)["words"]
    )
