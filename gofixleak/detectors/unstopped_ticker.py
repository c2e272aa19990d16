"""A ticker or timer made in a function that can return, or a ticker in a field, never stopped.

What it finds
-------------
`t := time.NewTicker(d)` or `t := time.NewTimer(d)` (also `var t = ...`; the `time` import's
alias respected) in a function or function literal that can return, when nothing in the
function calls `t.Stop()` and `t` stays in the function: it is only received from (`<-t.C`,
`case <-t.C:`, `for range t.C`) or reset (`t.Reset(d)`). Only when the module's effective Go
version (the nearest go.mod `go` line, or `--go-version`) is below 1.23 or unknown.
A timer is reported only when the function can return without draining it: a timer that has
fired is released, so `t := time.NewTimer(d)` followed in the same block by an unconditional
`<-t.C` (no `return`, `break`, `continue` or `goto` in between, and no `t.Reset` anywhere) is
left alone. A receive in a `select` with other cases, or behind an early return, is reported.

A ticker kept in a struct field: `s.t = time.NewTicker(d)` or `&S{t: time.NewTicker(d)}` (in a
constructor `NewS`, or any function but `main.main` and `init`), where `t` is an unexported
field of `S` declared `*time.Ticker`, and nothing in the package stops it. Every use of a field
spelled `t` in every file of the package is read: none may be a `Stop` (`s.t.Stop()` in a
`Close`, on any path, counts as stopped, since which `S` a method runs on is not followed),
and each must be a receive from `x.t.C`, a `x.t.Reset(d)` or another `x.t = time.NewTicker(d)`;
a use through a value typed as another struct with its own field `t` is that struct's.

A ticker or timer made once for the process outside a loop (in a function that only `main`,
`init`, a cobra command's `Run` or a package-level `sync.Once` calls, such as a constructor of
a singleton) is reported as `process-lifetime`: shown, marked, and not failing the run by
default.

Why it leaks
------------
Before Go 1.23 the runtime holds every running ticker and every pending timer, referenced or
not. A ticker that is not stopped runs, and is kept, for the life of the program; a timer is
kept until it fires, which for a long timeout is as good as forever under load. Each call of
the function leaves one behind; a ticker in a field outlives every value of its type that is
dropped. Since Go 1.23 unreferenced timers and tickers are collected,
so the rule stays silent there.

Example
-------
    func Wait(abort <-chan struct{}) bool {
        t := time.NewTimer(time.Hour)
        select {
        case <-t.C:
            return true
        case <-abort:
            return false
        }
    }

Fixed
-----
    func Wait(abort <-chan struct{}) bool {
        t := time.NewTimer(time.Hour)
        defer t.Stop()
        select {
        case <-t.C:
            return true
        case <-abort:
            return false
        }
    }

Fix safety
----------
SAFE: `defer t.Stop()` goes on the line after the declaration. `t` does not escape the
function, so nothing can receive from it after the function returns, and stopping it then only
releases it (stopping a timer that has already fired does nothing).
No fix when the declaration is inside a loop (a `defer` there would pile up one call per
iteration and still hold every ticker until the function returns; stop it in the loop
instead), or when the declaration does not end its line. No fix for a ticker in a field: where
it should be stopped (a `Close` or `Stop` method, and who calls it) is the type's design.

Limitations
-----------
Silent when `t` escapes: returned, stored in a field or another variable, passed to a call
(`t.C` too), sent on a channel, or captured by a function literal or goroutine (except a
deferred closure that stops it: any `t.Stop()` in the function counts as stopped, on whatever
path). Silent when `t` is reassigned or declared more than once in the function, for
`t = time.NewTicker(d)` assignments, multi-value declarations and tickers never assigned to a
variable (`<-time.NewTimer(d).C`), when a parameter or local of the function is named like the
`time` import (`time.NewTicker` may be its method), in `_test.go` files, in `main.main` and
`init`, and in functions that cannot return (an endless loop, or ending in `for range t.C` with
no way out).
The timer drain check is syntactic: a `break` inside an inner loop between the declaration and
the receive makes a drained timer look undrained (the added `Stop` is then harmless).
For a ticker in a field: silent when any use of a field of that name is something else (read
into a variable, passed on, compared, set to another value, a method value, a method of that
name), when the field is exported or embedded, when the type is not a struct declared once in
the package, when the value stored into is not typed by the package model, when a file of the
package cannot be read, and for timers (`*time.Timer` fields: a timer is released once it
fires). A `Stop` in a method that is never called still counts as stopped.

References
----------
- https://pkg.go.dev/time#NewTicker
- https://pkg.go.dev/time#NewTimer
- https://go.dev/doc/go1.23#timer-changes
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import prefilter
from gofixleak.detectors._unstopped_fields import field_ticker
from gofixleak.model import Finding, RuleInfo, Span
from gofixleak.source import SourceFile, span_of
from gofixleak.syntax import (
    can_return,
    declaration_statement,
    declaring_identifiers,
    enclosing_function,
    enclosing_loops,
    ends_in_endless_range,
    function_name,
    is_call_to,
    is_received,
    references,
    same_node,
    sole_declaration,
    sole_declared_name,
    statement_of,
    timer_calls,
    timer_function,
    walk,
)

RULE = RuleInfo(name="unstopped-ticker", doc=__doc__ or "")
# Every finding is a call of time.NewTicker or time.NewTimer: the name is written in the file.
PREFILTER = prefilter.NEW_TICKER_OR_TIMER

MESSAGE = (
    "{name} from time.{kind} is never stopped: {function} can return {when}"
    "(before Go 1.23 the runtime keeps it)"
)
WHEN = {"NewTicker": "and it keeps ticking ", "NewTimer": "before it fires "}
FIELD_MESSAGE = (
    "{owner}.{field} from time.NewTicker is never stopped: nothing in the package stops it, "
    "so the ticker outlives its {owner} (before Go 1.23 the runtime keeps it)"
)
# Methods that keep a timer inside the function: the fix stops it after them.
_METHODS = frozenset({"Reset"})
_JUMPS = ("return_statement", "goto_statement", "break_statement", "continue_statement")


def detect(src: SourceFile) -> Iterator[Finding]:
    if b"NewTicker" not in src.data and b"NewTimer" not in src.data:
        return
    for call in timer_calls(src, "NewTicker", "NewTimer"):
        finding = _finding(src, call) or _field_finding(src, call)
        if finding is not None:
            yield finding


def _finding(src: SourceFile, call: Node) -> Finding | None:
    function = timer_function(src, call)
    declaration = sole_declaration(call)
    if function is None or declaration is None:
        return None
    name_node = sole_declared_name(declaration)
    name = src.show(name_node)
    if sum(src.show(n) == name for n in declaring_identifiers(function)) != 1:
        return None  # shadowed or redeclared: uses cannot be told apart without types
    uses = [u for u in references(function, name, src) if u.start_byte > name_node.end_byte]
    if any(_is_stop(src, u) for u in uses) or not all(_is_local(src, u, function) for u in uses):
        return None
    if not _can_return(src, function, name):
        return None
    kind = "NewTicker" if src.text(call).split(b"(")[0].endswith(b"NewTicker") else "NewTimer"
    if kind == "NewTimer" and _is_drained(src, declaration, uses):
        return None
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(call),
        message=MESSAGE.format(
            name=name,
            kind=kind,
            function=function_name(src, function) or "the function literal",
            when=WHEN[kind],
        ),
        captures=_captures(declaration, function),
    )


def _field_finding(src: SourceFile, call: Node) -> Finding | None:
    """A ticker stored in a struct field that nothing in the package stops (no fix: where to
    stop it, in which method, is the type's design)."""
    if not is_call_to(src, call, "time", "NewTicker") or timer_function(src, call) is None:
        return None
    found = field_ticker(src, call)
    if found is None:
        return None
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(call),
        message=FIELD_MESSAGE.format(owner=found.owner, field=found.field),
    )


