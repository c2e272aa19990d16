"""Goroutine dumps as the Go runtime prints them: the leak profile, the -timeout panic, the global
deadlock. The texts are what go1.26 printed (paths shortened)."""

from __future__ import annotations

from gofixleak.oracle import stacks
from gofixleak.oracle.stacks import Frame

PROFILE = """\
goroutine 1 [running]:
runtime/pprof.writeGoroutineStacks({0x5981a8, 0x290008690018})
\t/usr/local/go/src/runtime/pprof/pprof.go:819 +0x6b
example.com/glp.TestMain(0x6f9c40?)
\t/tmp/glp/leak_test.go:21 +0x6f
main.main()
\t_testmain.go:50 +0xa5

goroutine 23 [chan receive (leaked)]:
example.com/glp.Leak.func1()
\t/tmp/glp/leak.go:6 +0x19
created by example.com/glp.Leak in goroutine 22
\t/tmp/glp/leak.go:5 +0x5f
[originating from goroutine 22]:
example.com/glp.Leak(...)
\t/tmp/glp/leak.go:8 +0x5f
example.com/glp.TestLeakSub.func1(...)
\t/tmp/glp/leak_test.go:15 +0xf
testing.tRunner(...)
\t/usr/local/go/src/testing/testing.go:2039 +0xea
created by testing.(*T).Run
\t/usr/local/go/src/testing/testing.go:2101 +0x4c5
[originating from goroutine 21]:
testing.(*T).Run(...)
\t/usr/local/go/src/testing/testing.go:2109 +0x4c5
example.com/glp.TestLeakSub(...)
\t/tmp/glp/leak_test.go:16 +0x26
testing.tRunner(...)
\t/usr/local/go/src/testing/testing.go:2039 +0xea
created by testing.(*T).Run
\t/usr/local/go/src/testing/testing.go:2101 +0x4c5
"""

TIMEOUT = """\
panic: test timed out after 2s
\trunning tests:
\t\tTestHang (2s)

goroutine 19 [running]:
testing.(*M).startAlarm.func1()
\t/usr/local/go/src/testing/testing.go:2802 +0x354
created by time.goFunc
\t/usr/local/go/src/time/sleep.go:215 +0x2d

goroutine 1 [chan receive, 9 minutes]:
testing.(*T).Run(0x16b60c9ca008, {0x586968?, 0x0?}, 0x5940b0)
\t/usr/local/go/src/testing/testing.go:2109 +0x4e5
main.main()
\t_testmain.go:46 +0x9b

goroutine 5 [sync.WaitGroup.Wait]:
sync.runtime_SemacquireWaitGroup(0x10?, 0x80?)
\t/usr/local/go/src/runtime/sema.go:114 +0x2e
sync.(*WaitGroup).Wait(0x16b60c8b2150)
\t/usr/local/go/src/sync/waitgroup.go:206 +0x85
example.com/glp2.Hang()
\t/tmp/glp2/hang.go:14 +0x97
example.com/glp2.TestHang(0x16b60c9ca248?)
\t/tmp/glp2/hang_test.go:6 +0xf
testing.tRunner(0x16b60c9ca248, 0x5940b0)
\t/usr/local/go/src/testing/testing.go:2036 +0xea
created by testing.(*T).Run in goroutine 1
\t/usr/local/go/src/testing/testing.go:2101 +0x4c5

goroutine 6 gp=0xc000007c00 m=nil [chan send (leaked), locked to thread]:
example.com/glp2.Hang.func1()
\t/tmp/glp2/hang.go:9 +0x36
...additional frames elided...
created by example.com/glp2.Hang in goroutine 5
\t/tmp/glp2/hang.go:7 +0x66
FAIL\texample.com/glp2\t2.008s
"""


def test_a_leaked_goroutine_with_its_creator_and_ancestors() -> None:
    running, leaked = stacks.parse(PROFILE)
    assert (running.id, running.state, running.leaked) == (1, "running", False)
    assert running.frames[-1] == Frame("main.main", "_testmain.go", 50)
    assert (leaked.id, leaked.state, leaked.leaked, leaked.is_blocked) == (
        23,
        "chan receive",
        True,
        True,
    )
    assert leaked.frames == (Frame("example.com/glp.Leak.func1", "/tmp/glp/leak.go", 6),)
    assert leaked.created_by == Frame("example.com/glp.Leak", "/tmp/glp/leak.go", 5)
    assert leaked.creator == 22
    assert [origin.goroutine for origin in leaked.ancestors] == [22, 21]
    assert leaked.ancestors[1].frames[1].function == "example.com/glp.TestLeakSub"


def test_the_test_that_started_a_goroutine_is_found_through_its_ancestors() -> None:
    _, leaked = stacks.parse(PROFILE)
    test = stacks.started_in_test(leaked, {})
    assert test is not None and test.function == "example.com/glp.TestLeakSub.func1"
    assert stacks.name_of_test(test) == "TestLeakSub"


def test_a_timeout_dump_flags_and_durations_and_the_creators_in_the_same_dump() -> None:
    goroutines = stacks.parse(TIMEOUT)
    assert [(g.id, g.state, g.leaked) for g in goroutines] == [
        (19, "running", False),
        (1, "chan receive", False),
        (5, "sync.WaitGroup.Wait", False),
        (6, "chan send", True),
    ]
    by_id = {g.id: g for g in goroutines}
    sender = by_id[6]
    assert sender.frames == (Frame("example.com/glp2.Hang.func1", "/tmp/glp2/hang.go", 9),)
    assert sender.created_by == Frame("example.com/glp2.Hang", "/tmp/glp2/hang.go", 7)
    # No ancestors were recorded: the creator, still in the dump, names the test.
    test = stacks.started_in_test(sender, by_id)
    assert test == Frame("example.com/glp2.TestHang", "/tmp/glp2/hang_test.go", 6)
    assert stacks.started_in_test(by_id[19], by_id) is None


def test_frames_name_their_package() -> None:
    method = Frame("example.com/m/p.(*T).Run.func1", "p.go", 1)
    assert (method.package, method.name) == ("example.com/m/p", "(*T).Run.func1")
    external = Frame("example.com/m/p_test.TestX", "p_test.go", 1)
    assert (external.package, external.name) == ("example.com/m/p_test", "TestX")
    assert Frame("main.main", "x.go", 1).package == "main"
    assert Frame("sync.(*WaitGroup).Wait", "x.go", 1).package == "sync"


def test_only_test_functions_called_by_trunner_name_a_test() -> None:
    lines = ["goroutine 7 [chan send]:"]
    for function in ("example.com/m.helper", "example.com/m.Testify", "testing.tRunner"):
        lines += [f"{function}(...)", "\t/m/x.go:3 +0x1"]
    (goroutine,) = stacks.parse("\n".join(lines))
    assert stacks.started_in_test(goroutine, {}) is None  # Testify is not a test name


def test_goroutines_started_by_package_initialization() -> None:
    dump = (
        "goroutine 8 [chan receive (leaked)]:\n"
        "example.com/m.init.0.func1()\n\t/m/a.go:8 +0x1\n"
        "created by example.com/m.init.0 in goroutine 1\n\t/m/a.go:7 +0x1\n"
    )
    (goroutine,) = stacks.parse(dump)
    assert stacks.started_in_init(goroutine)
    _, leaked = stacks.parse(PROFILE)
    assert not stacks.started_in_init(leaked)
