"""An editor for the language server's end-to-end tests: pytest-lsp's client over stdio, which
records every diagnostics notification and applies workspace edits the way an editor does."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pygls.workspace import TextDocument
from pygls.workspace.position_codec import PositionCodec
from pytest_lsp import LanguageClient, LanguageClientProtocol
from pytest_lsp.client import register_lsp_features

PUBLISH = types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS
TIMEOUT = 60.0  # seconds before a missing answer fails the test (never a speed requirement)


class Recording(LanguageClientProtocol):
    """Keeps every publishDiagnostics, versions included (pytest-lsp keeps only the last)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self.published: list[types.PublishDiagnosticsParams] = []
        self.registrations: list[types.Registration] = []

    def _handle_notification(self, method_name: str, params: Any) -> None:
        if method_name == PUBLISH:
            self.published.append(params)
        super()._handle_notification(method_name, params)  # type: ignore[no-untyped-call]


def recording_client() -> LanguageClient:
    """pytest-lsp's test client (see ``make_test_lsp_client``), on the recording protocol,
    which also takes the server's dynamic registrations, as editors do."""
    client = LanguageClient(protocol_cls=Recording, converter_factory=default_converter)
    register_lsp_features(client)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)  # type: ignore[untyped-decorator]
    def register(ls: LanguageClient, params: types.RegistrationParams) -> None:
        protocol = ls.protocol
        assert isinstance(protocol, Recording)
        protocol.registrations.extend(params.registrations)

    return client


async def start(
    cache: Path,
    capabilities: types.ClientCapabilities,
    command: Sequence[str] = (sys.executable, "-m", "gofixleak"),
) -> tuple[LanguageClient, types.InitializeResult]:
    """``gofixleak server`` in its own process, initialized by a client with ``capabilities``;
    its rule documentation goes to ``cache``."""
    client = recording_client()
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    await client.start_io(*command, "server", env=env)
    result = await client.initialize_session(types.InitializeParams(capabilities=capabilities))
    return client, result


def recorded(client: LanguageClient) -> Recording:
    protocol = client.protocol
    assert isinstance(protocol, Recording)
    return protocol


def published(client: LanguageClient) -> list[types.PublishDiagnosticsParams]:
    return recorded(client).published


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(TIMEOUT):
        while not condition():
            await asyncio.sleep(0.01)


async def diagnostics(
    client: LanguageClient, uri: str, version: int | None, after: int = 0
) -> Sequence[types.Diagnostic]:
    """The diagnostics the server published for this version of the document (after the
    first ``after`` publications)."""

    def found() -> list[types.PublishDiagnosticsParams]:
        return [p for p in published(client)[after:] if p.uri == uri and p.version == version]

    await until(lambda: bool(found()))
    return found()[-1].diagnostics


def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> None:
    item = types.TextDocumentItem(uri=uri, language_id="go", version=version, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))


def change_document(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def code_actions(
    client: LanguageClient,
    uri: str,
    range_: types.Range,
    only: Sequence[str] | None = None,
) -> list[types.CodeAction]:
    params = types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=range_,
        context=types.CodeActionContext(diagnostics=[], only=only),
    )
    result = await client.text_document_code_action_async(params)
    return [a for a in result or () if isinstance(a, types.CodeAction)]


def codec(result: types.InitializeResult) -> PositionCodec:
    return PositionCodec(result.capabilities.position_encoding or types.PositionEncodingKind.Utf16)


def text_at(text: str, range_: types.Range, position_codec: PositionCodec) -> str:
    """The text a range covers, counted as an editor counts (pygls' own position codec)."""
    doc = TextDocument("file:///x.go", text, position_codec=position_codec)
    return text[doc.offset_at_position(range_.start) : doc.offset_at_position(range_.end)]


def apply(text: str, edit: types.WorkspaceEdit, uri: str, position_codec: PositionCodec) -> str:
    """``text`` after ``edit``, its edits applied last first, each by pygls' document model
    (an implementation independent of the server's)."""
    edits: list[types.TextEdit | types.SnippetTextEdit] = list((edit.changes or {}).get(uri, ()))
    for change in edit.document_changes or ():
        assert isinstance(change, types.TextDocumentEdit)
        assert change.text_document.uri == uri
        edits.extend(e for e in change.edits if not isinstance(e, types.AnnotatedTextEdit))
    doc = TextDocument(uri, text, position_codec=position_codec)
    for one in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character))[::-1]:
        new_text = (
            snippet_text(one.snippet.value)
            if isinstance(one, types.SnippetTextEdit)
            else (one.new_text)
        )
        doc.apply_change(types.TextDocumentContentChangePartial(range=one.range, text=new_text))
    return doc.source


def snippet_text(snippet: str) -> str:
    """What a snippet inserts once its tab stops are left empty."""
    return re.sub(r"\\([$}\\])", r"\1", re.sub(r"(?<!\\)\$\d+", "", snippet))


def capabilities(spec: str, **workspace_edit: Any) -> types.ClientCapabilities:
    """A real editor's capabilities (pytest-lsp ships them), optionally changed."""
    from pytest_lsp import client_capabilities

    caps = client_capabilities(spec)
    if workspace_edit:
        assert caps.workspace is not None
        caps.workspace.workspace_edit = types.WorkspaceEditClientCapabilities(**workspace_edit)
    return caps
