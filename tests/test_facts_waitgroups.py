"""The package model's WaitGroups: locals followed from their declaration, where goroutines are
started, counted loops, and which Adds pair with the goroutines they count."""

from __future__ import annotations

from pathlib import Path

import pytest

from gofixleak import syntax
from gofixleak.facts import waitgroups
from gofixleak.facts.package import Directory, GoPackage
from gofixleak.facts.usage import Interval, Subject, Usage, usage
from gofixleak.facts.waitgroups import WaitGroup
from gofixleak.source import SourceFile


def package(tmp_path: Path, **files: str) -> GoPackage:
    for name, text in files.items():
        (tmp_path / f"{name}.go").write_text(text)
    return Directory(str(tmp_path)).package("p", None)


def body(text: str) -> str:
    return f'package p\n\nimport "sync"\n\n{text}'


def only_local(tmp_path: Path, text: str) -> WaitGroup:
    pkg = package(tmp_path, a=body(text))
    (group,) = waitgroups.local_waitgroups(pkg.source(str(tmp_path / "a.go")))
    return group


def local_usage(src: SourceFile, function: str, name: str) -> Usage:
    declaration = next(
        n
        for n in syntax.descendants(src.root, "identifier")
        if src.show(n) == name and n.parent is not None and n.parent.type in ("var_spec",)
    )
    outer = next(
        d
        for d in syntax.descendants(src.root, "function_declaration")
        if syntax.function_name(src, d) == function
    )
    return usage(src, outer, Subject(name, declared=declaration.start_byte))


def test_a_local_is_followed_from_its_declaration(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a=body(
            "func f() {\n\tvar wg sync.WaitGroup\n\twg.Add(1)\n"
            "\tgo func(wg *sync.WaitGroup) {\n\t\twg.Done()\n\t}(&wg)\n\twg.Wait()\n}\n"
        ),
    )
    src = pkg.source(str(tmp_path / "a.go"))
    found = local_usage(src, "f", "wg")
    assert found.known, found.why
    assert found.returns is not None and found.returns.get("method:Add") == Interval(1, 1)
    (started,) = found.spawned
    assert started.run.returns is not None
    assert started.run.returns.get("method:Done") == Interval(1, 1)
    assert src.show(started.go).startswith("go func(wg")


@pytest.mark.parametrize(
    "text",
    [
        # declared in an inner block, used after it: another variable there
        "func f(c bool) {\n\tif c {\n\t\tvar wg sync.WaitGroup\n\t\twg.Add(1)\n\t}\n"
        "\twg.Wait()\n}\n\nvar wg sync.WaitGroup\n",
        # declared again in a nested block
        "func f() {\n\tvar wg sync.WaitGroup\n\t{\n\t\twg := 1\n\t\t_ = wg\n\t}\n}\n",
    ],
)
def test_a_local_used_outside_its_scope_is_unknown(tmp_path: Path, text: str) -> None:
    pkg = package(tmp_path, a=body(text))
    src = pkg.source(str(tmp_path / "a.go"))
    assert local_usage(src, "f", "wg").unknown


def test_counted_loops(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="package p\n\nfunc f(n int) {\n\tfor i := 0; i < n; i++ {\n\t}\n"
        "\tfor i := 1; i < len(xs); i++ {\n\t}\n\tfor i := 0; i < n; i++ {\n\t\ti++\n\t}\n"
        "\tfor i := 0; i <= n; i++ {\n\t}\n}\n",
    )
    src = pkg.source(str(tmp_path / "a.go"))
    loops = list(syntax.descendants(src.root, "for_statement"))
    found = [syntax.counted_loop(src, loop) for loop in loops]
    assert [(syntax.int_literal(src, c[0]), src.show(c[1])) if c else None for c in found] == [
        (0, "n"),
        (1, "len(xs)"),
        None,
        None,
    ]


