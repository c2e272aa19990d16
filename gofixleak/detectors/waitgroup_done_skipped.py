"""A goroutine counted by a WaitGroup can end without calling `Done`, so `Wait` blocks forever.

What it finds
-------------
Three ways a ``sync.WaitGroup``'s ``Wait`` never returns. The first two on a WaitGroup whose
counter the package model accounts for (every ``Add`` is paired with the goroutines it counts
and every ``Done`` is made by one of them, at most once per run; see
``gofixleak/facts/waitgroups.py``), and that somebody waits on:

- **Done skipped.** ``wg.Add(1)`` then ``go ...`` (or ``wg.Add(len(xs))`` then a loop that starts
  one goroutine per element), where the goroutine has a path that returns without
  ``wg.Done()``: an early ``return``, a ``select`` case that returns, the end of a loop. Also a
  path that ends the goroutine without returning, and without ``Done``: ``runtime.Goexit()``,
  ``t.Fatal`` / ``t.FailNow`` on a ``*testing.T`` (or ``B``, ``F``, ``testing.TB``), and a
  ``panic`` that the goroutine's own deferred ``recover()`` stops. A path that ends the program
  (``os.Exit``, ``log.Fatal``, a panic nobody recovers) strands nobody.
  The goroutine is a literal, a function or method of the package given the WaitGroup
  (``go worker(&wg, x)``, ``go s.work(wg)``), or, for a WaitGroup field ``s.wg``, a method of the
  owner (``go s.run()``) or a literal. The finding is at the ``go`` statement.
- **Wait inside the spawning loop** (moby#25384). ``wg.Add(len(xs))`` before a loop over
  ``xs`` that starts one goroutine per iteration, and ``wg.Wait()`` in the loop's body: the
  first ``Wait`` waits for all ``len(xs)`` goroutines, but only one has been started. The
  finding is at the ``Wait``.

The third on any WaitGroup the package model can follow everywhere:

- **Done never called** (cockroach#1055). A ``wg.Wait()`` on a local WaitGroup, or on an
  unexported ``sync.WaitGroup`` field of a struct type of the package (``s.drain.Wait()``),
  where the package adds to it (``Add(k)``, ``k`` a positive constant) and no code of the
  package calls ``Done`` on it: every ``x.drain`` of every file, in every method of the type
  and every literal, is that ``Wait`` or such an ``Add``; a local is followed from its
  declaration through the package's callees and goroutines. This needs no pairing of the
  ``Add`` with goroutines: the ``Add`` may stand in a method (``StartTask``) and the ``Wait`` in
  another file's ``Stop``. The finding is at the ``Wait``, with the ``Add`` calls as related
  locations. Whether an ``Add`` runs before a given ``Wait`` is not worked out: a ``Wait``
  that can only run when no ``Add`` ran would return, but once any ``Add`` has run, a
  WaitGroup that nothing calls ``Done`` on can only block its waiters.

Why it leaks
------------
``Wait`` returns when the counter drops to zero. Each goroutine was counted once by ``Add`` and
is the only one that can take its count back; once it has ended without ``Done``, the counter
stays above zero forever. ``Wait`` blocks for good, and with it the function that waits (a
goroutine of its own, a ``Stop`` method, a test) and everything they hold. In the loop shape,
the goroutines that would bring the counter down are never started: the loop is stuck in its
first iteration whenever ``xs`` has two elements or more. When nothing calls ``Done`` at all,
the first ``Add`` raises the counter for good: every ``Wait`` after it blocks (cockroach#1055:
``Stop`` waits on ``s.drain`` while it holds ``s.mu``, so ``StartTask`` and everything else that
needs ``s.mu`` block behind it).

Example
-------
    func fetchAll(urls []string) {
        var wg sync.WaitGroup
        for _, u := range urls {
            wg.Add(1)
            go func(u string) {
                resp, err := http.Get(u)
                if err != nil {
                    return // wg.Done() is skipped
                }
                resp.Body.Close()
                wg.Done()
            }(u)
        }
        wg.Wait()
    }

Fixed
-----
    func fetchAll(urls []string) {
        var wg sync.WaitGroup
        for _, u := range urls {
            wg.Add(1)
            go func(u string) {
                defer wg.Done()
                resp, err := http.Get(u)
                if err != nil {
                    return // wg.Done() is skipped
                }
                resp.Body.Close()
            }(u)
        }
        wg.Wait()
    }

The loop shape's fix moves ``wg.Wait()`` from the loop's body to the line after the loop.

Done never called, and the same code with the ``Done`` in place (another method, another file):

    func (s *Stopper) StartTask() { s.mu.Lock(); defer s.mu.Unlock(); s.drain.Add(1) }
    func (s *Stopper) Stop()      { s.mu.Lock(); defer s.mu.Unlock(); s.drain.Wait() } // reported

    func (s *Stopper) FinishTask() { s.drain.Done() } // fixed: Stop returns once each task ends

Fix safety
----------
``defer wg.Done()`` as the goroutine's first statement, the trailing ``wg.Done()`` removed. It
is offered only when that trailing call, the last statement of the goroutine's body, is the
only ``Done`` the goroutine makes. The paths that reached it still call ``Done`` once, now as
the goroutine returns instead of just before; the paths that skipped it now call it too. That
is the whole change when the fix is SAFE:

- SAFE when the goroutine's body defers nothing else, calls no ``panic`` itself, and is a
  literal, or a function or method that nothing else in the package names and that is not
  exported (so the edit reaches no other caller). A panic that no syntax sees (in a callee, a
  nil dereference) now runs ``Done`` as it unwinds; the program dies all the same.
- UNSAFE (review) when the body defers other calls: those used to run after ``Done`` and now
  run before it, so the waiter is released later, and a deferred call that waits for the
  waiter would now deadlock. UNSAFE when the body calls ``panic``: ``Done`` now runs while the
  panic unwinds, and the waiter may run on before the program dies. UNSAFE when the function is
  exported or named elsewhere in the package (another call, a method value, an interface):
  its other callers see the change too. UNSAFE when the WaitGroup is a field ``s.wg`` and the
  body assigns ``s``: the deferred call reads ``s`` at the start, not at the end.
- No fix when ``Done`` is not the body's last statement (a ``Done`` that signals "started" and
  lets the goroutine run on would then wait for its end), when it is made in a callee or a
  nested literal, when there are several ``Done`` calls, or when the statement shares its line
  with other code.
- No fix when nothing calls ``Done`` (report only): where the ``Done`` belongs (which code ends
  a task, and whether on every path) is a design decision.

The loop shape's fix moves ``wg.Wait()`` after the loop. SAFE when the ``Wait`` is the last
statement of the loop's body and the ``Add`` before the loop is the only ``Add`` of a local
WaitGroup: with no element, ``Wait`` now runs on a zero counter and returns at once (before, it
did not run); with one, the goroutine is started and waited for before the code after the loop,
as before; with two or more, the original blocked forever in its first ``Wait``, so only inputs
that deadlocked behave differently. UNSAFE when statements follow the ``Wait`` in the body (they
would now run before the goroutines end); when other ``Add`` calls share the WaitGroup, or it is
a field, shared by every call of its owner's methods (with no element, the ``Wait`` that now
runs waits for the goroutines they count); and, before Go 1.22, when the loop counts
``for i := 0; i < n; i++`` and the goroutine's literal reads ``i`` (the loop has one ``i``, and
the ``i++`` that ends the loop now races with the goroutine).

Limitations
-----------
Silent whenever the counter is not accounted for: an ``Add`` that is not directly followed by
the goroutines it counts (an ``Add`` in one method and the ``go`` in another, an ``Add(1)``
inside the goroutine, ``Add(n)`` for a loop that may ``break``, ``continue`` or ``return``), a
``Done`` made outside the counted goroutines (by the function itself, by another goroutine, in
a helper method reached through the receiver), a goroutine that may call ``Done`` twice (in a
loop), a WaitGroup that is passed to a function outside the package, stored, copied, captured
by a function value, used through ``Go`` (Go 1.25), declared as a parameter or a package
variable, embedded in a struct, or a pointer field; and for a field, any ``x.wg`` whose ``x``
may be of another type. Silent too when a counted goroutine compares its WaitGroup with nil
(``if wg != nil { defer wg.Done() }``: whether ``Done`` runs depends on the caller), and when it
never calls ``Done`` at all (the model would have to be missing something), unless no code of
the package calls ``Done`` on the WaitGroup (the third shape, below). A WaitGroup whose
only ``Wait`` is in a callee it is passed to counts as waited on; one whose ``Wait`` is in
another package is not seen. ``Add`` calls reached through a callee of another file are
followed but not reported. Panics from a callee or the runtime (nil dereference, index out of
range) are not seen as paths. A ``for range`` over a channel counts as a loop that can end
(when the channel is closed), except over the time package's channels (``time.Tick``, a
ticker's ``C``), which nothing closes: a goroutine whose only ``Done`` is in such a loop over a
channel that is in fact never closed would be reported wrongly.

Done never called is silent whenever a ``Done`` could hide: a ``Done`` or ``Go`` anywhere on
the WaitGroup, a method value (``f := wg.Done``, ``go run(wg.Done)``), its address or value
handed to code that is not followed (another package's function, a function value), stored,
copied or returned; an ``Add`` of anything but a positive constant (``Add(n)``, ``Add(-1)``); an
exported, embedded or pointer field; an ``x.wg`` whose ``x`` may be of another type; a type of
the package made of the owner (``type A = T``, ``type B T``, a struct that embeds ``T``), under
which the same field goes by another type's name; a file of the package that cannot be read.
The owner handed to another package is no escape: that code cannot name an unexported field,
and the owner's methods it may call are the package's own code, counted like the rest.
A local's ``Wait`` is reported only where the declaring function (or a literal in it) calls it
directly. Reflection and ``unsafe`` are not seen. The kernel's own ``Add`` runs under a lock
that ``Stop`` holds while waiting; the finding names the missing ``Done``, not the lock.

References
----------
- The ``sync.WaitGroup`` documentation, whose example calls ``defer wg.Done()`` first thing.
- moby/moby#25384 (GoBench/GoKer moby_25384): ``Wait`` inside the loop after
  ``Add(len(pm.plugins))``.
- cockroachdb/cockroach#1055 (GoBench/GoKer cockroach_1055): ``StartTask`` adds to
  ``s.drain``, ``Quiesce`` and ``Stop`` wait on it, and nothing calls ``s.drain.Done()``.
- Tu et al., "Understanding Real-World Concurrency Bugs in Go" (ASPLOS 2019): misuse of
  WaitGroup as a class of blocking bugs.
"""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak import prefilter, syntax
from gofixleak.facts import waitgroups
from gofixleak.facts.package import GoPackage
from gofixleak.facts.usage import Event
from gofixleak.facts.waitgroups import Add, Goroutine, WaitGroup
from gofixleak.model import Finding, Related, RuleInfo, Span
from gofixleak.source import SourceFile, span_of

