"""Findings as the editor shows them: diagnostics, quick fixes, fix-all and ignore directives.

Pure functions from the API's results (byte spans, byte edits) and a buffer's :class:`LineIndex`
to lsprotocol objects; the server only decides when to call them.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from gofixleak.model import Applicability, Edit, Finding, Fix, Span
from gofixleak.server.positions import LineIndex, decode
from gofixleak.source import newline_of
from gofixleak.suppression import DIRECTIVE_RULE_NAMES, PREFIX, UNUSED

SOURCE = "gofixleak"
QUICK_FIX = types.CodeActionKind.QuickFix
FIX_ALL = "source.fixAll.gofixleak"
KINDS = (QUICK_FIX, FIX_ALL)
FIX_ALL_TITLE = "gofixleak: fix all safe leaks in this file"

# An ignore directive alone on its line: it silences the next line, where a new directive would
# no longer be the line above the finding; the rule joins its list instead.
_DIRECTIVE_LINE = re.compile(rb"^[ \t]*" + re.escape(PREFIX) + rb"ignore (?P<rules>[^\s]+)")


@dataclass(frozen=True)
class Client:
    """What the editor can take, from its capabilities."""

    document_changes: bool = False
    snippet_edits: bool = False
    resolves_edits: bool = False
    # Without literal support a client reads the answer to codeAction as commands only.
    takes_actions: bool = True

    @classmethod
    def of(cls, capabilities: types.ClientCapabilities) -> Client:
        edit = capabilities.workspace.workspace_edit if capabilities.workspace else None
        action = capabilities.text_document.code_action if capabilities.text_document else None
        resolve = action.resolve_support if action else None
        return cls(
            document_changes=bool(edit and edit.document_changes),
            snippet_edits=bool(edit and edit.document_changes and edit.snippet_edit_support),
            resolves_edits=bool(resolve and "edit" in resolve.properties),
            takes_actions=bool(action and action.code_action_literal_support),
        )


@dataclass(frozen=True)
class Document:
    """The text the findings refer to, and where it lives."""

    uri: str
    version: int | None
    index: LineIndex


def severity(finding: Finding) -> types.DiagnosticSeverity:
    """Every finding is a warning: a likely leak, never a build error. The one place to map a
    finding's class to a severity once findings carry one."""
    return types.DiagnosticSeverity.Warning


def diagnostic(finding: Finding, doc: Document, links: Mapping[str, str]) -> types.Diagnostic:
    href = links.get(finding.rule)
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(uri=doc.uri, range=doc.index.range(r.span)), message=r.message
        )
        for r in finding.related
    ]
    return types.Diagnostic(
        range=doc.index.range(finding.span),
        message=finding.message,
        severity=severity(finding),
        code=finding.rule,
        code_description=types.CodeDescription(href=href) if href else None,
        source=SOURCE,
        related_information=related or None,
        # Editors grey out code tagged unnecessary: a directive that suppresses nothing is that.
        tags=[types.DiagnosticTag.Unnecessary] if finding.rule == UNUSED.name else None,
    )


def wants(only: Sequence[str] | None, kind: str) -> bool:
    """Whether a request restricted to the kinds ``only`` asks for actions of ``kind``
    (kinds are hierarchical: ``source`` asks for ``source.fixAll.gofixleak``)."""
    return only is None or any(kind == k or kind.startswith(f"{k}.") for k in only)


def quick_fixes(
    findings: Iterable[Finding],
    wanted: Span,
    doc: Document,
    client: Client,
    links: Mapping[str, str],
) -> Iterator[types.CodeAction]:
    """For each finding that meets ``wanted`` (the cursor or selection): its fix, then the
    directive that silences it."""
    for finding in findings:
        if not finding.span.touches(wanted):
            continue
        shown = diagnostic(finding, doc, links)
        if finding.fix is not None and finding.fix.applicability >= Applicability.UNSAFE:
            yield fix_action(finding.fix, shown, doc, client)
        action = ignore_action(finding, shown, doc, client)
        if action is not None:
            yield action


def fix_action(
    fix: Fix, shown: types.Diagnostic, doc: Document, client: Client
) -> types.CodeAction:
    safe = fix.applicability is Applicability.SAFE
    edits: list[types.TextEdit | types.SnippetTextEdit] = [
        text_edit(edit, doc.index) for edit in fix.edits
    ]
    return types.CodeAction(
        title=f"gofixleak: {fix.message}" + ("" if safe else " (unsafe)"),
        kind=QUICK_FIX,
        diagnostics=[shown],
        is_preferred=safe or None,
        edit=workspace_edit(doc, edits, client),
    )


