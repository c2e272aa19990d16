"""Goroutines send on a channel that its receiver may stop receiving from too early.

What it finds
-------------
A function makes a channel (``ch := make(chan T)``, or with a constant capacity, a named
constant included), starts goroutines that send on it, and receives from it itself, but can stop
receiving before every value is taken. The senders are goroutine literals, named functions and
methods of the package (``go validate(addr, errc)``, ``go s.handle(req, out)``), or the helpers
a literal calls (``go func() { report(out, load()) }()``), in any file of the package: the
package model follows the channel into them and counts their sends.

- fan-out with an early exit: one goroutine per element (``for _, x := range xs``,
  ``for i := 0; i < n; i++``, ``for range n``, a range over a slice literal) and a collecting loop
  that returns, breaks out or fails the test on the first error (``if err := <-ch; err != nil
  { return err }``, ``t.Fatalf``, testify's ``require.NoError(t, <-ch)``, or a ``select`` whose
  ``ctx.Done()`` case returns);
- first result wins: several senders, a single ``<-ch`` (``return <-ch``);
- timeout or cancellation: every receive is in one ``select`` that has a case taking none of them
  (``time.After(d)``, a timer, ``ctx.Done()``, ``default``, a stop channel);
- a ``for v := range ch`` left early while its producer, which closes the channel once it is
  done sending, still has values to send (CockroachDB's issue 18101);
- premature return: the function returns (or fails the test) after starting its goroutines and
  before it has received every value (``go func() { ch <- load() }(); if err != nil { return
  err }; <-ch``);
- a buffered channel whose constant capacity is smaller than the number of sends;
- a send by the function itself on its new unbuffered channel before the channel is mentioned
  anywhere else (``errc <- err; return errc``): nobody can hold the channel yet, so nobody can
  ever receive, and the function itself blocks forever;
- a producer whose channel is dropped: a named function makes an unbuffered channel, starts the
  one goroutine that sends on it exactly once, returns it, and a call somewhere in the package
  throws the result away (``Go(f)`` as a statement; Moby's issue 4395). The finding is at the
  producer's ``make``, with the calls that drop the channel as related locations.

- a request sent to a loop that may have returned: a type's loop goroutine receives from an
  unexported field channel only in a case of its ``for { select { ... } }`` and returns on
  another case (``case <-n.stop: return``, ``case <-ctx.Done(): return``), and a bare send on
  the channel, outside any ``select``, waits for it (etcd's issue 6857, Istio's 17860). The
  sender is a goroutine of its own (a literal, or a function the package only starts with
  ``go``), or a plain call when the loop closes a done channel as it returns that other code of
  the package waits on and the sender does not (``n.status <- c`` in ``Status``, while ``run``
  closes ``n.done`` and ``Stop`` selects on it). A send with such a done channel is fixed
  (see Fix safety); a goroutine's send without one is reported only: its way out (a stop signal
  the type may not have) is for a person to choose.

A sender may close the channel when it is done: as the last statement of its run, after sending
exactly once (Moby's issue 33781), or with a ``defer close(ch)`` of its function.

Where it bites: when the function stops receiving only once a test has failed (the early exit
is ``t.Fatal...``, ``t.FailNow`` or testify's ``require.X``, or follows ``t.Errorf`` in its block,
or the ``select``'s other case fails the test: ``case <-time.After(d): t.Fatal("timeout")``),
the finding is ``test-failure``; when the function runs once for the process (``main``, ``init``
or what only they call), ``process-lifetime``. Both are shown, marked, and do not fail the run
by default (``t.Skip`` is no failure: a skipped test's goroutine leaks in a green run).

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
an integer, the number of elements of a slice literal it ranges over, the number of ``go``
statements when there is no loop, or the exact number of values a goroutine sends on every path
(a callee's ``for i := 0; i < size+2; i++`` with a constant bound). It is SAFE when every goroutine
sends exactly once on every path that returns (counted through its callees; a send inside a
loop, such as a retry loop, counts as "may not send"), or the same constant number of values on
every path, each goroutine is started unconditionally (no ``if``, ``break`` or ``continue``
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

There is no fix when the number of sends is unknown: a goroutine that sends in a loop of unknown
trip count or a varying number of times, nested spawning loops, a range over something whose
kind the syntax does not tell (a call result, a field, a channel, a function), a counted loop
other than ``for i := 0; i < n; i++``, or several spawning statements of which one is a loop.

For a dropped producer the fix is ``make(chan T, 1)`` in the producer: SAFE, since its one
goroutine sends exactly once; callers that do receive get the same value as before.

For a request sent to a loop that closes a done channel, the send becomes a ``select`` that
also waits for that channel and then returns the zero value of each of the sender's results
(``case <-n.done: return Status{}``; etcd's own fix; a goroutine just returns): UNSAFE, since
the caller now gets a zero value where it waited for an answer before, which it may not expect,
and a goroutine gives up its value. There is no fix when the syntax cannot spell a zero value
(a type of another package, a type parameter, an array), or the send shares its line.

Limitations
-----------
Only channels made with ``make(chan ...)`` in the function's own body, received only by the
function itself, and the loop's field channels above: unbuffered (every value stored in the
field a ``make(chan T)``), never closed nor ranged over, received only in cases of one loop that
no other loop of its function holds and that the package never calls in a loop, and selected
from a variable whose type the syntax shows; a send through an alias, a longer path or another
package is not seen, and a plain call that sends is reported only with the done channel. A
call into the package counts only when it is settled by syntax (see the
package model: interfaces, function values and other packages are unknown), and then the rule
stays silent: the channel passed to an unknown function, stored, assigned or captured by a
literal kept for later (a returned channel counts only for a dropped producer), a sender that
``select``s (it can give up), a goroutine, literal or callee that receives, a recursive callee,
a collecting loop that also spawns. A channel closed by anyone but its one sender is not
reported. A premature return is reported only when the syntax
settles it: a ``return`` (or a failing call) of the function itself (not of a nested literal)
after the last ``go`` statement, every ``go`` statement an earlier statement of a list that
holds it, each goroutine started once (no loop) and sending exactly once, no ``goto``, and no
receive in a loop or a ``select``; the receives that count as taken before the exit are those in
an earlier statement of a list that holds it (or inside the ``return`` itself). A receive in a
branch beside the ``return`` (``if ok { <-ch }`` before it), a ``break`` or ``continue`` that
skips the receive, a collecting loop after an early return, and a ``return`` between two ``go``
statements stay silent. A sender that polls a stop signal before each send, while every
receiver stops on the same signal, is left to select-without-exit (poll-then-block), which can
fix it. It does not report several receives outside loops after a spawning loop, nor a
non-constant capacity that may be too small. A goroutine that may send more than once counts
for one value, unless it sends the same constant number on every path. A send by the function
itself is reported only when it is the first mention of the channel after the
``make``, outside loops, in a function without ``goto``. Types are not known: a range over a
name is sized only when the name's one declaration in the enclosing function shows its kind (a
parameter's or ``var``'s type, a composite literal, ``make``, ``len``); package-level names are
not sized (package-level constants are).

References
----------
- The seed article, case 2 and 3: "send on an unbuffered / full buffered channel nobody reads".
- Uber, "Unveiling and Vanquishing Goroutine Leaks in Enterprise Microservices" (CGO 2024):
  "premature function return" and "timeout" leak patterns.
- GoBench / GCatch (ASPLOS 2021): blocking bugs fixed by buffering the channel.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.channels import LocalChannel
from gofixleak.detectors import _poll_then_block
from gofixleak.detectors._abandoned.counting import (
    Count,
    channel_capacity,
    loops_after_make,
    spawn_count,
    total_sends,
    weighted_total,
)
from gofixleak.detectors._abandoned.exits import Exit, early_exit
from gofixleak.detectors._abandoned.loop_request import LoopRequest, loop_requests
from gofixleak.detectors._abandoned.producers import Dropped, dropped_producer
from gofixleak.detectors._abandoned.self_send import first_self_send, is_followed_by_return
from gofixleak.detectors._abandoned.senders import (
    Sender,
    closes_after_sending,
    find_senders,
    received_here,
)
from gofixleak.facts.usage import usage
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="abandoned-sender", doc=__doc__ or "")
# Every finding is a send in a goroutine (a file without a `go` statement has none) or a
# request sent to a loop on a field, `x.f <- v`.
PREFILTER = prefilter.AnyOf(prefilter.GO_STATEMENT, prefilter.FIELD_SEND)


def detect(src: SourceFile) -> Iterator[Finding]:
    for request in loop_requests(src):
        yield _request_finding(request, src)
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
    self_send = first_self_send(channel, body, src)
    if self_send is not None:
        return _self_send_finding(channel, self_send, body, src)
    if not _may_strand_senders(channel, body, src):
        return None
    use = usage(src, channel.function, channel.subject)
    if use.escapes:
        dropped = dropped_producer(channel, use, src)
        return _dropped_finding(channel, dropped, src) if dropped is not None else None
    if not use.known or any(e.gives_up for e in use.of_kind("send")):
        return None  # it escapes, or a sender can give up
    if _poll_then_block.proven(channel, src) is not None:
        return None  # select-without-exit's poll-then-block, with a fix of its own
    if not received_here(use, channel, src):
        return None  # a goroutine, literal or callee receives: it may keep draining
    receives = sorted((e.node for e in use.of_kind("receive", "range")), key=lambda n: n.start_byte)
    senders = find_senders(channel, use, src)
    if not senders or not closes_after_sending(use, senders, src):
        return None
    if use.of_kind("range") and not use.of_kind("close"):
        return None  # the range never ends: the function blocks itself, not its senders
    exit_ = early_exit(channel, receives, senders, src)
    if exit_ is None:
        return None
    return _finding(channel, senders, exit_, src)


def _may_strand_senders(channel: LocalChannel, body: Node, src: SourceFile) -> bool:
    """Quick necessary conditions, before the channel's usage is worked out: the function
    starts a goroutine, and receives from the channel itself or returns it (a producer)."""
    if src.data.find(b"go", body.start_byte, body.end_byte) == -1:
        return False
    if not any(syntax.descendants(body, "go_statement")):
        return False
    return any(
        syntax.is_received(use) or _is_returned(use)
        for use in syntax.identifiers_named(src, channel.name, body)
    )


def _is_returned(identifier: Node) -> bool:
    values = identifier.parent
    statement = values.parent if values is not None else None
    return (
        values is not None
        and statement is not None
        and values.type == "expression_list"
        and statement.type == "return_statement"
    )


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
    if all(is_followed_by_return(s) and not loops_after_make(s, channel) for s in own):
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


def _request_finding(request: LoopRequest, src: SourceFile) -> Finding:
    receive = request.receive
    done = f"{request.operand}.{request.done_field}"
    if request.in_goroutine:
        message = (
            f"{request.sender} sends on {request.channel} in a goroutine of its own, and only "
            f"{request.loop_function}'s loop receives from it; that loop returns on "
            f"<-{request.exit_on}: a goroutine still sending then blocks forever"
        )
        if request.done_field is not None:
            message += f" (select on <-{done} too, which the loop closes)"
    else:
        message = (
            f"{request.sender} sends on {request.channel}, and only "
            f"{request.loop_function}'s loop receives from it; that loop returns on "
            f"<-{request.exit_on} and closes {done}: a call after that blocks "
            f"forever (select on <-{done} too, as other code of the package does)"
        )
    where = _elsewhere(receive.src, src)
    related = (
        Related(span_of(receive.node), "the only receive, in this loop", where),
        Related(span_of(request.exit_case), "the loop returns here", where),
    )
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(request.send),
        message=message,
        captures={} if request.done_field is None else {"request": span_of(request.send)},
        related=related,
    )


def _dropped_finding(channel: LocalChannel, dropped: Dropped, src: SourceFile) -> Finding:
    function = syntax.function_name(src, channel.function) or "the function"
    sites = len(dropped.calls)
    where = "a call drops it" if sites == 1 else f"{sites} calls drop it"
    related = [Related(span_of(dropped.sender.go), "the sender starts here")]
    related += [
        Related(span_of(e.node), "and blocks here", _elsewhere(e.src, src))
        for e in dropped.sender.sends
    ]
    related += [
        Related(span_of(call), "the channel is dropped here", _elsewhere(caller, src))
        for caller, call in dropped.calls
    ]
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(channel.make),
        message=f"{channel.name} is unbuffered and {function} returns it; its sender blocks "
        f"forever when a caller drops the channel ({where})",
        captures={
            "make": span_of(channel.make),
            "type": span_of(channel.channel_type),
            "sender:1": span_of(dropped.sender.go),
        },
        related=tuple(related),
    )


# --- the finding -----------------------------------------------------------------------------


def _finding(
    channel: LocalChannel, senders: dict[Node, Sender], exit_: Exit, src: SourceFile
) -> Finding | None:
    counts = {go: spawn_count(go, channel, src) for go in senders}
    capacity = channel_capacity(channel, src)
    if capacity is None:
        return None
    total = weighted_total(channel, senders, src)
    if total is not None and total <= capacity:
        return None  # room for one value per goroutine; more sends are not assumed
    if total is None and channel.capacity is not None and channel.capacity.type != "int_literal":
        return None  # a capacity written as a name may well be the number of senders
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
            channel.name, capacity, spelled, total_sends(channel, senders, src), exit_
        ),
        captures=captures,
        related=_related(senders, exit_, src),
    )


def _plan(
    channel: LocalChannel,
    senders: dict[Node, Sender],
    counts: dict[Node, Count | None],
    captures: dict[str, Span],
    src: SourceFile,
) -> str | None:
    """Record in ``captures`` how to size the channel; return the count's spelling (or None)."""
    runs = {go: sender.per_run for go, sender in senders.items()}
    looped = [go for go in senders if loops_after_make(go, channel)]
    for go in senders:
        loops = loops_after_make(go, channel)
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
        assert count is not None
        if count.size is None:  # a constant number of goroutines: a range over a literal
            captures[f"sender:1*{count.constant}"] = span_of(looped[0])
            return count.text
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
        Related(span_of(e.node), "and block here", _elsewhere(e.src, src))
        for sender in senders.values()
        for e in sender.sends
    )
    out.append(Related(span_of(exit_.node), "receiving stops here"))
    return tuple(out)


def _elsewhere(where: SourceFile, src: SourceFile) -> str | None:
    """The path a Related names: None for the finding's own file."""
    return None if where is src else where.path
