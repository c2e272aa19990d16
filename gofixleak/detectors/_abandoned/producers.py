"""A producer whose channel is dropped: a function makes a channel, starts the one goroutine
that sends on it, and returns it, and somewhere in the package a caller throws the result away
(moby's issue 4395: ``Go(f)`` as a statement). Nobody can ever receive: the sender blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.channels import LocalChannel
from gofixleak.detectors._abandoned.counting import channel_capacity, spawn_count
from gofixleak.detectors._abandoned.senders import Sender, find_senders
from gofixleak.facts import calls, resolve
from gofixleak.facts.usage import Usage
from gofixleak.source import SourceFile


@dataclass(frozen=True)
class Dropped:
    """The producer's one sender, and the calls that drop what it returns."""

    sender: Sender
    calls: tuple[tuple[SourceFile, Node], ...]


def dropped_producer(channel: LocalChannel, use: Usage, src: SourceFile) -> Dropped | None:
    """The calls that drop ``channel`` when its function is a producer: it makes the channel
    unbuffered, starts one goroutine that sends on it exactly once, does nothing else with it
    but return it, and is a named function of the package that some call drops."""
    if use.unknown or not use.escapes or use.escapes_beyond or not _only_returned(use, channel):
        return None
    if use.of_kind("receive", "range", "close") or channel_capacity(channel, src) != 0:
        return None
    function = resolve.enclosing_method(src, channel.function)
    if function is None or function.node != channel.function:
        return None
    senders = find_senders(channel, use, src)
    if senders is None or len(senders) != 1:
        return None
    (sender,) = senders.values()
    count = spawn_count(sender.go, channel, src)
    if sender.per_run != "once" or count is None or count.constant != 1:
        return None
    if any(e.gives_up for e in sender.sends):
        return None
    dropped = tuple(
        (caller, call)
        for caller, call in calls.callers(function)
        if calls.is_result_dropped(caller, call)
    )
    return Dropped(sender, dropped) if dropped else None


def _only_returned(use: Usage, channel: LocalChannel) -> bool:
    """Every escape is a ``return ch`` of the function itself."""
    for node in use.escaped_at:
        values = node.parent
        statement = values.parent if values is not None else None
        if (
            values is None
            or statement is None
            or values.type != "expression_list"
            or statement.type != "return_statement"
            or syntax.enclosing_function(statement) != channel.function
        ):
            return False
    return bool(use.escaped_at)
