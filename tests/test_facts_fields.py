"""The package model's field uses: every use of one struct field, classified, and who calls a
function; on small packages of several files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gofixleak import syntax
from gofixleak.facts import callers, declarations, resolve
from gofixleak.facts.fields import FieldRef, FieldUses, denoted_field, field_uses, uncancelled
from gofixleak.facts.package import Directory, GoPackage


def package(tmp_path: Path, name: str = "p", **files: str) -> GoPackage:
    for file, text in files.items():
        (tmp_path / f"{file}.go").write_text(text)
    return Directory(str(tmp_path)).package(name, None)


def uses_of(pkg: GoPackage, type_name: str, field: str) -> FieldUses:
    found = field_uses(pkg, FieldRef(type_name, field))
    assert found is not None
    return found


def kinds(uses: FieldUses) -> list[tuple[str, bool, str]]:
    """(kind, owner known, text) of each use, in file order."""
    return [(u.kind, u.owner_known, u.src.show(u.node)) for u in uses.uses]


SERVER = """package p

type Server struct {
	quit  chan struct{}
	reqs  chan int
	other int
}

type Other struct{ quit chan int }

func NewServer() *Server {
	return &Server{quit: make(chan struct{}), reqs: make(chan int)}
}

func (s *Server) done() <-chan struct{} { return s.quit }

func (s *Server) loop() {
	q := s.quit
	for {
		select {
		case <-q:
			return
		case r := <-s.reqs:
			_ = r
		}
	}
}

func (o *Other) Stop() { close(o.quit) }
"""

ELSEWHERE = """package p

func all(m map[int]*Server) {
	for _, v := range m {
		v.reqs <- 1
	}
	servers := []Server{{nil, nil, 0}}
	_ = servers
	wait(m[0].quit)
}

func wait(c chan struct{}) { <-c }
"""


def test_every_use_of_a_field_across_the_files_of_a_package(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=SERVER, b=ELSEWHERE)
    assert kinds(uses_of(pkg, "Server", "quit")) == [
        ("make", True, "quit"),  # the key of &Server{quit: make(...)}
        ("accessor", True, "s.quit"),  # returned as a receive-only channel
        ("receive", True, "q"),  # a use of the copy q := s.quit
        ("nil", True, "nil"),  # the first element of the elided Server{nil, nil, 0}
        ("receive", False, "m[0].quit"),  # passed to wait, which only receives; owner unknown
    ]
    assert kinds(uses_of(pkg, "Server", "reqs")) == [
        ("make", True, "reqs"),
        ("receive", True, "s.reqs"),
        ("send", True, "v.reqs"),  # a range variable over a map[int]*Server
        ("nil", True, "nil"),
    ]


def test_uses_of_another_type_that_declares_the_field_are_not_listed(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=SERVER, b=ELSEWHERE)
    assert "close" not in {u.kind for u in uses_of(pkg, "Server", "quit").uses}
    assert kinds(uses_of(pkg, "Other", "quit")) == [
        ("close", True, "o.quit"),
        ("receive", False, "m[0].quit"),  # may be an Other's
    ]


ESCAPES = """package p

import "context"

type T struct {
	quit   chan int
	ctx    context.Context
	cancel context.CancelFunc
}

func (t *T) uses(q chan int, out chan chan int) chan int {
	t.quit = q
	out <- t.quit
	keep(t.quit)
	p := &t.quit
	_ = p
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.cancel()
	_ = t.quit == nil
	return t.quit
}

func keep(c chan int) { go func() { c <- 1 }() }
"""


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("quit", ["assign", "escape", "escape", "escape", "harmless", "escape"]),
        ("cancel", ["derive", "call"]),
        ("ctx", ["derive"]),
    ],
)
def test_what_each_use_does(tmp_path: Path, field: str, expected: list[str]) -> None:
    pkg = package(tmp_path, a=ESCAPES)
    assert [k for k, _, _ in kinds(uses_of(pkg, "T", field))] == expected


@pytest.mark.parametrize(
    ("files", "name", "why"),
    [
        ({"a": "package p\n\ntype T struct{ Quit chan int }\n"}, "Quit", "exported"),
        (
            {"a": "package p\n\ntype T struct{ quit chan int }\n\ntype U T\n\nvar u = T(U{})\n"},
            "quit",
            "converted to T",
        ),
    ],
)
def test_when_the_uses_cannot_all_be_listed(
    tmp_path: Path, files: dict[str, str], name: str, why: str
) -> None:
    pkg = package(tmp_path, **files)
    unknown = uses_of(pkg, "T", name).unknown
    assert unknown is not None and why in unknown


def test_an_exported_field_of_a_main_package_is_the_package_s_own(tmp_path: Path) -> None:
    pkg = package(tmp_path, "main", a="package main\n\ntype T struct{ Quit chan int }\n")
    assert uses_of(pkg, "T", "Quit").unknown is None
    (tmp_path / "a_test.go").write_text("package main_test\n\nvar _ = x.Quit\n")
    again = Directory(str(tmp_path)).package("main", None)
    assert uses_of(again, "T", "Quit").unknown is not None


DENOTED = """package p