RULE = RuleInfo(name="waitgroup-done-skipped", doc=__doc__ or "")
# A goroutine an Add counts, or a Wait in the spawning loop: an Add and a go statement. A Wait
# on a WaitGroup nothing calls Done on: the word Wait.
PREFILTER = prefilter.AnyOf(prefilter.WAITGROUP_ADD, prefilter.Word(b"Wait"))
_ADD = prefilter.Word(b"Add")


def _in_package(data: bytes, package: GoPackage) -> bool:
    """A file with a Wait but no Add and go statement holds only the never-Done shape, which
    needs a WaitGroup the package declares (``WaitGroup`` spelled in some file) and an Add on
    it (the word ``Add`` in some file): most such Waits are a command's or a Cond's."""
    if prefilter.WAITGROUP_ADD.search(data) is not None:
        return True
    key = ("waitgroup-never-done-possible",)
    if key not in package.derived:
        datas = [package.data(path) for path in package.paths()]
        package.derived[key] = any(b"WaitGroup" in d for d in datas) and any(
            _ADD.search(d) is not None for d in datas
        )
    return bool(package.derived[key])


PACKAGE_PREFILTER = _in_package

# Ending calls on a testing value that stop the goroutine with runtime.Goexit.
_TESTING_ENDS = frozenset({"Fatal", "Fatalf", "FailNow"})
_TESTING_TYPES = ("*{0}.T", "*{0}.B", "*{0}.F", "{0}.TB")