def test_an_add_per_goroutine_is_accounted_for(tmp_path: Path) -> None:
    group = only_local(
        tmp_path,
        "func f(xs []int) {\n\tvar wg sync.WaitGroup\n\tfor _, x := range xs {\n"
        "\t\twg.Add(1)\n\t\ty := x\n\t\tgo func() {\n\t\t\tif y < 0 {\n\t\t\t\treturn\n\t\t\t}\n"
        "\t\t\twg.Done()\n\t\t}()\n\t}\n\twg.Wait()\n}\n",
    )
    assert group.accounted, group.why
    ((goroutine,),) = [a.goroutines for a in group.adds]
    assert goroutine.done_on_return == Interval(0, 1)
    assert len(group.waits) == 1


@pytest.mark.parametrize(
    "loop",
    [
        "for _, x := range xs {\n\t\tgo work(&wg, x)\n\t}",
        "for i := 0; i < len(xs); i++ {\n\t\tgo work(&wg, xs[i])\n\t}",
    ],
)
def test_an_add_for_a_spawning_loop_is_accounted_for(tmp_path: Path, loop: str) -> None:
    group = only_local(
        tmp_path,
        f"func f(xs []int) {{\n\tvar wg sync.WaitGroup\n\twg.Add(len(xs))\n\t{loop}\n"
        "\twg.Wait()\n}\n\nfunc work(wg *sync.WaitGroup, x int) {\n\tdefer wg.Done()\n}\n",
    )
    assert group.accounted, group.why
    (add,) = group.adds
    assert add.loop is not None and len(add.goroutines) == 1
    assert add.goroutines[0].done_on_return == Interval(1, 1)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (
            "func f(xs []int) {\n\tvar wg sync.WaitGroup\n\twg.Add(len(xs))\n"
            "\tfor _, x := range xs {\n\t\tif x < 0 {\n\t\t\tcontinue\n\t\t}\n"
            "\t\tgo func() {\n\t\t\tdefer wg.Done()\n\t\t}()\n\t}\n\twg.Wait()\n}\n",
            "not paired",
        ),
        (
            "func f(xs []int) {\n\tvar wg sync.WaitGroup\n\twg.Add(len(xs))\n"
            "\tfor _, x := range xs {\n\t\txs = append(xs, x)\n"
            "\t\tgo func() {\n\t\t\tdefer wg.Done()\n\t\t}()\n\t}\n\twg.Wait()\n}\n",
            "not paired",
        ),
        (
            "func f() {\n\tvar wg sync.WaitGroup\n\twg.Add(1)\n\tgo func() {}()\n"
            "\twg.Done()\n\twg.Wait()\n}\n",
            "outside a goroutine",
        ),
        (
            "func f() {\n\tvar wg sync.WaitGroup\n\twg.Add(1)\n\tgo func() {}()\n"
            "\tgo wg.Done()\n\twg.Wait()\n}\n",
            "no Add counts",
        ),
        (
            "func f() {\n\tvar wg sync.WaitGroup\n\twg.Add(1)\n\tgo func() {}()\n\twg.Wait()\n}\n",
            "not followed",
        ),
        (
            "func f(n int) {\n\tvar wg sync.WaitGroup\n\twg.Add(1)\n\tgo func() {\n"
            "\t\tfor i := 0; i < n; i++ {\n\t\t\twg.Done()\n\t\t}\n\t}()\n\twg.Wait()\n}\n",
            "more than once",
        ),
        (
            "func f(keep func(*sync.WaitGroup)) {\n\tvar wg sync.WaitGroup\n\tkeep(&wg)\n}\n",
            "passed to keep",
        ),
        (
            "func f() {\n\tvar wg sync.WaitGroup\n\twg.Go(func() {})\n\twg.Wait()\n}\n",
            "method:Go",
        ),
    ],
)
def test_what_leaves_a_counter_unaccounted(tmp_path: Path, text: str, why: str) -> None:
    group = only_local(tmp_path, text)
    assert not group.accounted
    assert why in group.why