def _method(src: SourceFile, use: Node) -> str | None:
    """``"Stop"`` for ``t.Stop(...)``, ``"C"`` for ``t.C``: the field selected on ``use``."""
    selector = use.parent
    if selector is None or selector.type != "selector_expression":
        return None
    if not same_node(selector.child_by_field_name("operand"), use):
        return None
    field = selector.child_by_field_name("field")
    return src.show(field) if field is not None else None


def _is_method_call(use: Node) -> bool:
    selector = use.parent
    call = selector.parent if selector is not None else None
    return (
        call is not None
        and call.type == "call_expression"
        and same_node(call.child_by_field_name("function"), selector)
    )


def _is_stop(src: SourceFile, use: Node) -> bool:
    """``t.Stop()``, in this function or any closure in it (a deferred one, typically)."""
    return _method(src, use) == "Stop" and _is_method_call(use)


def _is_local(src: SourceFile, use: Node, function: Node) -> bool:
    """``<-t.C``, ``range t.C`` or ``t.Reset(d)`` in the function itself."""
    if not same_node(enclosing_function(use), function):
        return False
    method = _method(src, use)
    if method == "C":
        assert use.parent is not None
        return is_received(use.parent)
    return method in _METHODS and _is_method_call(use)


def _can_return(src: SourceFile, function: Node, name: str) -> bool:
    """``can_return``, and not ending in a ``for range t.C``, which never ends."""

    def is_channel_of_t(channel: Node) -> bool:
        operand = channel.child_by_field_name("operand")
        field = channel.child_by_field_name("field")
        return (
            channel.type == "selector_expression"
            and operand is not None
            and field is not None
            and src.show(operand) == name
            and src.show(field) == "C"
        )

    return can_return(function, src) and not ends_in_endless_range(function, src, is_channel_of_t)


