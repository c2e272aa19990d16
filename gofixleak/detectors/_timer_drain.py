"""orphaned-receiver, for a timer: the drain ``if !t.Stop() { <-t.C }`` in a select loop that
also takes the timer's value in a case of its own without resetting it (Istio's issue 18454).

Once the timer has fired and ``case <-t.C:`` has taken its one value, ``t.Stop()`` returns
false (the timer has expired) and the drain waits for a value that no one will ever send: the
timer sends once per start, and nothing restarts it before the drain. Before Go 1.23 the value
is gone from the channel's buffer; from Go 1.23 on ``Stop`` returns false only when the value
was taken (or the timer stopped), so the drain can only block.

The timer is named by a stable path (``t``, ``s.timer``) and followed by syntax: the drain must
be the first statement of its case and guarded by ``!t.Stop()`` alone (a "fired" flag or an
earlier statement could skip it), the consuming case must not mention the timer (or its
owner, ``s``) and must let the loop go on, and nothing else may restart or hand on the timer:
no ``Reset`` anywhere but after the drain, no use other than ``.C``, ``.Stop()``, ``.Reset()``
and assignments, in the function for a local, in the whole package for a field.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak import syntax
from gofixleak.facts import resolve
from gofixleak.model import Finding, Related
from gofixleak.source import SourceFile, span_of

# What may be done with a timer without letting it go where the syntax cannot follow.
_TIMER_MEMBERS = frozenset({"C", "Stop", "Reset"})


@dataclass(frozen=True)
class Drain:
    """``if !t.Stop() { <-t.C }`` (``check``, ``receive``) in a case of ``select``, whose case
    ``consumer`` takes the timer's value without restarting it."""

    timer: str  # the path, as written: "t", "s.timer"
    check: Node
    receive: Node  # the <-t.C expression of the drain
    statement: Node  # the drain's expression statement
    consumer: Node  # the consuming communication case
    select: Node
    src: SourceFile


def findings(src: SourceFile, rule: str) -> Iterator[Finding]:
    if b"Stop" not in src.data or b".C" not in src.data:
        return
    for select in syntax.descendants(src.root, "select_statement"):
        for drain in _drains(select, src):
            yield _finding(drain, src, rule)


def _drains(select: Node, src: SourceFile) -> Iterator[Drain]:
    loops = syntax.enclosing_loops(select)
    if not loops:
        return  # one select: the consuming case and the drain exclude each other
    cases = [c for c in select.named_children if c.type in ("communication_case", "default_case")]
    for case in cases:
        found = _drain_in(case, src)
        if found is None:
            continue
        check, statement, receive, timer = found
        consumer = next(
            (c for c in cases if c != case and _takes_value(c, timer, src)),
            None,
        )
        if consumer is None or not _lets_loop_go_on(consumer, loops[0], src):
            continue
        if _mentions_timer(consumer, timer, src):
            continue  # it may restart the timer
        drain = Drain(timer, check, receive, statement, consumer, select, src)
        if _timer_stays_in_view(drain, loops[0], src):
            yield drain


def _drain_in(case: Node, src: SourceFile) -> tuple[Node, Node, Node, str] | None:
    """The case's first statement when it is ``if !T.Stop() { <-T.C }``: the ``if``, the
    receive statement, the receive and the path T."""
    statements = list(_case_statements(case))
    check = statements[0] if statements else None
    if check is None or check.type != "if_statement":
        return None
    if check.child_by_field_name("initializer") or check.child_by_field_name("alternative"):
        return None
    timer = _stopped_timer(check.child_by_field_name("condition"), src)
    body = syntax.block_statements(check.child_by_field_name("consequence"))
    if timer is None or len(body) != 1 or body[0].type != "expression_statement":
        return None
    receive = body[0].named_children[0] if body[0].named_children else None
    if receive is None or not _receives_from_timer(receive, timer, src):
        return None
    return check, body[0], receive, timer


def _stopped_timer(condition: Node | None, src: SourceFile) -> str | None:
    """T of ``!T.Stop()``, T a stable path."""
    if condition is None or condition.type != "unary_expression":
        return None
    operator = condition.child_by_field_name("operator")
    call = condition.child_by_field_name("operand")
    if operator is None or operator.type != "!" or call is None or call.type != "call_expression":
        return None
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression" or syntax.arguments(call):
        return None
    field = function.child_by_field_name("field")
    operand = function.child_by_field_name("operand")
    if field is None or src.show(field) != "Stop" or operand is None:
        return None
    return src.show(operand) if _is_path(operand) else None


def _is_path(node: Node) -> bool:
    """An identifier, or a field of a path (``s.timer``, ``s.state.timer``)."""
    if node.type == "identifier":
        return True
    operand = node.child_by_field_name("operand")
    return node.type == "selector_expression" and operand is not None and _is_path(operand)


def _receives_from_timer(node: Node, timer: str, src: SourceFile) -> bool:
    """``<-T.C``."""
    if node.type != "unary_expression":
        return False
    operator = node.child_by_field_name("operator")
    operand = node.child_by_field_name("operand")
    return (
        operator is not None
        and operator.type == "<-"
        and operand is not None
        and src.show(operand).replace(" ", "") == f"{timer}.C"
    )


def _takes_value(case: Node, timer: str, src: SourceFile) -> bool:
    """The case is ``case <-T.C:`` (or ``case v := <-T.C:``)."""
    if case.type != "communication_case":
        return False
    communication = case.child_by_field_name("communication")
    if communication is None:
        return False
    if communication.type == "receive_statement":
        communication = communication.child_by_field_name("right")
    elif communication.type == "expression_statement" and communication.named_children:
        communication = communication.named_children[0]
    return communication is not None and _receives_from_timer(communication, timer, src)


