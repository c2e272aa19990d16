"""The lock facts and the channel operations of a package, on small packages."""

from __future__ import annotations

from pathlib import Path

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.facts import declarations, locks
from gofixleak.facts.locks import Hold, Place
from gofixleak.facts.operations import field_operations, local_operations
from gofixleak.facts.package import Directory, GoPackage
from gofixleak.source import SourceFile

LOCKS = """package p

import "sync"

type S struct {
	mu sync.Mutex
	rw sync.RWMutex
	ch chan int
}

type E struct {
	sync.Mutex
	ch chan int
}

var global sync.Mutex

func (s *S) deferred() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ch <- 1 // held: s.mu
}

func (s *S) branches(early bool) {
	s.mu.Lock()
	if early {
		s.mu.Unlock()
		return
	}
	s.ch <- 2 // held: s.mu
	s.mu.Unlock()
	s.ch <- 3 // held:
}

func (s *S) maybe(unlock bool) {
	s.mu.Lock()
	if unlock {
		s.mu.Unlock()
	}
	s.ch <- 4 // held:
}

func (s *S) loop() {
	s.rw.RLock()
	for i := 0; i < 3; i++ {
		s.ch <- 5 // held:
		if i == 2 {
			s.rw.RUnlock()
		}
	}
}

func (s *S) reader() {
	s.rw.RLock()
	defer s.rw.RUnlock()
	s.ch <- 6 // held: s.rw (read)
}

func (e *E) embedded() {
	e.Lock()
	s := &S{}
	s.lock()
	e.ch <- 7 // held: e.Mutex s.mu
	s.unlock()
	global.Lock()
	e.ch <- 8 // held: e.Mutex global
	handOff(e)
	e.ch <- 9 // held: global
}

func (s *S) lock()   { s.mu.Lock() }
func (s *S) unlock() { s.mu.Unlock() }

func (s S) copied() {
	s.mu.Lock()
	s.ch <- 10 // held:
}

func (s *S) jumps() {
	s.mu.Lock()
	goto end
end:
	s.ch <- 11 // held:
}

func (s *S) callback(f func()) {
	s.mu.Lock()
	f()
	s.ch <- 12 // held:
}

func locals() {
	var mu sync.Mutex
	ch := make(chan int)
	go func() {
		ch <- 13 // held:
	}()
	mu.Lock()
	ch <- 14 // held: mu
}
"""


def package(tmp_path: Path, **files: str) -> GoPackage:
    for name, text in files.items():
        (tmp_path / f"{name}.go").write_text(text)
    return Directory(str(tmp_path)).package("p", None)


def sends(pkg: GoPackage) -> list[tuple[SourceFile, Node, Node]]:
    """(file, function, send statement) of every send, in order."""
    return [
        (src, function, send)
        for src in pkg.sources()
        for function in syntax.descendants(src.root, *syntax.FUNCTIONS)
        for send in syntax.walk(function, into_functions=False)
        if send.type == "send_statement"
    ]


def shown(holds: frozenset[Hold]) -> str:
    return " ".join(sorted(f"{h.place}{' (read)' if h.shared else ''}" for h in holds))


def test_held_on_every_path_into_each_send(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=LOCKS)
    for src, function, send in sends(pkg):
        line = src.data[send.start_byte : src.data.index(b"\n", send.start_byte)].decode()
        want = line.split("// held:")[1].strip()
        assert shown(locks.held(src, function, send)) == want, line


def test_asked_about_some_variables_the_answer_is_the_same_for_them(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=LOCKS)
    for src, function, send in sends(pkg):
        channel = send.child_by_field_name("channel")
        assert channel is not None
        root = src.show(channel).split(".")[0] if channel.type == "selector_expression" else "mu"
        every = locks.held(src, function, send)
        want = frozenset(h for h in every if h.place.root == root or h.place.package_level)
        assert locks.held(src, function, send, frozenset({root})) == want, src.show(send)