def _is_drained(src: SourceFile, declaration: Node, uses: list[Node]) -> bool:
    """A timer surely fires before the function returns: an unconditional ``<-t.C`` statement
    follows the declaration in its block, with no jump in between and no ``Reset`` anywhere."""
    if any(_method(src, u) == "Reset" for u in uses):
        return False
    statement = declaration_statement(declaration)
    if statement is None:
        return False
    for use in uses:
        receive = statement_of(use)
        if (
            receive is not None
            and receive.parent is not None
            and same_node(receive.parent, statement.parent)
            and _is_plain_receive(receive, use)
            and not _jumps_between(statement, receive)
        ):
            return True
    return False


def _is_plain_receive(statement: Node, use: Node) -> bool:
    """``<-t.C``, ``v := <-t.C`` or ``v = <-t.C``: the receive is the whole expression."""
    receive = use.parent.parent if use.parent is not None else None
    if receive is None or receive.type != "unary_expression":
        return False
    holder = receive.parent
    if holder is None:
        return False
    if statement.type == "expression_statement":
        return same_node(holder, statement)
    return (
        statement.type in ("short_var_declaration", "assignment_statement")
        and holder.type == "expression_list"
        and same_node(holder.parent, statement)
        and same_node(statement.child_by_field_name("right"), holder)
    )


def _jumps_between(first: Node, last: Node) -> bool:
    """A return, break, continue or goto in the statements from ``first`` up to ``last``."""
    parent = first.parent
    assert parent is not None
    between = [
        s for s in parent.named_children if first.start_byte <= s.start_byte < last.start_byte
    ]
    return any(n.type in _JUMPS for s in between for n in walk(s, into_functions=False))


def _captures(declaration: Node, function: Node) -> dict[str, Span]:
    captures = {"declaration": span_of(declaration), "function": span_of(function)}
    statement = declaration_statement(declaration)
    if statement is not None:
        captures["statement"] = span_of(statement)
        if enclosing_loops(statement):
            captures["loop"] = span_of(enclosing_loops(statement)[-1])
    captures["name"] = span_of(sole_declared_name(declaration))
    return captures
