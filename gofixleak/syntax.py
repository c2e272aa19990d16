"""Shared tree and text helpers for detectors and fixers.

Everything here works on syntax alone: no types, no other files. Rules use these helpers instead
of writing their own walks, so that one behaviour (what a loop exit is, where a statement starts)
is decided once.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from tree_sitter import Node, Query, QueryCursor

from gofixleak.golang import GO
from gofixleak.model import Edit, Span
from gofixleak.source import SourceFile

FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})
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


# --- walking ---------------------------------------------------------------------------------


def walk(node: Node, *, into_functions: bool = True) -> Iterator[Node]:
    """``node`` and its descendants, preorder; without entering nested function literals
    (the root itself is always entered) when ``into_functions`` is false."""
    # A tree cursor moves in C: about three times faster than collecting each node's children.
    # The depth is counted here: the cursor's own ``depth`` costs time in proportion to the
    # depth, which made walks quadratic on long left-nested expressions (``1+1+...+1``).
    cursor = node.walk()
    yield node
    if not cursor.goto_first_child():
        return
    depth = 1
    while True:
        current = cursor.node
        if current is None:  # never: the cursor stands on a node
            return
        yield current
        if (into_functions or current.type not in FUNCTIONS) and cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            depth -= 1
            if depth == 0 or not cursor.goto_parent():
                return


def descendants(node: Node, *types: str, into_functions: bool = True) -> Iterator[Node]:
    """Descendants of ``node`` (and ``node`` itself) whose type is one of ``types``."""
    wanted = frozenset(types)
    if into_functions and node.parent is None and not node.has_error:
        return iter(_index_of(node).of_types(wanted))
    return (n for n in walk(node, into_functions=into_functions) if n.type in wanted)


# Node types that rules look for in the whole file: found together, in one pass.
_COMMON_SCANS = FUNCTIONS | {"go_statement", "short_var_declaration", "var_spec"}


class _TreeIndex:
    """Nodes of one error-free tree by type, in preorder.

    Several rules scan the whole file for the same types (``go_statement``, functions): a query
    finds them in C, once per file, instead of a walk per rule in Python.
    """

    def __init__(self, root: Node) -> None:
        self.root = root
        self.found: dict[str, list[Node]] = {}

    def of_types(self, types: frozenset[str]) -> list[Node]:
        missing = types - self.found.keys()
        if missing:
            self._scan(missing | (_COMMON_SCANS - self.found.keys()))
        if len(types) == 1:
            return self.found[next(iter(types))]
        return _in_preorder([n for kind in types for n in self.found[kind]])

    def _scan(self, types: frozenset[str]) -> None:
        named = frozenset(kind for kind in types if _is_named_type(kind))
        captured = QueryCursor(_scan_query(named)).captures(self.root) if named else {}
        for kind in named:
            self.found[kind] = _in_preorder(captured.get(kind, []))
        for kind in types - named:  # anonymous or unknown: walked, as before
            self.found[kind] = [n for n in walk(self.root) if n.type == kind]


@functools.cache
def _scan_query(types: frozenset[str]) -> Query:
    """One pattern per named node type, its capture named after it."""
    return Query(GO, " ".join(f"({kind}) @{kind}" for kind in sorted(types)))


def _is_named_type(kind: str) -> bool:
    return bool(GO.id_for_node_kind(kind, True))


def _in_preorder(nodes: list[Node]) -> list[Node]:
    """Nodes of an error-free tree (so no zero-width nodes) in the order a preorder walk meets
    them: by start, the enclosing node first; a node and its only child can share a range, then
    the shallower first. (Query captures come in no such order.)"""
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    if any(a.byte_range == b.byte_range for a, b in itertools.pairwise(nodes)):
        return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte, _depth(n)))
    return nodes


def _depth(node: Node) -> int:
    return sum(1 for _ in ancestors(node))


_last_index: list[_TreeIndex] = []


def _index_of(root: Node) -> _TreeIndex:
    """The index of ``root``'s tree. Only the last tree's is kept: files are checked one after
    the other, and memory stays flat."""
    if not _last_index or _last_index[0].root != root:
        _last_index[:] = [_TreeIndex(root)]
    return _last_index[0]


def ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def enclosing_function(node: Node) -> Node | None:
    """The innermost function declaration, method or literal around ``node``."""
    return next((a for a in ancestors(node) if a.type in FUNCTIONS), None)


def top_level_declaration(node: Node) -> Node:
    """The child of the file's root that holds ``node``."""
    current = node
    while current.parent is not None and current.parent.parent is not None:
        current = current.parent
    return current


def top_level_in(root: Node, node: Node) -> Node:
    """:func:`top_level_declaration`, found from the file's ``root`` down: ``Node.parent`` walks
    from the root each time, so climbing costs depth squared and deep nesting made it crawl."""
    return root.child_with_descendant(node) or node