ASKED = """package p

import "sync"

type S struct {
	mu sync.Mutex
	ch chan int
}

type C struct{ n int }

var global sync.Mutex

func (s *S) passedBy(c *C) {
	s.mu.Lock()
	c.work()
	s.ch <- 1 // among s: s.mu; every: (nothing: work's walk fails)
}

func (c *C) work() {
	goto end
end:
	c.n++
}

func (s *S) unlock()            { s.mu.Unlock() }
func (s *S) get() *sync.Mutex   { return &s.mu }
func release(m *sync.Mutex)     { m.Unlock() }
func unlockGlobal()             { global.Unlock() }

func (s *S) receiver() {
	s.mu.Lock()
	s.unlock()
	s.ch <- 2
}

func (s *S) argument() {
	s.mu.Lock()
	release(&s.mu)
	s.ch <- 3
}

func (s *S) inside() {
	s.mu.Lock()
	release(s.get())
	s.ch <- 4
}

func (s *S) packageLevel() {
	global.Lock()
	unlockGlobal()
	s.ch <- 5
}
"""


def test_asked_about_a_variable_only_the_calls_handed_it_are_followed(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=ASKED)
    found = {
        src.show(send): (locks.held(src, f, send, frozenset({"s"})), locks.held(src, f, send))
        for src, f, send in sends(pkg)
    }
    # A callee handed none of the asked variables cannot name their mutexes: passed by.
    assert found["s.ch <- 1"] == (frozenset({Hold(Place("s", ("mu",)))}), frozenset())
    # Handed the receiver, a path to the mutex, an expression that names the variable; or
    # called while a package-level mutex is held: followed, and each one releases.
    for send in ("s.ch <- 2", "s.ch <- 3", "s.ch <- 4", "s.ch <- 5"):
        assert found[send] == (frozenset(), frozenset()), send


def test_a_callee_leaves_its_locks_held_or_released(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=LOCKS)
    (lock,) = declarations.methods_named(pkg, "S", "lock")
    (unlock,) = declarations.methods_named(pkg, "S", "unlock")
    (deferred,) = declarations.methods_named(pkg, "S", "deferred")
    assert locks.effect(lock).acquired == {Hold(Place("s", ("mu",)))}
    assert locks.effect(unlock).released == {Place("s", ("mu",))}
    assert locks.effect(deferred) == locks.Effect()


def test_a_run_acquires_through_its_callees_but_not_its_goroutines(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="""package p

import "sync"

type T struct{ mu sync.Mutex }

func (t *T) take() { t.mu.Lock(); t.mu.Unlock() }

func (t *T) run() {
	t.take()
	go func() { t.mu.Lock() }()
	defer func() { registry.Lock() }()
}

var registry sync.RWMutex

func (t *T) idle() {
	go t.take()
	registry.RLock()
}
""",
    )
    (run,) = declarations.methods_named(pkg, "T", "run")
    (idle,) = declarations.methods_named(pkg, "T", "idle")
    assert {str(a.hold.place) for a in locks.acquires(run.src, run.node)} == {"t.mu", "registry"}
    assert [(str(a.hold.place), a.hold.shared) for a in locks.acquires(idle.src, idle.node)] == [
        ("registry", True)
    ]


def test_only_a_readers_pair_does_not_exclude() -> None:
    write, read = Hold(Place("s", ("mu",))), Hold(Place("s", ("mu",)), shared=True)
    assert write.excludes(read) and read.excludes(write) and write.excludes(write)
    assert not read.excludes(read)
    assert not write.excludes(Hold(Place("t", ("mu",))))


def test_a_stable_name_is_declared_once_outside_loops_and_never_written(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="""package p

func f(s *int, xs []*int) {
	t := s
	for _, x := range xs {
		_ = x
	}
	u := s
	u = nil
	_, _ = t, u
}
""",
    )
    (f,) = declarations.functions_named(pkg, "f")
    assert locks.is_stable(f.src, f.node, "s") and locks.is_stable(f.src, f.node, "t")
    assert not locks.is_stable(f.src, f.node, "x")
    assert not locks.is_stable(f.src, f.node, "u")


