"""A goroutine waits for a quit signal (a channel, a cancel) that nothing ever sends.

What it finds
-------------
A goroutine whose endless loop can only end through ``case <-quit:`` (the case returns or breaks
out of the loop), where ``quit`` is a channel made locally by the function that started the
goroutine, and that function never closes ``quit`` nor sends on it, on any path. The goroutine is
either a func literal or a top-level function of the same file started with ``go name(...)``.

Across the package, the quit channel may also be a struct field: a goroutine (a literal, or
``go s.loop()``, and the same-package functions it calls) loops until ``case <-s.quit:``, or
``case <-s.done():`` where the accessor ``done`` returns the field as a receive-only channel, and
no code of the package (every file, tests and every build tag included) closes ``quit`` or sends
on it. Or the goroutine waits on ``s.ctx.Done()`` (in such a loop, or alone) where ``s.ctx`` is
only ever set, with ``s.cancel``, from ``context.WithCancel(context.Background())`` (or
``TODO()``), and nothing in the package calls ``s.cancel``. The finding names the type's
stop-like method (``Stop``, ``Close``, ``Shutdown``, ``Cancel``) that should do it.

A cancel that only the handle's holder can call (GoKer's cockroach_13197): a same-package
function or method ``F`` builds ``v := &T{ctx: ctx, cancel: cancel}`` from
``ctx, cancel := context.WithCancel(p)``, starts a goroutine (``go v.m()`` or a literal) that
waits on ``v.ctx.Done()`` with no other way out, and returns ``v`` on every return; nothing but
the returns and that goroutine holds ``v``, and neither calls its methods nor reads
``v.cancel``. A caller that drops the result (``F(...)`` as a statement, ``_ = F(...)``) while
``p`` is ``context.Background()`` or ``TODO()`` (at the call, or in ``F``) is reported at that
call, with the ``go`` statement and the cancel field's declaration as related places. No fix:
what to do with the handle (``defer tx.Rollback()``, keeping it) is the caller's decision.

Why it leaks
------------
The exit case is there, it just never fires: once the function returns, nobody else holds
``quit``, so the goroutine blocks forever in its ``select`` (or spins, with a ``default``) and is
never collected, together with everything it references.

Example
-------
    func Fib10() {
        c := make(chan int)
        quit := make(chan int)
        go fibonacci(c, quit) // loops until <-quit
        for i := 0; i < 10; i++ {
            fmt.Println(<-c)
        }
        // close(quit)
    }

Fixed
-----
    func Fib10() {
        c := make(chan int)
        quit := make(chan int)
        defer close(quit)
        go fibonacci(c, quit)
        for i := 0; i < 10; i++ {
            fmt.Println(<-c)
        }
        // close(quit)
    }

Fix safety
----------
``defer close(quit)`` right after the ``make``. ``quit`` is local, closed nowhere, never sent on
and handed to nothing but the goroutine, once, under its quit parameter (the rule is silent
otherwise), so the only code that can observe the close is code that receives from ``quit``, and
it observes it only once the function has returned. What each receive then does decides:

- SAFE when every receive outside the function's own body is a ``case <-quit:`` (or
  ``case _ = <-quit:``) of a goroutine's ``select``, in a loop, whose statements end, with no
  other ``break``/``continue``/``goto``, in a ``return``, or in a labeled ``break`` of that loop
  when no other loop runs it again: the close then only takes the way out the author wrote.
  Receives in the function's own body run before the deferred close and see nothing new.
  And the goroutine must have nothing left to do once the function has returned: every other
  send or receive in its loop is on an unbuffered channel that the function made and that only
  the function's own body and this goroutine use, and no ``select`` has a ``default``.
- UNSAFE (review) when a receive binds the value (``case v := <-quit:`` now sees the zero
  value), or when a receive outside a loop sits in another literal or before or after the
  goroutine's loop (``go func() { <-quit; report() }()``, a returned ``func() { <-quit }``):
  the code after it now runs. UNSAFE too when the goroutine could go on working after the
  return, and may be meant to: a generator whose channel is returned or is a parameter, a
  ticker's ``case <-t.C``, a ``default`` that polls, values left in a buffered channel, a
  channel another goroutine feeds. Closing quit on return stops such a goroutine then.
- No fix when a receive in a loop is anything else (``if v := <-quit; v == 42 { return }``,
  ``case <-quit: continue``, a ``continue outer`` to a loop that runs the select again): a
  closed ``quit`` is always ready, so that loop would spin instead of blocking. No fix either
  when the ``make`` sits inside a loop (a ``defer`` per iteration would pile up until the
  function returns), shares its line with other code, or when the file declares its own
  ``close``.

For a struct field, the fix is UNSAFE, and offered only when the type has exactly one stop-like
method (with a named receiver): at its start (after a leading ``mu.Lock()`` and its deferred
``Unlock``, so that racing callers are serialised), ``close(s.quit)`` guarded by
``if s.quit != nil`` and a ``select`` that skips the close when the channel is closed already,
so that calling the method twice, or on a value whose channel was never made, does not panic
(two calls racing without a lock still can); for a cancel field, ``s.cancel()`` guarded by
``if s.cancel != nil`` (a cancel may be called again). At the start, not in a ``defer``: the
method may wait for the goroutine after it (``s.wg.Wait()``), which must see the close first.
UNSAFE because the goroutine now ends when the method is called, maybe with work left (values
still in its other channels), and code after the method's call that still talks to the
goroutine would now block; and because the method must be what ends the goroutine, which only
its name says. The edit may be in another file of the package (the finding stays where the
goroutine is started); it lands with the finding's file or not at all.

A dropped handle has no fix: keeping the result and ending it (``defer tx.Rollback()``) is a
choice of the caller's, and which method ends the handle only its name says.

Limitations
-----------
Silent when the loop has any other exit (another returning case, a ``return`` after a receive, a
``break`` to an outer label), when the exit cases receive on more than one channel, when ``quit``
is a parameter or a package variable, when it is declared more than once in the
function or in a block that does not hold the ``go`` statement, when it is receive-only
(``make(<-chan T)`` cannot be closed), when it escapes (returned, stored, passed to another
function, handed to the goroutine twice or to a literal's parameter, handed on by the goroutine),
for methods started with ``go x.loop()``, and for goroutines started from ``main.main`` or an
``init``, which live as long as the program. Goroutines started once for the process elsewhere
(from a function that only such code calls; from a cobra command's ``Run``; inside a
package-level ``sync.Once``) are reported as ``process-lifetime``: shown, marked, and not failing
the run by default. For a local ``quit``, a goroutine function declared in another file is
not followed, nor a ``close`` declared in another file of the package.

For a struct field, silent when the field is exported (outside a ``main`` package), assigned
anything but ``make(...)`` or ``nil``, never made, passed to a function that may keep or close
it, stored, returned as a bidirectional channel, or closed or sent on through any value the
syntax cannot tell the type of (a range variable, a map element, a type that embeds the
struct): those may be the missing close. Silent too when a value is converted to the type, when
a file of the package cannot be read, for goroutines started by ``main``, an ``init`` or code
only the package's initialisation runs (``var std = newServer()``), and when the goroutine's
wait is more than three calls deep or reached through an interface or a function value. A
cancel field is followed only from ``WithCancel`` of ``Background()``/``TODO()`` (a parent
context may be cancelled, a timeout fires by itself); a cancel called only after the wait, by
the waiting goroutine itself (GoKer's cockroach_13755), or a cancel forgotten on one path only
(grpc_862, a ``conn.Close()`` on a result that is never assigned) is not found. A receive in a
``select`` with another case is the loop's business, not this rule's.

For a dropped handle, silent when the parent is anything but ``Background()``/``TODO()`` (a
caller's context may be cancelled), when ``F`` returns anything but ``v`` on some path (``nil``
after cancelling on an error path), calls a method of ``v``, hands ``v`` or its cancel to anything,
stores it, or sets ``v.ctx`` again; when the goroutine's wait has another way out or sits after a
``return``; when the wait is in a function the goroutine calls rather than in the one it starts;
when the field shape above already reports the goroutine where it starts (a cancel that nothing
calls, from ``F``'s own ``Background()``); for a handle kept in a variable and never used again,
returned in a pair with an error, or dropped by ``go F()``/``defer F()``; for calls from ``main``,
an ``init``, code only they run, or a testable example. When ``F`` makes the parent itself, a
dropping call is found only in a file that starts a goroutine or spells ``Background``/``TODO``
(the files the rule reads).

References
----------
- The seed article's fourth case (the Fibonacci generator whose ``close(quit)`` is forgotten).
- GCatch/GFix (ASPLOS 2021): blocking bugs fixed by adding a missing close of a stop channel.
- GoBench/GoKer, cockroach_2448: a stopper channel that nothing closes, read through an
  accessor.
- GoBench/GoKer, cockroach_13197: ``db.begin(context.Background())`` drops the ``*Tx`` whose
  ``Rollback`` is the only way to cancel the context ``awaitDone`` waits on.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import channels, prefilter, syntax
from gofixleak.facts.package import GoPackage
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.shapes import dropped_handle, field_channels
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="unclosed-quit-channel", doc=__doc__ or "")
# A dropped handle's call spells the parent it gets: ``Background()``, ``TODO()``; or its
# constructor makes it, and the file is checked only when it starts a goroutine too.
PREFILTER = prefilter.AnyOf(prefilter.GO_STATEMENT, prefilter.Word(b"Background", b"TODO"))


def _may_drop_a_handle(data: bytes, package: GoPackage) -> bool:
    """A file without a ``go`` statement can only drop a handle: some file of the package then
    starts a goroutine and spells ``WithCancel``, and some file declares a ``CancelFunc``."""
    if prefilter.GO_STATEMENT.search(data):
        return True
    key = ("handle-constructors-possible",)
    if key not in package.derived:
        datas = [package.data(path) for path in package.paths()]
        package.derived[key] = any(b"CancelFunc" in d for d in datas) and any(
            b"WithCancel" in d and prefilter.GO_STATEMENT.search(d) for d in datas
        )
    return bool(package.derived[key])


PACKAGE_PREFILTER = _may_drop_a_handle


def detect(src: SourceFile) -> Iterator[Finding]:
    yield from field_channels.findings(src, RULE.name)  # channels kept in struct fields
    for call, handle in dropped_handle.dropped_handles(src):  # the caller drops the handle
        yield dropped_handle.finding(RULE.name, src, call, handle)
    if b"go" not in src.data or b"select" not in src.data:
        return
    seen: set[int] = set()
    for go in syntax.descendants(src.root, "go_statement"):
        goroutine = syntax.spawned_goroutine(src, go)
        if goroutine is None:
            continue
        finding = _check(src, goroutine)
        if finding is not None and finding.span.start not in seen:
            seen.add(finding.span.start)
            yield finding


def _check(src: SourceFile, g: syntax.Goroutine) -> Finding | None:
    body = syntax.function_body(g.function)
    if body is None:
        return None
    for loop in syntax.descendants(body, "for_statement", into_functions=False):
        if not syntax.is_unconditional_loop(loop):
            continue
        quit_name = _only_quit_channel(src, loop)
        if quit_name is None:
            continue
        return _finding(src, g, loop, quit_name)
    return None


def _only_quit_channel(src: SourceFile, loop: Node) -> str | None:
    """The one channel name whose receive cases hold every exit of ``loop``, or None."""
    operands = syntax.exit_case_operands(loop, src)
    names = {src.show(o) if o.type == "identifier" else None for o in operands}
    if len(names) != 1:
        return None
    return names.pop()


def _finding(src: SourceFile, g: syntax.Goroutine, loop: Node, quit_name: str) -> Finding | None:
    spawner_name = _spawner_side_name(src, g, quit_name)
    if spawner_name is None:
        return None
    declaration = local_channel_declaration(src, g.spawner, spawner_name)
    if declaration is None or not _only_received(src, g, spawner_name, quit_name, declaration):
        return None
    is_named = g.function.type == "function_declaration"
    if is_named and not _only_receives_in(src, g.function, quit_name):
        return None
    # A receive-only channel cannot be closed (nor sent on); and a `quit` declared in a block
    # that does not hold the `go` statement is another variable than the goroutine's.
    if _is_receive_only(src, g.spawner, spawner_name) or not _is_in_scope(declaration, g.go):
        return None
    captures = {
        "make": span_of(declaration),
        "name": _declared_identifier(src, declaration, spawner_name),
        "go": span_of(g.go),
    }
    captures.update(_fix_plan(src, g, loop, quit_name, spawner_name, declaration))
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(declaration),
        message=(
            f"{spawner_name} is never closed or sent on, so the goroutine's "
            f"`case <-{quit_name}` exit never fires and it leaks"
        ),
        captures=captures,
        related=(Related(span_of(g.go), "the goroutine that waits for it"),),
    )


def _declared_names(src: SourceFile, scope: Node) -> set[str]:
    return {src.show(n) for n in syntax.declaring_identifiers(scope)}


def _declared_identifier(src: SourceFile, declaration: Node, name: str) -> Span:
    """The span of ``name`` where ``declaration`` declares it."""
    for ident in syntax.descendants(declaration, "identifier"):
        if src.show(ident) == name:
            return span_of(ident)
    return span_of(declaration)


def _spawner_side_name(src: SourceFile, g: syntax.Goroutine, quit_name: str) -> str | None:
    """The spawner's name for the goroutine's quit channel."""
    if g.function.type == "func_literal":
        return None if quit_name in _declared_names(src, g.function) else quit_name
    call = syntax.launched_call(g.go)
    argument = syntax.bound_argument(call, g.function, src, quit_name) if call else None
    if argument is None or argument.type != "identifier":
        return None
    return src.show(argument)


def local_channel_declaration(src: SourceFile, function: Node, name: str) -> Node | None:
    """The statement of ``function`` that declares ``name := make(chan ...)`` (or the ``var``
    form), when it is the only declaration of ``name`` in the function and its literals."""
    body = syntax.function_body(function)
    if body is None or name in syntax.parameter_names(function, src):
        return None
    made = [c for c in channels.local_channels(function, src) if c.name == name]
    declared = [n for n in syntax.declaring_identifiers(body) if src.show(n) == name]
    if len(made) != 1 or len(declared) != 1:
        return None
    declaration = made[0].declaration
    return (
        declaration
        if declaration.type == "short_var_declaration"
        else syntax.statement_of(declaration)
    )


def _only_received(
    src: SourceFile, g: syntax.Goroutine, name: str, quit_name: str, declaration: Node
) -> bool:
    """Every use of ``name`` in the spawner is a receive or is the hand-over to the goroutine."""
    body = syntax.function_body(g.spawner)
    call = syntax.launched_call(g.go)
    if body is None or call is None:
        return False
    # Only the argument bound to the goroutine's quit parameter: the channel handed on under
    # another name (`go worker(quit, quit)`, `go func(done chan int) {...}(quit)`) could be sent
    # on or closed there, unseen.
    bound = (
        syntax.bound_argument(call, g.function, src, quit_name)
        if g.function.type == "function_declaration"
        else None
    )
    handed = [bound] if bound is not None else []
    statement = _declaring_statement(declaration)
    for ident in syntax.descendants(body, "identifier"):
        if src.show(ident) != name or syntax.is_inside(ident, statement):
            continue
        if any(syntax.same_node(ident, a) for a in handed) or _is_receive_operand(ident):
            continue
        return False
    return True


def _declaring_statement(declaration: Node) -> Node:
    return syntax.statement_of(declaration) or declaration


def _is_receive_operand(ident: Node) -> bool:
    parent = ident.parent
    if parent is None:
        return False
    if parent.type == "unary_expression":
        operator = parent.child_by_field_name("operator")
        return operator is not None and operator.type == "<-"
    return False


def _only_receives_in(src: SourceFile, function: Node, name: str) -> bool:
    """The goroutine function only receives from its ``name`` parameter: it neither closes,
    sends on, nor hands it to anything that could."""
    body = syntax.function_body(function)
    if body is None:
        return False
    return all(
        _is_receive_operand(ident)
        for ident in syntax.descendants(body, "identifier")
        if src.show(ident) == name
    )


def _is_receive_only(src: SourceFile, spawner: Node, name: str) -> bool:
    """``make(<-chan T)``: closing it would not compile."""
    made = [c for c in channels.local_channels(spawner, src) if c.name == name]
    return any(src.show(c.channel_type).startswith("<-") for c in made)


def _is_in_scope(declaration: Node, go: Node) -> bool:
    """The ``go`` statement comes after the declaration, in its block: the name means it there."""
    block = declaration.parent
    return (
        block is not None and syntax.is_inside(go, block) and declaration.end_byte <= go.start_byte
    )


# --- the fix: whether `defer close(quit)` only lets the goroutine end ----------------------------

# What a receive from quit does once quit is closed (it then never blocks again):
_BEFORE = "before"  # nothing: it runs in the function's own body, before the deferred close
_EXITS = "exits"  # the goroutine's exit case, which now fires: the intended way out
_REVIEW = "review"  # code after it now runs (with a zero value, or in another literal)
_SPINS = "spins"  # a loop that keeps receiving without leaving: it would spin on the closed channel


def _fix_plan(
    src: SourceFile,
    g: syntax.Goroutine,
    loop: Node,
    quit_name: str,
    spawner_name: str,
    declaration: Node,
) -> dict[str, Span]:
    """``defer_after`` (the make's statement) when ``defer close(quit)`` fits, with ``review``
    (a receive whose code now runs) when the fix needs a review; {} when no fix is right."""
    if syntax.enclosing_loops(declaration):
        return {}  # a defer per iteration would pile up until the function returns
    if not syntax.starts_line(src.data, declaration.start_byte):
        return {}
    if syntax.declares_name(src, "close"):
        return {}  # `close` is not the builtin here
    verdicts = [(r, _after_close(src, g, r)) for r in _receives(src, g, quit_name, spawner_name)]
    if any(v == _SPINS for _, v in verdicts):
        return {}
    plan = {"defer_after": span_of(declaration)}
    review = next((r for r, v in verdicts if v == _REVIEW), None)
    if review is None:
        review = _keeps_working(src, g, loop, quit_name)
    if review is not None:
        plan["review"] = span_of(review)
    return plan


def _receives(
    src: SourceFile, g: syntax.Goroutine, quit_name: str, spawner_name: str
) -> list[Node]:
    """Every ``<-quit`` of the spawner (literals included) and of a named goroutine function."""
    scopes = [(syntax.function_body(g.spawner), spawner_name)]
    if g.function.type == "function_declaration":
        scopes.append((syntax.function_body(g.function), quit_name))
    out: list[Node] = []
    for body, name in scopes:
        if body is None:
            continue
        for ident in syntax.descendants(body, "identifier"):
            if src.show(ident) == name and _is_receive_operand(ident) and ident.parent is not None:
                out.append(ident.parent)
    return out


def _after_close(src: SourceFile, g: syntax.Goroutine, receive: Node) -> str:
    function = syntax.enclosing_function(receive)
    if function is None or syntax.same_node(function, g.spawner):
        return _BEFORE
    loops = syntax.enclosing_loops(receive)
    if not loops:
        return _REVIEW  # it no longer blocks: what follows it now runs
    if not _is_exit_case(src, receive, loops[0]):
        return _SPINS
    is_goroutine = syntax.same_node(function, g.function) or syntax.is_goroutine_literal(function)
    return _EXITS if is_goroutine and not _binds_value(src, receive) else _REVIEW


def _is_exit_case(src: SourceFile, receive: Node, loop: Node) -> bool:
    """``case <-quit:`` of a select in ``loop`` whose statements end, unconditionally, in a
    ``return`` or in a ``break`` of ``loop`` that is in no other loop: once quit is closed, the
    case leaves the loop for good."""
    statement = receive.parent
    case = statement.parent if statement is not None else None
    if statement is None or case is None or statement.type != "receive_statement":
        return False
    if case.type != "communication_case" or not syntax.same_node(
        case.child_by_field_name("communication"), statement
    ):
        return False
    body = [
        s
        for c in case.named_children
        if c.type == "statement_list"
        for s in c.named_children
        if s.type != "comment"
    ]
    if not body:
        return False
    last = body[-1]
    # Any other jump (`continue`, `goto`, an earlier `break`) could keep the loop going.
    for s in body:
        for node in syntax.walk(s, into_functions=False):
            if node.type in _JUMPS and not syntax.same_node(node, last):
                return False
    if last.type == "return_statement":
        return True
    label = next((c for c in last.named_children if c.type == "label_name"), None)
    return (
        last.type == "break_statement"
        and label is not None
        and src.show(label) == syntax.label_of(loop, src)
        and not syntax.enclosing_loops(loop)
    )


_JUMPS = frozenset({"break_statement", "continue_statement", "goto_statement"})


def _binds_value(src: SourceFile, receive: Node) -> bool:
    """``case v := <-quit:``: the case would now see the zero value."""
    statement = receive.parent
    left = statement.child_by_field_name("left") if statement is not None else None
    return left is not None and any(
        c.type == "identifier" and src.show(c) != "_" for c in left.named_children
    )


def _keeps_working(src: SourceFile, g: syntax.Goroutine, loop: Node, quit_name: str) -> Node | None:
    """What in the goroutine's loop could still fire once the function has returned (a
    ``default``, a ticker, a channel the caller or another goroutine still uses, a buffered
    channel with values left), or None. Then the goroutine may be meant to outlive the function
    (a generator handed to the caller, a background reporter), and closing quit on return would
    stop it early."""
    body = loop.child_by_field_name("body")
    if body is None:
        return loop
    for node in syntax.walk(body, into_functions=False):
        if node.type == "default_case":
            return node
        channel = _operated_channel(node)
        if channel is None or (channel.type == "identifier" and src.show(channel) == quit_name):
            continue
        if not _is_private_channel(src, g, channel):
            return node
    return None


def _operated_channel(node: Node) -> Node | None:
    """The channel that a send statement or a receive expression uses."""
    if node.type == "send_statement":
        return node.child_by_field_name("channel")
    if node.type == "unary_expression" and syntax.is_receive(node):
        return node.child_by_field_name("operand")
    return None


def _is_private_channel(src: SourceFile, g: syntax.Goroutine, channel: Node) -> bool:
    """An unbuffered channel that the spawner made and that only the spawner's own body and this
    goroutine send on or receive from: once the function has returned, no operation on it can
    complete."""
    if channel.type != "identifier":
        return False
    name = src.show(channel)
    handed: Node | None = None
    if g.function.type == "function_declaration":
        call = syntax.launched_call(g.go)
        handed = syntax.bound_argument(call, g.function, src, name) if call else None
        worker = syntax.function_body(g.function)
        if handed is None or handed.type != "identifier" or worker is None:
            return False
        if not all(_is_operation(i) for i in syntax.references(worker, name, src)):
            return False  # the parameter is handed on
        name = src.show(handed)
    elif name in _declared_names(src, g.function):
        return False
    declaration = local_channel_declaration(src, g.spawner, name)
    made = [c for c in channels.local_channels(g.spawner, src) if c.name == name]
    body = syntax.function_body(g.spawner)
    if declaration is None or len(made) != 1 or body is None:
        return False
    capacity = made[0].capacity
    if capacity is not None and src.show(capacity) != "0":
        return False  # values left in the buffer could still be received after the return
    for ident in syntax.descendants(body, "identifier"):
        if src.show(ident) != name or syntax.is_inside(ident, declaration):
            continue
        if handed is not None and syntax.same_node(ident, handed):
            continue
        if not _is_operation(ident):
            return False  # returned, stored, closed, passed on: usable after the return
        in_spawner = syntax.same_node(syntax.enclosing_function(ident), g.spawner)
        if not (in_spawner or syntax.is_inside(ident, g.function)):
            return False  # another goroutine or literal may use it after the return
    return True


def _is_operation(ident: Node) -> bool:
    """``ident <- v``, ``<-ident`` or ``range ident``."""
    parent = ident.parent
    if parent is None:
        return False
    if parent.type == "send_statement":
        return syntax.same_node(parent.child_by_field_name("channel"), ident)
    return _is_receive_operand(ident) or (
        parent.type == "range_clause"
        and syntax.same_node(parent.child_by_field_name("right"), ident)
    )
