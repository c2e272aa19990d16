"""unstopped-ticker beyond the fixtures: test files, the Go version gate, shadowing."""

from __future__ import annotations

import pytest

from gofixleak import api
from gofixleak.model import Applicability, FileResult
from gofixleak.source import GoVersion

RULE = "unstopped-ticker"

LEAKY = b"""package p

import "time"

func Wait(abort <-chan struct{}) bool {
	t := time.NewTimer(time.Hour)
	select {
	case <-t.C:
		return true
	case <-abort:
		return false
	}
}
"""


def check(
    data: bytes, path: str = "/nonexistent/p.go", version: GoVersion | None = (1, 22)
) -> FileResult:
    options = api.Options(select=(RULE,), fix=Applicability.SAFE, go_version=version)
    return api.check_source(path, data, options)


def test_reports_and_fixes_before_go_1_23() -> None:
    result = check(LEAKY)
    assert [f.rule for f in result.fixes_applied] == [RULE]
    assert result.fixed is not None
    assert b"\tt := time.NewTimer(time.Hour)\n\tdefer t.Stop()\n\tselect {" in result.fixed


@pytest.mark.parametrize("version", [(1, 23), (1, 24)])
def test_silent_from_go_1_23(version: GoVersion) -> None:
    assert not check(LEAKY, version=version).findings


def test_unknown_version_counts_as_before_1_23() -> None:
    assert [f.rule for f in check(LEAKY, version=None).fixes_applied] == [RULE]


def test_silent_in_test_files() -> None:
    assert not check(LEAKY, path="/nonexistent/p_test.go").findings


def test_silent_when_the_name_is_declared_twice() -> None:
    data = LEAKY.replace(
        b"\tcase <-abort:\n", b"\tcase <-abort:\n\t\tt := time.NewTimer(0)\n\t\tt.Stop()\n"
    )
    assert not check(data).findings


def test_silent_when_reassigned() -> None:
    data = LEAKY.replace(b"\tselect {", b"\tt = time.NewTimer(time.Minute)\n\tselect {")
    assert not check(data).findings


def test_a_stopped_timer_from_the_leaky_time_tick_fix_is_not_reported() -> None:
    data = LEAKY.replace(b"NewTimer", b"NewTicker").replace(
        b"time.Hour)\n", b"time.Hour)\n\tdefer t.Stop()\n"
    )
    assert not check(data).findings
