"""``gofixleak server``: the language server, on pygls, over stdio.

Documents are synchronised in full (a Go file is small; the server never has to replay edits in
someone else's position encoding). Every analysis runs on one worker thread, one at a time:
tree-sitter's parser is shared, and the event loop stays free to take the next edit meanwhile.
Changes are debounced on both edges: a change to a buffer that had been quiet for
``DEBOUNCE_SECONDS`` is checked at once (an edit shows its diagnostics as soon as they are
computed); a change that follows another more closely (typing fast, a paste, a series of undos)
waits until the buffer has been quiet that long. A result for a text that has changed since is
dropped, never published.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import time
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol, lsp_method
from pygls.uris import to_fs_path

from gofixleak import __version__, api, config, source
from gofixleak.model import Applicability, FileResult
from gofixleak.server import actions, rule_docs
from gofixleak.server.analysis import analyse
from gofixleak.server.positions import LineIndex, encode, preferred_encoding

DEBOUNCE_SECONDS = 0.05
WATCHED = ("**/go.mod", "**/.gofixleak.toml")

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True, eq=False)
class Buffer:
    """One version of an open document: compared by identity, so a newer one never equals it."""

    uri: str
    path: str
    version: int | None
    data: bytes
    encoding: str

    @functools.cached_property
    def document(self) -> actions.Document:
        return actions.Document(self.uri, self.version, LineIndex(self.data, self.encoding))


class _Protocol(LanguageServerProtocol):
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        # pygls takes the client's first choice; UTF-8 is preferred wherever it is offered
        # (offsets are bytes already), and UTF-16, which every client supports, otherwise.
        general = params.capabilities.general
        if general is not None and general.position_encodings is not None:
            general.position_encodings = [preferred_encoding(list(general.position_encodings))]
        return (yield from super().lsp_initialize(params))


class GofixleakServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "gofixleak",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Full,
            protocol_cls=_Protocol,
        )
        self.buffers: dict[str, Buffer] = {}
        self.checked: dict[str, tuple[Buffer, asyncio.Future[FileResult]]] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.last_change: dict[str, float] = {}
        self.clock: Callable[[], float] = time.monotonic
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gofixleak-analysis")
        self.shown_errors: set[str] = set()

    @property
    def client(self) -> actions.Client:
        return actions.Client.of(self.client_capabilities)

    def take(self, uri: str) -> Buffer:
        """The document's current text, as pygls's workspace holds it."""
        document = self.workspace.get_text_document(uri)
        buffer = Buffer(
            uri,
            to_fs_path(uri) or uri,
            document.version,
            encode(document.source),
            self.workspace.position_encoding or types.PositionEncodingKind.Utf16,
        )
        self.buffers[uri] = buffer
        return buffer

    def options_for(self, buffer: Buffer) -> api.Options:
        # A buffer that is no file (an untitled one) has no directory, so no .gofixleak.toml.
        return api.Options(use_config=to_fs_path(buffer.uri) is not None)

    async def run(self, buffer: Buffer, options: api.Options) -> FileResult:
        buffers = {b.path: b.data for b in self.buffers.values()}
        buffers[buffer.path] = buffer.data
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.worker, _guarded, buffer.path, buffers, options)

    async def check(self, buffer: Buffer) -> FileResult:
        """The findings in ``buffer``, computed once per text: a code action asked for while
        the diagnostics are being computed waits for the same analysis."""
        cached = self.checked.get(buffer.uri)
        if cached is None or cached[0] is not buffer:
            cached = (buffer, asyncio.ensure_future(self.run(buffer, self.options_for(buffer))))
            self.checked[buffer.uri] = cached
        # Shielded: a publication cancelled by the next edit must not cancel an analysis that a
        # code action is waiting for.
        return await asyncio.shield(cached[1])

    async def fixed(self, buffer: Buffer) -> types.WorkspaceEdit | None:
        """The edit that applies every safe fix, as ``gofixleak --apply`` would (safe fixes
        only, whatever the config's ``unsafe-fixes``: a fix-all may run on every save)."""
        options = dataclasses.replace(
            self.options_for(buffer), fix=Applicability.SAFE, unsafe_fixes=False
        )
        result = await self.run(buffer, options)
        self.report(result)
        if result.error is not None or result.fixed is None or not result.changed:
            return None
        return actions.replacement(buffer.data, result.fixed, buffer.document, self.client)

    def schedule(self, uri: str, delay: float) -> None:
        """Publish ``uri``'s diagnostics after ``delay``, replacing any publication pending."""
        previous = self.pending.pop(uri, None)
        if previous is not None:
            previous.cancel()
        self.pending[uri] = asyncio.ensure_future(self._publish(uri, delay))

    def changed(self, uri: str) -> None:
        """Schedule the check of a change: now after a quiet spell, later within a burst."""
        now = self.clock()
        last = self.last_change.get(uri)
        self.last_change[uri] = now
        in_burst = last is not None and now - last < DEBOUNCE_SECONDS
        self.schedule(uri, DEBOUNCE_SECONDS if in_burst else 0)

    async def _publish(self, uri: str, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        buffer = self.buffers.get(uri)
        if buffer is None:
            return
        result = await self.check(buffer)
        if self.buffers.get(uri) is not buffer:
            return  # edited meanwhile: the newer text publishes its own
        self.report(result)
        links = rule_docs.links()
        diagnostics = [actions.diagnostic(f, buffer.document, links) for f in result.findings]
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, version=buffer.version, diagnostics=diagnostics)
        )

    def close(self, uri: str) -> None:
        pending = self.pending.pop(uri, None)
        if pending is not None:
            pending.cancel()
        self.buffers.pop(uri, None)
        self.checked.pop(uri, None)
        self.last_change.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
        )

    def report(self, result: FileResult) -> None:
        """A file that could not be checked (a bad .gofixleak.toml, an internal error): logged
        every time, shown to the user once per message."""
        if result.error is None:
            return
        self.window_log_message(
            types.LogMessageParams(type=types.MessageType.Error, message=result.error)
        )
        if result.error not in self.shown_errors:
            self.shown_errors.add(result.error)
            self.window_show_message(
                types.ShowMessageParams(type=types.MessageType.Error, message=result.error)
            )

    def forget_configuration(self) -> None:
        """Read every go.mod and .gofixleak.toml again (they are cached) at the next check."""
        config.clear_cache()
        source.module_go_version.cache_clear()
        self.checked.clear()