def is_inside(node: Node, container: Node) -> bool:
    return container.start_byte <= node.start_byte and node.end_byte <= container.end_byte


def same_node(a: Node | None, b: Node | None) -> bool:
    if a is None or b is None:
        return a is b
    return (a.start_byte, a.end_byte, a.type) == (b.start_byte, b.end_byte, b.type)


def block_statements(block: Node | None) -> list[Node]:
    """The statements of a block (the grammar nests them in a ``statement_list``)."""
    if block is None:
        return []
    out: list[Node] = []
    for child in block.named_children:
        if child.type == "statement_list":
            out.extend(c for c in child.named_children if c.type != "comment")
        elif child.type != "comment":
            out.append(child)
    return out


def function_body(function: Node) -> Node | None:
    return function.child_by_field_name("body")


def statement_of(node: Node) -> Node | None:
    """The statement that holds ``node`` and sits directly in a statement list.

    A labeled statement counts as one statement with its label.
    """
    current: Node | None = node
    while current is not None and current.parent is not None:
        if current.parent.type == "statement_list":
            return current
        if current.type in FUNCTIONS and current is not node:
            return None
        current = current.parent
    return None


def enclosing_loops(node: Node) -> list[Node]:
    """``for`` statements of the same function whose body holds ``node``, innermost first.

    A ``range`` expression runs once, so a node there is not inside its own loop.
    """
    loops: list[Node] = []
    child = node
    for parent in ancestors(node):
        if parent.type in FUNCTIONS:
            break
        if parent.type == "for_statement" and not _is_range_operand(parent, child):
            loops.append(parent)
        child = parent
    return loops


def _is_range_operand(loop: Node, child: Node) -> bool:
    clause = next((c for c in loop.named_children if c.type == "range_clause"), None)
    return clause is not None and same_node(clause, child)


# --- names and calls -------------------------------------------------------------------------


@functools.lru_cache(maxsize=2)
def imports(src: SourceFile) -> Mapping[str, str]:
    """Import path -> the name it is used by: its package name guess, alias, "." or "_".

    Cached for the file at hand: rules ask for every call they look at (``is_call_to``).
    """
    out: dict[str, str] = {}
    for spec in descendants(src.root, "import_spec", into_functions=False):
        path_node = spec.child_by_field_name("path")
        if path_node is None:
            continue
        path = src.text(path_node).strip(b'"`').decode("utf-8", "replace")
        alias = spec.child_by_field_name("name")
        out[path] = src.show(alias) if alias is not None else path.rsplit("/", 1)[-1]
    return MappingProxyType(out)


def import_name(src: SourceFile, path: str) -> str | None:
    """The qualifier that refers to package ``path`` here, or None (not imported, ``.``, ``_``)."""
    name = imports(src).get(path)
    return None if name in (None, ".", "_") else name


def hides_import(src: SourceFile, node: Node, path: str) -> bool:
    """A parameter, receiver or local of the top-level declaration around ``node`` is spelled
    like the import of ``path``: the package may be hidden there (without types, where exactly
    is not worked out)."""
    qualifier = import_name(src, path)
    outer = top_level_in(src.root, node)
    return qualifier is not None and any(
        src.show(n) == qualifier for n in declaring_identifiers(outer)
    )


def call_name(src: SourceFile, call: Node) -> str:
    """``"time.Tick"`` for ``time.Tick(d)``, ``"close"`` for ``close(ch)``, "" otherwise."""
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "identifier":
        return src.show(function)
    if function.type == "selector_expression":
        operand = function.child_by_field_name("operand")
        field = function.child_by_field_name("field")
        if operand is not None and field is not None and operand.type == "identifier":
            return f"{src.show(operand)}.{src.show(field)}"
    return ""


def is_call_to(src: SourceFile, node: Node, package: str, *names: str) -> bool:
    """True when ``node`` calls one of ``names`` of import path ``package`` (alias respected)."""
    if node.type != "call_expression":
        return False
    qualifier = import_name(src, package)
    if qualifier is None:
        return False
    return call_name(src, node) in {f"{qualifier}.{name}" for name in names}


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return [a for a in args.named_children if a.type != "comment"] if args is not None else []


def identifier_names(node: Node, src: SourceFile) -> set[str]:
    """Every identifier spelled inside ``node``."""
    kinds = ("identifier", "type_identifier", "package_identifier", "field_identifier")
    return {src.show(n) for n in descendants(node, *kinds)}


def fresh_name(src: SourceFile, base: str, scope: Node | None = None) -> str:
    """``base``, or ``base2``, ``base3``...: the first that no identifier in ``scope`` spells.

    The scope defaults to the whole file, so a fresh name can shadow nothing in it.
    """
    taken = identifier_names(scope if scope is not None else src.root, src)
    if scope is not None:
        taken |= set(imports(src).values())
    if base not in taken:
        return base
    number = 2
    while f"{base}{number}" in taken:
        number += 1
    return f"{base}{number}"