def detect(src: SourceFile) -> Iterator[Finding]:
    if prefilter.WAITGROUP_ADD.search(src.data) is not None:
        yield from _counted(src)
    for group in waitgroups.never_done(src):
        for wait in group.waits:
            yield _never_done(src, group, wait)


def _counted(src: SourceFile) -> Iterator[Finding]:
    """The shapes of a counter the package model accounts for: both stand in an Add's block."""
    for group in [*_local_waitgroups(src), *waitgroups.field_waitgroups(src)]:
        if not group.accounted or not group.waits:
            continue
        for add in group.adds:
            if add.src.path != src.path:
                continue  # an Add in a callee of another file: reported there, if at all
            for goroutine in add.goroutines:
                finding = _done_skipped(src, group, add, goroutine)
                if finding is not None:
                    yield finding
            if add.loop is not None:
                finding = _wait_inside_loop(src, group, add, add.loop)
                if finding is not None:
                    yield finding


def _local_waitgroups(src: SourceFile) -> Iterator[WaitGroup]:
    """The local WaitGroups of ``src`` that may hold a finding: following one costs walks of
    its function and every goroutine, and most never can (see :func:`_may_strand`)."""
    for local in waitgroups.local_declarations(src):
        if _may_strand(src, local):
            group = waitgroups.local_waitgroup(src, local)
            if group is not None:
                yield group


