"""leaky-time-tick beyond the fixtures: test files, the Go version gate, dot imports, the seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gofixleak import api
from gofixleak.model import Applicability, FileResult
from gofixleak.source import GoVersion

RULE = "leaky-time-tick"
SEED = Path("/work/shared/acceptance/seed/seed.go")

LEAKY = b"""package p

import "time"

func Wait(abort <-chan struct{}) bool {
	select {
	case <-time.Tick(time.Hour):
		return true
	case <-abort:
		return false
	}
}
"""


def check(
    data: bytes, path: str = "/nonexistent/p.go", version: GoVersion | None = (1, 22)
) -> FileResult:
    options = api.Options(select=(RULE,), fix=Applicability.UNSAFE, go_version=version)
    return api.check_source(path, data, options)


def test_reports_and_fixes_before_go_1_23() -> None:
    result = check(LEAKY)
    assert [f.rule for f in result.fixes_applied] == [RULE]
    assert result.fixed is not None and b"ticker := time.NewTicker(time.Hour)" in result.fixed


@pytest.mark.parametrize("version", [(1, 23), (1, 25), (2, 0)])
def test_silent_from_go_1_23(version: GoVersion) -> None:
    assert not check(LEAKY, version=version).findings


def test_unknown_version_counts_as_before_1_23() -> None:
    # No go.mod above /nonexistent and no --go-version: the leak is assumed real.
    assert [f.rule for f in check(LEAKY, version=None).fixes_applied] == [RULE]


def test_silent_in_test_files() -> None:
    assert not check(LEAKY, path="/nonexistent/p_test.go").findings


def test_silent_for_dot_imported_time() -> None:
    data = LEAKY.replace(b'import "time"', b'import . "time"').replace(b"time.", b"")
    assert not check(data).findings


def test_silent_when_a_local_name_hides_the_time_package() -> None:
    data = LEAKY.replace(b"abort <-chan struct{}", b"abort <-chan struct{}, time fakeTime")
    assert not check(data).findings


def test_fix_is_isolated_to_the_enclosing_function() -> None:
    options = api.Options(select=(RULE,), go_version=(1, 22))
    (finding,) = api.check_source("p.go", LEAKY, options).findings
    assert finding.fix is not None and finding.fix.isolation is not None
    function = LEAKY.index(b"func Wait")
    assert (finding.fix.isolation.start, finding.fix.isolation.end) == (function, len(LEAKY) - 1)


def test_two_direct_ticks_in_one_function_get_distinct_names() -> None:
    data = LEAKY.replace(
        b"\tcase <-abort:", b"\tcase <-time.Tick(2 * time.Hour):\n\t\treturn true\n\tcase <-abort:"
    )
    fixed = check(data).fixed
    assert fixed is not None
    assert b"ticker := time.NewTicker(time.Hour)" in fixed
    assert b"ticker2 := time.NewTicker(2 * time.Hour)" in fixed
    assert b"time.Tick" not in fixed


def test_zero_duration_fix_is_unsafe() -> None:
    options = api.Options(select=(RULE,), go_version=(1, 22))
    data = LEAKY.replace(b"time.Tick(time.Hour)", b"time.Tick(0 * time.Hour)")
    (finding,) = api.check_source("p.go", data, options).findings
    assert finding.fix is not None and finding.fix.applicability == Applicability.UNSAFE


def test_seed_countdown_is_reported_and_fixed_safely() -> None:
    data = SEED.read_bytes()
    options = api.Options(select=(RULE,), fix=Applicability.SAFE, go_version=(1, 22))
    result = api.check_source(str(SEED), data, options)
    assert [f.rule for f in result.fixes_applied] == [RULE]
    assert result.fixed is not None
    assert b"\ttick := time.NewTicker(10 * time.Millisecond)\n\tdefer tick.Stop()\n" in result.fixed
    assert b"\t\tcase <-tick.C:\n" in result.fixed
    assert not result.findings


def test_in_a_loop_of_main_or_init_a_ticker_per_iteration_is_reported() -> None:
    # main.main and init may keep one ticker for the life of the program, not one per pass.
    data = b"""package main

import "time"

func init() {
	<-time.Tick(time.Millisecond)
}

func main() {
	for {
		<-time.Tick(time.Second)
		work()
	}
}

func work() {}
"""
    result = check(data, path="/nonexistent/main.go")
    (finding,) = result.fixes_applied
    assert finding.message.startswith("time.Tick in a loop of main starts a new ticker")
    assert result.fixed is not None
    hoisted = b"\tticker := time.NewTicker(time.Second)\n\tdefer ticker.Stop()\n\tfor {"
    assert hoisted in result.fixed