def package_name(src: SourceFile) -> str:
    clause = next((c for c in src.root.named_children if c.type == "package_clause"), None)
    if clause is None:
        return ""
    name = next((c for c in clause.named_children if c.type == "package_identifier"), None)
    return src.show(name) if name is not None else ""


def function_name(src: SourceFile, function: Node) -> str | None:
    name = function.child_by_field_name("name")
    return src.show(name) if name is not None else None


def is_program_lifetime(src: SourceFile, function: Node) -> bool:
    """``main.main`` or an ``init``: code that runs once and lives as long as the program."""
    if function.type != "function_declaration":
        return False
    name = function_name(src, function)
    return name == "init" or (name == "main" and package_name(src) == "main")


def is_started_for_program_lifetime(go: Node, src: SourceFile) -> bool:
    """Started in ``main``/``init``, in a function of package main that only they call, in a
    testable example (it stands for a program's ``main``), or by the Go runtime itself."""
    declaration = top_level_in(src.root, go)
    if is_program_lifetime(src, declaration) or is_runtime_package(src):
        return True
    if is_example_function(src, declaration):
        return True
    name = function_name(src, declaration)
    if declaration.type != "function_declaration" or package_name(src) != "main":
        return False
    calls = [
        call
        for call in descendants(src.root, "call_expression")
        if (callee := call.child_by_field_name("function")) is not None
        and callee.type == "identifier"
        and src.show(callee) == name
    ]
    return bool(calls) and all(
        is_program_lifetime(src, top_level_in(src.root, call)) for call in calls
    )


def is_runtime_package(src: SourceFile) -> bool:
    """``package runtime``: its background goroutines (GC workers, the finalizer and cleanup
    goroutines) are parked and woken by the scheduler and live as long as the process."""
    return package_name(src) == "runtime"


def is_example_function(src: SourceFile, declaration: Node) -> bool:
    """``func ExampleXxx()`` in a ``_test.go`` file: documentation written as a program's main."""
    name = function_name(src, declaration)
    return (
        src.is_test
        and declaration.type == "function_declaration"
        and name is not None
        and name.startswith("Example")
    )


def short_var_names(declaration: Node, src: SourceFile) -> list[str]:
    """Names on the left of ``a, b := ...`` (empty for other nodes)."""
    if declaration.type != "short_var_declaration":
        return []
    left = declaration.child_by_field_name("left")
    return [src.show(n) for n in left.named_children] if left is not None else []


# --- control flow ----------------------------------------------------------------------------


def label_of(statement: Node, src: SourceFile) -> str | None:
    parent = statement.parent
    if parent is not None and parent.type == "labeled_statement":
        label = parent.child_by_field_name("label")
        return src.show(label) if label is not None else None
    return None


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


# --- goroutines ------------------------------------------------------------------------------


def launched_call(go_statement: Node) -> Node | None:
    """The call that a ``go`` statement starts."""
    return next((c for c in go_statement.named_children if c.type == "call_expression"), None)


def launched_literal(go_statement: Node) -> Node | None:
    """The literal that ``go func() { ... }()`` runs; None for ``go f(x)``."""
    call = launched_call(go_statement)
    function = call.child_by_field_name("function") if call is not None else None
    return function if function is not None and function.type == "func_literal" else None


def is_goroutine_literal(function: Node) -> bool:
    """``function`` is the literal that a ``go func() { ... }(...)`` statement starts."""
    call = function.parent
    return (
        function.type == "func_literal"
        and call is not None
        and call.type == "call_expression"
        and same_node(call.child_by_field_name("function"), function)
        and call.parent is not None
        and call.parent.type == "go_statement"
    )


def enclosing_goroutine(node: Node) -> Node | None:
    """The goroutine literal that runs ``node``: its innermost function, when that is one."""
    function = enclosing_function(node)
    return function if function is not None and is_goroutine_literal(function) else None


def started_function(src: SourceFile, go_statement: Node) -> Node | None:
    """The function a ``go`` statement starts: its func literal, or the one top-level function
    of this file that ``go name(...)`` names. None for methods, values and other files."""
    call = launched_call(go_statement)
    function = call.child_by_field_name("function") if call is not None else None
    if function is None:
        return None
    if function.type == "func_literal":
        return function
    if function.type != "identifier":
        return None
    name = src.show(function)
    found = [
        d
        for d in src.root.named_children
        if d.type == "function_declaration" and function_name(src, d) == name
    ]
    return found[0] if len(found) == 1 else None