SERVER = body(
    "type Server struct {\n\twg   sync.WaitGroup\n\tquit chan struct{}\n}\n\n"
    "func (s *Server) Start() {\n\ts.wg.Add(1)\n\tgo s.loop()\n}\n\n"
    "func (s *Server) loop() {\n\tselect {\n\tcase <-s.quit:\n\t\treturn\n\tdefault:\n\t}\n"
    "\ts.wg.Done()\n}\n"
)
STOP = "package p\n\nfunc (s *Server) Stop() {\n\tclose(s.quit)\n\ts.wg.Wait()\n}\n"


def fields(pkg: GoPackage, path: Path) -> list[WaitGroup]:
    return waitgroups.field_waitgroups(pkg.source(str(path)))


def test_a_field_is_followed_over_the_package(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=SERVER, b=STOP)
    (group,) = fields(pkg, tmp_path / "a.go")
    assert group.name == "Server.wg" and group.accounted, group.why
    ((goroutine,),) = [a.goroutines for a in group.adds]
    assert goroutine.done_on_return == Interval(0, 1)
    assert [w.src.path for w in group.waits] == [str(tmp_path / "b.go")]
    assert fields(pkg, tmp_path / "b.go") == []  # no Add there


@pytest.mark.parametrize(
    "other",
    [
        # Done in a helper the receiver reaches: not followed
        "func (s *Server) finish() {\n\ts.wg.Done()\n}\n",
        # the loop is also called directly
        "func (s *Server) restart() {\n\ts.loop()\n}\n",
        # another type has a field of that name, and w's type is unknown (another package's)
        'import "example.com/other"\n\ntype Worker struct {\n\twg sync.WaitGroup\n}\n\n'
        "func each() {\n\tw := other.Find()\n\tw.wg.Wait()\n}\n",
    ],
    ids=["helper", "called-twice", "ambiguous"],
)
def test_what_leaves_a_field_unaccounted(tmp_path: Path, other: str) -> None:
    pkg = package(tmp_path, a=SERVER, b=STOP, c=body(other))
    (group,) = fields(pkg, tmp_path / "a.go")
    assert not group.accounted


def test_an_add_of_a_literal_for_a_counted_loop(tmp_path: Path) -> None:
    group = only_local(
        tmp_path,
        "func f(xs []int) {\n\tvar wg sync.WaitGroup\n\twg.Add(3)\n\tfor i := 0; i < 3; i++ {\n"
        "\t\tgo func() {\n\t\t\tdefer wg.Done()\n\t\t}()\n\t}\n\twg.Add(len(xs))\n"
        "\tfor i := range xs {\n\t\tgo work(&wg, &xs[i])\n\t}\n\twg.Wait()\n}\n\n"
        "func work(wg *sync.WaitGroup, x *int) {\n\tdefer wg.Done()\n}\n",
    )
    assert group.accounted, group.why
    assert [a.loop is not None for a in group.adds] == [True, True]


def test_a_done_guarded_by_a_nil_check_is_not_counted(tmp_path: Path) -> None:
    # net/rpc: `if wg != nil { defer wg.Done() }` runs Done whenever the caller passes one.
    group = only_local(
        tmp_path,
        "func f() {\n\twg := new(sync.WaitGroup)\n\twg.Add(1)\n\tgo call(wg)\n\twg.Wait()\n}\n\n"
        "func call(wg *sync.WaitGroup) {\n\tif wg != nil {\n\t\tdefer wg.Done()\n\t}\n}\n",
    )
    assert not group.accounted and "nil" in group.why


@pytest.mark.parametrize(
    "channel",
    ["time.NewTicker(time.Second).C", "time.Tick(time.Second)", "t.C"],
)
def test_a_range_over_a_ticker_never_ends(tmp_path: Path, channel: str) -> None:
    # nats-server's tests: `for range time.NewTicker(d).C { select { case <-ctx.Done():
    # wg.Done(); return; default: } ... }` returns only through the case that calls Done.
    group = only_local(
        tmp_path,
        'import "context"\nimport "time"\n\n'
        "func f(ctx context.Context) {\n\tvar wg sync.WaitGroup\n\twg.Add(1)\n\tgo func() {\n"
        f"\t\tt := time.NewTicker(time.Second)\n\t\t_ = t\n\t\tfor range {channel} {{\n"
        "\t\t\tselect {\n\t\t\tcase <-ctx.Done():\n\t\t\t\twg.Done()\n\t\t\t\treturn\n"
        "\t\t\tdefault:\n\t\t\t}\n\t\t}\n\t}()\n\twg.Wait()\n}\n",
    )
    assert group.accounted, group.why
    ((goroutine,),) = [a.goroutines for a in group.adds]
    assert goroutine.done_on_return == Interval(1, 1)


