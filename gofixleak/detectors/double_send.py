"""A send nobody takes: an error path falls through to a second send, or a buffer is overfilled.

What it finds
-------------
A function makes an unbuffered channel, starts one goroutine that sends on it, and receives
exactly one value from it. In the goroutine, an error check sends on the channel and forgets to
`return`, so that control falls through to the next send on the same channel (Uber's
DoubleSend):

    if err != nil {
        errc <- err   // missing return
    }
    errc <- nil

Only this shape is reported: the `if` checks `X != nil` where `X` is named `err` or `...err`/
`...Err`, has no `else`, ends with the send, and is not inside a loop of the goroutine; the
second send is a later statement of the same block, and nothing between the two can leave the
block or send on the channel.

Named helpers of the package (in any file) are followed too. The goroutine may be one
(`go fetch(url, errc)`, the shape in its body, on its parameter), or call one that holds the
shape (`go func() { doubleSend(ch, err) }()`, the Go runtime's DoubleSend kernel), and either
send may be a call of a helper that sends exactly once (`report(errc, err)`). The count then
covers several goroutines: the function starts N goroutines, once each, each sending at least
once on every path, and takes exactly N values itself on every path (outside loops); the
channel is unbuffered, never closed or ranged over, and goes nowhere the package model cannot
follow. The finding is at the first send when it is in this file, otherwise at the call that
leads to it.

A channel filled beyond its capacity before anything can receive from it is the other shape
(the Go runtime's Cockroach24808 kernel). A function makes a channel with a constant capacity N
(0: unbuffered), held in a local (`ch := make(chan T, N)`) or in a field of a local composite
literal (`c := &Compactor{ch: make(chan T, N)}`), and the statements that follow in that block
send on it N+1 times before anything could receive: the (N+1)th send blocks forever. Sends of
same-package functions and methods that the statements hand the channel to (`c.Start()`,
`f(c)`, `f(c.ch)`, `f(ch)`) are counted where the call stands, when they are statements of the
callee that come before anything else it does with the channel (followed three calls deep). The
walk stops, and nothing is reported, at the first statement that may let something receive or
may not go on: one that names the variable otherwise (a receive, a close, a range, a
capture by a function literal, a pass to a call not followed, a store, a copy, an assignment),
a `go` statement, a `select` (a send with a `default` is one), a loop, a label, a jump, a
`return` of the function that made the channel, or an ending call (`panic`, `os.Exit`,
`t.Fatal`). Statements that do not name the variable cannot reach the channel: until one does,
only the variable holds it. The finding is at the send that blocks when it is in this file,
otherwise at the call that leads to it; the `make` and the earlier sends are related places.

Why it leaks
------------
The receiver takes one value, the error, and moves on. The goroutine's second send on an
unbuffered channel then waits for a receiver that never comes: the goroutine blocks forever on
the error path, and keeps its stack and everything it references.

An overfilled channel's extra send waits for room that only a receiver can make, and the
receiver is started (or the receive reached) only after that send, by the same goroutine: it
never comes, and the goroutine blocks forever.

Example
-------
    func Fetch(fail bool) error {
        errc := make(chan error)
        go func() {
            if err := work(fail); err != nil {
                errc <- err
            }
            errc <- nil
        }()
        return <-errc
    }

Fixed
-----
    func Fetch(fail bool) error {
        errc := make(chan error)
        go func() {
            if err := work(fail); err != nil {
                errc <- err
                return
            }
            errc <- nil
        }()
        return <-errc
    }

The overfill (Start sends before it starts the only receiver):

    func (c *Compactor) Start(ctx context.Context, s *Stopper) {
        c.ch <- struct{}{}   // blocks forever: the buffer is full
        s.RunWorker(ctx, func(ctx context.Context) {
            for {
                select {
                case <-c.ch:
                    c.compact()
                case <-s.ShouldStop():
                    return
                }
            }
        })
    }

    compactor := &Compactor{ch: make(chan struct{}, 1)}
    compactor.ch <- struct{}{}
    compactor.Start(ctx, stopper)

is fixed by starting the receiver first (the send after `RunWorker`), or by dropping one of
the two sends.

Fix safety
----------
The fix inserts `return` after the error send, so the error path ends there. It is UNSAFE: it
also skips whatever the goroutine did after the `if` on the error path (cleanup, logging), which
needs a review. No fix is offered when the goroutine literal has results (a bare `return` would
not compile), or when the skipped code calls `close`, or `Done`, `Unlock`, `RUnlock`, `Release`,
`Signal` or `Broadcast` outside a `defer` (the error path would skip bookkeeping that others
wait for); the finding remains.

An overfilled channel gets no fix: a larger buffer, a send moved after the receiver's start
or a send dropped each change what the receiver sees, and which one the program means is not
in the syntax.

When the shape is in a named helper the `return` goes there, in the helper's file (a fix that
edits another file of the package), and every caller of the helper gets it: no fix when the
helper is exported (callers in other packages), is mentioned anywhere but in the function whose
receives were counted (another caller may take both values, and the return would block it), has
results, or is in another file and reached through another helper.

Limitations
-----------
- Channels that are buffered (`make(chan error, 1)`: the second send does not block), received
  from in a loop or with `range`, received from fewer or more times than goroutines send on
  them, or that escape the function (parameters, fields, channels passed to interfaces or
  function values, stored or returned) are not reported. For a goroutine literal that sends by
  itself, only one goroutine and one receive are counted.
- A `go` statement in a loop that does not also make the channel (the goroutines are not
  counted) is not followed; helpers are followed two calls deep below the goroutine's function.
- Goroutines started by `main.main`, an `init` or a package-main function only they call are
  not reported: they live as long as the program anyway. Goroutines started once for the
  process elsewhere (from a function that only such code calls, in any package; from a cobra
  command's `Run`; inside a package-level `sync.Once`) are reported as `process-lifetime`:
  shown, marked, and not failing the run by default.
- Error checks other than `err != nil` (`!ok`, `errors.Is`), a first send inside a `select`,
  and a second send in an enclosing block are not recognised.
- An overfill is counted along the statements of one block only: sends inside an `if` or a
  `switch` branch, in a loop, after the block ends, or after a statement that names the
  variable in any other way are not; a channel assigned (`c.ch = make(...)`), made with a
  capacity that is not a constant, declared with others in one statement, or held by a field
  of a value that is not a composite literal of the declaration is not followed. Functions
  values and interfaces stop the walk. `main` and `init` are not reported (a stuck `main` is a
  hang). The sends counted are at most 64.

References
----------
- Uber, "Unveiling and Vanquishing Goroutine Leaks in Enterprise Microservices" (CGO 2024),
  the DoubleSend pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.detectors import _double_send_callee, _double_send_overfill
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="double-send", doc=__doc__ or "")
# The error path's double send is in a goroutine: a file without a `go` statement has none. An
# overfilled channel is made in the file, wherever its goroutine starts.
PREFILTER = prefilter.AnyOf(prefilter.GO_STATEMENT, prefilter.MAKE_CHAN)

# Bookkeeping that the error path must not skip: others wait for it.
_BOOKKEEPING_METHODS = frozenset({"Done", "Unlock", "RUnlock", "Release", "Signal", "Broadcast"})
# Statements after which the second send may not run (a select may take another case).
_JUMPS = frozenset(
    {
        "return_statement",
        "goto_statement",
        "break_statement",
        "continue_statement",
        "select_statement",
    }
)


@dataclass(frozen=True)
class DoubleSend:
    check: Node  # the `if err != nil { ... }` statement
    first: Node  # the send that ends it
    second: Node  # the send it falls through to
    goroutine: Node  # the func literal


def detect(src: SourceFile) -> Iterator[Finding]:
    seen: set[Span] = set()  # a helper's double send, reached from several channels
    yield from _double_send_overfill.findings(src, RULE.name, seen)
    if b"<-" not in src.data or b"nil" not in src.data:
        return
    if prefilter.GO_STATEMENT.search(src.data) is None:
        return
    for function in syntax.descendants(src.root, *syntax.FUNCTIONS):
        for channel in channels.local_channels(function, src):
            found = double_send(channel, src)
            if found is not None:
                yield finding(channel, found, src)
            else:
                yield from _double_send_callee.findings(channel, src, RULE.name, seen)


def finding(channel: channels.LocalChannel, found: DoubleSend, src: SourceFile) -> Finding:
    line = src.data[: found.second.start_byte].count(b"\n") + 1
    # The goroutine, for where the leak bites (bites.py).
    captures = {"send": span_of(found.first), "goroutine": span_of(found.goroutine)}
    if is_fixable(found, src):
        captures["return_after"] = span_of(found.first)
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(found.first),
        message=f"goroutine sends on {channel.name} on the error path, then falls through to the "
        f"send on line {line}, which blocks forever: {channel.name} is received from once",
        captures=captures,
        related=(Related(span_of(found.second), "the second send"),),
    )


# --- the channel: made here, unbuffered, fed by one goroutine, received once ----------------------


def double_send(channel: channels.LocalChannel, src: SourceFile) -> DoubleSend | None:
    goroutine = single_sender(channel, src)
    if goroutine is None or not is_received_once(channel, src):
        return None
    body = syntax.function_body(goroutine)
    if body is None:
        return None
    for send in syntax.descendants(body, "send_statement", into_functions=False):
        check = error_check_ending_in(send, src)
        if check is not None and channels.is_name(
            send.child_by_field_name("channel"), channel.name, src
        ):
            second = fall_through_send(check, channel.name, src)
            if second is not None:
                return DoubleSend(check, send, second, goroutine)
    return None


def single_sender(channel: channels.LocalChannel, src: SourceFile) -> Node | None:
    """The goroutine literal that makes every send on the unbuffered ``channel``, or None."""
    capacity = channel.capacity
    if capacity is not None and src.show(capacity) != "0":
        return None
    body = syntax.function_body(channel.function)
    if body is None or not channels.is_confined(channel, src):
        return None
    sends = channels.sends_on(body, channel.name, src)
    goroutines = {
        (go.start_byte, go.end_byte) if go is not None else None
        for go in (channels.go_statement_of(s, channel.function) for s in sends)
    }
    if len(goroutines) != 1 or None in goroutines:
        return None
    go = channels.go_statement_of(sends[0], channel.function)
    if go is None or syntax.is_started_for_program_lifetime(go, src):
        return None  # a goroutine of main or init lives as long as the program anyway
    # A `go` in a loop that does not make a new channel each round starts several senders.
    around_make = {span_of(loop) for loop in syntax.enclosing_loops(channel.declaration)}
    if any(span_of(loop) not in around_make for loop in syntax.enclosing_loops(go)):
        return None
    return syntax.launched_literal(go)


def is_received_once(channel: channels.LocalChannel, src: SourceFile) -> bool:
    """One receive, in the function's own body, run once per ``make`` (not in a loop of its own)."""
    body = syntax.function_body(channel.function)
    if body is None or channels.ranges_over(body, channel.name, src):
        return False
    receives = channels.receives_from(body, channel.name, src)
    if len(receives) != 1:
        return False
    receive = receives[0]
    if not syntax.same_node(syntax.enclosing_function(receive), channel.function):
        return False
    around_make = {span_of(loop) for loop in syntax.enclosing_loops(channel.declaration)}
    return all(span_of(loop) in around_make for loop in syntax.enclosing_loops(receive))