@dataclass(frozen=True)
class Goroutine:
    """A ``go`` statement, the function that runs it, and the function it starts."""

    go: Node
    spawner: Node
    function: Node


def spawned_goroutine(src: SourceFile, go_statement: Node) -> Goroutine | None:
    """The goroutine ``go_statement`` starts, when its leak would outlive a returning caller:
    the spawner can return and is not program-lifetime code, and the started function is a
    literal or a top-level function of this file (see :func:`started_function`)."""
    spawner = enclosing_function(go_statement)
    if spawner is None or is_started_for_program_lifetime(go_statement, src):
        return None
    if not can_return(spawner, src):
        return None
    function = started_function(src, go_statement)
    if function is None or is_inside(spawner, function):
        return None
    return Goroutine(go_statement, spawner, function)


def parameter_names(function: Node, src: SourceFile) -> list[str]:
    """Names of a function's parameters in order ("_" kept; unnamed parameters give "")."""
    params = function.child_by_field_name("parameters")
    out: list[str] = []
    for decl in params.named_children if params is not None else []:
        if decl.type not in ("parameter_declaration", "variadic_parameter_declaration"):
            continue
        names = [src.show(n) for n in decl.children_by_field_name("name")]
        out.extend(names or [""])
    return out


def parameter_type(function: Node, src: SourceFile, name: str) -> Node | None:
    """The type node of parameter ``name``, or None."""
    params = function.child_by_field_name("parameters")
    for decl in params.named_children if params is not None else []:
        if any(src.show(n) == name for n in decl.children_by_field_name("name")):
            return decl.child_by_field_name("type")
    return None


def has_variadic_parameter(function: Node) -> bool:
    params = function.child_by_field_name("parameters")
    return params is not None and any(
        c.type == "variadic_parameter_declaration" for c in params.named_children
    )


def bound_argument(call: Node, function: Node, src: SourceFile, name: str) -> Node | None:
    """The argument of ``call`` that parameter ``name`` of ``function`` receives, or None when
    the call does not line up with the parameters (variadics, spread, multi-value calls)."""
    names = parameter_names(function, src)
    args = arguments(call)
    if has_variadic_parameter(function) or len(args) != len(names) or name not in names:
        return None
    return args[names.index(name)]


def is_context_type(src: SourceFile, type_node: Node | None) -> bool:
    """``context.Context`` (the import's alias respected)."""
    qualifier = import_name(src, "context")
    return (
        type_node is not None
        and qualifier is not None
        and src.text(type_node) == f"{qualifier}.Context".encode()
    )


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


# --- timers ----------------------------------------------------------------------------------

# Go 1.23 collects unreferenced timers and tickers, stopped or not (the module's `go` line picks
# the behaviour), so leaving one unstopped only leaks before that version.
TIMERS_COLLECTED_SINCE = (1, 23)
_DURATION_UNITS = {
    "Nanosecond": 1,
    "Microsecond": 10**3,
    "Millisecond": 10**6,
    "Second": 10**9,
    "Minute": 60 * 10**9,
    "Hour": 3600 * 10**9,
}
_INT64 = range(-(2**63), 2**63)
_DECLARATION_SPECS = frozenset(
    {"parameter_declaration", "variadic_parameter_declaration", "var_spec", "const_spec"}
)
# A Go constant: its exact value and its kind, "int" or "float" (untyped) or "duration".
_Constant = tuple[Fraction, str]


def timers_need_stop(src: SourceFile) -> bool:
    """True when an unstopped ticker or timer is never collected: Go before 1.23, or unknown."""
    return src.go_version is None or src.go_version < TIMERS_COLLECTED_SINCE


def timer_calls(src: SourceFile, *names: str) -> Iterator[Node]:
    """Calls ``time.<name>(d)`` in a file where a timer left running leaks: not a test file,
    Go before 1.23 (or unknown), ``time`` imported."""
    if src.is_test or not timers_need_stop(src) or import_name(src, "time") is None:
        return
    for call in descendants(src.root, "call_expression"):
        if is_call_to(src, call, "time", *names) and len(arguments(call)) == 1:
            yield call


def timer_function(src: SourceFile, call: Node) -> Node | None:
    """The function whose return strands a timer made by ``call``; None in ``main``/``init``
    (the program ends with them) or where a local hides the ``time`` import (``time.NewTicker``
    may then be a fake clock's method, with a ``Stop`` of its own)."""
    function = enclosing_function(call)
    if function is None or is_program_lifetime(src, function):
        return None
    return None if hides_import(src, function, "time") else function


def constant_duration(src: SourceFile, node: Node) -> int | None:
    """The value in nanoseconds of a constant duration expression, or None when it is not one.

    Understood: int and float literals, ``time.Nanosecond`` ... ``time.Hour`` (the import's alias
    respected), ``time.Duration(c)``, parentheses, unary ``+``/``-`` and binary ``+ - * /`` with
    Go's constant rules (integer division truncates; a Duration operand makes the result a
    Duration). Named constants are not resolved: they give None.
    """
    value = _constant(src, node, import_name(src, "time"))
    if value is None or value[0].denominator != 1:
        return None
    return int(value[0])