def _guarded(path: str, buffers: dict[str, bytes], options: api.Options) -> FileResult:
    try:
        return analyse(path, buffers, options)
    except Exception as error:  # a bug in one rule must not take the editor's server down
        logger.exception("gofixleak: internal error on %s", path)
        return FileResult(path, error=f"{path}: internal error: {error!r}")


def make_server() -> GofixleakServer:
    server = GofixleakServer()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: GofixleakServer, params: types.InitializedParams) -> None:
        watch = ls.client_capabilities.workspace
        watched = watch.did_change_watched_files if watch else None
        if watched is None or not watched.dynamic_registration:
            return  # configs are then read again on each save
        options = types.DidChangeWatchedFilesRegistrationOptions(
            watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED]
        )
        registration = types.Registration(
            id="gofixleak-config",
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=options,
        )
        try:
            await ls.client_register_capability_async(
                types.RegistrationParams(registrations=[registration])
            )
        except Exception:  # the client refused: configs are then read again on each save
            logger.warning("gofixleak: the client did not watch go.mod and .gofixleak.toml")

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(
        ls: GofixleakServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        ls.forget_configuration()
        for uri in ls.buffers:
            ls.schedule(uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: GofixleakServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.take(params.text_document.uri)
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: GofixleakServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.take(params.text_document.uri)
        ls.changed(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    def did_save(ls: GofixleakServer, params: types.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri not in ls.buffers:
            return
        ls.forget_configuration()  # for editors that do not watch files for the server
        ls.schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: GofixleakServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.close(params.text_document.uri)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=list(actions.KINDS), resolve_provider=True),
    )
    async def code_action(
        ls: GofixleakServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return await _code_actions(ls, params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve(ls: GofixleakServer, action: types.CodeAction) -> types.CodeAction:
        uri = action.data.get("uri") if isinstance(action.data, dict) else None
        buffer = ls.buffers.get(uri) if isinstance(uri, str) else None
        if action.kind == actions.FIX_ALL and buffer is not None:
            action.edit = await ls.fixed(buffer)
        return action

    return server


async def _code_actions(
    ls: GofixleakServer, params: types.CodeActionParams
) -> list[types.CodeAction] | None:
    buffer = ls.buffers.get(params.text_document.uri)
    if buffer is None or not ls.client.takes_actions:
        return None  # closed or never opened; or a client that could not read the actions
    result = await ls.check(buffer)
    if result.error is not None:
        return None
    doc, client, only = buffer.document, ls.client, params.context.only
    found: list[types.CodeAction] = []
    if actions.wants(only, actions.QUICK_FIX):
        wanted = doc.index.span(params.range)
        links = rule_docs.links()
        found.extend(actions.quick_fixes(result.findings, wanted, doc, client, links))
    if actions.wants(only, actions.FIX_ALL) and actions.has_safe_fix(result.findings):
        if client.resolves_edits:
            found.append(actions.fix_all_action(None, {"uri": buffer.uri}))
        elif (edit := await ls.fixed(buffer)) is not None:
            found.append(actions.fix_all_action(edit))
    return found


def serve() -> None:
    make_server().start_io()
