"""facts.declarations.interface_type: an interface declared in the package, and what it embeds."""

from __future__ import annotations

from pathlib import Path

from gofixleak.facts.declarations import interface_type
from gofixleak.facts.package import Directory


def test_an_interface_and_its_embedded_types(tmp_path: Path) -> None:
    (tmp_path / "a.go").write_text(
        'package p\n\nimport "io"\n\n'
        "type RW interface {\n\tio.Reader\n\tWrite([]byte) (int, error)\n\tCloser\n}\n"
    )
    (tmp_path / "b.go").write_text(
        "package p\n\ntype Closer interface{ Close() error }\n\ntype Plain struct{}\n"
    )
    pkg = Directory(str(tmp_path)).package("p", None)
    found = interface_type(pkg, "RW")
    assert found is not None and Path(found.src.path).name == "a.go"
    assert [found.src.show(n) for n in found.embedded()] == ["io.Reader", "Closer"]
    closer = interface_type(pkg, "Closer")
    assert closer is not None and closer.embedded() == []
    assert interface_type(pkg, "Plain") is None  # a struct
    assert interface_type(pkg, "Missing") is None


def test_declared_twice_is_no_answer(tmp_path: Path) -> None:
    for name in ("a_linux.go", "a_windows.go"):
        (tmp_path / name).write_text("package p\n\ntype I interface{ M() }\n")
    assert interface_type(Directory(str(tmp_path)).package("p", None), "I") is None