# --- the goroutine: an error check that sends and falls through -------------------------------


def fall_through_send(check: Node, name: str, src: SourceFile) -> Node | None:
    """The later send on ``name`` of the same block that control reaches after ``check``."""
    if check.parent is None:
        return None
    later = [s for s in check.parent.named_children if s.start_byte >= check.end_byte]
    for statement in later:
        if statement.type == "send_statement" and channels.is_name(
            statement.child_by_field_name("channel"), name, src
        ):
            return statement
        if can_leave_or_send(statement, name, src):
            return None
    return None


def error_check_ending_in(send: Node, src: SourceFile) -> Node | None:
    """The ``if err != nil { ...; send }`` (no else, not in a loop) that ends with ``send``."""
    statements = send.parent
    block = statements.parent if statements is not None else None
    check = block.parent if block is not None else None
    if statements is None or block is None or check is None or check.type != "if_statement":
        return None
    if not syntax.same_node(check.child_by_field_name("consequence"), block):
        return None
    last = syntax.block_statements(block)
    if not last or not syntax.same_node(last[-1], send):
        return None
    if check.child_by_field_name("alternative") is not None or syntax.enclosing_loops(check):
        return None
    return check if is_error_check(check.child_by_field_name("condition"), src) else None


def is_error_check(condition: Node | None, src: SourceFile) -> bool:
    """``err != nil`` (or ``fooErr != nil``, ``nil != err``)."""
    if condition is None or condition.type != "binary_expression":
        return False
    operator = condition.child_by_field_name("operator")
    left = condition.child_by_field_name("left")
    right = condition.child_by_field_name("right")
    if operator is None or operator.type != "!=" or left is None or right is None:
        return False
    if right.type != "nil":
        left, right = right, left
    return (
        right.type == "nil" and left.type == "identifier" and src.show(left).lower().endswith("err")
    )


