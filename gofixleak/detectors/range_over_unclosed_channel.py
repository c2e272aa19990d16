"""A goroutine ranges over a channel that its function, or its package, never closes.

What it finds
-------------
A function makes a channel (`ch := make(chan T)`), starts a goroutine that does
`for v := range ch { ... }` with no way out of the loop (no `return`, `break`, `goto` or panic in
its body), sends on `ch` in its own body, and never closes `ch` (Uber's NoCloseRange). The
channel must not escape the function: not returned, stored, assigned, or passed to a function.

Across the package, the channel may also be a struct field: a goroutine (a literal, or
``go s.print()``, and the same-package functions it calls) ranges over ``s.lines`` with no way
out of the loop, some code of the package sends on the field, and none (every file, tests and
every build tag included) closes it.

Why it leaks
------------
`for v := range ch` ends only when `ch` is closed. Once the function has sent its last value and
returned, the goroutine waits for a next value forever, and keeps its stack and everything it
references; every call of the function leaves one more behind.

Example
-------
    func Print(xs []int) {
        ch := make(chan int)
        go func() {
            for v := range ch {
                fmt.Println(v)
            }
        }()
        for _, x := range xs {
            ch <- x
        }
    }

Fixed
-----
    func Print(xs []int) {
        ch := make(chan int)
        go func() {
            for v := range ch {
                fmt.Println(v)
            }
        }()
        for _, x := range xs {
            ch <- x
        }
        close(ch)
    }

Fix safety
----------
The fix closes `ch` after the statement that holds the function's last send, in the block that
makes `ch`, when nothing between the `make` and that point can leave the block early (`return`,
`break`, `continue`, `goto`). Otherwise, when the `make` is not inside a loop,
`defer close(ch)` goes right after the `make`, so that every path closes it.

Either is SAFE when every send on `ch` is in the function's own body (not in a goroutine or a
deferred literal, which could send after the close and panic), so that every send precedes the
close on every path; when nothing else receives from `ch` (a bare receive would get a zero value
instead of blocking); and when every `range ch` loop is the last statement of its goroutine, so
that closing only lets the goroutine end (its deferred calls run, as they would on any way out).
When code follows a range loop in its goroutine, that code now runs: the fix is UNSAFE (review
what it does). No fix is offered when another goroutine sends on `ch`, when `ch` is also
received from outside a `range`, when a `range ch` sits in another loop of its goroutine (the
outer loop would spin on the closed channel), when the `make` is in a loop and an early exit
skips the close, or when the file declares its own `close` (a local `close := ...`, a
parameter, a function); the finding remains.

For a struct field, no fix is offered: the senders are methods that may be called at any time,
and a close added anywhere could come before a send, which would then panic.

Limitations
-----------
- A range loop whose body can leave it (a sentinel value followed by `return` or `break`) is not
  reported: the sender may mean to send that value. Nor is a range loop nested in another loop
  of its goroutine: once the channel is closed, the outer loop could spin.
- A channel that only goroutines send on is not reported: which of them should close it (after a
  `sync.WaitGroup`) is a design decision.
- A channel handed to a goroutine or a helper as an argument (`go consume(ch)`) is not tracked,
  nor one declared with `var ch chan T` or of a named channel type; a local channel stored in a
  struct escapes (a struct field itself is followed, see below).
- A channel that nothing sends on is `orphaned-receiver`'s.
- Not reported when the function cannot return (it may keep sending forever, or every path
  ends in a `panic`), nor when the producing statement never completes
  (`for { ch <- next() }`): no close could be reached.
- Not reported for goroutines started by `main.main`, an `init` or a package-main function only
  they call: such a goroutine lives as long as the program anyway. Goroutines started once for
  the process elsewhere (from a function that only such code calls, in any package; from a
  cobra command's `Run`; inside a package-level `sync.Once`) are reported as
  `process-lifetime`: shown, marked, and not failing the run by default.
- A `close` declared in another file of the package is not seen (for a local channel).
- For a struct field, the conditions of `unclosed-quit-channel`'s field shape apply (the field
  unexported, only made, never passed on or stored, no close through a value whose type the
  syntax cannot tell); a field that nothing sends on either is `orphaned-receiver`'s.

References
----------
- Uber, "Unveiling and Vanquishing Goroutine Leaks in Enterprise Microservices" (CGO 2024),
  the NoCloseRange pattern.
- https://go.dev/ref/spec#For_range
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.shapes import field_channels
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="range-over-unclosed-channel", doc=__doc__ or "")
# Every finding is in a goroutine: a file without a `go` statement has none.
PREFILTER = prefilter.GO_STATEMENT


@dataclass(frozen=True)
class Uses:
    """Where a local channel is ranged over, sent on and received from."""

    leaking_range: Node  # the first goroutine range loop that cannot end
    ranges: list[Node]
    own_sends: list[Node]  # sends in the function's own body
    other_sends: list[Node]  # sends in goroutines or other literals
    receives: list[Node]  # bare receives, anywhere


def detect(src: SourceFile) -> Iterator[Finding]:
    yield from field_channels.findings(src, RULE.name)  # channels kept in struct fields
    if b"range" not in src.data or b"<-" not in src.data or b"chan" not in src.data:
        return
    for function in syntax.descendants(src.root, *syntax.FUNCTIONS):
        for channel in channels.local_channels(function, src):
            uses = unclosed_range(channel, src)
            if uses is not None:
                yield finding(channel, uses, src)


def unclosed_range(channel: channels.LocalChannel, src: SourceFile) -> Uses | None:
    body = syntax.function_body(channel.function)
    if body is None or not channels.is_confined(channel, src):
        return None
    # A function that never returns may keep sending forever: then the range is not stuck.
    if channels.closes_of(body, channel.name, src) or not syntax.can_return(channel.function, src):
        return None
    ranges = channels.ranges_over(body, channel.name, src)
    leaking = [
        r
        for r in ranges
        if (go := channels.go_statement_of(r, channel.function)) is not None
        and not syntax.is_started_for_program_lifetime(go, src)
        and not syntax.can_leave_loop(r, src)
        and not syntax.enclosing_loops(r)
    ]
    sends = channels.sends_on(body, channel.name, src)
    own = [s for s in sends if syntax.same_node(syntax.enclosing_function(s), channel.function)]
    if not leaking or not own:
        return None
    other = [s for s in sends if s not in own]
    receives = channels.receives_from(body, channel.name, src)
    return Uses(leaking[0], ranges, own, other, receives)


def finding(channel: channels.LocalChannel, uses: Uses, src: SourceFile) -> Finding:
    owner = syntax.function_name(src, channel.function) or "the function"
    captures = {"range": span_of(uses.leaking_range), "channel": name_span(channel, src)}
    captures.update(fix_plan(channel, uses, src))
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(uses.leaking_range),
        message=f"goroutine ranges over {channel.name}, which {owner} sends on but never "
        "closes: the loop never ends",
        captures=captures,
        related=(Related(span_of(channel.make), f"{channel.name} is made here"),),
    )


def name_span(channel: channels.LocalChannel, src: SourceFile) -> Span:
    names = syntax.descendants(channel.declaration, "identifier")
    return next(span_of(n) for n in names if src.show(n) == channel.name)


# --- the fix: where the close can go, and whether that is safe ----------------------------------


def fix_plan(channel: channels.LocalChannel, uses: Uses, src: SourceFile) -> dict[str, Span]:
    """``close_after`` (a statement) or ``defer_after`` (the make's statement), and ``review``
    (a range loop followed by code) when the fix is UNSAFE; {} when no fix is right."""
    if uses.other_sends or uses.receives or not all_in_goroutines(uses.ranges, channel):
        return {}
    if syntax.declares_name(src, "close"):
        return {}  # `close` is not the builtin here
    if any(syntax.enclosing_loops(r) for r in uses.ranges):
        return {}  # once ch is closed, the loop around that range would run it again and spin
    declaration = syntax.statement_of(channel.declaration)
    if declaration is None:
        return {}
    plan: dict[str, Span] = {}
    after = close_point(declaration, uses.own_sends, src)
    while after is not None and after.type == "labeled_statement":
        after = after.named_children[-1]  # its indentation is the block's; the label's is not
    if after is not None:
        plan["close_after"] = span_of(after)
    elif not syntax.enclosing_loops(declaration):
        plan["defer_after"] = span_of(declaration)
    else:
        return {}
    followed = next((r for r in uses.ranges if not is_last_statement(r)), None)
    if followed is not None:
        plan["review"] = span_of(followed)
    return plan


def all_in_goroutines(ranges: list[Node], channel: channels.LocalChannel) -> bool:
    return all(channels.go_statement_of(r, channel.function) is not None for r in ranges)


def close_point(declaration: Node, sends: list[Node], src: SourceFile) -> Node | None:
    """The statement of the make's block that holds the last send, when every path through the
    statements from the make to it reaches its end."""
    block = declaration.parent
    last = max(sends, key=lambda s: s.start_byte)
    holder = next(
        (n for n in (last, *syntax.ancestors(last)) if syntax.same_node(n.parent, block)), None
    )
    if block is None or holder is None:
        return None
    statements = [c for c in block.named_children if declaration.end_byte <= c.start_byte]
    region = [s for s in statements if s.start_byte <= holder.start_byte]
    function = syntax.enclosing_function(declaration)
    if function is None or any(leaves_early(s, src) for s in region) or has_goto(function):
        return None
    # After a statement that never completes, a close would be unreachable code.
    return None if syntax.is_terminating(holder, src) else holder


def leaves_early(statement: Node, src: SourceFile) -> bool:
    """Control can jump from inside ``statement`` to somewhere after or outside it."""
    for node in syntax.walk(statement, into_functions=False):
        if node.type in ("return_statement", "goto_statement"):
            return True
        if node.type in ("break_statement", "continue_statement"):
            target = jump_target(node, src)
            if target is None or not syntax.is_inside(target, statement):
                return True
    return False


def jump_target(jump: Node, src: SourceFile) -> Node | None:
    """The statement a ``break``/``continue`` leaves or restarts (its label's statement)."""
    label = next((c for c in jump.named_children if c.type == "label_name"), None)
    for ancestor in syntax.ancestors(jump):
        if ancestor.type in syntax.FUNCTIONS:
            return None
        if label is not None:
            name = ancestor.child_by_field_name("label")
            if (
                ancestor.type == "labeled_statement"
                and name is not None
                and (src.show(name) == src.show(label))
            ):
                return ancestor
        elif ancestor.type == "for_statement" or (
            jump.type == "break_statement" and ancestor.type in syntax.BREAK_TARGETS
        ):
            return ancestor
    return None


def has_goto(function: Node) -> bool:
    body = syntax.function_body(function)
    return body is not None and any(
        True for _ in syntax.descendants(body, "goto_statement", into_functions=False)
    )


def is_last_statement(loop: Node) -> bool:
    """The loop (with its label) ends its goroutine's body: nothing runs after it but defers."""
    statement = syntax.statement_of(loop)
    goroutine = syntax.enclosing_function(loop)
    body = syntax.function_body(goroutine) if goroutine is not None else None
    statements = syntax.block_statements(body)
    return bool(statements) and syntax.same_node(statements[-1], statement)
