"""Where a finding bites (gofixleak/bites.py, facts/lifetime.py): leak, test-failure or
process-lifetime, decided by the engine for every rule, on small packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from gofixleak import api
from gofixleak import bites as classes
from gofixleak.model import Bite, Finding, Span

TIMEOUT = """package p

import (
	"testing"
	"time"
)

func waitFor(t *testing.T, f func() error) {
	errc := make(chan error)
	go func() {
		errc <- f()
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Log(err)
		}
	case <-time.After(time.Second):
		%s
	}
}
"""

FANOUT = """package p

import "testing"

func sendAll(t *testing.T, addrs []string, send func(string) error) {
	errc := make(chan error)
	for _, addr := range addrs {
		go func(addr string) {
			errc <- send(addr)
		}(addr)
	}
	for range addrs {
		if err := <-errc; err != nil {
			%s
		}
	}
}
"""

SUBTEST = """package p

import (
	"testing"
	"time"
)

func TestWait(t *testing.T) {
	t.Run("one", func(t *testing.T) {
		done := make(chan bool)
		go func() {
			done <- true
		}()
		select {
		case <-done:
		case <-time.After(time.Second):
			%s
		}
	})
}
"""


def bites(tmp_path: Path, rule: str, **files: str) -> list[tuple[str, int, Bite]]:
    """(file, line, class) of each finding of ``rule`` in the package of ``files``."""
    (tmp_path / "go.mod").write_text("module example.com/p\n\ngo 1.22\n")
    for name, text in files.items():
        (tmp_path / f"{name}.go").write_text(text)
    options = api.Options(select=(rule,))
    out = []
    for result in api.run([str(tmp_path)], options, jobs=1):
        assert result.error is None, result.error
        for finding in result.findings:
            line = result.position(finding.span.start)[0]
            out.append((Path(result.path).stem, line, finding.bite))
    return out


def bite_of(tmp_path: Path, rule: str, **files: str) -> Bite:
    (found,) = {b for _, _, b in bites(tmp_path, rule, **files)}
    return found


# --- test-failure -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "timeout",
    [
        't.Fatal("timed out")',
        't.Fatalf("timed out after %v", time.Second)',
        't.Error("timed out")',
        't.Errorf("timed out")\n\t\treturn',
        't.Log("slow")\n\t\tt.FailNow()',
    ],
)
def test_a_select_whose_other_case_fails_the_test(tmp_path: Path, timeout: str) -> None:
    code = TIMEOUT % timeout
    assert bite_of(tmp_path, "abandoned-sender", p_test=code) is Bite.TEST_FAILURE


@pytest.mark.parametrize(
    "timeout",
    [
        't.Skip("too slow here")',  # skipped, not failed: the goroutine leaks in a green run
        't.Log("slow")',
        'return\n\t\tt.Fatal("unreachable")',
        'if testing.Short() {\n\t\t\tt.Fatal("slow")\n\t\t}',  # only on one branch
    ],
)
def test_a_timeout_that_does_not_fail_the_test_is_a_leak(tmp_path: Path, timeout: str) -> None:
    code = TIMEOUT % timeout
    assert bite_of(tmp_path, "abandoned-sender", p_test=code) is Bite.LEAK


def test_an_early_return_after_t_errorf_is_a_test_failure(tmp_path: Path) -> None:
    code = FANOUT % 't.Errorf("send: %v", err)\n\t\t\treturn'
    assert bite_of(tmp_path, "abandoned-sender", p_test=code) is Bite.TEST_FAILURE


def test_an_early_return_alone_is_a_leak_even_in_a_test(tmp_path: Path) -> None:
    code = FANOUT % 't.Log(err)\n\t\t\treturn'
    assert bite_of(tmp_path, "abandoned-sender", p_test=code) is Bite.LEAK


def test_a_method_named_fatal_on_something_else_is_a_leak(tmp_path: Path) -> None:
    code = (TIMEOUT % 't.Fatal("timed out")').replace("t *testing.T", "t *tracker")
    code += "\ntype tracker struct{}\n\nfunc (*tracker) Fatal(string) {}\n"
    code = code.replace('\t"testing"\n', "")
    assert bite_of(tmp_path, "abandoned-sender", p=code) is Bite.LEAK


def test_benchmarks_tb_subtests_and_an_aliased_import(tmp_path: Path) -> None:
    bench = (TIMEOUT % 'b.Fatal("timed out")').replace("t *testing.T", "b *testing.B")
    tb = (TIMEOUT % 'tb.Fatal("timed out")').replace("t *testing.T", "tb testing.TB")
    alias = (TIMEOUT % 't.Fatal("timed out")').replace('"testing"', 'tst "testing"')
    alias = alias.replace("*testing.T", "*tst.T")
    subtest = SUBTEST % 't.Fatal("timed out")'
    for name, code in [("bench", bench), ("tb", tb), ("alias", alias), ("subtest", subtest)]:
        folder = tmp_path / name
        folder.mkdir()
        assert bite_of(folder, "abandoned-sender", p_test=code) is Bite.TEST_FAILURE, name


def test_testify_require_and_assert(tmp_path: Path) -> None:
    def testify(package: str, call: str) -> str:
        code = TIMEOUT % call
        return code.replace('"time"\n', f'"time"\n\n\t"github.com/stretchr/testify/{package}"\n')

    cases = [
        ("require", 'require.Fail(t, "timed out")', Bite.TEST_FAILURE),
        ("assert", 'assert.Failf(t, "timed out", "after %v", time.Second)', Bite.TEST_FAILURE),
        # Fails only when the error is not nil: the timeout case may pass.
        ("require", "require.NoError(t, nil)", Bite.LEAK),
    ]
    for index, (package, call, want) in enumerate(cases):
        folder = tmp_path / str(index)
        folder.mkdir()
        assert bite_of(folder, "abandoned-sender", p_test=testify(package, call)) is want, call


# --- process-lifetime -------------------------------------------------------------------------

POLLER = """package lib