def can_leave_or_send(statement: Node, name: str, src: SourceFile) -> bool:
    """The statement may jump away (so the second send may not run) or sends on ``name``."""
    return any(
        node.type in _JUMPS
        or syntax.is_ending_call(src, node)
        or (
            node.type == "send_statement"
            and channels.is_name(node.child_by_field_name("channel"), name, src)
        )
        for node in syntax.walk(statement, into_functions=False)
    )


# --- whether the missing return can be inserted -----------------------------------------------


def is_fixable(found: DoubleSend, src: SourceFile) -> bool:
    if found.goroutine.child_by_field_name("result") is not None:
        return False  # a bare return would not compile
    body = syntax.function_body(found.goroutine)
    if body is None:
        return False
    return not any(
        is_bookkeeping(node, src)
        for node in syntax.walk(body, into_functions=False)
        if node.start_byte >= found.check.end_byte and not is_deferred(node)
    )


def is_bookkeeping(node: Node, src: SourceFile) -> bool:
    if node.type != "call_expression":
        return False
    if syntax.call_name(src, node) == "close":
        return True
    function = node.child_by_field_name("function")
    field = function.child_by_field_name("field") if function is not None else None
    return field is not None and src.show(field) in _BOOKKEEPING_METHODS


def is_deferred(node: Node) -> bool:
    """``node`` is in a ``defer`` statement of its function: it runs on the error path too."""
    for ancestor in syntax.ancestors(node):
        if ancestor.type == "defer_statement":
            return True
        if ancestor.type in syntax.FUNCTIONS:
            return False
    return False
