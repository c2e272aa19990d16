"""`time.Tick` in a loop or in a function that can return: its ticker is never stopped.

What it finds
-------------
A call `time.Tick(d)` (the `time` import's alias respected) in a function or function literal
that can return, whose channel is only received from in that function: kept in a variable
(`tick := time.Tick(d)`, then `<-tick`, `case <-tick:`, `for range tick`) or used in place
(`<-time.Tick(d)`, `case <-time.Tick(d):`, `for range time.Tick(d)`). Only when the module's
effective Go version (the nearest go.mod `go` line, or `--go-version`) is below 1.23 or unknown.

A call inside a loop (`for { select { case <-time.Tick(d): ... } }`, or `tick := time.Tick(d)`
in the loop's body) starts a new ticker on every iteration, and the finding says so. That is
reported wherever the loop is: also in a function that never returns, in `main.main` and in
`init`, where a single ticker would live as long as the program anyway but one per iteration
piles up. (The range expression of `for range time.Tick(d)` runs once: not in the loop.)
A ticker made once for the process outside a loop (in a function that only `main`, `init`, a
cobra command's `Run` or a package-level `sync.Once` calls) is reported as `process-lifetime`:
shown, marked, and not failing the run by default.

Why it leaks
------------
`time.Tick` starts a ticker that nothing can stop. Before Go 1.23 the runtime keeps every
running ticker, referenced or not, so each call of the function leaves one behind for the life
of the program, firing on every period; in a loop, each iteration does. Since Go 1.23 an
unreferenced ticker is collected, so the rule stays silent there.

Example
-------
    func Countdown(abort <-chan struct{}) bool {
        tick := time.Tick(10 * time.Millisecond)
        for countdown := 3; countdown > 0; countdown-- {
            select {
            case <-tick:
            case <-abort:
                return false
            }
        }
        return true
    }

Fixed
-----
    func Countdown(abort <-chan struct{}) bool {
        tick := time.NewTicker(10 * time.Millisecond)
        defer tick.Stop()
        for countdown := 3; countdown > 0; countdown-- {
            select {
            case <-tick.C:
            case <-abort:
                return false
            }
        }
        return true
    }

A call used in place gets its own ticker, named `ticker` (or `ticker2`... when that name is
taken), declared right before the statement: `ticker := time.NewTicker(d)`,
`defer ticker.Stop()`, and the call becomes `ticker.C`. A call inside a loop body is hoisted
before the outermost loop of the function, so that no `defer` lands in a loop.

Fix safety
----------
SAFE when the duration is a constant expression that evaluates to at least one nanosecond
(literals, `time.Nanosecond` ... `time.Hour`, `+ - * /`, parentheses) and nothing is hoisted:
the ticker then ticks exactly as before and is stopped when the function returns, after its
last possible use (the channel never leaves the function).
UNSAFE when the duration is anything else: `time.NewTicker` panics on `d <= 0` where
`time.Tick` returns a nil channel (which blocks forever).
UNSAFE when the call is hoisted out of a loop: a fresh `time.Tick` per iteration restarts its
period each time, the hoisted ticker does not. A `case <-time.Tick(d):` in a loop's `select`
behaves like an idle timeout (it fires only after `d` without other activity); after the fix it
fires every `d` regardless. Review that the loop wants a steady period.
UNSAFE when a call used in place comes after other code of its statement that may take time:
a call or a receive written before it (`f(slow(), <-time.Tick(d))`, the condition of an earlier
`if` in an `else if` chain). The ticker declared before the statement starts that much earlier
and ticks sooner.
No fix when the variable is also reassigned or compared (`tick = nil`), is declared more than
once in the function, or is declared with an explicit type; when the duration mentions a name
declared inside the loop it would be hoisted out of (or inside the statement it would be put
before); when a hoisted variable's name is also used outside that loop; when the statement
does not start its own line; or, for a call used in place, when the function has a `goto` (it
could jump over the new declaration, which does not build).

Limitations
-----------
Silent when the channel escapes: returned, stored in a field or another variable, passed to a
call, sent on a channel, or captured by a function literal (the ticker may be meant to outlive
the function). Silent in `_test.go` files and at package level; outside a loop, also in
`main.main` and `init` and in functions that cannot return (an endless `for { }`, or ending in
`for range time.Tick(d)` with no way out), which leave at most one ticker behind. Silent for
dot-imported `time` (`Tick(d)`), for `x = time.Tick(d)` assignments and for multi-value
declarations. A `goto` that jumps backwards is not seen as a loop. Named duration constants
are not resolved, so their fixes are UNSAFE.

References
----------
- https://pkg.go.dev/time#Tick
- https://go.dev/doc/go1.23#timer-changes
- https://staticcheck.dev/docs/checks/#SA1015
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import prefilter
from gofixleak.model import Finding, RuleInfo, Span
from gofixleak.source import SourceFile, span_of
from gofixleak.syntax import (
    arguments,
    can_return,
    declaration_statement,
    declaring_identifiers,
    enclosing_function,
    enclosing_loops,
    ends_in_endless_range,
    function_name,
    is_program_lifetime,
    is_received,
    references,
    same_node,
    sole_declaration,
    sole_declared_name,
    statement_of,
    timer_calls,
    timer_function,
)

RULE = RuleInfo(name="leaky-time-tick", doc=__doc__ or "")
# Every finding is a call of time.Tick: the name Tick is written in the file.
PREFILTER = prefilter.TIME_TICK

MESSAGE = (
    "time.Tick leaks its ticker: {function} can return and the ticker is never stopped "
    "(before Go 1.23 it is never collected)"
)
# In a loop the damage is not the return: every iteration starts one more ticker.
LOOP_MESSAGE = (
    "time.Tick in a loop of {function} starts a new ticker on every iteration, and none is "
    "ever stopped (before Go 1.23 none is collected)"
)


def detect(src: SourceFile) -> Iterator[Finding]:
    if b"Tick" not in src.data:
        return
    for call in timer_calls(src, "Tick"):
        finding = _finding(src, call)
        if finding is not None:
            yield finding


def _finding(src: SourceFile, call: Node) -> Finding | None:
    function = timer_function(src, call, in_main=True)
    if function is None:
        return None
    declaration = sole_declaration(call)
    if declaration is not None:
        captures = _variable_captures(src, function, declaration)
    elif is_received(call):
        captures = _direct_captures(call)
    else:
        return None  # the channel escapes: returned, stored, passed on
    if captures is None:
        return None
    # Once per call, the ticker is left behind when the function returns (main and init never
    # do, for this purpose); in a loop, one is left behind on every iteration, wherever it is.
    in_loop = "loop" in captures
    if not in_loop and (
        is_program_lifetime(src, function) or not _can_return(src, function, call, declaration)
    ):
        return None
    captures |= {"call": span_of(call), "function": span_of(function)}
    captures["delay"] = span_of(arguments(call)[0])
    name = function_name(src, function) or "the function literal"
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(call),
        message=(LOOP_MESSAGE if in_loop else MESSAGE).format(function=name),
        captures=captures,
    )


def _variable_captures(
    src: SourceFile, function: Node, declaration: Node
) -> dict[str, Span] | None:
    """Captures of ``tick := time.Tick(d)``; None when the channel escapes. Uses are captured
    (``use.0``...) only when all are plain receives and the name is declared once: no uses, no
    fix."""
    name_node = sole_declared_name(declaration)
    name = src.show(name_node)
    uses = [u for u in references(function, name, src) if u.start_byte > name_node.end_byte]
    kinds = [_use_kind(u, function) for u in uses]
    if "escape" in kinds:
        return None
    captures = {"name": span_of(name_node), "declaration": span_of(declaration)}
    statement = declaration_statement(declaration)
    if statement is not None:
        captures["statement"] = span_of(statement)
        captures |= _loop_capture(statement)
    declared = [n for n in declaring_identifiers(function) if src.show(n) == name]
    typed = declaration.type == "var_spec" and declaration.child_by_field_name("type") is not None
    if set(kinds) == {"receive"} and len(declared) == 1 and not typed:
        captures |= {f"use.{i}": span_of(u) for i, u in enumerate(uses)}
    return captures


def _use_kind(use: Node, function: Node) -> str:
    """ "receive" (``<-tick``, ``range tick``), "local" (``tick = nil``, ``tick == nil``: the
    channel stays here, but the fix cannot rewrite it) or "escape"."""
    if not same_node(enclosing_function(use), function):
        return "escape"  # captured by a closure or goroutine
    if is_received(use):
        return "receive"
    parent = use.parent
    if parent is None:
        return "escape"
    if parent.type == "binary_expression":
        operator = parent.child_by_field_name("operator")
        if operator is not None and operator.type in ("==", "!="):
            return "local"
    holder = parent.parent
    if (
        parent.type == "expression_list"
        and holder is not None
        and holder.type == "assignment_statement"
        and same_node(holder.child_by_field_name("left"), parent)
    ):
        return "local"
    return "escape"


def _direct_captures(call: Node) -> dict[str, Span] | None:
    statement = statement_of(call)
    if statement is None:
        return None
    return {"statement": span_of(statement)} | _loop_capture(call)


def _loop_capture(node: Node) -> dict[str, Span]:
    """The outermost loop of the function around ``node`` (with its label), if any."""
    loops = enclosing_loops(node)
    if not loops:
        return {}
    loop = loops[-1]
    if loop.parent is not None and loop.parent.type == "labeled_statement":
        loop = loop.parent
    return {"loop": span_of(loop)}


def _can_return(src: SourceFile, function: Node, call: Node, declaration: Node | None) -> bool:
    """``can_return``, and not ending in a ``for range`` over this ticker's channel, which never
    closes."""
    name = src.show(sole_declared_name(declaration)) if declaration is not None else None

    def is_this_ticker(channel: Node) -> bool:
        if same_node(channel, call):
            return True
        return name is not None and channel.type == "identifier" and src.show(channel) == name

    return can_return(function, src) and not ends_in_endless_range(function, src, is_this_ticker)