type Stopper struct{ quiescer chan struct{} }

func (s *Stopper) ShouldQuiesce() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.quiescer
}

type Store struct{ stopper *Stopper }

func (s *Store) Stopper() *Stopper { return s.stopper }

func process(store *Store) {
	<-store.Stopper().ShouldQuiesce()
	q := store.stopper.quiescer
	<-q
	r := store.stopper.quiescer
	r = nil
	<-r
}
"""


def test_what_a_received_expression_denotes(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=DENOTED)
    src = next(iter(pkg.sources()))
    denoted = {
        src.show(operand): denoted_field(src, operand)
        for receive in syntax.descendants(src.root, "unary_expression")
        if syntax.is_receive(receive) and (operand := receive.child_by_field_name("operand"))
    }
    quiescer = FieldRef("Stopper", "quiescer")
    assert denoted == {"store.Stopper().ShouldQuiesce()": quiescer, "q": quiescer, "r": None}


CALLS = """package p

type T struct{ start int }

var std = newT()

func newT() *T {
	t := &T{start: 1}
	t.run()
	return t
}

func (t *T) run() {}

func direct() { t := newT(); _ = t }

func value() func() *T { return newT }
"""


def test_call_sites_are_listed_or_not_at_all(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=CALLS)
    (run,) = declarations.methods_named(pkg, "T", "run")
    sites = callers.call_sites(pkg, run)
    assert sites is not None and [s.show(c) for s, c in sites] == ["t.run()"]
    (new,) = declarations.functions_named(pkg, "newT")
    assert callers.call_sites(pkg, new) is None  # `return newT` uses it as a value


def test_a_file_mentions_a_name_only_as_a_whole_identifier(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="package p\n\nvar quitting, équit int\n",
        b="package p\n\n// quit\nvar q = 1\n",
    )
    assert [Path(s.path).name for s in pkg.mentioning("quit")] == ["b.go"]
    assert [Path(s.path).name for s in pkg.mentioning("équit")] == ["a.go"]


CONTEXTS = """package p

import (
	"context"
	"time"
)

type derived struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newDerived() *derived {
	d := &derived{}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	return d
}

type keyed struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newKeyed() *keyed {
	ctx, cancel := context.WithCancel(context.TODO())
	return &keyed{ctx: ctx, cancel: cancel}
}

type called struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newCalled() *called {
	c := &called{}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

func (c *called) Close() { c.cancel() }

type timed struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newTimed() *timed {
	t := &timed{}
	t.ctx, t.cancel = context.WithTimeout(context.Background(), time.Second)
	return t
}

type child struct {
	ctx    context.Context
	cancel context.CancelFunc
}

func newChild(parent context.Context) *child {
	c := &child{}
	c.ctx, c.cancel = context.WithCancel(parent)
	return c
}
"""


@pytest.mark.parametrize(
    ("type_name", "cancel"),
    [
        ("derived", "cancel"),
        ("keyed", "cancel"),
        ("called", None),  # Close calls it
        ("timed", None),  # a timeout ends it
        ("child", None),  # the parent may be cancelled
    ],
)
def test_a_context_field_that_is_never_done(
    tmp_path: Path, type_name: str, cancel: str | None
) -> None:
    pkg = package(tmp_path, a=CONTEXTS)
    found = uncancelled(pkg, FieldRef(type_name, "ctx"))
    assert found == (FieldRef(type_name, cancel) if cancel else None)


SHADOW = """package p

import "example.com/peer"

type T struct{ quit chan int }

func f(ctx context) {
	if peer, ok := peer.FromContext(ctx); ok {
		_ = peer.Addr()
	}
}
"""


def test_a_local_spelled_like_the_package_it_is_read_from_is_not_its_own_type(
    tmp_path: Path,
) -> None:
    # `peer, ok := peer.FromContext(ctx)`: on the right, `peer` is still the package.
    pkg = package(tmp_path, a=SHADOW)
    src = next(iter(pkg.sources()))
    calls = list(syntax.descendants(src.root, "call_expression"))
    assert [resolve.callee(src, c) for c in calls] == [None, None]
