"""Control flow from syntax: returns, terminating statements (the spec's rules), loops that
can or cannot be left, calls that never return.
"""

from __future__ import annotations

from collections.abc import Callable

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.names import call_name, import_name, imports
from gofixleak.syntax.tree import (
    ancestors,
    block_statements,
    descendants,
    enclosing_loops,
    function_body,
    is_inside,
    label_of,
    same_node,
    walk,
)

# Statements that an unlabeled `break` inside them targets.
BREAK_TARGETS = frozenset(
    {"for_statement", "expression_switch_statement", "type_switch_statement", "select_statement"}
)


# Calls that never return to the caller.
NO_RETURN_CALLS = frozenset(
    {
        "panic",
        "os.Exit",
        "log.Fatal",
        "log.Fatalf",
        "log.Fatalln",
        "log.Panic",
        "log.Panicf",
        "log.Panicln",
        "runtime.Goexit",
    }
)


def breaks_out_of(loop: Node, src: SourceFile) -> bool:
    """True when a ``break`` (or ``goto``) inside ``loop`` can end it."""
    label = label_of(loop, src)
    body = loop.child_by_field_name("body")
    if body is None:
        return False
    for node in walk(body, into_functions=False):
        if node.type == "goto_statement":
            return True
        if node.type != "break_statement":
            continue
        target = next((c for c in node.named_children if c.type == "label_name"), None)
        if target is not None:
            if src.show(target) == label:
                return True
        elif same_node(_nearest_break_target(node), loop):
            return True
    return False


def _nearest_break_target(node: Node) -> Node | None:
    return next((a for a in ancestors(node) if a.type in BREAK_TARGETS), None)


def returns(body: Node) -> list[Node]:
    """``return`` statements of this function, not of nested literals."""
    return list(descendants(body, "return_statement", into_functions=False))


def is_no_return_call(src: SourceFile, node: Node) -> bool:
    """A call that never returns: ``panic``, ``os.Exit``, ``log.Fatal``..., ``runtime.Goexit``."""
    return node.type == "call_expression" and call_name(src, node) in NO_RETURN_CALLS


def is_terminating(statement: Node, src: SourceFile) -> bool:
    """Go's "terminating statement", from syntax: control never falls past it."""
    kind = statement.type
    if kind in ("return_statement", "goto_statement"):
        return True
    if kind == "labeled_statement":
        inner = statement.named_children[-1] if statement.named_children else None
        return inner is not None and is_terminating(inner, src)
    if kind == "expression_statement":
        call = statement.named_children[0] if statement.named_children else None
        return call is not None and is_no_return_call(src, call)
    if kind == "block":
        stmts = block_statements(statement)
        return bool(stmts) and is_terminating(stmts[-1], src)
    if kind == "if_statement":
        alternative = statement.child_by_field_name("alternative")
        consequence = statement.child_by_field_name("consequence")
        return (
            alternative is not None
            and consequence is not None
            and is_terminating(consequence, src)
            and is_terminating(alternative, src)
        )
    if kind == "for_statement":
        return is_unconditional_loop(statement) and not breaks_out_of(statement, src)
    if kind in ("expression_switch_statement", "type_switch_statement", "select_statement"):
        return _is_terminating_switch(statement, src)
    return False


_CASES = frozenset({"expression_case", "type_case", "default_case", "communication_case"})