def _constant(src: SourceFile, node: Node, time_name: str | None) -> _Constant | None:
    kind = node.type
    if kind == "int_literal":
        return _int_literal(src.show(node))
    if kind == "float_literal":
        return _float_literal(src.show(node))
    if kind == "parenthesized_expression" and len(node.named_children) == 1:
        return _constant(src, node.named_children[0], time_name)
    if kind == "selector_expression":
        return _duration_unit(src, node, time_name)
    if kind == "call_expression":
        return _duration_conversion(src, node, time_name)
    if kind == "unary_expression":
        operand = node.child_by_field_name("operand")
        operator = node.child_by_field_name("operator")
        inner = _constant(src, operand, time_name) if operand is not None else None
        if inner is None or operator is None or operator.type not in ("+", "-"):
            return None
        return (inner[0] if operator.type == "+" else -inner[0]), inner[1]
    if kind == "binary_expression":
        return _binary_constant(src, node, time_name)
    return None


def _int_literal(text: str) -> _Constant | None:
    digits = text.replace("_", "")
    try:
        if re.fullmatch(r"0[0-7]+", digits):  # Go's legacy octal, which Python rejects
            return Fraction(int(digits, 8)), "int"
        return Fraction(int(digits, 0)), "int"
    except ValueError:
        return None


def _float_literal(text: str) -> _Constant | None:
    digits = text.replace("_", "")
    if digits.lower().startswith("0x"):
        return None  # hexadecimal floats: rare, not worth the parser
    try:
        return Fraction(digits), "float"
    except ValueError:
        return None


def _duration_unit(src: SourceFile, node: Node, time_name: str | None) -> _Constant | None:
    operand = node.child_by_field_name("operand")
    field = node.child_by_field_name("field")
    if operand is None or field is None or operand.type != "identifier":
        return None
    unit = _DURATION_UNITS.get(src.show(field))
    if time_name is None or src.show(operand) != time_name or unit is None:
        return None
    return Fraction(unit), "duration"


def _duration_conversion(src: SourceFile, call: Node, time_name: str | None) -> _Constant | None:
    args = arguments(call)
    if time_name is None or call_name(src, call) != f"{time_name}.Duration" or len(args) != 1:
        return None
    inner = _constant(src, args[0], time_name)
    if inner is None or inner[0].denominator != 1 or int(inner[0]) not in _INT64:
        return None
    return inner[0], "duration"


def _binary_constant(src: SourceFile, node: Node, time_name: str | None) -> _Constant | None:
    left_node = node.child_by_field_name("left")
    right_node = node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left_node is None or right_node is None or operator is None:
        return None
    left = _constant(src, left_node, time_name)
    right = _constant(src, right_node, time_name)
    if left is None or right is None:
        return None
    kinds = {left[1], right[1]}
    kind = "duration" if "duration" in kinds else "float" if "float" in kinds else "int"
    if kind == "duration" and (left[0].denominator != 1 or right[0].denominator != 1):
        return None  # an untyped operand that a Duration cannot hold: a compile error
    value = _arithmetic(operator.type, left[0], right[0], integer=kind != "float")
    if value is None or (kind == "duration" and int(value) not in _INT64):
        return None
    return value, kind


def _arithmetic(
    operator: str, left: Fraction, right: Fraction, *, integer: bool
) -> Fraction | None:
    if operator == "+":
        return left + right
    if operator == "-":
        return left - right
    if operator == "*":
        return left * right
    if operator == "/" and right != 0:
        quotient = left / right
        return Fraction(int(quotient)) if integer else quotient  # int() truncates toward zero
    return None


def sole_declaration(value: Node) -> Node | None:
    """The ``name := value`` (short var declaration) or ``var name = value`` (var spec) that
    declares exactly one identifier with exactly this value; None otherwise."""
    values = value.parent
    holder = values.parent if values is not None else None
    if values is None or holder is None or values.type != "expression_list":
        return None
    if len(values.named_children) != 1:
        return None
    if holder.type == "short_var_declaration":
        left = holder.child_by_field_name("left")
        names = left.named_children if left is not None else []
    elif holder.type == "var_spec":
        names = holder.children_by_field_name("name")
    else:
        return None
    return holder if len(names) == 1 and names[0].type == "identifier" else None


def sole_declared_name(declaration: Node) -> Node:
    """The identifier that a :func:`sole_declaration` declares."""
    if declaration.type == "var_spec":
        return declaration.children_by_field_name("name")[0]
    left = declaration.child_by_field_name("left")
    assert left is not None
    return left.named_children[0]


