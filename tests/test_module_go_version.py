"""The Go version a file is checked for, from the nearest go.mod at or above its directory."""

from __future__ import annotations

from pathlib import Path

from gofixleak.source import module_go_version


def test_the_nearest_go_mod_decides_at_every_depth(tmp_path: Path) -> None:
    module_go_version.cache_clear()
    (tmp_path / "go.mod").write_text("module example.com/outer\n\ngo 1.21\n")
    inner = tmp_path / "tools" / "inner"
    (inner / "cmd" / "deep").mkdir(parents=True)
    (inner / "go.mod").write_text("module example.com/inner\n\ngo 1.23.4\n")
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "bare").mkdir()
    (tmp_path / "bare" / "go.mod").write_text("module example.com/bare\n")  # no go line
    (tmp_path / "bare" / "x").mkdir()
    asked = ["pkg/sub", "pkg", ".", "tools", "tools/inner/cmd/deep", "tools/inner", "bare/x"]
    found = [module_go_version(str(tmp_path / folder)) for folder in asked]
    assert found == [(1, 21), (1, 21), (1, 21), (1, 21), (1, 23), (1, 23), None]


def test_a_directory_outside_every_module_has_no_version(tmp_path: Path) -> None:
    module_go_version.cache_clear()
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert module_go_version(str(tmp_path / "a" / "b")) is None