def _may_strand(src: SourceFile, local: waitgroups.Local) -> bool:
    """False only when no finding is possible, by one look at the syntax: every ``Add`` of the
    WaitGroup is paired with goroutine literals that start with ``defer wg.Done()`` (so ``Done``
    runs on every path), no ``Wait`` is in a spawning loop, and the WaitGroup is handed to no
    call (whose Adds and goroutines would be followed too)."""
    adds = []
    declared = local.identifier.start_byte
    for identifier in syntax.descendants(local.function, "identifier"):
        if src.show(identifier) != local.name or identifier.start_byte == declared:
            continue
        parent = identifier.parent
        if parent is None or parent.type in ("argument_list", "unary_expression"):
            return True  # handed to a call, or its address taken
        if parent.type != "selector_expression":
            continue
        field = parent.child_by_field_name("field")
        if field is not None and src.show(field) == "Add":
            adds.append(identifier)
    for identifier in adds:
        found = waitgroups.paired(src, identifier)
        if found is None:
            return False  # an Add that is not paired: the counter is not accounted for
        gos, loop = found
        if not all(_defers_done_first(src, go, local.name) for go in gos):
            return True
        if loop is not None and any(_is_wait_of(src, s, local.name) for s in _body_of(loop)):
            return True
    return False


def _defers_done_first(src: SourceFile, go: Node, name: str) -> bool:
    literal = syntax.launched_literal(go)
    if literal is None or name in syntax.parameter_names(literal, src):
        return False
    statements = syntax.block_statements(literal.child_by_field_name("body"))
    return bool(statements) and _spelled(src, statements[0]) == f"defer{name}.Done()"


