"""The server in process: the edits it hands to the editor (applied by pygls' own document
model), when it checks a change, and what an internal error becomes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from gofixleak import api
from gofixleak.model import FileResult
from gofixleak.server import actions, lsp
from gofixleak.server.positions import UTF8, UTF16, LineIndex
from tests.lsp_client import apply

URI = "file:///p/x.go"
LINES = st.lists(st.sampled_from(["\tgo f()\n", "}\n", "é😀\n", "\n", "x\r\n", "last"]))


def document(data: bytes, encoding: str) -> actions.Document:
    return actions.Document(URI, 3, LineIndex(data, encoding))


@given(LINES, LINES, st.sampled_from([UTF8, UTF16]), st.booleans())
def test_the_fix_all_edit_turns_the_buffer_into_the_fixed_bytes(
    before: list[str], after: list[str], encoding: str, versioned: bool
) -> None:
    original, fixed = "".join(before), "".join(after)
    client = actions.Client(document_changes=versioned)
    edit = actions.replacement(
        original.encode(), fixed.encode(), document(original.encode(), encoding), client
    )
    assert apply(original, edit, URI, PositionCodec(encoding)) == fixed


def test_the_fix_all_edit_replaces_only_the_lines_that_change() -> None:
    original = b"package p\n\nfunc f() {\n\ttick := time.Tick(d)\n}\n"
    fixed = original.replace(b"time.Tick(d)\n", b"time.NewTicker(d)\n\tdefer tick.Stop()\n")
    edit = actions.replacement(original, fixed, document(original, UTF8), actions.Client())
    assert edit.changes == {
        URI: [
            types.TextEdit(
                range=types.Range(types.Position(3, 0), types.Position(4, 0)),
                new_text="\ttick := time.NewTicker(d)\n\tdefer tick.Stop()\n",
            )
        ]
    }


def test_an_edit_is_versioned_for_clients_that_take_document_changes() -> None:
    data = b"package p\n"
    edit = actions.replacement(data, b"package q\n", document(data, UTF8), actions.Client(True))
    [change] = edit.document_changes or []
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document == types.OptionalVersionedTextDocumentIdentifier(URI, 3)


def test_snippet_syntax_in_literal_text_is_escaped() -> None:
    assert actions._snippet_text("a $1 } \\ b") == "a \\$1 \\} \\\\ b"


def test_kinds_are_asked_for_by_their_prefixes() -> None:
    assert actions.wants(None, actions.FIX_ALL)
    assert actions.wants(["source"], actions.FIX_ALL)
    assert actions.wants(["source.fixAll"], actions.FIX_ALL)
    assert not actions.wants(["source.fix"], actions.FIX_ALL)
    assert not actions.wants(["quickfix"], actions.FIX_ALL)
    assert actions.wants(["quickfix"], actions.QUICK_FIX)


def test_an_internal_error_is_a_result_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(path: str, buffers: object, options: object) -> FileResult:
        raise IndexError("a rule tripped on a half-typed file")

    monkeypatch.setattr(lsp, "analyse", broken)
    result = lsp._guarded("/p/x.go", {"/p/x.go": b"package p\n"}, api.Options())
    assert result.findings == ()
    assert result.error == (
        "/p/x.go: internal error: IndexError('a rule tripped on a half-typed file')"
    )


def test_a_change_after_a_quiet_spell_is_checked_at_once_and_a_burst_waits() -> None:
    server = lsp.GofixleakServer()
    ticks = iter([10.0, 10.01, 10.03, 11.0])
    server.clock = lambda: next(ticks)
    delays: list[float] = []
    server.schedule = lambda uri, delay: delays.append(delay)  # type: ignore[method-assign]
    for _ in range(4):
        server.changed("file:///p/x.go")
    assert delays == [0, lsp.DEBOUNCE_SECONDS, lsp.DEBOUNCE_SECONDS, 0]