def _is_terminating_switch(statement: Node, src: SourceFile) -> bool:
    """The spec's rule for ``switch`` and ``select``: no ``break`` of the statement, a
    ``default`` (a select needs none), and every case ends in a terminating statement (or, in a
    switch, ``fallthrough``). ``select {}`` blocks forever."""
    cases = [c for c in statement.named_children if c.type in _CASES]
    if statement.type == "select_statement" and not cases:
        return True
    if statement.type != "select_statement" and not any(c.type == "default_case" for c in cases):
        return False
    for case in cases:
        lists = [c for c in case.named_children if c.type == "statement_list"]
        stmts = [c for c in lists[0].named_children if c.type != "comment"] if lists else []
        last = stmts[-1] if stmts else None
        if last is None or not (
            last.type == "fallthrough_statement" or is_terminating(last, src)
        ):
            return False
    label = label_of(statement, src)
    for node in walk(statement, into_functions=False):
        if node.type == "goto_statement":
            return False  # it may jump past the end
        if node.type != "break_statement":
            continue
        target = next((c for c in node.named_children if c.type == "label_name"), None)
        if target is not None and src.show(target) == label:
            return False
        if target is None and same_node(_nearest_break_target(node), statement):
            return False
    return True


def is_unconditional_loop(loop: Node) -> bool:
    """``for { }`` or ``for init; ; post { }``: no condition, no range."""
    for child in loop.named_children:
        if child.type == "range_clause":
            return False
        if child.type == "for_clause":
            return child.child_by_field_name("condition") is None
        if child.type not in ("block", "comment"):
            return False  # a bare condition: for cond { }
    return True


def can_return(function: Node, src: SourceFile) -> bool:
    """True when the function can return normally (a return, or falling off its end)."""
    body = function_body(function)
    if body is None:
        return True
    if returns(body):
        return True
    stmts = block_statements(body)
    return not stmts or not is_terminating(stmts[-1], src)


# Methods whose calls end the goroutine or the program: t.Fatal, logger.Fatalf, t.FailNow...
ENDING_METHODS = frozenset(
    {"Fatal", "Fatalf", "Fatalln", "Panic", "Panicf", "Panicln", "Exit", "Goexit", "FailNow"}
)


def is_ending_call(src: SourceFile, node: Node) -> bool:
    """A no-return call, or a method call named like one (``logger.Fatal``, ``t.FailNow``)."""
    if node.type != "call_expression":
        return False
    if is_no_return_call(src, node):
        return True
    function = node.child_by_field_name("function")
    field = function.child_by_field_name("field") if function is not None else None
    return (
        function is not None
        and function.type == "selector_expression"
        and field is not None
        and src.show(field) in ENDING_METHODS
    )


TESTIFY_REQUIRE = "github.com/stretchr/testify/require"


TEST_ENDING_METHODS = frozenset(
    {"Fatal", "Fatalf", "Fatalln", "FailNow", "Skip", "Skipf", "SkipNow"}
)


def is_failing_call(src: SourceFile, node: Node) -> bool:
    """A call that ends the test's goroutine while the test binary goes on: ``t.Fatalf``,
    ``t.FailNow``, ``b.Skip`` (a method so named, of a value, not of a package such as ``log``),
    ``runtime.Goexit``, or an assertion of testify's ``require`` package, which calls
    ``t.FailNow`` when it fails. Not ``os.Exit``, ``log.Fatal`` or ``panic``: they end the
    process, and with it every goroutine."""
    if node.type != "call_expression":
        return False
    name = call_name(src, node)
    qualifier, _, method = name.rpartition(".")
    require = import_name(src, TESTIFY_REQUIRE)
    if require is not None and qualifier == require:
        return True
    if name == f"{import_name(src, 'runtime')}.Goexit":
        return True
    packages = imports(src).values()
    return method in TEST_ENDING_METHODS and qualifier != "" and qualifier not in packages


def failing_statements(body: Node, src: SourceFile) -> list[Node]:
    """Expression statements of ``body`` (nested literals not entered) that end the test's
    goroutine (:func:`is_failing_call`): ways out of a loop that :func:`loop_exits` does not
    list."""
    return [
        statement
        for statement in descendants(body, "expression_statement", into_functions=False)
        if statement.named_children and is_failing_call(src, statement.named_children[0])
    ]