def _is_wait_of(src: SourceFile, statement: Node, name: str) -> bool:
    return _spelled(src, statement) == f"{name}.Wait()"


def _body_of(loop: Node) -> list[Node]:
    return syntax.block_statements(loop.child_by_field_name("body"))


def _spelled(src: SourceFile, node: Node) -> str:
    return "".join(src.show(node).split())


# --- Done skipped ---------------------------------------------------------------------------


def _done_skipped(
    src: SourceFile, group: WaitGroup, add: Add, goroutine: Goroutine
) -> Finding | None:
    on_return, on_exit = goroutine.done_on_return, goroutine.done_on_exit
    returns_without = on_return is not None and on_return.lo == 0
    ends_without = on_exit is not None and on_exit.lo == 0 and _only_goroutine_ends(goroutine)
    if not returns_without and not ends_without:
        return None
    waitgroup = _spelled_receiver(src, add.call)
    how = "return" if returns_without else "end (Goexit, t.Fatal, a recovered panic)"
    captures: dict[str, Span] = {"go": span_of(goroutine.go)}
    captures.update(_defer_plan(goroutine))
    related = [Related(span_of(add.call), "counts the goroutine")]
    related += [
        Related(span_of(_call_of(w.node)), "waits for it")
        for w in group.waits
        if w.src.path == src.path
    ][:1]
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(goroutine.go),
        message=(
            f"the goroutine can {how} without calling {waitgroup}.Done(), "
            f"so {waitgroup}.Wait() blocks forever"
        ),
        captures=captures,
        related=tuple(related),
    )


def _only_goroutine_ends(goroutine: Goroutine) -> bool:
    """Every ending call in the goroutine's own body ends only the goroutine (Goexit, a test's
    Fatal, a panic its deferred recover stops), none the program: then the paths that end
    without Done strand the waiter."""
    body = _body(goroutine)
    if body is None:
        return False
    src = goroutine.function_src
    recovers = _recovers(src, body)
    ends = [
        call
        for call in syntax.descendants(body, "call_expression", into_functions=False)
        if call.parent is not None
        and call.parent.type == "expression_statement"
        and syntax.is_ending_call(src, call)
    ]
    return bool(ends) and all(_ends_goroutine_only(src, call, recovers) for call in ends)


def _ends_goroutine_only(src: SourceFile, call: Node, recovers: bool) -> bool:
    if syntax.is_call_to(src, call, "runtime", "Goexit"):
        return True
    if syntax.call_name(src, call) == "panic":
        return recovers
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression":
        return False
    operand = function.child_by_field_name("operand")
    method = function.child_by_field_name("field")
    if operand is None or method is None or src.show(method) not in _TESTING_ENDS:
        return False
    return _is_testing_value(src, operand)


def _is_testing_value(src: SourceFile, operand: Node) -> bool:
    """``operand`` is a parameter declared ``*testing.T`` (``B``, ``F``) or ``testing.TB``."""
    testing = syntax.import_name(src, "testing")
    if testing is None or operand.type != "identifier":
        return False
    name = src.show(operand)
    outer = syntax.top_level_in(src.root, operand)
    declared = [n for n in syntax.declaring_identifiers(outer) if src.show(n) == name]
    holder = declared[0].parent if len(declared) == 1 else None
    if holder is None or holder.type != "parameter_declaration":
        return False
    type_node = holder.child_by_field_name("type")
    spelled = "".join(src.show(type_node).split()) if type_node is not None else ""
    return spelled in {t.format(testing) for t in _TESTING_TYPES}


def _recovers(src: SourceFile, body: Node) -> bool:
    """The body defers a literal that calls ``recover()``."""
    for statement in syntax.descendants(body, "defer_statement", into_functions=False):
        call = syntax.launched_call(statement)
        function = call.child_by_field_name("function") if call is not None else None
        if function is None or function.type != "func_literal":
            continue
        calls = syntax.descendants(function, "call_expression")
        if any(syntax.call_name(src, c) == "recover" for c in calls):
            return True
    return False


