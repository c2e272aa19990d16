"""The goroutines that send on the channel, through the package model: literals, named
functions and methods, and the helpers they call, in any file of the package.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.channels import LocalChannel
from gofixleak.facts.usage import Event, Usage
from gofixleak.source import SourceFile


def received_here(use: Usage, channel: LocalChannel, src: SourceFile) -> bool:
    """The function itself receives, with plain receives or one ``for ... range`` alone."""
    receives = use.of_kind("receive", "range")
    if not receives or any(
        e.src is not src or syntax.enclosing_function(e.node) != channel.function
        for e in receives
    ):
        return False
    ranges = use.of_kind("range")
    return not ranges or len(receives) == 1


@dataclass(frozen=True)
class Sender:
    """A goroutine the function starts that sends on the channel: its ``go`` statement, where
    it sends (in its literal, or in the callees it runs: maybe another file), how often a run
    sends (``"once"`` on every path, ``"at-most-once"``, or None: more, or unknown), and the
    exact number of values a run sends when every path sends the same constant number."""

    go: Node
    sends: tuple[Event, ...]
    per_run: str | None
    exact: int | None = None

    @property
    def weight(self) -> int:
        """The values one run is counted for: its exact number, else one (a goroutine that
        may send more often is not assumed to: unknown counts stay silent rather than guess)."""
        return self.exact if self.exact is not None else 1


def find_senders(channel: LocalChannel, use: Usage, src: SourceFile) -> dict[Node, Sender] | None:
    """The goroutines that send, by ``go`` statement; None when a send is anywhere else (the
    function itself, a deferred literal, a goroutine's goroutine) or a goroutine receives."""
    out: dict[Node, Sender] = {}
    for spawn in use.spawned:
        run = spawn.run
        sends = run.of_kind("send")
        if not sends:
            continue
        if spawn.src is not src or syntax.enclosing_function(spawn.go) != channel.function:
            return None
        if run.of_kind("receive", "range") or run.spawned:
            return None
        count = run.returns.get("send") if run.returns is not None else None
        exact = count.lo if count is not None and count.hi == count.lo else None
        out[spawn.go] = Sender(spawn.go, tuple(sends), per_run(run, sends), exact)
    spawned = sum(len(s.sends) for s in out.values())
    return out if spawned == len(use.of_kind("send")) else None


def per_run(run: Usage, sends: list[Event]) -> str | None:
    """``"once"`` when every path that returns sends exactly once and no send is in a loop
    (a retry loop may spin without ever sending); ``"at-most-once"``; None otherwise."""
    count = run.returns.get("send") if run.returns is not None else None
    if count is None or not count.at_most_once:
        return None
    looped = any(syntax.enclosing_loops(e.node) for e in sends)
    return "once" if count.exactly_once and not looped else "at-most-once"


def closes_after_sending(use: Usage, senders: dict[Node, Sender], src: SourceFile) -> bool:
    """No close, or one sender that closes the channel once it is done sending: as the last
    statement of its run after sending exactly once on every path (moby's send-then-close), or
    with a ``defer close(ch)`` at the top level of its function (a producer). Receivers see
    every value first, buffered or not, and the close changes nothing a buffer would."""
    closes = use.of_kind("close")
    if not closes:
        return True
    if len(senders) != 1 or len(closes) != 1:
        return False
    (sender,) = senders.values()
    close = closes[0]
    run = next(s.run for s in use.spawned if s.go == sender.go)
    closed = run.returns.get("close") if run.returns is not None else None
    if closed is None or not closed.exactly_once or sender.exact is None:
        return False
    if any(a.type == "defer_statement" for e in sender.sends for a in syntax.ancestors(e.node)):
        return False
    statement = syntax.statement_of(close.node)
    function = syntax.enclosing_function(close.node)
    statements = syntax.block_statements(syntax.function_body(function) if function else None)
    if statement is None or not any(syntax.same_node(statement, s) for s in statements):
        return False
    deferred = statement.type == "defer_statement"
    return deferred or syntax.same_node(statement, statements[-1])
