"""A goroutine runs a `for { }` loop that nothing can ever end.

What it finds
-------------
A goroutine (`go func() { ... }()`, or `go worker()` / `go s.loop()` naming a function or a
uniquely named method of the same file) whose unconditional `for { }` loop has no way out at all:
no `return`, no `break` that leaves it (labelled breaks and continues to an outer statement
included), no `goto`, no `panic`, `os.Exit`, `log.Fatal...`, `runtime.Goexit` or other
`Fatal`/`Panic`/`Exit`/`FailNow` call. This includes the background poller
`for { work(); time.Sleep(d) }` that no stop signal can reach.

The boundary with `select-without-exit`: this rule is for loops that hold no channel operation at
all. A loop whose body holds a `select` statement, a channel send or a channel receive (`<-ch`)
blocks on channels, and belongs to `select-without-exit`, which reports it and can thread a
`ctx.Done()` case into it; this rule stays silent there so that one leak is reported once.

Loops of `main.main` and `init`, and of goroutines started there (or in a function of package
`main` that only they call), are not reported: they run for the life of the program by design.
Goroutines started once for the process elsewhere (from a function that only such code calls,
in any package; from a cobra command's `Run`, `RunE`...; inside a package-level `sync.Once` or
`sync.OnceFunc`) are reported as `process-lifetime`: shown and marked, but not failing the run
by default, since one such goroutine per process is often the design, yet nothing can stop it.
Nor are goroutines started by a function that never returns itself (`go poll()` followed by
an endless `for { serve() }`: they live exactly as long as it does), started in a testable
example (`func ExampleXxx()` in a `_test.go` file: it shows code meant for a program's `main`),
or in package `runtime`, whose system goroutines (GC workers, the finalizer and cleanup
goroutines) live as long as the process.

Why it leaks
------------
A goroutine ends only when its function returns. A loop with no exit keeps the goroutine, its
stack and everything it references alive until the process ends; when the function that starts
it runs more than once, one more goroutine piles up on every call.

Example
-------
    func Foo() {
        go func() {
            for {
                fmt.Println("fooo")
            }
        }()
    }

Fixed
-----
No automatic fix.

Fix safety
----------
No fix is offered: how the loop should learn to stop (a `context.Context`, a quit channel, a
condition) and what it should do then is a design decision. A usual shape is
`select { case <-ctx.Done(): return; case <-time.After(d): }` in place of `time.Sleep(d)`.

Limitations
-----------
- Loops with a condition (`for running { }`) are not reported, even when the condition can never
  change: syntax cannot tell.
- A loop that ends only through a panic raised inside a called function is reported.
- A `range` loop inside the body does not count as a way out (it cannot end the outer loop).
- Goroutines started from another file, `go s.loop()` when several methods of the file are
  named `loop`, and `go f()` where `f` is a variable are not followed.
- Loops that block on channels are left to `select-without-exit` (see above).
- Package `runtime` is recognised by its name only: any package named `runtime` is silent.

References
----------
- The seed article, case 5 (an endless loop in a goroutine).
- https://go.dev/wiki/CodeReviewComments#goroutine-lifetimes
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import prefilter, syntax
from gofixleak.model import Finding, RuleInfo
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="endless-goroutine-loop", doc=__doc__ or "")
# Every finding is in a goroutine: a file without a `go` statement has none.
PREFILTER = prefilter.GO_STATEMENT

_CHANNEL_OPERATIONS = frozenset({"select_statement", "send_statement"})


def detect(src: SourceFile) -> Iterator[Finding]:
    for function in goroutine_functions(src):
        for loop in endless_loops(function, src):
            yield Finding(
                rule=RULE.name,
                path=src.path,
                span=span_of(loop),
                message="goroutine loops forever: this `for` loop has no return, break or "
                "stop signal",
                # The function the goroutine runs, for where it bites (bites.py).
                captures={"goroutine": span_of(function)},
            )


# --- which functions run as goroutines --------------------------------------------------------


def goroutine_functions(src: SourceFile) -> list[Node]:
    """Functions started by a ``go`` statement outside ``main``/``init``, in file order."""
    launched: dict[tuple[int, int], Node] = {}
    program_lifetime: set[tuple[int, int]] = set()
    for go in syntax.descendants(src.root, "go_statement"):
        function = launched_function(go, src)
        if function is None:
            continue
        key = (function.start_byte, function.end_byte)
        if syntax.is_started_for_program_lifetime(go, src):
            program_lifetime.add(key)
        elif _spawner_can_return(go, src):
            launched[key] = function
    return [f for key, f in sorted(launched.items()) if key not in program_lifetime]


def _spawner_can_return(go: Node, src: SourceFile) -> bool:
    """A goroutine started by a function that never returns (``go poll(); for { serve() }``)
    lives exactly as long as that function: not a leak of its own."""
    spawner = syntax.enclosing_function(go)
    return spawner is None or syntax.can_return(spawner, src)


def launched_function(go: Node, src: SourceFile) -> Node | None:
    """The literal, or the same file's function or method, that ``go`` starts."""
    literal = syntax.launched_literal(go)
    if literal is not None:
        return literal
    call = syntax.launched_call(go)
    callee = call.child_by_field_name("function") if call is not None else None
    if callee is None:
        return None
    if callee.type == "identifier":
        return _declaration(src, "function_declaration", src.show(callee))
    if callee.type == "selector_expression":
        operand = callee.child_by_field_name("operand")
        field = callee.child_by_field_name("field")
        imported = set(syntax.imports(src).values())
        if operand is None or field is None or src.show(operand) in imported:
            return None
        return _declaration(src, "method_declaration", src.show(field))
    return None


def _declaration(src: SourceFile, kind: str, name: str) -> Node | None:
    """The one top-level declaration of ``kind`` named ``name``; None if absent or ambiguous."""
    found = [
        d
        for d in src.root.named_children
        if d.type == kind and syntax.function_name(src, d) == name
    ]
    if len(found) != 1 or syntax.is_program_lifetime(src, found[0]):
        return None
    return found[0]


# --- which loops never end --------------------------------------------------------------------


def endless_loops(function: Node, src: SourceFile) -> Iterator[Node]:
    """Outermost endless loops that run in ``function`` itself (not in nested literals)."""
    body = syntax.function_body(function)
    if body is None:
        return
    for loop in syntax.descendants(body, "for_statement", into_functions=False):
        if is_endless(loop, src) and not any(
            is_endless(outer, src) for outer in syntax.enclosing_loops(loop)
        ):
            yield loop


def is_endless(loop: Node, src: SourceFile) -> bool:
    return (
        syntax.is_unconditional_loop(loop)
        and not has_channel_operation(loop)
        and not syntax.can_leave_loop(loop, src)
    )


def has_channel_operation(loop: Node) -> bool:
    """A select, send or receive in the loop: ``select-without-exit``'s territory."""
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    return any(
        node.type in _CHANNEL_OPERATIONS or syntax.is_receive(node)
        for node in syntax.walk(body, into_functions=False)
    )