def _body(goroutine: Goroutine) -> Node | None:
    return goroutine.function.child_by_field_name("body") if goroutine.function else None


def _spelled_receiver(src: SourceFile, call: Node) -> str:
    """``wg`` for ``wg.Add(1)``, ``s.wg`` for ``s.wg.Add(1)``."""
    function = call.child_by_field_name("function")
    operand = function.child_by_field_name("operand") if function is not None else None
    return src.show(operand) if operand is not None else "wg"


def _call_of(waitgroup: Node) -> Node:
    """The ``wg.M()`` call whose receiver is ``waitgroup``."""
    selector = waitgroup.parent
    call = selector.parent if selector is not None else None
    return call if call is not None else waitgroup


# --- Done never called ----------------------------------------------------------------------

_RELATED_ADDS = 3


def _never_done(src: SourceFile, group: waitgroups.NeverDone, wait: Event) -> Finding:
    waitgroup = _spelled_receiver(src, wait.node)
    related = [
        Related(
            span_of(add.node),
            "adds to the counter",
            None if add.src.path == src.path else add.src.path,
        )
        for add in group.adds[:_RELATED_ADDS]
    ]
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(wait.node),
        message=(
            f"no code of the package calls {waitgroup}.Done(), so {waitgroup}.Wait() blocks "
            "forever once an Add has run"
        ),
        related=tuple(related),
    )


# --- the fix: defer Done ----------------------------------------------------------------------


def _defer_plan(goroutine: Goroutine) -> dict[str, Span]:
    """``done`` (the trailing Done statement) and ``body`` (the goroutine's body), both in the
    goroutine function's file, with ``review`` when the fix is UNSAFE; {} when no fix fits."""
    body = _body(goroutine)
    src = goroutine.function_src
    if body is None:
        return {}
    dones = {
        (e.src.path, e.node.start_byte): e
        for e in goroutine.run.events
        if e.kind == waitgroups.DONE
    }
    statements = syntax.block_statements(body)
    if len(dones) != 1 or not statements:
        return {}
    (done,) = dones.values()
    last = statements[-1]
    call = _call_of(done.node)
    if done.src.path != src.path or not syntax.same_node(call.parent, last):
        return {}  # Done in a callee, a nested block or a literal, or not last
    if last.type != "expression_statement" or not _alone_on_its_lines(src, last):
        return {}
    if not _opens_a_line(src, body):
        return {}
    plan = {"done": span_of(last), "body": span_of(body)}
    review = _review(goroutine, body, done.node)
    if review is not None:
        plan["review"] = span_of(review)
    return plan


def _review(goroutine: Goroutine, body: Node, waitgroup: Node) -> Node | None:
    """What makes ``defer Done`` need a review (see Fix safety), or None when it is SAFE."""
    src = goroutine.function_src
    deferred = next(syntax.descendants(body, "defer_statement", into_functions=False), None)
    if deferred is not None:
        return deferred
    for call in syntax.descendants(body, "call_expression", into_functions=False):
        if syntax.call_name(src, call) == "panic":
            return call
    owner = waitgroup.child_by_field_name("operand")
    if waitgroup.type == "selector_expression" and owner is not None:
        written = _assigned(src, body, src.show(owner))
        if written is not None:
            return written  # the deferred s.wg.Done() reads s at the start, not at the end
    function = goroutine.function
    if function is None or function.type == "func_literal":
        return None
    name_node = function.child_by_field_name("name")
    name = src.show(name_node) if name_node is not None else ""
    if name[:1].isupper() or not waitgroups.only_started_here(goroutine.src, name, goroutine.go):
        return function
    return None


def _assigned(src: SourceFile, body: Node, name: str) -> Node | None:
    """An assignment (``=``, ``:=``) to ``name`` in ``body``, nested literals included."""
    for statement in syntax.descendants(body, "assignment_statement", "short_var_declaration"):
        left = statement.child_by_field_name("left")
        if left is not None and name in syntax.identifier_names(left, src):
            return statement
    return None


