"""unstopped-ticker beyond the fixtures: test files, the Go version gate, shadowing."""

from __future__ import annotations

from pathlib import Path

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


FIELD = """package p

import "time"

type poller struct{ t *time.Ticker }

func newPoller() *poller {
	p := &poller{}
	p.t = time.NewTicker(time.Second)
	return p
}

func (p *poller) wait() { <-p.t.C }
"""


def field_findings(tmp_path: Path, version: GoVersion = (1, 22), **files: str) -> list[str]:
    for name, text in files.items():
        (tmp_path / f"{name}.go").write_text(text)
    options = api.Options(select=(RULE,), go_version=version)
    return [f.message for r in api.run([str(tmp_path)], options, jobs=1) for f in r.findings]


def test_a_ticker_in_a_field_that_nothing_stops(tmp_path: Path) -> None:
    (message,) = field_findings(tmp_path, p=FIELD)
    assert message.startswith("poller.t from time.NewTicker is never stopped: nothing in the")


@pytest.mark.parametrize(
    "other",
    [
        # Stopped through a value whose type the syntax does not tell: it may be a poller.
        "func halt(x any) { x.(*poller).t.Stop() }\n",
        # A method value: it may be called later.
        "func (p *poller) stopper() func() bool { return p.t.Stop }\n",
        # Read into a variable: who stops it is not followed.
        "func (p *poller) ticker() *time.Ticker { return p.t }\n",
        "func (p *poller) clear() { p.t = nil }\n",
    ],
)
def test_silent_when_a_use_of_the_field_is_not_understood(tmp_path: Path, other: str) -> None:
    imports = 'import "time"\n\n' if "time." in other else ""
    assert field_findings(tmp_path, p=FIELD, q=f"package p\n\n{imports}{other}") == []


def test_silent_for_a_field_ticker_from_go_1_23(tmp_path: Path) -> None:
    assert field_findings(tmp_path, (1, 23), p=FIELD) == []


def test_silent_for_a_field_ticker_made_in_init(tmp_path: Path) -> None:
    code = FIELD.replace("func newPoller() *poller {", "func init() {").replace("\treturn p\n", "")
    assert field_findings(tmp_path, p=code) == []