def ignore_action(
    finding: Finding, shown: types.Diagnostic, doc: Document, client: Client
) -> types.CodeAction | None:
    """``//gofixleak:ignore RULE `` on the line above the finding, the cursor where the reason
    goes (in a snippet, for clients that take snippet edits); None for the directive rules,
    which no directive can silence."""
    if finding.rule in DIRECTIVE_RULE_NAMES:
        return None
    index = doc.index
    line = index.position(finding.span.start).line
    above = _directive_above(line, index)
    edit: types.TextEdit | types.SnippetTextEdit
    if above is None:
        edit = _new_directive(finding.rule, line, index, client)
    elif finding.rule.encode() in above.group("rules").split(b","):
        return None  # the directive above names the rule already: it is broken, not missing
    else:
        at = index.starts[line - 1] + above.end("rules")
        edit = text_edit(Edit(Span(at, at), b"," + finding.rule.encode()), index)
    return types.CodeAction(
        title=f"gofixleak: ignore {finding.rule} here (//gofixleak:ignore)",
        kind=QUICK_FIX,
        diagnostics=[shown],
        edit=workspace_edit(doc, [edit], client),
    )


def _directive_above(line: int, index: LineIndex) -> re.Match[bytes] | None:
    if line == 0:
        return None
    return _DIRECTIVE_LINE.match(index.data[index.starts[line - 1] : index.end(line - 1)])


def _new_directive(
    rule: str, line: int, index: LineIndex, client: Client
) -> types.TextEdit | types.SnippetTextEdit:
    start = index.starts[line]
    indentation = re.match(rb"[ \t]*", index.data[start : index.end(line)])
    directive = (indentation.group() if indentation else b"") + PREFIX + b"ignore "
    directive += rule.encode() + b" "
    newline = newline_of(index.data)
    if not client.snippet_edits:
        return text_edit(Edit(Span(start, start), directive + newline), index)
    here = index.position(start)
    text = _snippet_text(decode(directive)) + "$0" + decode(newline)
    return types.SnippetTextEdit(types.Range(start=here, end=here), types.StringValue(value=text))


def _snippet_text(text: str) -> str:
    """Literal text in a snippet: ``$``, ``}`` and ``\\`` would be read as snippet syntax."""
    return re.sub(r"([$}\\])", r"\\\1", text)


def has_safe_fix(findings: Iterable[Finding]) -> bool:
    return any(f.fix is not None and f.fix.applicability is Applicability.SAFE for f in findings)


def fix_all_action(edit: types.WorkspaceEdit | None, data: Any = None) -> types.CodeAction:
    """The fix-all action: with its edit, or with ``data`` for ``codeAction/resolve`` to fill
    in (a fix-all runs the fixes to a fixed point, too slow to do for every cursor move)."""
    return types.CodeAction(title=FIX_ALL_TITLE, kind=FIX_ALL, edit=edit, data=data)


def replacement(
    original: bytes, fixed: bytes, doc: Document, client: Client
) -> types.WorkspaceEdit:
    """The edit that turns ``original`` into ``fixed``, line by line where they differ (not one
    whole-buffer replacement, which would lose the cursor, marks and folds)."""
    before = original.splitlines(keepends=True)
    after = fixed.splitlines(keepends=True)
    starts = [0, *itertools.accumulate(map(len, before))]
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    edits: list[types.TextEdit | types.SnippetTextEdit] = [
        text_edit(Edit(Span(starts[i1], starts[i2]), b"".join(after[j1:j2])), doc.index)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
        if tag != "equal"
    ]
    return workspace_edit(doc, edits, client)


def text_edit(edit: Edit, index: LineIndex) -> types.TextEdit:
    return types.TextEdit(range=index.range(edit.span), new_text=decode(edit.new_text))


def workspace_edit(
    doc: Document, edits: list[types.TextEdit | types.SnippetTextEdit], client: Client
) -> types.WorkspaceEdit:
    """Versioned when the client takes document changes, so that it refuses an edit computed
    for an older text."""
    if client.document_changes:
        identifier = types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=identifier, edits=edits)]
        )
    # Snippet edits are made only for clients that take document changes.
    plain = [e for e in edits if isinstance(e, types.TextEdit)]
    return types.WorkspaceEdit(changes={doc.uri: plain})