import "time"

func %s(refresh func()) {
	go func() {
		for {
			refresh()
			time.Sleep(time.Minute)
		}
	}()
}
"""


def test_started_by_a_function_that_only_init_calls_in_another_file(tmp_path: Path) -> None:
    init = "package lib\n\nfunc init() {\n\tstartPoller(func() {})\n}\n"
    found = bites(tmp_path, "endless-goroutine-loop", a=init, b=POLLER % "startPoller")
    assert found == [("b", 7, Bite.PROCESS_LIFETIME)]


@pytest.mark.parametrize(
    "caller",
    [
        # Exported: another package may call it any number of times.
        "func init() {\n\tStartPoller(func() {})\n}\n",
        # Called from init and from a function that may run many times.
        "func init() {\n\tstartPoller(func() {})\n}\n\nfunc Reload() {\n\tstartPoller(nil)\n}\n",
        # Called in a loop.
        "func init() {\n\tfor i := 0; i < 3; i++ {\n\t\tstartPoller(nil)\n\t}\n}\n",
        # Used as a value: who calls it is not known.
        "var start = startPoller\n\nfunc init() {\n\tstartPoller(nil)\n}\n",
        # From a handler literal that init registers: it runs on every request.
        "func init() {\n\thandle(func() {\n\t\tstartPoller(nil)\n\t})\n}\n\n"
        "func handle(func()) {}\n",
        # Recursion.
        "func init() {\n\tstartPoller(nil)\n}\n\n"
        "func again() {\n\tagain()\n\tstartPoller(nil)\n}\n",
    ],
)
def test_not_surely_once_is_a_leak(tmp_path: Path, caller: str) -> None:
    name = "StartPoller" if "StartPoller" in caller else "startPoller"
    found = bites(tmp_path, "endless-goroutine-loop", a="package lib\n\n" + caller, b=POLLER % name)
    assert [b for _, _, b in found] == [Bite.LEAK]


def test_a_chain_of_helpers_of_package_main(tmp_path: Path) -> None:
    # One helper deep is silent (syntax.is_started_for_program_lifetime); two deep was a leak.
    main = (POLLER % "poll").replace("package lib", "package main")
    main += "\nfunc setup() {\n\tpoll(nil)\n}\n\nfunc main() {\n\tsetup()\n}\n"
    assert bite_of(tmp_path, "endless-goroutine-loop", main=main) is Bite.PROCESS_LIFETIME


def test_a_cobra_commands_run(tmp_path: Path) -> None:
    cmd = """package cmd

import (
	"time"

	"github.com/spf13/cobra"
)

var serve = &cobra.Command{
	Use: "serve",
	Run: func(cmd *cobra.Command, args []string) {
		go func() {
			for {
				time.Sleep(time.Second)
			}
		}()
	},
	RunE: runStatus,
}