def _lets_loop_go_on(case: Node, loop: Node, src: SourceFile) -> bool:
    """Nothing in the case's statements can leave ``loop`` (return, goto, a labelled jump, a
    break aimed at the loop, an ending call): the next round may reach the drain."""
    for statement in _case_statements(case):
        for node in syntax.walk(statement, into_functions=False):
            if node.type in ("return_statement", "goto_statement"):
                return False
            if node.type in ("break_statement", "continue_statement") and node.named_children:
                return False  # labelled
            if node.type == "break_statement" and syntax.same_node(
                next((a for a in syntax.ancestors(node) if a.type in syntax.BREAK_TARGETS), None),
                loop,
            ):
                return False
            if syntax.is_ending_call(src, node):
                return False
    return True


def _mentions_timer(case: Node, timer: str, src: SourceFile) -> bool:
    """The case's statements mention the timer's root name (``t``; ``s`` for ``s.timer``),
    literals included: any of them could restart it."""
    root = timer.split(".", 1)[0]
    return any(
        src.show(node) == root
        for statement in _case_statements(case)
        for node in syntax.descendants(statement, "identifier")
    )


def _case_statements(case: Node) -> Iterator[Node]:
    for child in case.named_children:
        if child.type == "statement_list":
            yield from (c for c in child.named_children if c.type != "comment")


# --- nothing else restarts the timer --------------------------------------------------------


def _timer_stays_in_view(drain: Drain, loop: Node, src: SourceFile) -> bool:
    """Every use of the timer is ``.C``, ``.Stop()``, ``.Reset(...)`` or an assignment, and
    the only ``Reset`` is in the drain's case after the drain: a local timer within its
    function (literals included), a field within every file of the package."""
    if "." in drain.timer:
        return all(_innocent(node, drain, s) for s, node in _field_uses(drain, src))
    outer = syntax.top_level_in(src.root, loop)
    uses = [n for n in syntax.descendants(outer, "identifier") if src.show(n) == drain.timer]
    return all(_innocent(node, drain, src) or _declares(node) for node in uses)


def _field_uses(drain: Drain, src: SourceFile) -> Iterator[tuple[SourceFile, Node]]:
    """Where the package selects the timer's field on a value of the owner's type (the owner
    ``s`` of ``s.timer``); an operand whose type the syntax cannot tell counts as one."""
    path = _path_node(drain)
    operand = path.child_by_field_name("operand") if path is not None else None
    owner = resolve.type_of(src, operand) if operand is not None else None
    field = drain.timer.rsplit(".", 1)[1]
    for s in src.pkg.mentioning(field):
        for node in syntax.descendants(s.root, "selector_expression"):
            selected = node.child_by_field_name("field")
            if selected is None or s.show(selected) != field:
                continue
            other = node.child_by_field_name("operand")
            kind = resolve.type_of(s, other) if other is not None else None
            if owner is None or kind is None or kind == owner:
                yield s, node


def _path_node(drain: Drain) -> Node | None:
    """The timer's path in the drain's ``T.Stop()``."""
    condition = drain.check.child_by_field_name("condition")
    call = condition.child_by_field_name("operand") if condition is not None else None
    function = call.child_by_field_name("function") if call is not None else None
    return function.child_by_field_name("operand") if function is not None else None


def _innocent(node: Node, drain: Drain, src: SourceFile) -> bool:
    """``node`` (the timer) is assigned, compared with nil, or has a member taken that cannot
    restart it or hand it on; a ``Reset`` only in the drain's case, after the drain."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "expression_list" and parent.parent is not None:
        holder = parent.parent
        return holder.type == "assignment_statement" and syntax.same_node(
            holder.child_by_field_name("left"), parent
        )
    if parent.type == "binary_expression":
        operator = parent.child_by_field_name("operator")
        others = [c for c in parent.named_children if not syntax.same_node(c, node)]
        return (
            operator is not None
            and operator.type in ("==", "!=")
            and len(others) == 1
            and others[0].type == "nil"
        )
    if parent.type != "selector_expression" or not syntax.same_node(
        parent.child_by_field_name("operand"), node
    ):
        return False
    member = parent.child_by_field_name("field")
    name = src.show(member) if member is not None else ""
    if name not in _TIMER_MEMBERS:
        return False
    if name == "Reset":
        case = drain.check.parent.parent if drain.check.parent is not None else None
        return (
            src is drain.src
            and case is not None
            and syntax.is_inside(node, case)
            and node.start_byte > drain.check.end_byte
        )
    return True


def _declares(identifier: Node) -> bool:
    """The identifier declares the timer (``t := time.NewTimer(d)``, ``var t *time.Timer``)."""
    parent = identifier.parent
    holder = parent.parent if parent is not None and parent.type == "expression_list" else parent
    if holder is None:
        return False
    if holder.type == "short_var_declaration":
        return syntax.same_node(holder.child_by_field_name("left"), parent)
    return holder.type in ("var_spec", "parameter_declaration")


# --- the finding ---------------------------------------------------------------------------


def _finding(drain: Drain, src: SourceFile, rule: str) -> Finding:
    line = src.data[: drain.consumer.start_byte].count(b"\n") + 1
    return Finding(
        rule=rule,
        path=src.path,
        span=span_of(drain.receive),
        message=f"{drain.timer}.C is drained after {drain.timer}.Stop() returns false, but the "
        f"case on line {line} may already have taken the timer's only value (without a Reset): "
        "the drain blocks forever",
        captures={"drain": span_of(drain.statement)},
        related=(
            Related(span_of(drain.consumer), f"{drain.timer}.C's value is taken here"),
        ),
    )