CHANNELS = """package p

type Q struct {
	items chan int
	buf   chan int
	Out   chan int
}

func NewQ() *Q { return &Q{items: make(chan int), buf: make(chan int, 4), Out: make(chan int)} }

func (q *Q) put(v int) { q.items <- v }

func (q *Q) get() int {
	if len(q.items) == 0 && q.items != nil {
		return 0
	}
	return <-q.items
}

func (q *Q) loop() {
	items := q.items
	for v := range items {
		_ = v
	}
	close(q.items)
	q.items = nil
}
"""


def test_every_operation_on_a_field_channel(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=CHANNELS)
    found = field_operations(pkg, "Q", "items")
    assert found is not None and found.unbuffered
    assert [(o.kind, o.root) for o in found.operations] == [
        ("send", "q"),
        ("receive", "q"),
        ("range", "q"),
        ("close", "q"),
    ]
    buffered = field_operations(pkg, "Q", "buf")
    assert buffered is not None and not buffered.unbuffered
    assert field_operations(pkg, "Q", "Out") is None  # exported: other packages may use it


def test_a_field_channel_handed_on_is_unknown(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a=CHANNELS,
        b="package p\n\nfunc leak(q *Q, f func(chan int)) { f(q.items) }\n",
    )
    assert field_operations(pkg, "Q", "items") is None


def test_a_field_stored_from_elsewhere_is_unknown(tmp_path: Path) -> None:
    pkg = package(
        tmp_path, a=CHANNELS, b="package p\n\nfunc set(q *Q, c chan int) { q.items = c }\n"
    )
    assert field_operations(pkg, "Q", "items") is None


def test_another_types_field_of_the_same_name_is_not_an_operation(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a=CHANNELS,
        b="""package p

type R struct{ items chan int }

func (r *R) drain() { <-r.items }

func unknown(x interface{ get() int }) { _ = x }
""",
    )
    found = field_operations(pkg, "Q", "items")
    assert found is not None and len(found.operations) == 4


def test_every_operation_on_a_local_channel(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="""package p

func f() {
	ch := make(chan int)
	go func() { ch <- 1 }()
	<-ch
}

func g(sink func(chan int)) {
	ch := make(chan int)
	sink(ch)
}
""",
    )
    for name, kinds in (("f", ["send", "receive"]), ("g", None)):
        (function,) = declarations.functions_named(pkg, name)
        make = next(
            n
            for n in syntax.descendants(function.node, "call_expression")
            if function.src.show(n).startswith("make(")
        )
        found = local_operations(function.src, function.node, "ch", make)
        assert (found and [o.kind for o in found.operations]) == kinds


CHAINS = """package p

import "sync"

type T struct {
	mu sync.Mutex
	ch chan int
}

func (t *T) release() { t.finish() }

func (t *T) finish() { t.mu.Unlock() }

func (t *T) tally() int { return count(3) }

func count(n int) int { return n + 1 }

func (t *T) jumpy() {
	goto out
out:
}

func (t *T) throughChain() {
	t.mu.Lock()
	t.release()
	t.ch <- 1 // held:
}

func (t *T) throughPureCalls() {
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.tally()
	t.ch <- 1 // held: t.mu
}

func (t *T) throughAJump() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.jumpy()
	t.ch <- 1 // held:
}
"""


def test_a_release_two_calls_down_is_seen_and_a_callee_s_goto_makes_the_held_set_empty(
    tmp_path: Path,
) -> None:
    """Calls that take and release nothing change nothing; a goto in a callee makes what is
    held unknown, hence empty."""
    pkg = package(tmp_path, a=CHAINS)
    for src, function, send in sends(pkg):
        line = src.data[send.start_byte : src.data.index(b"\n", send.start_byte)].decode()
        want = line.split("// held:")[1].strip()
        assert shown(locks.held(src, function, send)) == want, line