def declaration_statement(declaration: Node) -> Node | None:
    """The statement that a declaration is: the short var declaration itself, or the ``var``
    statement of a var spec; None inside an ``if``, ``for`` or ``switch`` header, whose names
    end with that statement."""
    statement = statement_of(declaration)
    if statement is None:
        return None
    if declaration.type == "short_var_declaration":
        return statement if same_node(statement, declaration) else None
    holder = declaration.parent
    if holder is not None and holder.type == "var_spec_list":
        holder = holder.parent
    return statement if same_node(holder, statement) else None


def declaring_identifiers(node: Node) -> list[Node]:
    """Identifiers that declare a name inside ``node``: parameters, results, receivers, ``:=``
    (also in ``range``, ``select`` cases and type switches), ``var`` and ``const``."""
    out: list[Node] = []
    for n in walk(node):
        if n.type in _DECLARATION_SPECS:
            out.extend(n.children_by_field_name("name"))
        elif n.type in ("short_var_declaration", "range_clause", "receive_statement"):
            left = n.child_by_field_name("left")
            if left is not None and any(c.type == ":=" for c in n.children):
                out.extend(c for c in left.named_children if c.type == "identifier")
        elif n.type == "type_switch_statement":
            alias = n.child_by_field_name("alias")
            out.extend(alias.named_children if alias is not None else [])
    return [n for n in out if n.type == "identifier"]


def references(node: Node, name: str, src: SourceFile) -> list[Node]:
    """Identifiers spelled ``name`` inside ``node`` (nested literals included) that do not
    declare it. Without types, a shadowing declaration elsewhere is the caller's concern."""
    declaring = {(n.start_byte, n.end_byte) for n in declaring_identifiers(node)}
    return [
        n
        for n in descendants(node, "identifier")
        if src.show(n) == name and (n.start_byte, n.end_byte) not in declaring
    ]


def declares_name(src: SourceFile, name: str) -> bool:
    """The file declares ``name`` somewhere: a function, type, variable, constant or parameter
    (``:=`` included). A builtin of that name (``close``, ``len``) may then not be the builtin
    where a fix would call it. Declarations in the package's other files are not seen."""
    if name.encode() not in src.data:
        return False
    if any(src.show(n) == name for n in declaring_identifiers(src.root)):
        return True
    return any(
        (n := d.child_by_field_name("name")) is not None and src.show(n) == name
        for d in descendants(src.root, "function_declaration", "type_spec", "type_alias")
    )


