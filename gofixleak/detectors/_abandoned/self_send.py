"""A send by the function itself on its new unbuffered channel before anybody can hold it.
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.channels import LocalChannel
from gofixleak.detectors._abandoned.counting import loops_after_make
from gofixleak.source import SourceFile


def first_self_send(channel: LocalChannel, body: Node, src: SourceFile) -> Node | None:
    """A blocking send on the unbuffered ``channel`` by the function itself, before any other
    mention of the channel: nothing else can hold it yet, so nothing can ever receive it."""
    if channel.capacity is not None or any(syntax.descendants(body, "goto_statement")):
        return None
    mentions = [
        n
        for n in syntax.descendants(body, "identifier")
        if src.show(n) == channel.name and n.start_byte > channel.make.end_byte
    ]
    first = min(mentions, key=lambda n: n.start_byte, default=None)
    send = first.parent if first is not None else None
    if (
        send is None
        or send.type != "send_statement"
        or send.child_by_field_name("channel") != first
    ):
        return None
    if syntax.enclosing_function(send) != channel.function or channels.select_alternatives(send):
        return None
    return None if loops_after_make(send, channel) else send


def is_followed_by_return(statement: Node) -> bool:
    following = next_statement(statement)
    return following is not None and following.type == "return_statement"


def next_statement(node: Node) -> Node | None:
    sibling = node.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling
