"""Fix for leaky-time-tick: a stopped ``time.NewTicker`` in place of ``time.Tick``."""

from __future__ import annotations

from collections.abc import Mapping

from tree_sitter import Node

from gofixleak.detectors.leaky_time_tick import RULE
from gofixleak.model import Applicability, Edit, Finding, Fix, Span
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    constant_duration,
    declaring_identifiers,
    descendants,
    fresh_name,
    gofmt_expression,
    identifier_names,
    import_name,
    indent_of,
    insert_lines_after,
    insert_lines_before,
    is_case_communication,
    is_receive,
    line_start,
    references,
    starts_line,
    walk,
)

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    captures = finding.captures
    function = src.node_at(captures["function"])
    delay = src.node_at(captures["delay"])
    qualifier = import_name(src, "time")
    if function is None or delay is None or qualifier is None or b"\n" in src.text(delay):
        return None
    new_ticker = f"{qualifier}.NewTicker({src.show(delay)})"
    if "name" in captures:
        edits = _variable_edits(src, captures, function, delay, new_ticker)
    else:
        edits = _direct_edits(src, captures, function, delay, new_ticker)
    if edits is None:
        return None
    hoisted = "loop" in captures
    positive = (constant_duration(src, delay) or 0) >= 1
    safe = positive and not hoisted and not _runs_first(src, captures)
    message = "use a time.NewTicker stopped on return" + (
        ", created before the loop" if hoisted else ""
    )
    return Fix(
        message,
        tuple(sorted(edits, key=lambda e: e.span)),
        Applicability.SAFE if safe else Applicability.UNSAFE,
        isolation=captures["function"],
    )


def _direct_edits(
    src: SourceFile, captures: Mapping[str, Span], function: Node, delay: Node, new_ticker: str
) -> list[Edit] | None:
    """``<-time.Tick(d)`` -> ``ticker := time.NewTicker(d)`` / ``defer ticker.Stop()`` before
    the statement (or the outermost loop), and ``<-ticker.C``."""
    anchor = src.node_at(captures.get("loop", captures["statement"]))
    if anchor is None or _declares_any(anchor, delay, src) or _has_goto(function):
        return None  # a goto could jump over the new declaration: it would not build
    # The duration moves from inside an expression to a statement of its own, where gofmt
    # spaces its operators differently: f(a, <-time.Tick(2*d)) -> ticker := time.NewTicker(2 * d).
    duration = gofmt_expression(src, delay)
    if duration is None:
        return None
    qualifier = import_name(src, "time")
    name = fresh_name(src, "ticker", function)
    declaration = f"{name} := {qualifier}.NewTicker({duration})"
    before = _insert_before(src, anchor, [declaration, f"defer {name}.Stop()"])
    if before is None:
        return None
    return [before, Edit(captures["call"], f"{name}.C".encode())]


def _variable_edits(
    src: SourceFile, captures: Mapping[str, Span], function: Node, delay: Node, new_ticker: str
) -> list[Edit] | None:
    """``tick := time.Tick(d)`` -> ``tick := time.NewTicker(d)`` / ``defer tick.Stop()``, and
    every ``tick`` received from becomes ``tick.C``."""
    uses = [span for key, span in captures.items() if key.startswith("use.")]
    if not uses or "statement" not in captures:
        return None  # the detector found uses that this fix cannot rewrite
    name = src.text(captures["name"]).decode()
    channel = [Edit(Span(use.end, use.end), b".C") for use in uses]
    if "loop" in captures:
        hoisted = _hoisted_declaration(src, captures, function, delay, name, new_ticker)
        return None if hoisted is None else hoisted + channel
    statement = src.node_at(captures["statement"])
    if statement is None:
        return None
    stop = insert_lines_after(src, statement, [f"defer {name}.Stop()"])
    if stop is None:
        return None
    return [Edit(captures["call"], new_ticker.encode()), stop, *channel]


def _hoisted_declaration(
    src: SourceFile,
    captures: Mapping[str, Span],
    function: Node,
    delay: Node,
    name: str,
    new_ticker: str,
) -> list[Edit] | None:
    """Move ``tick := time.Tick(d)`` out of its loop, as a stopped ticker before the loop."""
    loop = src.node_at(captures["loop"])
    statement = src.node_at(captures["statement"])
    if loop is None or statement is None or _declares_any(loop, delay, src):
        return None
    comment = _trailing_comment(src, statement)
    if statement.type != "short_var_declaration" or comment is None:
        return None
    if _used_outside(src, function, loop, name):
        return None  # the hoisted declaration would shadow that use
    declare = f"{name} := {new_ticker}" + (f" {comment}" if comment else "")
    before = _insert_before(src, loop, [declare, f"defer {name}.Stop()"])
    if before is None:
        return None
    start = line_start(src.data, statement.start_byte)
    end = src.data.find(b"\n", statement.end_byte)
    end = len(src.data) if end == -1 else end + 1
    return [before, Edit(Span(start, end), b"")]


def _has_goto(function: Node) -> bool:
    body = function.child_by_field_name("body")
    return body is not None and any(
        True for _ in descendants(body, "goto_statement", into_functions=False)
    )


def _runs_first(src: SourceFile, captures: Mapping[str, Span]) -> bool:
    """A call in place (``<-time.Tick(d)``) whose statement may run code before the call: a
    call or a receive written before it (``f(slow(), <-time.Tick(d))``, an earlier ``if``
    condition of an ``else if``). The ticker declared before the statement would start that
    much earlier, and tick sooner, than the one it replaces."""
    if "name" in captures:
        return False  # the declaration is rewritten in place
    statement = src.node_at(captures["statement"])
    call = captures["call"]
    if statement is None:
        return True
    return any(
        node.end_byte <= call.start
        and (
            node.type == "call_expression"
            or (is_receive(node) and not is_case_communication(node))
        )
        for node in walk(statement, into_functions=False)
    )


def _declares_any(node: Node, delay: Node, src: SourceFile) -> bool:
    """``node`` declares a name that ``delay`` spells: moving ``delay`` before it breaks it."""
    declared = {src.show(n) for n in declaring_identifiers(node)}
    return bool(declared & identifier_names(delay, src))


def _trailing_comment(src: SourceFile, statement: Node) -> str | None:
    """The ``// comment`` ending the statement's line ("" for none), which moves with the
    statement; None when the statement shares its lines with other code."""
    end = src.data.find(b"\n", statement.end_byte)
    rest = src.data[statement.end_byte : end if end != -1 else len(src.data)].strip(b" \t\r")
    if not starts_line(src.data, statement.start_byte):
        return None
    if rest and not rest.startswith(b"//"):
        return None
    return rest.decode("utf-8", "replace")


def _insert_before(src: SourceFile, loop: Node, lines: list[str]) -> Edit | None:
    """Lines before a statement, at its indentation; before a label (which gofmt outdents) they
    take the labeled statement's indentation, when label and statement start their own lines."""
    if loop.type != "labeled_statement":
        return insert_lines_before(src, loop, lines)
    inner = loop.named_children[-1]
    if not starts_line(src.data, loop.start_byte) or not starts_line(src.data, inner.start_byte):
        return None
    indent = indent_of(src.data, inner.start_byte)
    at = line_start(src.data, loop.start_byte)
    return Edit(Span(at, at), b"".join(indent + line.encode() + b"\n" for line in lines))


def _used_outside(src: SourceFile, function: Node, loop: Node, name: str) -> bool:
    return any(
        not (loop.start_byte <= n.start_byte < loop.end_byte)
        for n in references(function, name, src)
    )