def _alone_on_its_lines(src: SourceFile, statement: Node) -> bool:
    """The statement starts its line and only a comment follows it there (the fix moves the
    line, comment included)."""
    end = src.data.find(b"\n", statement.end_byte)
    rest = src.data[statement.end_byte : end if end != -1 else len(src.data)].strip(b" \t\r")
    return syntax.starts_line(src.data, statement.start_byte) and (
        not rest or (rest.startswith(b"//") and b"*/" not in rest)
    )


def _opens_a_line(src: SourceFile, body: Node) -> bool:
    """Only a comment may follow the body's ``{`` on its line: a new first statement can go
    on the next."""
    end = src.data.find(b"\n", body.start_byte)
    rest = src.data[body.start_byte + 1 : end].strip(b" \t\r") if end != -1 else b"?"
    return not rest or rest.startswith(b"//")


# --- Wait inside the spawning loop ----------------------------------------------------------


def _wait_inside_loop(src: SourceFile, group: WaitGroup, add: Add, loop: Node) -> Finding | None:
    body = loop.child_by_field_name("body")
    statements = syntax.block_statements(body)
    (goroutine,) = add.goroutines
    after_go = [s for s in statements if s.start_byte > goroutine.go.start_byte]
    wait = next(
        (
            statement
            for w in group.waits
            if w.src.path == src.path
            and (statement := _call_of(w.node).parent) is not None
            and any(syntax.same_node(statement, s) for s in after_go)
        ),
        None,
    )
    if wait is None:
        return None
    waitgroup = _spelled_receiver(src, add.call)
    count = syntax.arguments(add.call)[0]
    captures = {"wait": span_of(wait), "loop": span_of(_labeled(loop))}
    review = _wait_review(src, group, add, loop, statements, wait)
    if not _alone_on_its_lines(src, wait):
        captures = {}
    elif review is not None:
        captures["review"] = span_of(review)
    return Finding(
        rule=RULE.name,
        path=src.path,
        span=span_of(wait),
        message=(
            f"{waitgroup}.Wait() in the loop waits for all {src.show(count)} goroutines, "
            "but only one has been started: it blocks forever once the loop has two iterations"
        ),
        captures=captures,
        related=(Related(span_of(add.call), "counts every goroutine of the loop"),),
    )


def _wait_review(
    src: SourceFile, group: WaitGroup, add: Add, loop: Node, statements: list[Node], wait: Node
) -> Node | None:
    """What makes moving the Wait after the loop need a review (see Fix safety), or None."""
    if not syntax.same_node(wait, statements[-1]):
        return statements[-1]  # it would now run before the goroutines end
    if len(group.adds) > 1 or group.owner is not None:
        # Other goroutines may be counted when the loop has no element: the Wait that now runs
        # would wait for them (a field is shared by every call of the owner's methods).
        return add.call
    counted = syntax.counted_loop(src, loop)
    (goroutine,) = add.goroutines
    literal = goroutine.function if goroutine.function_src is src else None
    if counted is not None and literal is not None and literal.type == "func_literal":
        clause = next(c for c in loop.named_children if c.type == "for_clause")
        init = clause.child_by_field_name("initializer")
        counter = init.child_by_field_name("left") if init is not None else None
        names = syntax.identifier_names(counter, src) if counter is not None else set()
        shared = src.go_version is None or src.go_version < (1, 22)
        body = literal.child_by_field_name("body")
        if shared and body is not None and names & syntax.identifier_names(body, src):
            # Before Go 1.22 the counter is one variable: the i++ that now runs as the loop
            # ends races with the goroutine that reads it.
            return literal
    return None


def _labeled(loop: Node) -> Node:
    parent = loop.parent
    return parent if parent is not None and parent.type == "labeled_statement" else loop
