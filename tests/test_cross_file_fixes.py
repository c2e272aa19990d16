"""Fixes whose edits land in another file of the package: shown in a check, applied with the
files they edit, also when no rule needs to read the edited file."""

from __future__ import annotations

from pathlib import Path

from gofixleak import api
from gofixleak.model import Applicability, FileResult

SERVER = """package p

type Server struct {
	quit chan struct{}
	work chan int
}

func New() *Server {
	s := &Server{quit: make(chan struct{}), work: make(chan int)}
	go func() {
		for {
			select {
			case <-s.quit:
				return
			case <-s.work:
			}
		}
	}()
	return s
}
"""

# No rule needs to read this file: it starts no goroutine.
STOP = """package p

// Stop stops the server.
func (s *Server) Stop() {
}
"""


def run(tmp_path: Path, fix: Applicability | None) -> dict[str, FileResult]:
    (tmp_path / "server.go").write_text(SERVER)
    (tmp_path / "stop.go").write_text(STOP)
    paths = [str(tmp_path / "server.go"), str(tmp_path / "stop.go")]
    options = api.Options(select=("unclosed-quit-channel",), fix=fix)
    results = api.check_files(api.package_directory(paths[0]), [(p, options) for p in paths])
    return {Path(r.path).name: r for r in results}


def test_a_check_shows_the_fix_that_edits_another_file(tmp_path: Path) -> None:
    results = run(tmp_path, None)
    (finding,) = results["server.go"].findings
    assert finding.fix is not None and finding.fix.applicability == Applicability.UNSAFE
    assert [path for path, _ in finding.fix.elsewhere] == [str(tmp_path / "stop.go")]


def test_fixing_edits_the_file_no_rule_reads(tmp_path: Path) -> None:
    results = run(tmp_path, Applicability.UNSAFE)
    stop = results["stop.go"]
    assert stop.fixed is not None and b"close(s.quit)" in stop.fixed
    assert stop.original == STOP.encode()
    server = results["server.go"]
    assert server.fixed is None and server.findings == ()
    assert [f.rule for f in server.fixes_applied] == ["unclosed-quit-channel"]


def test_safe_fixing_leaves_both_files_alone(tmp_path: Path) -> None:
    results = run(tmp_path, Applicability.SAFE)
    assert results["stop.go"].fixed is None and results["server.go"].fixed is None
    assert len(results["server.go"].findings) == 1
