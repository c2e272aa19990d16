"""Fix for waitgroup-done-skipped: ``defer wg.Done()`` as the goroutine's first statement, its
trailing ``wg.Done()`` removed; or the ``wg.Wait()`` in a spawning loop moved after the loop.

The detector records the plan in ``finding.captures``: ``done`` and ``body`` (the trailing Done
statement and the goroutine's body, in the file of the function the goroutine runs, which is
found again from the ``go`` statement), or ``wait`` and ``loop``; ``review`` marks an UNSAFE fix.
Neither: no fix.
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.detectors.waitgroup_done_skipped import RULE
from gofixleak.facts import resolve
from gofixleak.model import Applicability, Edit, Finding, Fix, Span
from gofixleak.source import SourceFile

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    applicability = Applicability.UNSAFE if "review" in finding.captures else Applicability.SAFE
    if "wait" in finding.captures:
        return _move_wait(finding, src, applicability)
    if "done" in finding.captures:
        return _defer_done(finding, src, applicability)
    return None


def _defer_done(finding: Finding, src: SourceFile, applicability: Applicability) -> Fix | None:
    target = _goroutine_file(finding, src)
    done = target.node_at(finding.captures["done"]) if target is not None else None
    body = target.node_at(finding.captures["body"]) if target is not None else None
    if target is None or done is None or body is None:
        return None
    line = _rest_of_line(target, done)  # the call, and its line's comment
    at = target.data.index(b"\n", body.start_byte) + 1
    indent = syntax.indent_of(target.data, done.start_byte)
    insert = Edit(Span(at, at), indent + b"defer " + line + b"\n")
    edits = (insert, _delete_last_line(target, done))
    message = f"defer {target.show(done)} at the start of the goroutine"
    if target.path == src.path:
        return Fix(message, edits, applicability)
    return Fix(message, (), applicability, elsewhere=((target.path, edits),))


def _goroutine_file(finding: Finding, src: SourceFile) -> SourceFile | None:
    """The file of the function the finding's goroutine runs: this one for a literal."""
    go = src.node_at(finding.captures["go"])
    call = syntax.launched_call(go) if go is not None else None
    function = call.child_by_field_name("function") if call is not None else None
    if call is None or function is None:
        return None
    if function.type == "func_literal":
        return src
    target = resolve.callee(src, call)
    return target.src if target is not None else None


def _move_wait(finding: Finding, src: SourceFile, applicability: Applicability) -> Fix | None:
    wait = src.node_at(finding.captures["wait"])
    loop = src.node_at(finding.captures["loop"])
    if wait is None or loop is None:
        return None
    try:
        text = _rest_of_line(src, wait).decode("utf-8")  # its line's comment moves with it
    except UnicodeDecodeError:
        return None
    insert = syntax.insert_lines_after(src, loop, [text])
    if insert is None:
        return None
    call = src.show(wait).strip()
    edits = (_delete_last_line(src, wait), insert)
    return Fix(f"move {call} after the loop", edits, applicability)


def _rest_of_line(src: SourceFile, statement: Node) -> bytes:
    end = src.data.find(b"\n", statement.end_byte)
    return src.data[statement.start_byte : end if end != -1 else len(src.data)].rstrip()


def _delete_last_line(src: SourceFile, statement: Node) -> Edit:
    """Delete the line of ``statement``, the last of its block, and the blank lines before it
    (gofmt would keep them before the block's closing brace)."""
    start = syntax.line_start(src.data, statement.start_byte)
    end = src.data.find(b"\n", statement.end_byte)
    end = len(src.data) if end == -1 else end + 1
    while start > 0:
        previous = syntax.line_start(src.data, start - 1)
        if src.data[previous:start].strip():
            break
        start = previous
    return Edit(Span(start, end), b"")
