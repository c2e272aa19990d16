"""facts.resolve: what a type assertion tells about a value's type."""

from __future__ import annotations

from pathlib import Path

from gofixleak import syntax
from gofixleak.facts import resolve
from gofixleak.facts.package import Directory

ASSERTED = """package p

type Transport interface{ Close() }

type local struct{}

func (*local) Close() {}

func (*local) start() {}

func New() Transport { return &local{} }

func use(x any) {
	t := New().(*local)
	t.start()
	x.(local).start()
	var i Transport = New()
	i.Close()
}
"""


def test_a_type_assertion_gives_its_type(tmp_path: Path) -> None:
    (tmp_path / "a.go").write_text(ASSERTED)
    pkg = Directory(str(tmp_path)).package("p", None)
    src = next(iter(pkg.sources()))
    resolved = {
        src.show(call): target.name if (target := resolve.callee(src, call)) else None
        for call in syntax.descendants(src.root, "call_expression")
    }
    assert resolved["t.start()"] == resolved["x.(local).start()"] == "start"
    assert resolved["i.Close()"] is None  # an interface: which Close runs is not known
