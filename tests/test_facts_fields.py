"""facts.fields: every selector and literal key that names a field, across the package."""

from __future__ import annotations

import os
from pathlib import Path

from gofixleak.facts.fields import field_uses
from gofixleak.facts.package import Directory, GoPackage


def package(tmp_path: Path, **files: str) -> GoPackage:
    for name, text in files.items():
        (tmp_path / f"{name}.go").write_text(text)
    return Directory(str(tmp_path)).package("p", None)


A = """package p

type S struct{ t int }

func New() *S { return &S{t: 1} }
"""
B = """package p

func (s *S) get() int { return s.t + other.t }

func (s *S) t2() {}

var m = map[string]int{t: 1}
"""


def test_selectors_and_keys_in_every_file(tmp_path: Path) -> None:
    pkg = package(tmp_path, a=A, b=B)
    uses = field_uses(pkg, "t")
    assert uses is not None
    assert [(Path(u.src.path).name, u.src.show(u.node), u.is_key) for u in uses] == [
        ("a.go", "t: 1", True),
        ("b.go", "s.t", False),
        ("b.go", "other.t", False),
        ("b.go", "t: 1", True),  # a map key spelled t: taken too, the caller decides
    ]


def test_no_answer_when_a_file_cannot_be_read(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        (tmp_path / "c.go").mkdir()  # root reads any file: a directory named c.go cannot be
    else:
        (tmp_path / "c.go").write_text("package p\n")
        (tmp_path / "c.go").chmod(0)
    assert field_uses(package(tmp_path, a=A, b=B), "t") is None