def test_a_nil_check_around_a_deferred_literal_counts_too(tmp_path: Path) -> None:
    group = only_local(
        tmp_path,
        "func f() {\n\twg := new(sync.WaitGroup)\n\twg.Add(1)\n\tgo call(wg)\n\twg.Wait()\n}\n\n"
        "func call(wg *sync.WaitGroup) {\n\tif wg != nil {\n\t\tdefer func() {\n"
        "\t\t\twg.Done()\n\t\t}()\n\t}\n}\n",
    )
    assert not group.accounted and "nil" in group.why


STOPPER = body(
    "type Stopper struct {\n\tdrain sync.WaitGroup\n}\n\n"
    "func (s *Stopper) StartTask() {\n\ts.drain.Add(tasks)\n}\n\nconst tasks = 1\n"
)
STOPPER_WAIT = "package p\n\nfunc (s *Stopper) Stop() {\n\ts.drain.Wait()\n}\n"


def never_done(pkg: GoPackage, path: Path) -> list[str]:
    return [g.name for g in waitgroups.never_done(pkg.source(str(path)))]


def test_a_field_nothing_calls_done_on(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=STOPPER, b=STOPPER_WAIT)
    (group,) = waitgroups.never_done(pkg.source(str(tmp_path / "b.go")))
    assert group.name == "Stopper.drain"
    assert [a.src.path for a in group.adds] == [str(tmp_path / "a.go")]  # a named constant
    assert never_done(pkg, tmp_path / "a.go") == []  # no Wait there


@pytest.mark.parametrize(
    "other",
    [
        "type Alias = Stopper\n\nfunc (a *Alias) End() {\n\ta.drain.Done()\n}\n",
        "type Same Stopper\n\nfunc (s *Same) End() {\n\ts.drain.Done()\n}\n",
        "type Outer struct {\n\t*Stopper\n}\n\nfunc (o Outer) End() {\n\to.drain.Done()\n}\n",
        "func (s *Stopper) More() {\n\ts.drain.Add(-1)\n}\n",
        "func (s *Stopper) Hand() *sync.WaitGroup {\n\treturn &s.drain\n}\n",
    ],
    ids=["alias", "defined", "embedded", "negative-add", "address"],
)
def test_what_may_call_done_on_a_field(tmp_path: Path, other: str) -> None:
    pkg = package(tmp_path, a=STOPPER, b=STOPPER_WAIT, c=body(other))
    assert never_done(pkg, tmp_path / "b.go") == []


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("wg.Add(1)\n\tgo work()\n\twg.Wait()", True),
        ("wg.Add(1)\n\tgo func() {\n\t\tdefer wg.Done()\n\t}()\n\twg.Wait()", False),
        ("wg.Add(1)\n\tkeep(&wg)\n\twg.Wait()", True),  # keep only adds
        ("wg.Add(1)\n\tother.Keep(&wg)\n\twg.Wait()", False),  # not followed
        ("wg.Add(1)\n\tf := func() { wg.Wait() }\n\tf()", False),  # a function value
        ("wg.Wait()", False),  # no Add
    ],
    ids=["no-done", "done", "callee-adds", "other-package", "function-value", "no-add"],
)
def test_a_local_nothing_calls_done_on(tmp_path: Path, text: str, found: bool) -> None:
    source = body(
        f"func f() {{\n\tvar wg sync.WaitGroup\n\t{text}\n}}\n\n"
        "func keep(wg *sync.WaitGroup) {\n\twg.Add(1)\n}\n\nfunc work() {}\n"
    )
    pkg = package(tmp_path, a=source)
    assert never_done(pkg, tmp_path / "a.go") == (["wg"] if found else [])