func runStatus(cmd *cobra.Command, args []string) error {
	go func() {
		for {
			time.Sleep(time.Second)
		}
	}()
	return nil
}
"""
    found = bites(tmp_path, "endless-goroutine-loop", cmd=cmd)
    assert found == [("cmd", 13, Bite.PROCESS_LIFETIME), ("cmd", 23, Bite.PROCESS_LIFETIME)]


def test_a_package_level_sync_once(tmp_path: Path) -> None:
    code = """package lib

import (
	"sync"
	"time"
)

var once sync.Once

var startOnce = sync.OnceFunc(func() {
	go func() {
		for {
			time.Sleep(time.Second)
		}
	}()
})

type cache struct{ once sync.Once }

func Start() {
	once.Do(func() {
		go func() {
			for {
				time.Sleep(time.Second)
			}
		}()
	})
}

// once per cache, not per process
func (c *cache) start() {
	c.once.Do(func() {
		go func() {
			for {
				time.Sleep(time.Second)
			}
		}()
	})
}
"""
    found = bites(tmp_path, "endless-goroutine-loop", lib=code)
    assert found == [
        ("lib", 12, Bite.PROCESS_LIFETIME),
        ("lib", 23, Bite.PROCESS_LIFETIME),
        ("lib", 34, Bite.LEAK),
    ]


def test_other_rules_get_the_class_too(tmp_path: Path) -> None:
    # abandoned-sender judges the function that makes the channel, select-without-exit its
    # go statement.
    code = """package lib

import "time"

func init() {
	warm(nil)
	pump()
}

func warm(addrs []string) error {
	errc := make(chan error)
	for _, addr := range addrs {
		go func(addr string) {
			errc <- dial(addr)
		}(addr)
	}
	for range addrs {
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

func dial(string) error { return nil }

func pump() {
	c := make(chan int)
	go func() {
		for {
			select {
			case c <- 1:
			}
		}
	}()
	time.Sleep(time.Millisecond)
	<-c
}
"""
    assert bite_of(tmp_path, "abandoned-sender", lib=code) is Bite.PROCESS_LIFETIME
    assert bite_of(tmp_path, "select-without-exit", lib=code) is Bite.PROCESS_LIFETIME


def test_the_goroutine_rules_judge_where_the_goroutine_starts(tmp_path: Path) -> None:
    # The receive runs in a loop of the goroutine, which starts once: the go statement counts.
    code = """package lib

func init() {
	listen(3)
	report(nil)
}

func listen(n int) {
	ch := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			<-ch
		}
	}()
}

func report(jobs []int) {
	errc := make(chan error)
	go func() {
		if err := work(); err != nil {
			errc <- err
		}
		errc <- nil
	}()
	<-errc
}

func work() error { return nil }
"""
    assert bite_of(tmp_path, "orphaned-receiver", lib=code) is Bite.PROCESS_LIFETIME
    assert bite_of(tmp_path, "double-send", lib=code) is Bite.PROCESS_LIFETIME


def test_every_goroutine_rule_reports_once_started_goroutines_as_process_lifetime(
    tmp_path: Path,
) -> None:
    code = """package lib

import "fmt"

func init() {
	fmt.Println(ticks(3))
	print([]int{1})
}

func ticks(n int) int {
	values := make(chan int)
	done := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case values <- i:
			case <-done:
				return
			}
		}
	}()
	total := 0
	for i := 0; i < n; i++ {
		total += <-values
	}
	return total
}

func print(xs []int) {
	ch := make(chan int)
	go func() {
		for v := range ch {
			fmt.Println(v)
		}
	}()
	for _, x := range xs {
		ch <- x
	}
}
"""
    assert bite_of(tmp_path, "unclosed-quit-channel", lib=code) is Bite.PROCESS_LIFETIME
    assert bite_of(tmp_path, "range-over-unclosed-channel", lib=code) is Bite.PROCESS_LIFETIME
    # Called from a test as well: it runs as often as the tests do.
    (tmp_path / "lib_test.go").write_text(
        'package lib\n\nimport "testing"\n\nfunc TestTicks(t *testing.T) { ticks(1) }\n'
    )
    assert bite_of(tmp_path, "unclosed-quit-channel", lib=code) is Bite.LEAK


def test_a_ticker_made_once_but_not_one_made_on_every_iteration(tmp_path: Path) -> None:
    code = """package lib

import "time"

func init() {
	warmUp(nil)
}

