"""Where the function stops receiving: an early return or break out of the collecting loop,
a select that takes another case, a range left early, a premature return.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.channels import LocalChannel
from gofixleak.detectors._abandoned.counting import (
    channel_capacity,
    loops_after_make,
    weighted_total,
)
from gofixleak.detectors._abandoned.senders import Sender
from gofixleak.source import SourceFile


@dataclass(frozen=True)
class Exit:
    """Where the function stops receiving, and how to say it."""

    node: Node
    when: str  # "after the early return", ...
    received: int  # values certainly taken before it


def early_exit(
    channel: LocalChannel, receives: list[Node], senders: dict[Node, Sender], src: SourceFile
) -> Exit | None:
    gos = list(senders)
    total = weighted_total(channel, senders, src)
    # With room for all but one value, leaving right after a receive leaves nobody behind.
    one_left = total is not None and total <= (channel_capacity(channel, src) or 0) + 1
    looped = False
    if receives and receives[0].type == "for_statement":
        return range_exit(channel, receives[0], senders, one_left, src)
    for receive in receives:
        loops = loops_after_make(receive, channel)
        if any(syntax.is_inside(go, loop) for loop in loops for go in gos):
            return None  # each iteration spawns and collects: nothing is left behind
        for loop in loops:
            looped = True
            exits = [
                e
                for e in _ways_out(loop, src)
                if not (one_left and any(is_after_receive(e, r, src) for r in receives))
                and not any(is_countdown_exit(e, r, src) for r in receives)
            ]
            if exits:
                return Exit(exits[0], exit_words(exits[0]), received=1)
    if looped:
        return None
    skipping = case_without_receive(receives)
    if skipping is not None:
        return Exit(skipping, "when the select takes another case", received=0)
    many = total is None or total > len(receives)
    if many and (len(receives) == 1 or total is not None):
        return Exit(receives[0], "after the first receive", received=1)
    return early_return(channel, receives, senders, total, src)


def case_without_receive(receives: list[Node]) -> Node | None:
    """A case of the one ``select`` that holds every receive (one of them as a case's
    communication) in which none of them runs: once the select takes it, nothing receives."""
    first = channels.communication_case_of(receives[0]) if receives else None
    select = first.parent if first is not None else None
    if select is None or not all(syntax.is_inside(r, select) for r in receives):
        return None
    cases = [c for c in select.named_children if c.type in ("communication_case", "default_case")]
    return next((c for c in cases if not any(syntax.is_inside(r, c) for r in receives)), None)


def _ways_out(loop: Node, src: SourceFile) -> list[Node]:
    """The statements that end ``loop`` for good: its exits, and the calls that fail a test
    (``t.Fatalf``, ``require.NoError``), in the order they are written."""
    body = loop.child_by_field_name("body")
    failing = syntax.failing_statements(body, src) if body is not None else []
    return sorted([*syntax.loop_exits(loop, src), *failing], key=lambda n: n.start_byte)


def range_exit(
    channel: LocalChannel, loop: Node, senders: dict[Node, Sender], one_left: bool, src: SourceFile
) -> Exit | None:
    """A ``for v := range ch`` that the function leaves before the channel is closed: every
    way out of its body comes after a receive."""
    if one_left or loops_after_make(loop, channel):
        return None
    if any(syntax.is_inside(go, loop) for go in senders):
        return None
    exits = _ways_out(loop, src)
    return Exit(exits[0], exit_words(exits[0]), received=1) if exits else None


def early_return(
    channel: LocalChannel,
    receives: list[Node],
    senders: dict[Node, Sender],
    total: int | None,
    src: SourceFile,
) -> Exit | None:
    """A ``return`` of the function itself, after every ``go`` statement, reached with fewer
    values received than were sent (Uber's "premature function return").

    Decided from the statement lists alone, and only when that is sound: no ``goto``; each
    goroutine started once (no loop) and sending exactly once; no receive in a loop or a
    ``select``; and each receive either runs before the ``return`` on every path to it (an
    earlier statement of a list that holds the ``return``, or inside the ``return``) or comes
    textually after it. A receive in a branch that the ``return`` is not in stays ambiguous.
    """
    capacity = channel_capacity(channel, src)
    body = channel.function.child_by_field_name("body")
    gos = list(senders)
    if total is None or capacity is None or body is None or not gos:
        return None
    if any(sender.per_run != "once" for sender in senders.values()):
        return None
    if any(syntax.descendants(body, "goto_statement", into_functions=False)):
        return None
    if any(loops_after_make(r, channel) or channels.communication_case_of(r) for r in receives):
        return None
    if any(loops_after_make(go, channel) for go in gos):
        return None
    last_go = max(gos, key=lambda go: go.start_byte)
    leaving = [
        *syntax.descendants(body, "return_statement", into_functions=False),
        *syntax.failing_statements(body, src),
    ]
    for exit_ in sorted(leaving, key=lambda n: n.start_byte):
        if exit_.start_byte < last_go.end_byte:
            continue
        if not all(runs_before(go, exit_) for go in gos):
            continue
        before = [r for r in receives if r.start_byte < exit_.end_byte]  # or inside it
        taken = [r for r in before if runs_before(r, exit_) or syntax.is_inside(r, exit_)]
        if len(taken) < len(before):
            return None  # a receive in a branch beside the return: paths not followed
        if len(taken) + capacity < total:
            return Exit(exit_, exit_words(exit_), received=len(taken))
    return None


def runs_before(node: Node, later: Node) -> bool:
    """``node`` runs before ``later`` on every path to it: ``node``'s statement is an earlier
    statement of a list that holds ``later``."""
    statement = syntax.statement_of(node)
    holder = statement.parent if statement is not None else None
    return (
        statement is not None
        and holder is not None
        and syntax.is_inside(later, holder)
        and statement.end_byte <= later.start_byte
    )


def is_after_receive(exit_: Node, receive: Node, src: SourceFile) -> bool:
    """``exit_`` can only run after ``receive`` did: in the receive's own select case, or later
    in the statement list that holds the receive's statement (conditions are not followed)."""
    case = channels.communication_case_of(receive)
    if case is not None:
        return syntax.is_inside(exit_, case)
    statement = syntax.statement_of(receive)
    holder = statement.parent if statement is not None else None
    return (
        holder is not None
        and syntax.is_inside(exit_, holder)
        and exit_.start_byte > receive.end_byte
    )


def is_countdown_exit(exit_: Node, receive: Node, src: SourceFile) -> bool:
    """``exit_`` leaves only once a counter of pending senders, counted down after ``receive``,
    reaches zero: ``active--; if active == 0 { return }`` in the receive's case. The function
    stops receiving after the last value, not early (the counter's start is not checked)."""
    if not is_after_receive(exit_, receive, src):
        return False
    guard = next((a for a in syntax.ancestors(exit_) if a.type == "if_statement"), None)
    condition = guard.child_by_field_name("condition") if guard is not None else None
    counter = zero_test_name(condition, src)
    if guard is None or counter is None or not is_after_receive(guard, receive, src):
        return False
    holder = guard.parent
    return holder is not None and any(
        is_decrement_of(statement, counter, src)
        for statement in holder.named_children
        if statement.end_byte <= guard.start_byte and statement.start_byte > receive.start_byte
    )


def zero_test_name(condition: Node | None, src: SourceFile) -> str | None:
    """``n`` of ``n == 0``, ``0 == n`` or ``n <= 0``; None for any other condition."""
    if condition is None or condition.type != "binary_expression":
        return None
    left = condition.child_by_field_name("left")
    right = condition.child_by_field_name("right")
    operator = condition.child_by_field_name("operator")
    if left is None or right is None or operator is None or operator.type not in ("==", "<="):
        return None
    if left.type == "identifier" and src.show(right) == "0":
        return src.show(left)
    if right.type == "identifier" and src.show(left) == "0" and operator.type == "==":
        return src.show(right)
    return None


def is_decrement_of(statement: Node, name: str, src: SourceFile) -> bool:
    """``name--`` or ``name -= 1``."""
    if statement.type == "dec_statement":
        return src.show(statement) == f"{name}--"
    return src.show(statement).replace(" ", "") == f"{name}-=1"


def exit_words(node: Node) -> str:
    if node.type == "return_statement":
        return "after the early return"
    if node.type == "expression_statement":
        return "once the test fails"  # t.Fatalf, require.NoError: the goroutine stops here
    return "after the loop is left early"
