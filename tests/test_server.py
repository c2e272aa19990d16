"""`gofixleak server` driven as an editor drives it: a real client over stdio (pytest-lsp),
initialize, open, change, diagnostics, code actions applied to the buffer, shutdown."""

from __future__ import annotations

import shutil
import sys
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient
from typer.testing import CliRunner

from gofixleak.cli import app
from tests.lsp_client import (
    apply,
    capabilities,
    change_document,
    code_actions,
    codec,
    diagnostics,
    open_document,
    published,
    recorded,
    start,
    text_at,
    until,
)

# One event loop for the module: the tests that need no client of their own share one server
# (``neovim``), as an editor's buffers share one; each test has its own files.
pytestmark = pytest.mark.asyncio(loop_scope="module")

EXAMPLE = Path(__file__).parent.parent / "examples" / "leaky"
FIX_ALL = "source.fixAll.gofixleak"
TICK = "time.Tick(10 * time.Millisecond)"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    """A copy of the bundled example module (go 1.22: the ticker rules are on)."""
    shutil.copytree(EXAMPLE, tmp_path / "leaky")
    return tmp_path / "leaky"


class Editor:
    """One server process and the buffers its client has open, as an editor keeps them."""

    def __init__(self, client: LanguageClient, result: types.InitializeResult, cache: Path) -> None:
        self.client = client
        self.result = result
        self.cache = cache
        self.codec = codec(result)
        self.texts: dict[str, str] = {}
        self.versions: dict[str, int] = {}

    async def open(self, where: Path | str, text: str | None = None) -> list[types.Diagnostic]:
        uri = where if isinstance(where, str) else where.as_uri()
        self.texts[uri] = text if text is not None else Path(where).read_text()
        self.versions[uri] = 1
        open_document(self.client, uri, self.texts[uri])
        return list(await diagnostics(self.client, uri, 1))

    async def change(self, uri: str, text: str) -> list[types.Diagnostic]:
        self.texts[uri] = text
        self.versions[uri] += 1
        change_document(self.client, uri, text, self.versions[uri])
        return list(await diagnostics(self.client, uri, self.versions[uri]))

    async def actions(
        self, uri: str, range_: types.Range, only: list[str] | None = None
    ) -> list[types.CodeAction]:
        return await code_actions(self.client, uri, range_, only)

    async def perform(self, uri: str, action: types.CodeAction) -> list[types.Diagnostic]:
        """Apply the action's edit to the buffer (resolved first when it comes without one),
        as the editor does, and send the new text."""
        if action.edit is None:
            action = await self.client.code_action_resolve_async(action)
        assert action.edit is not None
        return await self.change(uri, apply(self.texts[uri], action.edit, uri, self.codec))

    def text(self, uri: str, range_: types.Range) -> str:
        return text_at(self.texts[uri], range_, self.codec)


Start = Callable[[types.ClientCapabilities], Awaitable[Editor]]


@pytest_asyncio.fixture(loop_scope="module")
async def editor(tmp_path: Path) -> AsyncIterator[Start]:
    """``await editor(capabilities)`` starts a server of the test's own; after the test each
    one is shut down and must exit with status 0."""
    started: list[LanguageClient] = []

    async def make(caps: types.ClientCapabilities) -> Editor:
        client, result = await start(tmp_path / "cache", caps)
        started.append(client)
        return Editor(client, result, tmp_path / "cache")

    yield make
    for client in started:
        await stop(client)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def neovim(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Editor]:
    """One server, initialized with Neovim 0.11's capabilities, for the module's tests."""
    cache = tmp_path_factory.mktemp("cache")
    client, result = await start(cache, capabilities(NEOVIM))
    yield Editor(client, result, cache)
    await stop(client)


async def stop(client: LanguageClient) -> None:
    await client.shutdown_session()
    assert client._server is not None and client._server.returncode == 0
    await client.stop()  # type: ignore[no-untyped-call]


