"""A goroutine receives from a local channel that nothing can ever send on or close.

What it finds
-------------
A function makes a channel (`ch := make(chan T)`), starts a goroutine that receives from it
(`<-ch`, `v := <-ch`, `for v := range ch`, or a `select` whose only case receives from it), and
nothing in the function sends on `ch` or closes it. The channel must not escape: it is not
returned, stored, assigned, passed to a function (`go worker(ch)` included) or captured by a
literal that is kept for later, so no code out of view can send on it either.

Why it leaks
------------
A receive from a channel that is never sent on or closed blocks forever. The goroutine can never
finish, and keeps its stack and everything it references until the process ends; every call of
the function adds one more.

Example
-------
    func Leak() {
        ch := make(chan int)
        go func() {
            val := <-ch
            fmt.Println("We received a value:", val)
        }()
    }

Fixed
-----
No automatic fix.

Fix safety
----------
No fix is offered: closing `ch` would hand the goroutine a zero value it never expected, and
sending needs a value only the author knows. Usually the sending side was forgotten or the
channel should be passed to the code that produces the value.

Limitations
-----------
- A receive in a `select` that has another case (or a `default`) is not reported: the other case
  may end the goroutine.
- A receive inside an unconditional `for { }` loop of the goroutine is left to the loop rules, so
  that one leak is reported once: `unclosed-quit-channel` when it is the loop's way out
  (`case <-quit: return`), `select-without-exit` otherwise.
- Receives in the function's own body (a deadlock rather than a leak), in literals that are not
  started with `go`, and in goroutines started by a nested goroutine are not reported.
- A channel declared with `var ch chan T` (nil) or reached through a struct field, a named
  channel type, or passed as an argument (`go func(c chan int) { <-c }(ch)`) is not tracked.
- Goroutines started by `main.main`, an `init` or a package-main function only they call are
  not reported: they live as long as the program anyway. Goroutines started once for the
  process elsewhere (from a function that only such code calls, in any package; from a cobra
  command's `Run`; inside a package-level `sync.Once`) are reported as `process-lifetime`:
  shown, marked, and not failing the run by default.
- One finding per channel, at its first blocking receive in a goroutine.

References
----------
- The seed article, case 1 (a receive with no sender).
- https://go.dev/ref/spec#Receive_operator
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="orphaned-receiver", doc=__doc__ or "")
# Every finding is in a goroutine: a file without a `go` statement has none.
PREFILTER = prefilter.GO_STATEMENT


def detect(src: SourceFile) -> Iterator[Finding]:
    if b"chan" not in src.data or (b"<-" not in src.data and b"range" not in src.data):
        return
    for function in syntax.descendants(src.root, *syntax.FUNCTIONS):
        for channel in channels.local_channels(function, src):
            receive = orphaned_receive(channel, src)
            if receive is not None:
                yield Finding(
                    rule=RULE.name,
                    path=src.path,
                    span=span_of(receive),
                    message=f"goroutine receives from {channel.name}, which nothing sends on "
                    "or closes: it blocks forever",
                    captures=_captures(channel, receive),
                    related=(Related(span_of(channel.make), f"{channel.name} is made here"),),
                )


def _captures(channel: channels.LocalChannel, receive: Node) -> dict[str, Span]:
    """The ``make``, and the ``go`` statement of the goroutine, for where it bites (bites.py)."""
    captures = {"make": span_of(channel.make)}
    go = channels.go_statement_of(receive, channel.function)
    if go is not None:
        captures["go"] = span_of(go)
    return captures


def orphaned_receive(channel: channels.LocalChannel, src: SourceFile) -> Node | None:
    """The first receive from ``channel`` that blocks a goroutine forever, or None."""
    body = syntax.function_body(channel.function)
    if body is None or not channels.is_confined(channel, src):
        return None
    if channels.sends_on(body, channel.name, src) or channels.closes_of(body, channel.name, src):
        return None
    receives = channels.receives_from(body, channel.name, src)
    receives += channels.ranges_over(body, channel.name, src)
    blocking = [
        r
        for r in receives
        if (go := channels.go_statement_of(r, channel.function)) is not None
        and not syntax.is_started_for_program_lifetime(go, src)
        and not channels.select_alternatives(r)
        and not in_endless_loop(r)
    ]
    return min(blocking, key=lambda r: r.start_byte, default=None)


def in_endless_loop(node: Node) -> bool:
    """Inside a ``for { }`` of its goroutine: the loop rules' case (``unclosed-quit-channel``
    when the receive is the loop's exit, ``select-without-exit`` otherwise)."""
    return any(syntax.is_unconditional_loop(loop) for loop in syntax.enclosing_loops(node))
