"""A goroutine loops forever on channel operations, and nothing can make it stop.

What it finds
-------------
A ``go`` statement whose goroutine (a func literal, or a top-level function of the same file)
runs an unconditional ``for { }`` loop that holds a ``select``, a send or a receive, and no way
out: no case returns or breaks out of the loop (no ``return``, ``goto``, ``break`` of the loop or
of an outer label, no ``panic``/``os.Exit``-like call), while the function that started it can
return. This is the seed article's generator: it keeps offering values after its consumer left.

Why it leaks
------------
Once the spawning function returns, nobody receives what the goroutine sends (or sends what it
waits for), so it blocks forever in its ``select`` and is never collected, with everything it
references. A ``default`` case does not help: the goroutine then spins forever instead.

Example
-------
    func fibonacciCtx(ctx context.Context, c chan int) {
        x, y := 0, 1
        for {
            select {
            case c <- x:
                x, y = y, x+y
            }
        }
    }

    func FibCtx(ctx context.Context) {
        c := make(chan int)
        go fibonacciCtx(ctx, c)
        for i := 0; i < 10; i++ {
            fmt.Println(<-c)
        }
    }

Fixed
-----
    func fibonacciCtx(ctx context.Context, c chan int) {
        x, y := 0, 1
        for {
            select {
            case c <- x:
                x, y = y, x+y
            case <-ctx.Done():
                return
            }
        }
    }

    func FibCtx(ctx context.Context) {
        ctx, cancel := context.WithCancel(ctx)
        defer cancel()
        c := make(chan int)
        go fibonacciCtx(ctx, c)
        for i := 0; i < 10; i++ {
            fmt.Println(<-c)
        }
    }

Every ``select`` of the loop gets ``case <-ctx.Done(): return``; a bare send or receive
statement becomes ``select { case ch <- v: case <-ctx.Done(): return }``. The context is, in
order: one the goroutine already receives as a parameter, one the spawning function made with
``context.WithCancel``/``WithTimeout``/``WithDeadline`` and cancels with ``defer``, a
``context.Context`` parameter of the spawning function, or a new
``context.WithCancel(context.Background())``. A context the spawning function does not cancel
itself is derived (``ctx, cancel := context.WithCancel(ctx)`` + ``defer cancel()``), otherwise
the new case would never fire: the caller may pass ``context.Background()``. A func literal
captures the context; a named function without one gets a new first parameter
``ctx context.Context`` and its call gets the argument. The ``context`` import is added.

Fix safety
----------
SAFE only when the goroutine's context is done exactly when the spawning function returns and
then nothing can talk to the goroutine: the goroutine is a func literal, the context is new
(``context.WithCancel(context.Background())``) or a local one made that way whose ``cancel``
is only deferred, every channel the loop uses is unbuffered, made by the spawning function and
never leaves it but through the ``go`` statement, no ``select`` has a ``default`` and the
goroutine defers nothing. Stopping it on return then changes nothing else.

UNSAFE when the context is derived from a caller's context or reused from one with a deadline
or an early ``cancel()`` (it can be done before the function returns: the goroutine then stops
while the function may still wait on it, and the function blocks for ever where it used to
finish; review that it also watches the context), when a named function gets a new parameter
or its body changes (gofixleak sees one file at a time: a caller in another file of the
package, often a test, no longer builds, or sees the function stop), when a channel is
buffered (the new case can win over values still in the buffer and drop them), when a
``select`` has a ``default`` case or waits on timers (the goroutine does work of its own, which
now stops when the function returns), or when the goroutine defers work (which never ran
before and now runs).

No fix when the goroutine talks on a channel that outlives the function (a parameter, a field,
a package variable, or a local channel that is returned, stored or passed on, or used by
another goroutine or a deferred call: the goroutine serves someone else, whom a cancel on return
would cut off), when a named goroutine function is
referenced more than once in the file, when it returns results, when a receive declares
variables (``v := <-ch``) or sits inside an expression, when a ``select`` already has a
``<-ctx.Done()`` case that does not return, or when the text is not laid out one statement per
line.

Limitations
-----------
Silent for goroutines started from ``main.main`` or an ``init``, from a function of package main
that only they call, from a testable example, or in ``package runtime`` (they live as long as
the program); goroutines started once for the process elsewhere (from a function that only such
code calls, in any package; from a cobra command's ``Run``; inside a package-level
``sync.Once``) are reported as ``process-lifetime``: shown, marked, and not failing the run by
default. Silent for goroutines started by a method of a type that has a ``Close``, ``Stop`` or
``Shutdown`` method (a background loop that the type stops), for ``go x.method()`` and for
functions declared in other files, and for loops with a condition or a ``range`` clause. A loop
that holds no channel operation at all is ``endless-goroutine-loop``'s; a loop whose exit case
waits on a quit channel that is never closed is ``unclosed-quit-channel``'s. The rule cannot see
callers in other files of the package, so a new parameter is never SAFE (``--verify`` drops a
fix that does not build). No fix when a local named like the ``context`` import is declared in
the spawning or the goroutine function. The ``context`` import is never added to cgo's
``import "C"`` declaration.

References
----------
- The seed article's fourth case (the Fibonacci generator).
- https://go.dev/blog/pipelines (explicit cancellation)
- https://pkg.go.dev/context
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import prefilter, syntax
from gofixleak.model import Finding, Related, RuleInfo
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="select-without-exit", doc=__doc__ or "")
PREFILTER = prefilter.GO_STATEMENT

# Methods whose presence makes a type's goroutines background loops that the type stops.
STOPPING_METHODS = frozenset({"Close", "Stop", "Shutdown"})


def detect(src: SourceFile) -> Iterator[Finding]:
    if b"go" not in src.data or b"for" not in src.data:
        return
    for go in syntax.descendants(src.root, "go_statement"):
        goroutine = goroutine_of(src, go)
        if goroutine is None:
            continue
        loop = endless_channel_loop(src, goroutine.function)
        if loop is not None:
            yield _finding(src, goroutine, loop)


def goroutine_of(src: SourceFile, go: Node) -> syntax.Goroutine | None:
    """The goroutine ``go`` starts, when it is one this rule follows (see Limitations)."""
    goroutine = syntax.spawned_goroutine(src, go)
    if goroutine is None or is_stoppable_type_method(src, goroutine.spawner):
        return None
    return goroutine


def is_stoppable_type_method(src: SourceFile, function: Node) -> bool:
    """``function`` is a method of a type that also has a ``Close``/``Stop``/``Shutdown``."""
    receiver = _receiver_type(src, function)
    if receiver is None:
        return False
    return any(
        _receiver_type(src, d) == receiver and syntax.function_name(src, d) in STOPPING_METHODS
        for d in src.root.named_children
        if d.type == "method_declaration"
    )


def _receiver_type(src: SourceFile, method: Node) -> str | None:
    if method.type != "method_declaration":
        return None
    receiver = method.child_by_field_name("receiver")
    if receiver is None:
        return None
    names = list(syntax.descendants(receiver, "type_identifier"))
    return src.show(names[0]) if names else None


def endless_channel_loop(src: SourceFile, function: Node) -> Node | None:
    """The first unconditional loop of ``function`` that holds a channel operation and that
    nothing can leave (nested literals are not entered)."""
    body = syntax.function_body(function)
    if body is None:
        return None
    for loop in syntax.descendants(body, "for_statement", into_functions=False):
        if not syntax.is_unconditional_loop(loop) or syntax.can_leave_loop(loop, src):
            continue
        if channel_operations(loop):
            return loop
    return None


def channel_operations(loop: Node) -> list[Node]:
    """The selects, and the sends and receives outside a select's cases, in ``loop``'s body."""
    body = loop.child_by_field_name("body")
    if body is None:
        return []
    return [
        n
        for n in syntax.walk(body, into_functions=False)
        if n.type == "select_statement"
        or (n.type == "send_statement" and not syntax.is_case_communication(n))
        or (syntax.is_receive(n) and not syntax.is_case_communication(n))
    ]


def _finding(src: SourceFile, g: syntax.Goroutine, loop: Node) -> Finding:
    ops = channel_operations(loop)
    captures = {
        "go": span_of(g.go),
        "spawner": span_of(g.spawner),
        "function": span_of(g.function),
        "loop": span_of(loop),
    }
    captures.update({f"op{i}": span_of(op) for i, op in enumerate(ops)})
    first = ops[0]
    what = "select" if first.type == "select_statement" else "channel operation"
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(g.go),
        message=(
            f"goroutine loops on a {what} that nothing can end, and outlives the function "
            "that starts it"
        ),
        captures=captures,
        related=(Related(span_of(first), f"the {what} with no way out"),),
    )
