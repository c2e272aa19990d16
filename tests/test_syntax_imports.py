"""syntax.add_import (never joins cgo's ``import "C"``, whose preamble is the comment above
it) and syntax.hides_import."""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.edits import apply
from gofixleak.source import SourceFile
from gofixleak.syntax import add_import, descendants, hides_import


def _added(text: str) -> str:
    src = SourceFile.parse("a.go", text.encode(), None)
    edit = add_import(src, "context")
    assert edit is not None
    return apply(src.data, [edit]).decode()


def test_a_lone_cgo_import_gets_a_declaration_of_its_own() -> None:
    text = 'package p\n\n// #include <stdlib.h>\nimport "C"\n\nfunc f() {}\n'
    assert _added(text) == (
        'package p\n\n// #include <stdlib.h>\nimport "C"\n\nimport "context"\n\nfunc f() {}\n'
    )


def test_another_single_import_after_cgo_takes_the_path() -> None:
    text = 'package p\n\n// #include <stdlib.h>\nimport "C"\n\nimport "fmt"\n'
    assert _added(text) == (
        'package p\n\n// #include <stdlib.h>\nimport "C"\n\nimport (\n\t"context"\n\t"fmt"\n)\n'
    )


def test_a_cgo_group_is_left_alone() -> None:
    text = 'package p\n\n// #include <stdlib.h>\nimport (\n\t"C"\n)\n'
    assert _added(text) == (
        'package p\n\n// #include <stdlib.h>\nimport (\n\t"C"\n)\n\nimport "context"\n'
    )


def test_without_cgo_the_single_import_becomes_a_group() -> None:
    assert _added('package p\n\nimport "fmt"\n') == (
        'package p\n\nimport (\n\t"context"\n\t"fmt"\n)\n'
    )


def _first_call(src: SourceFile) -> Node:
    return next(descendants(src.root, "call_expression"))


def test_a_parameter_named_like_the_import_hides_it() -> None:
    text = 'package p\n\nimport "time"\n\nfunc f(time int) { time.Tick(1) }\n'
    src = SourceFile.parse("a.go", text.encode(), None)
    assert hides_import(src, _first_call(src), "time")


def test_a_local_in_a_nested_literal_hides_it_for_the_whole_function() -> None:
    text = (
        'package p\n\nimport t "time"\n\nfunc f() {\n\tt.Tick(1)\n'
        "\t_ = func() { t := 1; _ = t }\n}\n"
    )
    src = SourceFile.parse("a.go", text.encode(), None)
    assert hides_import(src, _first_call(src), "time")


def test_other_functions_do_not_hide_it() -> None:
    text = 'package p\n\nimport "time"\n\nfunc f() { time.Tick(1) }\n\nfunc g(time int) {}\n'
    src = SourceFile.parse("a.go", text.encode(), None)
    assert not hides_import(src, _first_call(src), "time")


def test_an_empty_group_gets_the_path_on_its_own_line() -> None:
    assert _added("package p\n\nimport ()\n") == 'package p\n\nimport (\n\t"context"\n)\n'
