"""syntax.add_import: never joins cgo's ``import "C"``, whose preamble is the comment above it."""

from __future__ import annotations

from gofixleak.edits import apply
from gofixleak.source import SourceFile
from gofixleak.syntax import add_import


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
        'package p\n\n// #include <stdlib.h>\nimport "C"\n\n'
        'import (\n\t"context"\n\t"fmt"\n)\n'
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