def is_received(node: Node) -> bool:
    """``node`` is the channel of a receive ``<-node`` or of a ``for ... range node``."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "unary_expression":
        operator = parent.child_by_field_name("operator")
        return operator is not None and operator.type == "<-"
    if parent.type == "range_clause":
        return same_node(parent.child_by_field_name("right"), node)
    return False


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


# --- text ------------------------------------------------------------------------------------


def line_start(data: bytes, offset: int) -> int:
    return data.rfind(b"\n", 0, offset) + 1


def indent_of(data: bytes, offset: int) -> bytes:
    """The leading whitespace of the line holding ``offset``."""
    start = line_start(data, offset)
    end = start
    while end < len(data) and data[end : end + 1] in (b"\t", b" "):
        end += 1
    return data[start:end]


def starts_line(data: bytes, offset: int) -> bool:
    """Only whitespace stands between the start of the line and ``offset``."""
    return data[line_start(data, offset) : offset].strip(b" \t") == b""


def insert_lines_before(src: SourceFile, statement: Node, lines: Iterable[str]) -> Edit | None:
    """An edit that puts ``lines`` before ``statement``, each at its indentation.

    None when the statement does not start its own line.
    """
    if not starts_line(src.data, statement.start_byte):
        return None
    at = line_start(src.data, statement.start_byte)
    indent = indent_of(src.data, statement.start_byte)
    text = b"".join(indent + line.encode() + b"\n" for line in lines)
    return Edit(Span(at, at), text)


def insert_lines_after(src: SourceFile, statement: Node, lines: Iterable[str]) -> Edit | None:
    """An edit that puts ``lines`` after ``statement`` (which must end its line)."""
    end = src.data.find(b"\n", statement.end_byte)
    rest = src.data[statement.end_byte : end if end != -1 else len(src.data)]
    if rest.strip(b" \t\r") and not rest.strip(b" \t\r").startswith(b"//"):
        return None
    at = end + 1 if end != -1 else len(src.data)
    indent = indent_of(src.data, statement.start_byte)
    prefix = b"" if end != -1 else b"\n"
    text = prefix + b"".join(indent + line.encode() + b"\n" for line in lines)
    return Edit(Span(at, at), text)


_STD_PATH = re.compile(r"^[^./]+(/|$)")
# What a new import declaration may follow when no other one can take the path.
_IMPORT_ANCHORS = frozenset({"package_clause", "import_declaration"})


def add_import(src: SourceFile, path: str) -> Edit | None:
    """An edit that imports ``path`` the way gofmt would lay it out; None if already imported.

    Standard library paths join the group of standard imports in sorted position.
    """
    if path in imports(src):
        return None
    # cgo takes its preamble from the comment right above the declaration importing "C"; adding
    # a spec there detaches it, so that declaration is left alone.
    decls = [
        c
        for c in src.root.named_children
        if c.type == "import_declaration"
        and not any(_spec_path(src, s) == "C" for s in descendants(c, "import_spec"))
    ]
    line = f'"{path}"'.encode()
    if not decls:
        anchors = [c for c in src.root.named_children if c.type in _IMPORT_ANCHORS]
        if not anchors:
            return None
        at = anchors[-1].end_byte
        return Edit(Span(at, at), b"\n\nimport " + line)
    spec_list = next(
        (c for d in decls for c in d.named_children if c.type == "import_spec_list"), None
    )
    if spec_list is None:
        single = next(c for c in decls[0].named_children if c.type == "import_spec")
        specs = sorted([line, src.text(single)], key=_import_sort_key)
        body = b"".join(b"\t" + s + b"\n" for s in specs)
        return Edit(Span(decls[0].start_byte, decls[0].end_byte), b"import (\n" + body + b")")
    return _add_to_group(src, spec_list, line)


def _import_sort_key(spec: bytes) -> bytes:
    match = re.search(rb"[\"`]([^\"`]*)[\"`]", spec)
    return match.group(1) if match else spec


def _add_to_group(src: SourceFile, spec_list: Node, line: bytes) -> Edit:
    specs = [c for c in spec_list.named_children if c.type == "import_spec"]
    groups: list[list[Node]] = []
    for spec in specs:
        previous = groups[-1][-1] if groups else None
        if previous is None or spec.start_point.row - previous.end_point.row > 1:
            groups.append([spec])
        else:
            groups[-1].append(spec)
    std = next((g for g in groups if all(_STD_PATH.match(_spec_path(src, s)) for s in g)), None)
    indent = b"\t"
    if std is None:
        first = specs[0] if specs else None
        if first is None:
            at = spec_list.start_byte + 1
            return Edit(Span(at, at), b"\n" + indent + line + b"\n")
        at = line_start(src.data, first.start_byte)
        return Edit(Span(at, at), indent + line + b"\n\n")
    key = _import_sort_key(line)
    after = next((s for s in std if _import_sort_key(src.text(s)) > key), None)
    if after is not None:
        at = line_start(src.data, after.start_byte)
        return Edit(Span(at, at), indent + line + b"\n")
    last = std[-1]
    at = src.data.find(b"\n", last.end_byte) + 1
    return Edit(Span(at, at), indent + line + b"\n")


def _spec_path(src: SourceFile, spec: Node) -> str:
    path = spec.child_by_field_name("path")
    return src.text(path).strip(b'"`').decode("utf-8", "replace") if path is not None else ""


def is_receive(node: Node) -> bool:
    """``<-ch`` as an expression."""
    operator = node.child_by_field_name("operator") if node.type == "unary_expression" else None
    return operator is not None and operator.type == "<-"


def is_case_communication(node: Node) -> bool:
    """``node`` is (or is the receive of) the communication of a ``select`` case: entering the
    select only evaluates its channel, the operation happens when the case is chosen."""
    current = node
    while current.parent is not None and current.parent.type in (
        "receive_statement",
        "expression_list",
    ):
        current = current.parent
    parent = current.parent
    return parent is not None and parent.type == "communication_case"


# --- printing expressions as gofmt does ------------------------------------------------------

_PRECEDENCE = {
    **dict.fromkeys(("*", "/", "%", "<<", ">>", "&", "&^"), 5),
    **dict.fromkeys(("+", "-", "|", "^"), 4),
    **dict.fromkeys(("==", "!=", "<", "<=", ">", ">="), 3),
    "&&": 2,
    "||": 1,
}
_LEAVES = frozenset(
    {"identifier", "int_literal", "float_literal", "imaginary_literal", "rune_literal",
     "interpreted_string_literal", "raw_string_literal", "true", "false", "nil", "iota",
     "field_identifier", "package_identifier", "type_identifier"}
)


def gofmt_expression(src: SourceFile, node: Node, depth: int = 1) -> str | None:
    """``node``'s text as gofmt prints it at ``depth``, or None for a shape it does not know.

    gofmt spaces binary operators by how deeply the expression is nested (go/printer's
    ``cutoff``): ``f(a, <-time.Tick(2*d))`` becomes ``x := time.NewTicker(2 * d)`` once moved to
    a statement of its own. One-line expressions of operators, parentheses, calls, selectors and
    indexes are reprinted; any other node is copied as it is when no binary operator sits in it.
    """
    if b"\n" in src.text(node):
        return None
    return _print(src, node, 0, depth)


def _print(src: SourceFile, node: Node, prec1: int, depth: int) -> str | None:
    kind = node.type
    if kind == "binary_expression":
        return _print_binary(src, node, prec1, _cutoff(src, node, depth), depth)
    if kind in _LEAVES or _prints_as_written(node):
        return src.show(node)
    if kind == "parenthesized_expression":
        inner = node.named_children[0] if node.named_children else None
        if inner is not None and inner.type == "parenthesized_expression":
            return _print(src, inner, 0, depth)  # gofmt drops doubled parentheses
        text = _print(src, inner, 0, max(depth - 1, 1)) if inner is not None else None
        return None if text is None else f"({text})"
    if kind == "unary_expression":
        operator = node.child_by_field_name("operator")
        operand = node.child_by_field_name("operand")
        text = _print(src, operand, 6, depth) if operand is not None else None
        return None if text is None or operator is None else src.show(operator) + text
    if kind == "selector_expression":
        operand, field = node.child_by_field_name("operand"), node.child_by_field_name("field")
        text = _print(src, operand, 7, depth) if operand is not None else None
        return None if text is None or field is None else f"{text}.{src.show(field)}"
    if kind == "call_expression":
        return _print_call(src, node, depth)
    return None


def _prints_as_written(node: Node) -> bool:
    """No binary operator (spaced by depth) and no doubled parentheses (dropped) inside."""
    for n in walk(node):
        if n.type == "binary_expression":
            return False
        if n.type == "parenthesized_expression" and any(
            c.type == "parenthesized_expression" for c in n.named_children
        ):
            return False
    return True


def _print_call(src: SourceFile, call: Node, depth: int) -> str | None:
    function, args = call.child_by_field_name("function"), call.child_by_field_name("arguments")
    if function is None or args is None or any(c.type == "..." for c in args.children):
        return None
    arguments = [a for a in args.named_children if a.type != "comment"]
    if len(arguments) > 1:
        depth += 1
    head = _print(src, function, 7, depth)
    parts = [_print(src, a, 0, depth) for a in arguments]
    if head is None or any(p is None for p in parts):
        return None
    return f"{head}({', '.join(p for p in parts if p is not None)})"


def _print_binary(src: SourceFile, node: Node, prec1: int, cutoff: int, depth: int) -> str | None:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    operator = node.child_by_field_name("operator")
    if left is None or right is None or operator is None:
        return None
    op = src.show(operator)
    prec = _PRECEDENCE.get(op)
    if prec is None or prec < prec1:
        return None  # gofmt would add parentheses: not a shape tree-sitter gives us
    x = _print(src, left, prec, depth + _diff_prec(src, left, prec))
    y = _print(src, right, prec + 1, depth + 1)
    if x is None or y is None:
        return None
    blank = " " if prec < cutoff else ""
    return f"{x}{blank}{op}{blank}{y}"


def _diff_prec(src: SourceFile, node: Node, prec: int) -> int:
    operator = node.child_by_field_name("operator")
    if node.type != "binary_expression" or operator is None:
        return 1
    return 0 if _PRECEDENCE.get(src.show(operator)) == prec else 1


def _cutoff(src: SourceFile, node: Node, depth: int) -> int:
    has4, has5, problem = _walk_binary(src, node)
    if problem > 0:
        return problem + 1
    if has4 and has5:
        return 5 if depth == 1 else 4
    return 6 if depth == 1 else 4


def _walk_binary(src: SourceFile, node: Node) -> tuple[bool, bool, int]:
    operator = node.child_by_field_name("operator")
    op = src.show(operator) if operator is not None else ""
    prec = _PRECEDENCE.get(op, 0)
    has4, has5, problem = prec == 4, prec == 5, 0
    for side in ("left", "right"):
        child = node.child_by_field_name(side)
        if child is None:
            continue
        child_op = child.child_by_field_name("operator")
        if child.type == "binary_expression" and child_op is not None:
            child_prec = _PRECEDENCE.get(src.show(child_op), 0)
            # gofmt parenthesises a looser operand (pretends it is a ParenExpr): not walked
            if child_prec > prec or (side == "left" and child_prec == prec):
                h4, h5, p = _walk_binary(src, child)
                has4, has5, problem = has4 or h4, has5 or h5, max(problem, p)
        elif side == "right" and child.type == "unary_expression" and child_op is not None:
            pair = op + src.show(child_op)
            if pair in ("/*", "&&", "&^"):
                problem = 5
            elif pair in ("++", "--"):
                problem = max(problem, 4)
    return has4, has5, problem