def apply_cli(path: Path, *options: str) -> bytes:
    """The bytes `gofixleak --apply` writes for ``path`` (in a copy of its directory)."""
    copy = path.parent.parent / f"{path.parent.name}-cli"
    shutil.copytree(path.parent, copy, dirs_exist_ok=True)
    result = CliRunner().invoke(app, ["--apply", "-q", *options, str(copy / path.name)])
    assert result.exit_code in (0, 1), result.output
    return (copy / path.name).read_bytes()


def explain_cli(rule: str) -> str:
    result = CliRunner().invoke(app, ["explain", rule])
    assert result.exit_code == 0
    return result.stdout


NEOVIM = "neovim@v0.11.0"  # UTF-8 positions, plain edits (`changes`), resolves code actions
VSCODE = "visual-studio-code"  # UTF-16 positions, versioned document changes, resolves
EMACS = "emacs"  # offers UTF-32 first, then UTF-8; document changes; no code action resolve


async def test_open_reports_each_finding_as_a_warning_named_by_its_rule(
    neovim: Editor, module: Path
) -> None:
    ed = neovim
    uri = (module / "leaky.go").as_uri()
    found = await ed.open(module / "leaky.go")
    assert [(d.code, ed.text(uri, d.range)) for d in found] == [
        ("abandoned-sender", "make(chan error)"),
        ("leaky-time-tick", TICK),
        ("orphaned-receiver", "<-ch"),
    ]
    assert {d.severity for d in found} == {types.DiagnosticSeverity.Warning}
    assert {d.source for d in found} == {"gofixleak"}
    assert found[1].message.startswith("time.Tick leaks its ticker: Countdown can return")
    related = found[0].related_information or []
    assert [(r.message, ed.text(uri, r.location.range)) for r in related][-1] == (
        "receiving stops here",
        "return err",
    )
    assert {r.location.uri for r in related} == {uri}


async def test_each_diagnostic_links_to_its_rules_explain_text(
    neovim: Editor, module: Path
) -> None:
    ed = neovim
    found = await ed.open(module / "leaky.go")
    for d in found:
        assert d.code_description is not None
        href = d.code_description.href
        assert href.startswith(ed.cache.as_uri() + "/gofixleak/")
        linked = Path(urllib.parse.unquote(urllib.parse.urlparse(href).path))
        assert isinstance(d.code, str)
        assert linked.read_text() == explain_cli(d.code)


async def test_an_edit_updates_the_diagnostics_for_the_new_version(
    neovim: Editor, module: Path
) -> None:
    ed = neovim
    uri = (module / "leaky.go").as_uri()
    await ed.open(module / "leaky.go")
    text = ed.texts[uri]
    wait = text[text.index("// Wait starts") :]
    found = await ed.change(uri, text.replace(wait, ""))
    assert [d.code for d in found] == ["abandoned-sender", "leaky-time-tick"]
    found = await ed.change(uri, text.replace("make(chan error)", "make(chan error, len(addrs))"))
    assert [d.code for d in found] == ["leaky-time-tick", "orphaned-receiver"]


