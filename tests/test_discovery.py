"""Which files are scanned: recursion, skipped folders, ./..., links, missing paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from gofixleak.discovery import discover


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in [
        "a.go",
        "b.txt",
        "sub/c.go",
        "vendor/v.go",
        "testdata/t.go",
        ".hidden/h.go",
        "_skip/s.go",
        "sub/deep/d_test.go",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("package p\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def paths(args: list[str]) -> list[str]:
    return [item.path for item in discover(args)]


def test_directories_are_walked_like_the_go_tool(tree: Path) -> None:
    assert paths(["."]) == ["a.go", "sub/c.go", "sub/deep/d_test.go"]
    assert paths(["./..."]) == paths(["."]) == paths([])
    assert paths(["sub/..."]) == ["sub/c.go", "sub/deep/d_test.go"]


def test_a_named_file_is_always_scanned_once(tree: Path) -> None:
    assert paths(["testdata/t.go", "testdata/t.go", "a.go"]) == ["testdata/t.go", "a.go"]


def test_missing_paths_are_errors_and_the_rest_goes_on(tree: Path) -> None:
    items = list(discover(["nothere", "a.go"]))
    assert items[0].error == "nothere: no such file or directory"
    assert items[1].path == "a.go" and items[1].error is None


def test_links_out_of_the_tree_and_loops_are_not_followed(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "o.go").write_text("package o\n")
    (tree / "sub" / "out").symlink_to(outside)
    (tree / "sub" / "loop").symlink_to(tree / "sub")
    assert paths(["."]) == ["a.go", "sub/c.go", "sub/deep/d_test.go"]


def test_a_linked_file_is_scanned_once_and_never_out_of_the_tree(
    tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "o.go").write_text("package o\n")
    (tree / "sub" / "to_a.go").symlink_to(tree / "a.go")  # met after a.go: a.go it is
    (tree / "sub" / "to_d.go").symlink_to("deep/d_test.go")  # met before sub/deep/d_test.go
    (tree / "sub" / "to_o.go").symlink_to(outside / "o.go")
    assert paths(["."]) == ["a.go", "sub/c.go", "sub/to_d.go"]
    assert paths(["sub/to_a.go", "."]) == ["sub/to_a.go", "sub/c.go", "sub/to_d.go"]


def test_paths_are_shown_from_the_working_directory(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree / "sub")
    assert paths(["."]) == ["c.go", "deep/d_test.go"]
    assert paths(["..", "."]) == [str(tree / "a.go"), "c.go", "deep/d_test.go"]
    assert paths(["../sub/"]) == ["c.go", "deep/d_test.go"]
    assert paths([str(tree / "sub" / "deep")]) == ["deep/d_test.go"]
