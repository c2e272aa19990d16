"""A goroutine receives from a channel that nothing can ever send on or close again.

What it finds
-------------
A function makes a channel (`ch := make(chan T)`), starts a goroutine that receives from it
(`<-ch`, `v := <-ch`, `for v := range ch`, or a `select` whose only case receives from it), and
nothing in the function sends on `ch` or closes it. The channel must not escape: it is not
returned, stored, assigned or captured by a literal that is kept for later, so no code out of
view can send on it either.

The channel may be handed to functions of the package (`go cc.lbWatcher(doneChan)`,
`drain(results)`, `go func(c chan int) { ... }(ch)`): they are followed, in any file of the
package, with the goroutines they start, and none of them may send on it or close it either
(gRPC's issue 1424). The goroutine that waits may then also be the literal that made the
channel: `go func() { done := make(chan bool); go watch(done); <-done }()`.

A timer's drain in a select loop (Istio's issue 18454): one case takes the timer's value
(`case <-t.C:`) without restarting it, another drains it before a restart
(`if !t.Stop() { <-t.C }`). The timer is a local or a field (`s.timer`); the drain is the
first statement of its case, guarded by `!t.Stop()` alone; the consuming case does not mention
the timer (or its owner `s`) and lets the loop go on; and nothing else restarts or hands on the
timer: every other use is `.C`, `.Stop()`, a nil comparison or an assignment, in the function
for a local, in the package's code on values of the owner's type for a field.

Across the package, the channel may also be a struct field: a goroutine (a literal, or
``go s.run()``, and the same-package functions it calls) receives from ``s.ready`` (or from an
accessor returning it as a receive-only channel, or ranges over it), not inside an endless loop,
and no code of the package (every file, tests and every build tag included) sends on the field
or closes it.

Why it leaks
------------
A receive from a channel that is never sent on or closed blocks forever. The goroutine can never
finish, and keeps its stack and everything it references until the process ends; every call of
the function adds one more.

A timer sends one value per start. Once the consuming case has taken it, `t.Stop()` returns
false (the timer has expired) and the drain waits for a second value that nothing will send.
This holds before Go 1.23 (the value is gone from the channel's buffer) and after (`Stop`
returns false only once the value was taken or the timer stopped).

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
When the channel is handed to a function that should have closed it:

    func (cc *ClientConn) lbWatcher(doneChan chan bool) {
        defer close(doneChan)
        for addr := range cc.addrs {
            ...
        }
    }

A timer's drain that cannot block:

    if !t.Stop() {
        select {
        case <-t.C:
        default:
        }
    }

Otherwise no automatic fix.

Fix safety
----------
For a channel made and waited for in view, no fix is offered: closing `ch` would hand the
goroutine a zero value it never expected, and sending needs a value only the author knows.
Usually the sending side was forgotten or the channel should be passed to the code that
produces the value.

For a channel handed to a function, the fix is `defer close(p)` as that function's first
statement (in its own file, which may be another one), and it is UNSAFE: the callee is edited,
and the waiter now goes on with a zero value once the callee returns, which is what the
kernel's fix does but needs the author's review. It is offered only when the channel is handed
to exactly one function, that function is unexported, the package mentions its name nowhere
else (one call site, no method value), its parameter is a channel it may close (not `<-chan`)
and it does nothing with the parameter at all, and no `close` of the package's own hides the
builtin.

The timer's non-blocking drain is SAFE. When `Stop` returns false with the value still in the
channel (before Go 1.23, a fire nobody took), the `select` takes it at once, as the plain
receive did: `Stop` returns only once a firing timer has sent. When the value was already
taken, the plain receive blocked forever, and the `select` goes on to the restart.

Limitations
-----------
- A receive in a `select` that has another case (or a `default`) is not reported: the other case
  may end the goroutine.
- A receive inside an unconditional `for { }` loop of the goroutine is left to the loop rules, so
  that one leak is reported once: `unclosed-quit-channel` when it is the loop's way out
  (`case <-quit: return`), `select-without-exit` otherwise.
- Receives in the function's own body (a deadlock rather than a leak) and in literals that are
  not started with `go` are not reported; for a channel handed to nobody, neither are those in
  goroutines started by a nested goroutine.
- A channel declared with `var ch chan T` (nil), or a named channel type, is not tracked. A
  channel handed to an interface method, a function value, a function of another package, or
  to a function that stores it, returns it or calls itself (recursion), keeps the rule silent.
  A receive made in another file than the one that makes the channel is not reported, nor one
  in the spawning function's own body unless that function is itself a goroutine literal.
- A struct field is followed under the conditions of `unclosed-quit-channel`'s field shape: the
  field unexported (or in a `main` package), made with `make`, never assigned anything else,
  passed on, stored or returned but by a receive-only accessor, and never sent on or closed
  through a value whose type the syntax cannot tell; the goroutine's receive at most three
  calls deep, and not started by `main`, an `init` or code only the package's initialisation
  runs.
- Goroutines started by `main.main`, an `init` or a package-main function only they call are
  not reported: they live as long as the program anyway. Goroutines started once for the
  process elsewhere (from a function that only such code calls, in any package; from a cobra
  command's `Run`; inside a package-level `sync.Once`) are reported as `process-lifetime`:
  shown, marked, and not failing the run by default.
- One finding per channel, at its first blocking receive in a goroutine.
- A timer's drain is reported wherever its loop runs (the loop is usually a goroutine's; when
  it is not, the function hangs). It is silent when the timer is reached through a call, an
  index or a method value (`s.timer()`, `ts[i]`), when a flag or an earlier statement of the
  case guards the drain, when the consuming case mentions the timer's owner at all (a method of
  `s` may restart it), when the select is in no loop, and for a field whose owner's type the
  syntax cannot tell at some use in the package.

References
----------
- The seed article, case 1 (a receive with no sender).
- GoBench/GoKer, cockroach_25456: a wait on a stopper's quiesce channel, read through an
  accessor, that nothing closes.
- https://go.dev/ref/spec#Receive_operator
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.detectors import _orphaned_callee, _timer_drain
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.shapes import field_channels
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="orphaned-receiver", doc=__doc__ or "")
# Every finding is in a goroutine (a file without a `go` statement has none), but for a timer's
# drain, which needs a select, `t.Stop()` and `<-t.C`.
PREFILTER = prefilter.AnyOf(
    prefilter.GO_STATEMENT, prefilter.Contains(b"select", b"Stop", b"<-")
)


def detect(src: SourceFile) -> Iterator[Finding]:
    yield from field_channels.findings(src, RULE.name)  # channels kept in struct fields
    yield from _timer_drain.findings(src, RULE.name)
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
            else:
                yield from _orphaned_callee.findings(channel, src, RULE.name)


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