async def test_quick_edits_end_with_the_diagnostics_of_the_last_version(
    neovim: Editor, module: Path
) -> None:
    ed = neovim
    uri = (module / "leaky.go").as_uri()
    await ed.open(module / "leaky.go")
    text = ed.texts[uri]
    for version in range(2, 7):
        change_document(ed.client, uri, text[: len(text) // version], version)
    ed.versions[uri] = 6
    found = await ed.change(uri, text.replace(TICK, "time.NewTimer(time.Second).C"))
    assert [d.code for d in found] == ["abandoned-sender", "orphaned-receiver"]
    # Whatever was published before it, the last publication is the last version's.
    assert [p.version for p in published(ed.client) if p.uri == uri][-1] == 7


@pytest.mark.parametrize("spec", [NEOVIM, VSCODE, EMACS])
async def test_fix_all_gives_the_bytes_of_apply(editor: Start, module: Path, spec: str) -> None:
    ed = await editor(capabilities(spec))
    path = module / "leaky.go"
    path.write_text(accented(path.read_text()))  # columns differ between UTF-8 and UTF-16
    uri = path.as_uri()
    await ed.open(path)
    everything = types.Range(types.Position(0, 0), types.Position(len(ed.texts[uri]), 0))
    [fix_all] = await ed.actions(uri, everything, only=["source.fixAll"])
    assert fix_all.kind == FIX_ALL and fix_all.title == "gofixleak: fix all safe leaks in this file"
    found = await ed.perform(uri, fix_all)
    assert ed.texts[uri].encode() == apply_cli(path)
    assert [d.code for d in found] == ["orphaned-receiver"]
    assert await ed.actions(uri, everything, only=["source"]) == []


@pytest.mark.parametrize("spec", [NEOVIM, VSCODE])
async def test_quick_fixes_one_at_a_time_give_the_bytes_of_apply(
    editor: Start, module: Path, spec: str
) -> None:
    ed = await editor(capabilities(spec))
    path = module / "leaky.go"
    path.write_text(accented(path.read_text()))
    uri = path.as_uri()
    found = await ed.open(path)
    for _ in range(len(found) + 1):
        preferred = [
            action
            for d in found
            for action in await ed.actions(uri, d.range, only=["quickfix"])
            if action.is_preferred
        ]
        if not preferred:
            break
        found = await ed.perform(uri, preferred[0])
    assert ed.texts[uri].encode() == apply_cli(path)
    assert [d.code for d in found] == ["orphaned-receiver"]


async def test_the_quick_fixes_of_a_finding(neovim: Editor, module: Path) -> None:
    ed = neovim
    uri = (module / "leaky.go").as_uri()
    found = await ed.open(module / "leaky.go")
    tick = found[1]
    cursor = types.Range(tick.range.start, tick.range.start)
    actions = await ed.actions(uri, cursor)
    assert [(a.title, a.kind, a.is_preferred) for a in actions] == [
        ("gofixleak: use a time.NewTicker stopped on return", "quickfix", True),
        ("gofixleak: ignore leaky-time-tick here (//gofixleak:ignore)", "quickfix", None),
        ("gofixleak: fix all safe leaks in this file", FIX_ALL, None),
    ]
    assert [d.code for d in actions[0].diagnostics or ()] == ["leaky-time-tick"]
    # The report-only finding has no fix, only the directive (and the file's fix-all).
    receiver = types.Range(found[2].range.end, found[2].range.end)
    titles = [a.title for a in await ed.actions(uri, receiver, only=["quickfix"])]
    assert titles == ["gofixleak: ignore orphaned-receiver here (//gofixleak:ignore)"]
    # Between findings, nothing but the fix-all.
    between = types.Position(found[1].range.start.line - 2, 0)
    titles = [a.title for a in await ed.actions(uri, types.Range(between, between))]
    assert titles == ["gofixleak: fix all safe leaks in this file"]


UNSAFE = """package p

import "context"

func tally(out chan<- int) {
	for {
		out <- 1
	}
}

// Tally has a context; tally would get it as a new parameter, which other files may call.
func Tally(ctx context.Context, n int) int {
	out := make(chan int)
	go tally(out)
	total := 0
	for i := 0; i < n; i++ {
		total += <-out
	}
	return total
}
"""


async def test_an_unsafe_fix_is_labelled_and_never_preferred(
    neovim: Editor, tmp_path: Path
) -> None:
    path = tmp_path / "p" / "tally.go"
    path.parent.mkdir()
    path.write_text(UNSAFE)
    ed = neovim
    uri = path.as_uri()
    [finding] = await ed.open(path)
    assert finding.code == "select-without-exit"
    actions = await ed.actions(uri, finding.range)
    fix = actions[0]
    assert fix.title.endswith(" (unsafe)") and not fix.is_preferred
    # The fix-all applies safe fixes only: there are none.
    assert [a.kind for a in actions] == ["quickfix", "quickfix"]
    assert await ed.perform(uri, fix) == []
    assert ed.texts[uri].encode() == apply_cli(path, "--unsafe-fixes")


async def test_ignore_inserts_the_directive_and_waits_for_a_reason(
    neovim: Editor, module: Path
) -> None:
    ed = neovim
    uri = (module / "leaky.go").as_uri()
    found = await ed.open(module / "leaky.go")
    actions = await ed.actions(uri, found[1].range, only=["quickfix"])
    ignore = actions[1]
    assert ignore.title == "gofixleak: ignore leaky-time-tick here (//gofixleak:ignore)"
    found = await ed.perform(uri, ignore)
    directive = "\t//gofixleak:ignore leaky-time-tick \n"
    assert directive + "\ttick := " + TICK in ed.texts[uri]
    # Without a reason the directive is invalid, and the finding stays.
    assert [d.code for d in found] == [
        "abandoned-sender",
        "invalid-directive",
        "leaky-time-tick",
        "orphaned-receiver",
    ]
    assert "needs a reason" in found[1].message
    # A directive rule cannot be silenced by a directive: no ignore action for it.
    titles = [a.title for a in await ed.actions(uri, found[1].range, only=["quickfix"])]
    assert not any("ignore invalid-directive" in t for t in titles)
    reason = directive.replace(" \n", " counts down once per call, by design\n")
    found = await ed.change(uri, ed.texts[uri].replace(directive, reason))
    assert [d.code for d in found] == ["abandoned-sender", "orphaned-receiver"]


async def test_ignore_joins_a_directive_already_above_the_line(
    neovim: Editor, module: Path
) -> None:
    path = module / "leaky.go"
    above = "\t//gofixleak:ignore orphaned-receiver the receive is the point\n"
    path.write_text(path.read_text().replace("\ttick := ", above + "\ttick := "))
    ed = neovim
    uri = path.as_uri()
    found = await ed.open(path)
    tick = next(d for d in found if d.code == "leaky-time-tick")
    ignore = (await ed.actions(uri, tick.range, only=["quickfix"]))[1]
    found = await ed.perform(uri, ignore)
    joined = "//gofixleak:ignore orphaned-receiver,leaky-time-tick the receive is the point\n"
    assert joined in ed.texts[uri]
    assert [d.code for d in found] == ["abandoned-sender", "unused-directive", "orphaned-receiver"]


async def test_ignore_is_a_snippet_with_the_cursor_at_the_reason_where_the_client_takes_one(
    editor: Start, module: Path
) -> None:
    caps = capabilities(VSCODE, document_changes=True, snippet_edit_support=True)
    ed = await editor(caps)
    uri = (module / "leaky.go").as_uri()
    found = await ed.open(module / "leaky.go")
    ignore = (await ed.actions(uri, found[1].range, only=["quickfix"]))[1]
    assert ignore.edit is not None and ignore.edit.document_changes is not None
    [change] = ignore.edit.document_changes
    assert isinstance(change, types.TextDocumentEdit)
    assert change.text_document.version == 1
    [snippet] = change.edits
    assert isinstance(snippet, types.SnippetTextEdit)
    assert snippet.snippet.value == "\t//gofixleak:ignore leaky-time-tick $0\n"
    assert snippet.range == types.Range(types.Position(34, 0), types.Position(34, 0))


@pytest.mark.parametrize(
    ("spec", "offered", "chosen"),
    [
        (VSCODE, None, "utf-16"),
        (NEOVIM, ["utf-8", "utf-16", "utf-32"], "utf-8"),
        (EMACS, ["utf-32", "utf-8", "utf-16"], "utf-8"),
        (VSCODE, ["utf-32"], "utf-16"),
    ],
)
async def test_positions_count_utf8_when_offered_else_utf16(
    editor: Start, module: Path, spec: str, offered: list[str] | None, chosen: str
) -> None:
    caps = capabilities(spec)
    if offered != (caps.general.position_encodings if caps.general else None):
        caps.general = types.GeneralClientCapabilities(position_encodings=offered)
    ed = await editor(caps)
    assert ed.result.capabilities.position_encoding == chosen
    path = module / "leaky.go"
    uri = path.as_uri()
    found = await ed.open(path, accented(path.read_text()))
    tick = next(d for d in found if d.code == "leaky-time-tick")
    assert ed.text(uri, tick.range) == TICK
    line = ed.texts[uri].splitlines()[tick.range.start.line]
    before = line[: line.index(TICK)]
    units = len(before.encode()) if chosen == "utf-8" else len(before.encode("utf-16-le")) // 2
    assert tick.range.start.character == units


def accented(text: str) -> str:
    """The example with non-ASCII text (two bytes, three bytes, an emoji outside the BMP)
    before findings and fixes on their lines."""
    return text.replace("\terrc := ", "\t/* é€😀 */ errc := ").replace(
        "\ttick := ", "\t/* ⏱😀 */ tick := "
    )


def codes(found: list[types.Diagnostic]) -> list[str]:
    return [str(d.code) for d in found]


LEAKS = ["abandoned-sender", "leaky-time-tick", "orphaned-receiver"]


async def test_a_client_without_code_action_literals_gets_diagnostics_and_no_actions(
    editor: Start, module: Path
) -> None:
    ed = await editor(types.ClientCapabilities())  # the least a client can announce
    assert ed.result.capabilities.position_encoding == "utf-16"
    found = await ed.open(module / "leaky.go")
    assert codes(found) == LEAKS
    assert await ed.actions((module / "leaky.go").as_uri(), found[1].range) == []


async def test_syntax_errors_mid_edit_never_stop_the_server(neovim: Editor, module: Path) -> None:
    ed = neovim
    uri = (module / "leaky.go").as_uri()
    await ed.open(module / "leaky.go")
    text = ed.texts[uri]
    everything = types.Range(types.Position(0, 0), types.Position(len(text), 0))
    broken = [text[:end] for end in range(len(text) - 1, 0, -(len(text) // 10))]
    broken += [
        text.replace("}\n\n// Countdown", "\n\n// Countdown"),  # an unclosed function
        text.replace("select {", "select {{ case"),
        "\x00\x01 func ((( chan <- go go {",
        "",
    ]
    for version_text in broken:
        await ed.change(uri, version_text)
        await ed.actions(uri, everything)  # answered, whatever the text
    assert codes(await ed.change(uri, text)) == LEAKS


async def test_files_outside_a_module_unsaved_and_untitled_buffers_are_checked(
    neovim: Editor, tmp_path: Path
) -> None:
    ed = neovim
    text = (EXAMPLE / "leaky.go").read_text()
    loose = tmp_path / "loose" / "leaky.go"  # no go.mod anywhere above it
    loose.parent.mkdir()
    loose.write_text(text)
    assert codes(await ed.open(loose)) == LEAKS
    never_saved = tmp_path / "nowhere" / "new.go"  # not on disk, nor is its directory
    assert codes(await ed.open(never_saved.as_uri(), text)) == LEAKS
    untitled = "untitled:Untitled-1"
    assert codes(await ed.open(untitled, text)) == LEAKS
    everything = types.Range(types.Position(0, 0), types.Position(len(text), 0))
    [fix_all] = await ed.actions(untitled, everything, only=[FIX_ALL])
    assert codes(await ed.perform(untitled, fix_all)) == ["orphaned-receiver"]
    assert ed.texts[untitled].encode() == apply_cli(loose)


async def test_a_closed_document_loses_its_diagnostics_and_actions(
    neovim: Editor, module: Path
) -> None:
    ed = neovim
    uri = (module / "leaky.go").as_uri()
    found = await ed.open(module / "leaky.go")
    seen = len(published(ed.client))
    ed.client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await until(lambda: any(p.uri == uri for p in published(ed.client)[seen:]))
    assert [list(p.diagnostics) for p in published(ed.client)[seen:] if p.uri == uri] == [[]]
    assert await ed.actions(uri, found[1].range) == []
    assert codes(await ed.open(module / "leaky.go")) == LEAKS  # opened again: checked again


async def test_the_config_applies_and_is_read_again_when_the_editor_sees_it_change(
    editor: Start, module: Path
) -> None:
    config = module / ".gofixleak.toml"
    config.write_text('ignore = ["leaky-time-tick"]\n')
    ed = await editor(capabilities(VSCODE))  # VS Code watches files for the server
    path = module / "leaky.go"
    assert codes(await ed.open(path)) == ["abandoned-sender", "orphaned-receiver"]
    await until(lambda: bool(recorded(ed.client).registrations))
    [registration] = recorded(ed.client).registrations
    assert registration.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
    options = registration.register_options
    assert isinstance(options, dict)
    globs = [w["globPattern"] for w in options["watchers"]]
    assert globs == ["**/go.mod", "**/.gofixleak.toml"]

    async def changed(file: Path, text: str) -> list[str]:
        file.write_text(text)
        seen = len(published(ed.client))
        event = types.FileEvent(uri=file.as_uri(), type=types.FileChangeType.Changed)
        ed.client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(changes=[event])
        )
        return codes(list(await diagnostics(ed.client, path.as_uri(), 1, after=seen)))

    assert await changed(config, 'ignore = ["orphaned-receiver"]\n') == [
        "abandoned-sender",
        "leaky-time-tick",
    ]
    go_mod = module / "go.mod"
    assert await changed(go_mod, "module example.com/leaky\n\ngo 1.23\n") == ["abandoned-sender"]


async def test_saving_reads_the_config_again_for_editors_that_watch_no_files(
    neovim: Editor, module: Path
) -> None:
    ed = neovim
    path = module / "leaky.go"
    uri = path.as_uri()
    assert codes(await ed.open(path)) == LEAKS
    (module / ".gofixleak.toml").write_text('select = ["orphaned-receiver"]\n')
    seen = len(published(ed.client))
    ed.client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    assert codes(list(await diagnostics(ed.client, uri, 1, after=seen))) == ["orphaned-receiver"]
    assert recorded(ed.client).registrations == []


async def test_a_broken_config_is_shown_once_and_nothing_is_reported(
    editor: Start, module: Path
) -> None:
    (module / ".gofixleak.toml").write_text('ignore = ["leaky-tick"]\n')
    ed = await editor(capabilities(NEOVIM))
    uri = (module / "leaky.go").as_uri()
    assert await ed.open(module / "leaky.go") == []
    assert await ed.change(uri, ed.texts[uri] + "\n") == []
    [shown] = ed.client.messages
    assert shown.type == types.MessageType.Error
    assert "unknown rule 'leaky-tick' in ignore" in shown.message
    assert await ed.actions(uri, types.Range(types.Position(0, 0), types.Position(60, 0))) == []


async def test_an_excluded_file_reports_nothing(neovim: Editor, module: Path) -> None:
    (module / ".gofixleak.toml").write_text('exclude = ["leaky.go"]\n')
    ed = neovim
    shown = len(ed.client.messages)
    assert await ed.open(module / "leaky.go") == []
    assert len(ed.client.messages) == shown


async def test_the_installed_command_serves(module: Path, tmp_path: Path) -> None:
    """`gofixleak server` as the README's configs start it: the installed script, on PATH."""
    script = shutil.which("gofixleak", path=str(Path(sys.executable).parent))
    assert script is not None
    client, result = await start(tmp_path / "cache", capabilities(NEOVIM), command=[script])
    assert result.server_info is not None and result.server_info.name == "gofixleak"
    open_document(client, (module / "leaky.go").as_uri(), (module / "leaky.go").read_text())
    assert codes(list(await diagnostics(client, (module / "leaky.go").as_uri(), 1))) == LEAKS
    await client.shutdown_session()
    await client.stop()  # type: ignore[no-untyped-call]
