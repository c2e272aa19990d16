"""facts.references: where a package mentions a function's name."""

from __future__ import annotations

from pathlib import Path

from gofixleak.facts import declarations, references
from gofixleak.facts.package import Directory, GoPackage


def package(tmp_path: Path, **files: str) -> GoPackage:
    for name, text in files.items():
        (tmp_path / f"{name}.go").write_text(text)
    return Directory(str(tmp_path)).package("p", None)


def test_every_mention_in_any_file_counts(tmp_path: Path) -> None:
    pkg = package(
        tmp_path,
        a="package p\n\nfunc watch() {}\n\nfunc f() { go watch() }\n",
        b="package p\n\ntype T struct{}\n\nfunc (T) watch() {}\n\nvar g = watch\n",
        c="package p\n\nfunc other() {}\n",
    )
    (function,) = declarations.functions_named(pkg, "watch")
    uses = references.uses_of(function)
    assert uses is not None
    # The call, the method of another type spelled the same, the function value.
    assert sorted((Path(src.path).name, node.start_point[0]) for src, node in uses) == [
        ("a.go", 4),
        ("b.go", 4),
        ("b.go", 6),
    ]
    assert not pkg.has_source(str(tmp_path / "c.go"))  # does not hold the word


def test_a_package_read_in_part_has_no_answer(tmp_path: Path) -> None:
    pkg = package(tmp_path, a="package p\n\nfunc watch() {}\n")
    (tmp_path / "b.go").mkdir()  # a directory named like a Go file cannot be read
    (function,) = declarations.functions_named(pkg, "watch")
    assert references.uses_of(function) is None