func warmUp(abort <-chan struct{}) {
	t := time.NewTicker(time.Second)
	select {
	case <-t.C:
	case <-abort:
		return
	}
	for i := 0; i < 3; i++ {
		select {
		case <-time.Tick(time.Second):
		case <-abort:
			return
		}
	}
}
"""
    assert bites(tmp_path, "unstopped-ticker", lib=code) == [("lib", 10, Bite.PROCESS_LIFETIME)]
    assert bites(tmp_path, "leaky-time-tick", lib=code) == [("lib", 18, Bite.LEAK)]


def test_an_exit_that_is_itself_a_failing_call(tmp_path: Path) -> None:
    # A rule may name the t.Fatalf or require.NoError that leaves the collecting loop as its
    # exit: the function stops receiving there only when the test fails.
    code = b"""package p

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func collect(t *testing.T, errc chan error, n int) {
	for i := 0; i < n; i++ {
		if err := <-errc; err != nil {
			t.Fatalf("send: %v", err)
		}
		require.NoError(t, <-errc)
		t.Logf("got one")
		if err := <-errc; err != nil { t.Fatal(err) }
	}
}
"""
    path = tmp_path / "p_test.go"
    path.write_bytes(code)
    src = api.package_directory(str(path)).package_of(str(path), None).source(str(path))

    def bite_at(text: bytes) -> Bite:
        start = code.index(text)
        span = Span(start, start + len(text))
        finding = Finding("abandoned-sender", str(path), span, "x", {classes.EXIT: span})
        return classes.classify(finding, src)

    assert bite_at(b't.Fatalf("send: %v", err)') is Bite.TEST_FAILURE
    assert bite_at(b"require.NoError(t, <-errc)") is Bite.TEST_FAILURE
    assert bite_at(b't.Logf("got one")') is Bite.LEAK
    # Alone in its block, the statement spans as much as the block's statement list.
    assert bite_at(b"t.Fatal(err)") is Bite.TEST_FAILURE


def test_class_names_are_checked() -> None:
    assert classes.parse(["leak,test-failure", " process-lifetime "]) == frozenset(Bite)
    with pytest.raises(ValueError, match="unknown class 'tests'"):
        classes.parse(["tests"])
    with pytest.raises(ValueError, match="no class named"):
        classes.parse([" , "])


@pytest.mark.parametrize(
    ("interface", "want"),
    [
        # A test helper's interface that embeds testify's TestingT (or testing.TB): a test.
        ('import "github.com/stretchr/testify/require"\n\n'
         "type Fataler interface {\n\tFatal(args ...any)\n\trequire.TestingT\n}\n",
         Bite.TEST_FAILURE),
        ('import "testing"\n\ntype Fataler interface {\n\tinner\n}\n\n'
         "type inner interface {\n\ttesting.TB\n}\n", Bite.TEST_FAILURE),
        # Anything with a Fatal method: a logger's Fatal ends the process, not a test.
        ("type Fataler interface {\n\tFatal(args ...any)\n}\n", Bite.LEAK),
    ],
)
def test_a_helpers_interface_that_embeds_a_testing_type(
    tmp_path: Path, interface: str, want: Bite
) -> None:
    code = (TIMEOUT % 't.Fatal("timed out")').replace("t *testing.T", "t Fataler")
    code = code.replace('\t"testing"\n', "")
    found = bite_of(tmp_path, "abandoned-sender", p=code, types=f"package p\n\n{interface}")
    assert found is want


def test_a_goto_may_make_a_loop(tmp_path: Path) -> None:
    init = "package lib\n\nfunc init() {\n\ti := 0\nagain:\n\tstartPoller(nil)\n"
    init += "\ti++\n\tif i < 3 {\n\t\tgoto again\n\t}\n}\n"
    found = bites(tmp_path, "endless-goroutine-loop", a=init, b=POLLER % "startPoller")
    assert found == [("b", 7, Bite.LEAK)]


def test_literals_nested_hundreds_deep_are_climbed_without_recursion(tmp_path: Path) -> None:
    depth = 600  # more than Python's recursion limit allows frames for, three per level
    leak = "errc := make(chan error)\ngo func() { errc <- nil }()\n"
    leak += "select {\ncase <-errc:\ndefault:\n}\n"
    body = "go func() {\n" * depth + leak + "}()\n" * depth
    code = f"package lib\n\nfunc init() {{\n{body}}}\n"
    assert bite_of(tmp_path, "abandoned-sender", lib=code) is Bite.PROCESS_LIFETIME