def can_leave_loop(loop: Node, src: SourceFile) -> bool:
    """True when anything in ``loop``'s body can end it: ``return``, ``goto``, a ``break`` of it,
    a labelled ``break``/``continue`` of an outer statement, or an ending call (see
    :func:`is_ending_call`). ``continue`` to the loop's own label stays in it. Nested literals
    are not entered."""
    body = loop.child_by_field_name("body")
    if body is None:
        return True
    if breaks_out_of(loop, src) or returns(body):
        return True
    staying = {
        src.show(label)
        for statement in descendants(body, "labeled_statement", into_functions=False)
        if (label := statement.child_by_field_name("label")) is not None
    } | {label_of(loop, src) or ""}
    for node in walk(body, into_functions=False):
        if node.type in ("break_statement", "continue_statement"):
            target = next((c for c in node.named_children if c.type == "label_name"), None)
            if target is not None and src.show(target) not in staying:
                return True
        elif is_ending_call(src, node):
            return True
    return False


def loop_exits(loop: Node, src: SourceFile) -> list[Node]:
    """Statements in ``loop``'s body that end the loop: ``return``, ``goto``, an unlabeled
    ``break`` aimed at it, and a labeled ``break`` or ``continue`` aimed at it or at a statement
    around it. Nested function literals are not entered; ``panic`` and friends are not counted."""
    body = loop.child_by_field_name("body")
    if body is None:
        return []
    inner_labels = {
        src.show(label)
        for node in descendants(body, "labeled_statement", into_functions=False)
        if (label := node.child_by_field_name("label")) is not None
    }
    out: list[Node] = []
    own = label_of(loop, src)
    for node in walk(body, into_functions=False):
        if node.type in ("return_statement", "goto_statement"):
            out.append(node)
        elif node.type in ("break_statement", "continue_statement"):
            target = next((c for c in node.named_children if c.type == "label_name"), None)
            if target is not None:
                staying = inner_labels | ({own} if node.type == "continue_statement" else set())
                if src.show(target) not in staying:
                    out.append(node)
            elif node.type == "break_statement" and same_node(_nearest_break_target(node), loop):
                out.append(node)
    return out


def exit_case_operands(loop: Node, src: SourceFile) -> list[Node]:
    """What the loop waits on to end: for each of ``loop``'s exits (see :func:`loop_exits`), the
    channel ``X`` of the ``case <-X:`` that holds it, in a ``select`` directly in ``loop`` (no
    loop in between). [] when the loop has no exit, or an exit outside such a case."""
    operands = []
    for exit_node in loop_exits(loop, src):
        operand = exit_case_operand(loop, exit_node)
        if operand is None:
            return []
        operands.append(operand)
    return operands


def exit_case_operand(loop: Node, exit_node: Node) -> Node | None:
    """The channel ``X`` of the ``case <-X:`` that holds ``exit_node``, in a ``select`` directly
    in ``loop``; None when the exit lies elsewhere."""
    case = next((a for a in ancestors(exit_node) if a.type == "communication_case"), None)
    if case is None or case.parent is None or not is_inside(case, loop):
        return None
    loops = enclosing_loops(case.parent)
    if not loops or not same_node(loops[0], loop):
        return None
    receive = case.child_by_field_name("communication")
    if receive is None or receive.type != "receive_statement":
        return None
    right = receive.child_by_field_name("right")
    return right.child_by_field_name("operand") if right is not None else None


def ends_in_endless_range(
    function: Node, src: SourceFile, is_endless_channel: Callable[[Node], bool]
) -> bool:
    """The function cannot return: it has no ``return`` and ends in a ``for ... range ch`` over
    a channel that is never closed (``is_endless_channel(ch)``: a ticker's), with no way out."""
    body = function_body(function)
    if body is None or returns(body):
        return False
    stmts = block_statements(body)
    loop = stmts[-1] if stmts else None
    while loop is not None and loop.type == "labeled_statement":
        loop = loop.named_children[-1] if loop.named_children else None
    if loop is None or loop.type != "for_statement":
        return False
    clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    channel = clause.child_by_field_name("right") if clause is not None else None
    return channel is not None and is_endless_channel(channel) and not breaks_out_of(loop, src)
