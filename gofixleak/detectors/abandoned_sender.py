"""Goroutines send on a local channel that the function may stop receiving from too early.

What it finds
-------------
A function makes a channel (``ch := make(chan T)``, or with a constant capacity), starts
goroutines that each send on it, and receives from it itself, but can stop receiving before every
value is taken:

- fan-out with an early exit: one goroutine per element (``for _, x := range xs``,
  ``for i := 0; i < n; i++``, ``for range n``) and a collecting loop that returns or breaks out on
  the first error (``if err := <-ch; err != nil { return err }``, ``err := <-ch`` then ``if``, or a
  ``select`` whose ``ctx.Done()`` case returns);
- first result wins: several senders, a single ``<-ch`` (``return <-ch``);
- timeout or cancellation: the only receive is a ``select`` case beside ``time.After(d)``, a
  timer, ``ctx.Done()`` or ``default``;
- premature return: the function returns after starting its goroutines and before it has
  received every value (``go func() { ch <- load() }(); if err != nil { return err }; <-ch``);
- a buffered channel whose constant capacity is smaller than the number of sends;
- a send by the function itself on its new unbuffered channel before the channel is mentioned
  anywhere else (``errc <- err; return errc``): nobody can hold the channel yet, so nobody can
  ever receive, and the function itself blocks forever.

Why it leaks
------------
A send on an unbuffered channel (or a full buffered one) blocks until somebody receives. Once the
function has returned, nothing else can see the channel, so every sender still waiting blocks
forever, and its stack and everything it references are never freed.

Example
-------
    func BroadcastMsg(msg string, addrs []string) error {
        errc := make(chan error)
        for _, addr := range addrs {
            go func(addr string) {
                errc <- sendMsg(msg, addr)
            }(addr)
        }
        for range addrs {
            if err := <-errc; err != nil {
                return err
            }
        }
        return nil
    }

Fixed
-----
    func BroadcastMsg(msg string, addrs []string) error {
        errc := make(chan error, len(addrs))
        ...
    }

Fix safety
----------
The fix gives the channel room for every value that can be sent: ``len(xs)`` when the spawning
loop ranges over ``xs`` (a slice, array, map or string), ``n`` for ``i < n`` or ``range n`` over
an integer, the number of ``go`` statements when there is no loop. It is SAFE when every goroutine
sends exactly once (one unconditional send, or one send on each path, each followed by its
``return``), each goroutine is started unconditionally (no ``if``, ``break`` or ``continue``
around the ``go`` in the loop), the size is a literal or a local name that cannot be negative
(a collection's ``len``, an unsigned integer, ``n := len(...)``), it is declared before the
``make`` and not touched between the ``make`` and the loop (nor, for ``i < n``, in the loop), and
the channel does not escape. Buffering only lets the senders finish without waiting, which is the
point; no value is lost or reordered.

The fix is UNSAFE when a goroutine sends at most once but may not send, when a spawn is
conditional, when the size is a signed integer that could be negative (``make`` panics where the
loop would just not run), or when the size is used between the ``make`` and the loop.

For a premature return the size is the number of ``go`` statements (none in a loop), and the
fix is SAFE under the same conditions: each goroutine sends exactly once and the channel does
not escape, so every value that the function would have received still fits, and the values it
does receive arrive as before.

For the send by the function itself the fix is ``make(chan T, 1)``: SAFE when each such send
is followed by ``return`` (and not in a loop) and no goroutine sends on the channel; UNSAFE when
goroutines send on it too (their sends stop waiting for the receiver).

There is no fix when the number of sends is unknown: a goroutine that sends in a loop or more
than once, nested spawning loops, a range over something whose kind the syntax does not tell
(a call result, a field, a channel, a function), a counted loop other than
``for i := 0; i < n; i++``, or several spawning statements of which one is a loop.

Limitations
-----------
Only channels made with ``make(chan ...)`` in the function's own body, sent on only by goroutine
literals that this function starts (``go func() {...}()``), received only in the function itself.
It stays silent when the channel escapes (returned, assigned, stored, passed to any function,
including ``go worker(ch)`` and a literal taking it as a parameter), is closed or ranged over,
when a sender ``select``s (it can give up), when a goroutine or deferred literal receives, and when
the loop that collects also spawns. A premature return is reported only when the syntax
settles it: a ``return`` of the function itself (not of a nested literal) after the last ``go``
statement, every ``go`` statement an earlier statement of a list that holds the ``return``, each
goroutine started once (no loop) and sending exactly once, no ``goto``, and no receive in a loop
or a ``select``; the receives that count as taken before the ``return`` are those in an earlier
statement of a list that holds it (or inside the ``return`` itself). A receive in a branch beside
the ``return`` (``if ok { <-ch }`` before it), a ``break`` or ``continue`` that skips the receive,
a collecting loop after an early return, and a ``return`` between two ``go`` statements stay
silent. A sender that polls a stop signal before each send, while every receiver stops on the
same signal, is left to select-without-exit (poll-then-block), which can fix it. It does not
report several receives outside loops after a spawning loop, nor a
non-constant capacity that may be too small. A send by the function itself
is reported only when it is the first mention of the channel after the ``make``, outside loops,
in a function without ``goto``. Types are not known: a range over a name is sized only when the
name's one declaration in the enclosing function shows its kind (a parameter's or ``var``'s
type, a composite literal, ``make``, ``len``); package-level names are not sized.

References
----------
- The seed article, case 2 and 3: "send on an unbuffered / full buffered channel nobody reads".
- Uber, "Unveiling and Vanquishing Goroutine Leaks in Enterprise Microservices" (CGO 2024):
  "premature function return" and "timeout" leak patterns.
- GoBench / GCatch (ASPLOS 2021): blocking bugs fixed by buffering the channel.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.channels import LocalChannel
from gofixleak.detectors import _poll_then_block
from gofixleak.facts import constants
from gofixleak.facts.usage import Event, Usage, usage
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="abandoned-sender", doc=__doc__ or "")
# Every finding is a send in a goroutine: a file without a `go` statement has none.
PREFILTER = prefilter.GO_STATEMENT

_LEN_TYPES = frozenset({"slice_type", "array_type", "map_type"})
_SIGNED = frozenset({"int", "int8", "int16", "int32", "int64", "rune"})
_UNSIGNED = frozenset({"uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte"})


@dataclass(frozen=True)
class Count:
    """How many goroutines a ``go`` statement starts.

    ``text`` spells the count for messages and fixes; ``size`` is the expression whose text
    becomes the capacity (``wrap_len``: inside ``len(...)``); ``constant`` when known.
    ``review`` names what makes a fix UNSAFE, with the span that shows it.
    """

    text: str
    constant: int | None = None
    size: Node | None = None
    wrap_len: bool = False
    review: dict[str, Node] = field(default_factory=dict)


@dataclass(frozen=True)
class Exit:
    """Where the function stops receiving, and how to say it."""

    node: Node
    when: str  # "after the early return", ...
    received: int  # values certainly taken before it


def detect(src: SourceFile) -> Iterator[Finding]:
    if b"go " not in src.data or b"chan" not in src.data:
        return
    for function in syntax.descendants(src.root, *syntax.FUNCTIONS):
        for channel in channels.local_channels(function, src):
            finding = _check(channel, src)
            if finding is not None:
                yield finding


def _check(channel: LocalChannel, src: SourceFile) -> Finding | None:
    body = channel.function.child_by_field_name("body")
    if body is None:
        return None
    self_send = _first_self_send(channel, body, src)
    if self_send is not None:
        return _self_send_finding(channel, self_send, body, src)
    use = usage(src, channel.function, channel.subject)
    if not use.known or any(e.gives_up for e in use.of_kind("send")):
        return None  # it escapes, or a sender can give up
    if _poll_then_block.proven(channel, src) is not None:
        return None  # select-without-exit's poll-then-block, with a fix of its own
    if not _received_here(use, channel, src):
        return None  # a goroutine, literal or callee receives: it may keep draining
    receives = sorted((e.node for e in use.of_kind("receive", "range")), key=lambda n: n.start_byte)
    senders = _senders(channel, use, src)
    if not senders or not _closes_after_sending(use, senders, src):
        return None
    if use.of_kind("range") and not use.of_kind("close"):
        return None  # the range never ends: the function blocks itself, not its senders
    exit_ = _early_exit(channel, receives, senders, src)
    if exit_ is None:
        return None
    return _finding(channel, senders, exit_, src)


def _received_here(use: Usage, channel: LocalChannel, src: SourceFile) -> bool:
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


def _senders(channel: LocalChannel, use: Usage, src: SourceFile) -> dict[Node, Sender] | None:
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
        out[spawn.go] = Sender(spawn.go, tuple(sends), _per_run(run, sends), exact)
    spawned = sum(len(s.sends) for s in out.values())
    return out if spawned == len(use.of_kind("send")) else None


def _per_run(run: Usage, sends: list[Event]) -> str | None:
    """``"once"`` when every path that returns sends exactly once and no send is in a loop
    (a retry loop may spin without ever sending); ``"at-most-once"``; None otherwise."""
    count = run.returns.get("send") if run.returns is not None else None
    if count is None or not count.at_most_once:
        return None
    looped = any(syntax.enclosing_loops(e.node) for e in sends)
    return "once" if count.exactly_once and not looped else "at-most-once"


def _closes_after_sending(use: Usage, senders: dict[Node, Sender], src: SourceFile) -> bool:
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


# --- a send before anybody can receive ------------------------------------------------------


def _first_self_send(channel: LocalChannel, body: Node, src: SourceFile) -> Node | None:
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
    return None if _loops_after_make(send, channel) else send


def _self_send_finding(channel: LocalChannel, send: Node, body: Node, src: SourceFile) -> Finding:
    captures = {
        "make": span_of(channel.make),
        "type": span_of(channel.channel_type),
        "exit": span_of(send),
    }
    own = [
        s
        for s in channels.sends_on(body, channel.name, src)
        if syntax.enclosing_function(s) == channel.function
    ]
    # Room for one value is enough when every path sends at most once and returns at once.
    if all(_is_followed_by_return(s) and not _loops_after_make(s, channel) for s in own):
        captures["sender:1"] = span_of(send)
        if len(own) < len(channels.sends_on(body, channel.name, src)):
            captures["review:other-senders"] = span_of(channel.make)
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(channel.make),
        message=f"{channel.name} is unbuffered and nothing can receive from it yet; "
        "this send blocks forever",
        captures=captures,
        related=(Related(span_of(send), "blocks here"),),
    )


def _is_followed_by_return(statement: Node) -> bool:
    following = _next_statement(statement)
    return following is not None and following.type == "return_statement"


# --- where receiving stops -------------------------------------------------------------------


def _early_exit(
    channel: LocalChannel, receives: list[Node], senders: dict[Node, Sender], src: SourceFile
) -> Exit | None:
    gos = list(senders)
    total = _weighted_total(channel, senders, src)
    # With room for all but one value, leaving right after a receive leaves nobody behind.
    one_left = total is not None and total <= (_capacity(channel, src) or 0) + 1
    looped = False
    if receives and receives[0].type == "for_statement":
        return _range_exit(channel, receives[0], senders, one_left, src)
    for receive in receives:
        loops = _loops_after_make(receive, channel)
        if any(syntax.is_inside(go, loop) for loop in loops for go in gos):
            return None  # each iteration spawns and collects: nothing is left behind
        for loop in loops:
            looped = True
            exits = [
                e
                for e in syntax.loop_exits(loop, src)
                if not (one_left and any(_is_after_receive(e, r, src) for r in receives))
                and not any(_is_countdown_exit(e, r, src) for r in receives)
            ]
            if exits:
                return Exit(exits[0], _exit_words(exits[0]), received=1)
    if looped:
        return None
    skipping = _case_without_receive(receives)
    if skipping is not None:
        return Exit(skipping, "when the select takes another case", received=0)
    many = total is None or total > len(receives)
    if many and (len(receives) == 1 or total is not None):
        return Exit(receives[0], "after the first receive", received=1)
    return _early_return(channel, receives, senders, total, src)


def _case_without_receive(receives: list[Node]) -> Node | None:
    """A case of the one ``select`` that holds every receive (one of them as a case's
    communication) in which none of them runs: once the select takes it, nothing receives."""
    first = channels.communication_case_of(receives[0]) if receives else None
    select = first.parent if first is not None else None
    if select is None or not all(syntax.is_inside(r, select) for r in receives):
        return None
    cases = [c for c in select.named_children if c.type in ("communication_case", "default_case")]
    return next((c for c in cases if not any(syntax.is_inside(r, c) for r in receives)), None)


def _range_exit(
    channel: LocalChannel, loop: Node, senders: dict[Node, Sender], one_left: bool, src: SourceFile
) -> Exit | None:
    """A ``for v := range ch`` that the function leaves before the channel is closed: every
    way out of its body comes after a receive."""
    if one_left or _loops_after_make(loop, channel):
        return None
    if any(syntax.is_inside(go, loop) for go in senders):
        return None
    exits = syntax.loop_exits(loop, src)
    return Exit(exits[0], _exit_words(exits[0]), received=1) if exits else None


def _early_return(
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
    capacity = _capacity(channel, src)
    body = channel.function.child_by_field_name("body")
    gos = list(senders)
    if total is None or capacity is None or body is None or not gos:
        return None
    if any(sender.per_run != "once" for sender in senders.values()):
        return None
    if any(syntax.descendants(body, "goto_statement", into_functions=False)):
        return None
    if any(_loops_after_make(r, channel) or channels.communication_case_of(r) for r in receives):
        return None
    if any(_loops_after_make(go, channel) for go in gos):
        return None
    last_go = max(gos, key=lambda go: go.start_byte)
    for exit_ in syntax.descendants(body, "return_statement", into_functions=False):
        if exit_.start_byte < last_go.end_byte:
            continue
        if not all(_runs_before(go, exit_) for go in gos):
            continue
        before = [r for r in receives if r.start_byte < exit_.end_byte]  # or inside it
        taken = [r for r in before if _runs_before(r, exit_) or syntax.is_inside(r, exit_)]
        if len(taken) < len(before):
            return None  # a receive in a branch beside the return: paths not followed
        if len(taken) + capacity < total:
            return Exit(exit_, "after the early return", received=len(taken))
    return None


def _runs_before(node: Node, later: Node) -> bool:
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


def _loops_after_make(node: Node, channel: LocalChannel) -> list[Node]:
    """Loops around ``node`` that run within one life of the channel (not around its make)."""
    return [
        loop for loop in syntax.enclosing_loops(node) if not syntax.is_inside(channel.make, loop)
    ]


def _is_after_receive(exit_: Node, receive: Node, src: SourceFile) -> bool:
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


def _is_countdown_exit(exit_: Node, receive: Node, src: SourceFile) -> bool:
    """``exit_`` leaves only once a counter of pending senders, counted down after ``receive``,
    reaches zero: ``active--; if active == 0 { return }`` in the receive's case. The function
    stops receiving after the last value, not early (the counter's start is not checked)."""
    if not _is_after_receive(exit_, receive, src):
        return False
    guard = next((a for a in syntax.ancestors(exit_) if a.type == "if_statement"), None)
    condition = guard.child_by_field_name("condition") if guard is not None else None
    counter = _zero_test_name(condition, src)
    if guard is None or counter is None or not _is_after_receive(guard, receive, src):
        return False
    holder = guard.parent
    return holder is not None and any(
        _is_decrement_of(statement, counter, src)
        for statement in holder.named_children
        if statement.end_byte <= guard.start_byte and statement.start_byte > receive.start_byte
    )


def _zero_test_name(condition: Node | None, src: SourceFile) -> str | None:
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


def _is_decrement_of(statement: Node, name: str, src: SourceFile) -> bool:
    """``name--`` or ``name -= 1``."""
    if statement.type == "dec_statement":
        return src.show(statement) == f"{name}--"
    return src.show(statement).replace(" ", "") == f"{name}-=1"


def _exit_words(node: Node) -> str:
    if node.type == "return_statement":
        return "after the early return"
    return "after the loop is left early"


# --- how many senders ------------------------------------------------------------------------


def _spawn_count(go: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    """How many times ``go`` runs per channel; None when the syntax does not tell."""
    loops = _loops_after_make(go, channel)
    if not loops:
        review = {} if _same_block(go, channel.declaration) else {"review:conditional-spawn": go}
        return Count("1", constant=1, review=review)
    if len(loops) > 1:
        return None
    loop = loops[0]
    count = _loop_count(loop, channel, src)
    if count is None:
        return None
    if not _spawns_unconditionally(go, loop, src):
        count.review["review:conditional-spawn"] = go
    return count


def _same_block(statement: Node, declaration: Node) -> bool:
    holder = syntax.statement_of(declaration)
    return holder is not None and statement.parent == holder.parent


def _spawns_unconditionally(go: Node, loop: Node, src: SourceFile) -> bool:
    """``go`` sits directly in the loop body, and nothing there skips or stops an iteration."""
    body = loop.child_by_field_name("body")
    if body is None or go not in syntax.block_statements(body):
        return False
    jumps = ("break_statement", "continue_statement", "return_statement", "goto_statement")
    return not any(syntax.descendants(body, *jumps, into_functions=False))


def _loop_count(loop: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    clause = next(
        (c for c in loop.named_children if c.type in ("range_clause", "for_clause")), None
    )
    if clause is None:
        return None
    if clause.type == "range_clause":
        operand = clause.child_by_field_name("right")
        return _range_count(operand, loop, channel, src) if operand is not None else None
    bound = _counted_bound(clause, loop, src)
    if bound is None:
        return None
    count = _integer_count(bound, loop, channel, src)
    if count is not None and _is_written(bound, loop, src):
        count.review["review:size-changes-in-loop"] = bound
    return count


def _range_count(operand: Node, loop: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    if operand.type == "int_literal":
        return _integer_count(operand, loop, channel, src)
    if operand.type != "identifier":
        return None
    kind = _kind_of(operand, channel, src)
    if kind == "len":
        count = Count(f"len({src.show(operand)})", size=operand, wrap_len=True)
        return _with_untouched(count, operand, loop, channel, src)
    if kind is not None:
        return _integer_count(operand, loop, channel, src)
    return None


def _integer_count(size: Node, loop: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    text = src.show(size)
    if size.type == "int_literal":
        value = _int_value(text)
        return Count(text, constant=value, size=size) if value is not None else None
    if size.type == "call_expression":  # len(xs): never negative
        args = syntax.arguments(size)
        if syntax.call_name(src, size) != "len" or len(args) != 1 or args[0].type != "identifier":
            return None
        if _kind_of(args[0], channel, src) is None:
            return None
        return _with_untouched(Count(text, size=size), args[0], loop, channel, src)
    if size.type != "identifier":
        return None
    value = _local_constant(size, channel, src)
    if value is not None:
        return _with_untouched(Count(text, constant=value, size=size), size, loop, channel, src)
    kind = _kind_of(size, channel, src)
    if kind not in ("unsigned", "signed"):
        return None
    count = _with_untouched(Count(text, size=size), size, loop, channel, src)
    if count is not None and kind == "signed":
        count.review["review:may-be-negative"] = size
    return count


def _int_value(text: str) -> int | None:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        return None


def _with_untouched(
    count: Count, name: Node, loop: Node, channel: LocalChannel, src: SourceFile
) -> Count | None:
    """``count``, marked for review when ``name`` is used between the make and the loop."""
    between = Span(channel.make.end_byte, loop.start_byte)
    for node in syntax.descendants(channel.function, "identifier"):
        if src.show(node) != src.show(name) or not between.contains(span_of(node)):
            continue
        if _is_len_argument(node, src):
            continue
        count.review["review:size-used-before-loop"] = node
    return count


def _is_len_argument(node: Node, src: SourceFile) -> bool:
    parent = node.parent
    call = parent.parent if parent is not None else None
    return (
        parent is not None
        and parent.type == "argument_list"
        and call is not None
        and syntax.call_name(src, call) in ("len", "cap")
    )


def _counted_bound(clause: Node, loop: Node, src: SourceFile) -> Node | None:
    """``n`` of ``for i := 0; i < n; i++`` (i not written in the body), or None."""
    init = clause.child_by_field_name("initializer")
    condition = clause.child_by_field_name("condition")
    update = clause.child_by_field_name("update")
    if init is None or condition is None or update is None:
        return None
    names = syntax.short_var_names(init, src)
    right = init.child_by_field_name("right")
    if len(names) != 1 or right is None or src.show(right) != "0":
        return None
    index = names[0]
    operator = condition.child_by_field_name("operator")
    left = condition.child_by_field_name("left")
    if operator is None or operator.type != "<" or not channels.is_name(left, index, src):
        return None
    if update.type != "inc_statement" or src.show(update) != f"{index}++":
        return None
    body = loop.child_by_field_name("body")
    if body is not None and _is_written_name(body, index, src):
        return None
    return condition.child_by_field_name("right")


def _is_written(size: Node, loop: Node, src: SourceFile) -> bool:
    body = loop.child_by_field_name("body")
    names = [size] if size.type == "identifier" else list(syntax.descendants(size, "identifier"))
    return body is not None and any(_is_written_name(body, src.show(n), src) for n in names)


def _is_written_name(scope: Node, name: str, src: SourceFile) -> bool:
    """``name`` is assigned, incremented or has its address taken inside ``scope`` (not where
    a ``for``, ``range`` or literal inside ``scope`` declares a name of its own spelled so)."""
    for node in syntax.descendants(scope, "identifier"):
        if src.show(node) != name or node.parent is None:
            continue
        if _is_shadowed(node, scope, src):
            continue
        parent = node.parent
        if parent.type in ("inc_statement", "dec_statement"):
            return True
        if parent.type == "unary_expression" and src.text(parent).startswith(b"&"):
            return True
        holder = parent.parent
        if (
            parent.type == "expression_list"
            and holder is not None
            and holder.type == "assignment_statement"
            and holder.child_by_field_name("left") == parent
        ):
            return True
    return False


def _is_shadowed(identifier: Node, scope: Node, src: SourceFile) -> bool:
    """A ``for`` header, ``range`` clause or literal's parameters between ``identifier`` and
    ``scope`` declare its name again, so it names another variable there."""
    name = src.show(identifier)
    for ancestor in syntax.ancestors(identifier):
        if ancestor == scope:
            return False
        header: Node | None = None
        if ancestor.type == "for_statement":
            header = next(
                (c for c in ancestor.named_children if c.type in ("for_clause", "range_clause")),
                None,
            )
            if header is not None and header.type == "for_clause":
                header = header.child_by_field_name("initializer")
        elif ancestor.type == "func_literal":
            header = ancestor.child_by_field_name("parameters")
        if header is not None and any(
            src.show(d) == name for d in syntax.declaring_identifiers(header)
        ):
            return True
    return False


def _local_constant(name: Node, channel: LocalChannel, src: SourceFile) -> int | None:
    """The value of ``name`` when its one declaration before the channel is
    ``name := <integer literal>`` (or ``var name = ...``) and nothing writes it afterwards."""
    declared = _declaration_before_make(name, channel, src)
    if declared is None:
        return None
    identifier, declaration = declared
    if declaration.type not in ("short_var_declaration", "var_spec"):
        return None
    if declaration.type == "var_spec" and declaration.child_by_field_name("type") is not None:
        return None
    if declaration.type == "short_var_declaration":
        value = _value_of(declaration, identifier)
    else:
        value = _var_value(declaration, identifier)
    outermost = syntax.top_level_declaration(channel.function)
    if (
        value is None
        or value.type != "int_literal"
        or _is_written_name(outermost, src.show(name), src)
    ):
        return None
    return _int_value(src.show(value))


def _declaration_before_make(
    name: Node, channel: LocalChannel, src: SourceFile
) -> tuple[Node, Node] | None:
    """The one declaration of ``name`` in the enclosing functions, made before the channel:
    the declaring identifier and the declaration (spec, parameter or ``:=``) that holds it."""
    text = src.show(name)
    outermost = syntax.top_level_declaration(channel.function)
    found = [d for d in syntax.declaring_identifiers(outermost) if src.show(d) == text]
    if len(found) != 1 or found[0].start_byte >= channel.make.start_byte:
        return None
    declaration = found[0].parent
    if declaration is not None and declaration.type == "expression_list":
        declaration = declaration.parent
    return (found[0], declaration) if declaration is not None else None


def _var_value(spec: Node, name: Node) -> Node | None:
    names = spec.children_by_field_name("name")
    values = spec.child_by_field_name("value")
    if values is None or len(values.named_children) != len(names):
        return None
    return values.named_children[names.index(name)]


def _kind_of(name: Node, channel: LocalChannel, src: SourceFile) -> str | None:
    """``"len"`` (slice, array, map, string), "signed" or "unsigned" integer, or None (unknown),
    from the one declaration of ``name`` in the enclosing functions, made before the channel."""
    declared = _declaration_before_make(name, channel, src)
    if declared is None:
        return None
    identifier, declaration = declared
    type_node = declaration.child_by_field_name("type")
    if type_node is not None and declaration.type in ("parameter_declaration", "var_spec"):
        return _type_kind(type_node, src)
    if declaration.type == "short_var_declaration":
        return _value_kind(_value_of(declaration, identifier), src)
    return None


def _value_of(declaration: Node, name: Node) -> Node | None:
    left = declaration.child_by_field_name("left")
    right = declaration.child_by_field_name("right")
    if left is None or right is None or len(left.named_children) != len(right.named_children):
        return None
    index = next(i for i, n in enumerate(left.named_children) if n == name)
    return right.named_children[index]


def _type_kind(type_node: Node, src: SourceFile) -> str | None:
    if type_node.type in _LEN_TYPES:
        return "len"
    text = src.show(type_node)
    if text == "string":
        return "len"
    if text in _SIGNED:
        return "signed"
    if text in _UNSIGNED:
        return "unsigned"
    return None


def _value_kind(value: Node | None, src: SourceFile) -> str | None:
    if value is None:
        return None
    if value.type == "composite_literal":
        type_node = value.child_by_field_name("type")
        return "len" if type_node is not None and type_node.type in _LEN_TYPES else None
    if value.type == "call_expression" and syntax.call_name(src, value) in ("len", "cap"):
        return "unsigned"  # an int, but never negative
    if value.type == "call_expression" and syntax.call_name(src, value) == "make":
        args = syntax.arguments(value)
        return "len" if args and args[0].type in _LEN_TYPES else None
    if value.type == "interpreted_string_literal":
        return "len"
    return None


def _total_sends(
    channel: LocalChannel, senders: dict[Node, Sender], src: SourceFile
) -> int | None:
    """How many values the goroutines can send in all; None when unknown (a goroutine may
    send more than once, or the number of goroutines is not a constant)."""
    if any(sender.per_run is None and sender.exact is None for sender in senders.values()):
        return None
    return _weighted_total(channel, senders, src)


def _weighted_total(
    channel: LocalChannel, senders: dict[Node, Sender], src: SourceFile
) -> int | None:
    """The values the goroutines send in all, each counted for its weight (see Sender)."""
    total = 0
    for go, sender in senders.items():
        count = _spawn_count(go, channel, src)
        if count is None or count.constant is None:
            return None
        total += count.constant * sender.weight
    return total


def _constant_total(counts: list[Count | None]) -> int | None:
    if any(c is None or c.constant is None for c in counts):
        return None
    return sum(c.constant for c in counts if c is not None and c.constant is not None)


# --- statements ---------------------------------------------------------------------------


def _next_statement(node: Node) -> Node | None:
    sibling = node.next_named_sibling
    while sibling is not None and sibling.type == "comment":
        sibling = sibling.next_named_sibling
    return sibling


# --- the finding -----------------------------------------------------------------------------


def _finding(
    channel: LocalChannel, senders: dict[Node, Sender], exit_: Exit, src: SourceFile
) -> Finding | None:
    counts = {go: _spawn_count(go, channel, src) for go in senders}
    capacity = _capacity(channel, src)
    if capacity is None:
        return None
    total = _weighted_total(channel, senders, src)
    if total is not None and total <= capacity:
        return None  # room for one value per goroutine; more sends are not assumed
    captures: dict[str, Span] = {
        "make": span_of(channel.make),
        "type": span_of(channel.channel_type),
        "exit": span_of(exit_.node),
    }
    if channel.capacity is not None:
        captures["capacity"] = span_of(channel.capacity)
    spelled = _plan(channel, senders, counts, captures, src)
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(channel.make),
        message=_message(
            channel.name, capacity, spelled, _total_sends(channel, senders, src), exit_
        ),
        captures=captures,
        related=_related(senders, exit_, src),
    )


def _capacity(channel: LocalChannel, src: SourceFile) -> int | None:
    """0 for unbuffered, the constant capacity (named constants included), or None (an
    expression: assumed sized)."""
    node = channel.capacity
    if node is None:
        return 0
    return constants.integer(src, node)


def _plan(
    channel: LocalChannel,
    senders: dict[Node, Sender],
    counts: dict[Node, Count | None],
    captures: dict[str, Span],
    src: SourceFile,
) -> str | None:
    """Record in ``captures`` how to size the channel; return the count's spelling (or None)."""
    runs = {go: sender.per_run for go, sender in senders.items()}
    looped = [go for go in senders if _loops_after_make(go, channel)]
    for go in senders:
        loops = _loops_after_make(go, channel)
        if loops:
            captures.setdefault("loop", span_of(loops[0]))
    if any(c is None for c in counts.values()) or (looped and len(senders) > 1):
        return None
    if any(r is None and (senders[go].exact is None or go in looped) for go, r in runs.items()):
        return None
    for go, count in counts.items():
        assert count is not None
        for reason, node in count.review.items():
            captures[reason] = span_of(node)
        if runs[go] == "at-most-once":
            captures["review:conditional-send"] = _where_it_sends(senders[go], src)
    if looped:
        count = counts[looped[0]]
        assert count is not None and count.size is not None
        captures["size_len" if count.wrap_len else "size"] = span_of(count.size)
        return count.text
    for index, (go, sender) in enumerate(senders.items(), start=1):
        weight = "" if sender.weight == 1 else f"*{sender.weight}"
        captures[f"sender:{index}{weight}"] = span_of(go)
    return str(sum(sender.weight for sender in senders.values()))


def _message(name: str, capacity: int, spelled: str | None, total: int | None, exit_: Exit) -> str:
    taken = capacity + exit_.received
    if total is not None:
        blocked = f"{total - taken}"
    elif spelled is not None:
        blocked = f"{spelled}-{taken}" if taken else spelled
    else:
        blocked = ""
    values = "1 value" if capacity == 1 else f"{capacity} values"
    room = f"{name} is unbuffered" if capacity == 0 else f"{name} has room for {values}"
    if blocked == "1":
        sender = "its sender" if total == 1 else "one sender"
        return f"{room}; {sender} blocks forever {exit_.when}"
    if blocked:
        return f"{room}; up to {blocked} senders block forever {exit_.when}"
    return f"{room}; senders still running block forever {exit_.when}"


def _where_it_sends(sender: Sender, src: SourceFile) -> Span:
    """The goroutine's first send when it is in this file, else its ``go`` statement."""
    first = sender.sends[0]
    return span_of(first.node) if first.src is src else span_of(sender.go)


def _related(senders: dict[Node, Sender], exit_: Exit, src: SourceFile) -> tuple[Related, ...]:
    out = [Related(span_of(go), "the senders start here") for go in senders]
    out.extend(
        Related(span_of(e.node), "and block here", None if e.src is src else e.src.path)
        for sender in senders.values()
        for e in sender.sends
    )
    out.append(Related(span_of(exit_.node), "receiving stops here"))
    return tuple(out)
