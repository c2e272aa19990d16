"""Where a stuck goroutine is reported: its first frame in the module's own code."""

from __future__ import annotations

from pathlib import Path

import pytest

from gofixleak.oracle import sites, stacks
from gofixleak.oracle.stacks import Frame, Goroutine


@pytest.fixture
def module(tmp_path: Path) -> sites.Module:
    (tmp_path / "go.mod").write_text("module example.com/m\n")
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "go.mod").write_text("module example.com/m/inner\n")
    return sites.Module(str(tmp_path), "example.com/m")


def goroutine(*frames: Frame, created_by: Frame | None = None, leaked: bool = True) -> Goroutine:
    return Goroutine(9, "chan send", leaked, frames, created_by, None, ())


def test_module_files(module: sites.Module) -> None:
    root = module.root
    assert module.file(f"{root}/p/a.go") == f"{root}/p/a.go"
    assert module.file("example.com/m/p/a.go") == f"{root}/p/a.go"  # built with -trimpath
    assert module.file(f"{root}/vendor/x/y.go") is None
    assert module.file(f"{root}/inner/a.go") is None  # another module
    assert module.file("/usr/local/go/src/sync/waitgroup.go") is None
    assert module.file("_testmain.go") is None


def test_the_site_is_the_first_frame_in_the_module(module: sites.Module) -> None:
    root = module.root
    stuck = goroutine(
        Frame("sync.runtime_SemacquireWaitGroup", "/go/src/runtime/sema.go", 114),
        Frame("sync.(*WaitGroup).Wait", "/go/src/sync/waitgroup.go", 206),
        Frame("example.com/other.Wait", "/mod/other/w.go", 3),
        Frame("example.com/m/p.Run.func1", f"{root}/p/run.go", 12),
        Frame("example.com/m/p.Run", f"{root}/p/run.go", 20),
        created_by=Frame("example.com/m/p.Start", f"{root}/p/run.go", 30),
    )
    (leak,) = sites.leaks([stuck], module, sites.LEAKED)
    assert (leak.file, leak.line, leak.function, leak.outside) == (
        f"{root}/p/run.go",
        12,
        "example.com/m/p.Run.func1",
        False,
    )
    assert leak.created_at == Frame("example.com/m/p.Start", f"{root}/p/run.go", 30)


def test_a_goroutine_outside_the_module_is_placed_at_its_go_statement(
    module: sites.Module,
) -> None:
    stuck = goroutine(
        Frame("example.com/other.Serve", "/mod/other/s.go", 3),
        created_by=Frame("example.com/m.Start", f"{module.root}/start.go", 8),
    )
    (leak,) = sites.leaks([stuck], module, sites.LEAKED)
    assert (leak.line, leak.outside, leak.function) == (8, True, "example.com/other.Serve")
    assert sites.leaks([goroutine(Frame("example.com/other.S", "/o/s.go", 3))], module, "x") == []


def test_what_is_not_a_leak(module: sites.Module) -> None:
    root = module.root
    in_module = Frame("example.com/m.F", f"{root}/f.go", 3)
    not_leaked = goroutine(in_module, leaked=False)
    waits_for_subtest = goroutine(
        Frame("testing.(*T).Run", "/go/src/testing/testing.go", 2109), in_module
    )
    generated = goroutine(Frame("example.com/m.gofixleakOracleRun", f"{root}/g_test.go", 3))
    found = sites.leaks(
        [not_leaked, waits_for_subtest, generated], module, sites.LEAKED, {f"{root}/g_test.go"}
    )
    assert found == []
    # In a dump of a binary that never returned, every blocked goroutine counts.
    (blocked,) = sites.leaks([not_leaked], module, sites.TIMEOUT)
    assert blocked.how == sites.TIMEOUT
    running = Goroutine(3, "running", False, (in_module,))
    assert sites.leaks([running], module, sites.TIMEOUT) == []


def test_sites_count_goroutines_over_runs(module: sites.Module) -> None:
    def leak(line: int, test: str) -> sites.Leak:
        frame = Frame(f"example.com/m.{test}", f"{module.root}/f_test.go", 1)
        return sites.Leak(f"{module.root}/f.go", line, "chan send", sites.LEAKED, "F", test=frame)

    first = [leak(3, "TestA"), leak(3, "TestB"), leak(9, "TestA")]
    second = [leak(3, "TestA")]
    three, nine = sites.sites([first, second, []])
    assert (three.line, three.most, three.runs_seen, three.runs) == (3, 2, 2, 3)
    assert [stacks.name_of_test(t) for t in three.tests] == ["TestA", "TestB"]
    assert (nine.line, nine.most, nine.runs_seen) == (9, 1, 1)
