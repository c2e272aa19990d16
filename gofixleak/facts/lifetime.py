"""Code that runs once for the life of the process, decided by syntax and the package's calls.

Once: the body of ``main.main`` and of an ``init``; a function literal that a cobra command
runs (the value of its ``Run``, ``RunE``, ``PreRun``... in a ``cobra.Command`` literal), that a
package-level ``sync.Once``'s ``Do`` runs, or that ``sync.OnceFunc``/``OnceValue``/``OnceValues``
wraps where that call itself runs once; a literal started (``go func() {...}()``), deferred or
called in place where that runs once; a package-level variable's initializer; and a function
of the package whose every use is a call from once-code (or a cobra command's ``Run`` value).

A goroutine started there, a ticker made there, is made once: what it strands is bounded and
lives as long as the process (the ``process-lifetime`` findings of gofixleak/bites.py).

Anything unsure is not once: a statement inside a ``for`` loop (it may run any number of
times) or in a function with a ``goto`` (which may jump back), an argument literal of any other call
(``t.Run``, ``http.HandleFunc``, ``errgroup``'s ``Go``: who calls it, how often, is not known), a
method (which value it runs on is not followed), an exported function outside package main
(another package may call it), a function used as a value or declared more than once, a
``sync.Once`` in a field or a local (once per value, not per process), recursion, and a package
with a file that could not be read.
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.facts.calls import callers
from gofixleak.facts.declarations import package_var_types
from gofixleak.facts.resolve import enclosing_method
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    FUNCTIONS,
    arguments,
    declaring_identifiers,
    descendants,
    enclosing_function,
    enclosing_loops,
    function_name,
    import_name,
    is_call_to,
    is_program_lifetime,
    package_name,
    same_node,
    top_level_in,
)

COBRA = "github.com/spf13/cobra"
# The fields of cobra.Command whose functions run once when the command is executed.
COBRA_RUN_FIELDS = frozenset(
    f"{stage}Run{error}"
    for stage in ("", "Pre", "Post", "PersistentPre", "PersistentPost")
    for error in ("", "E")
)
SYNC_ONCE_WRAPPERS = ("OnceFunc", "OnceValue", "OnceValues")

_Visiting = frozenset[tuple[str, int]]
_MAX_CALLERS_DEPTH = 32  # how many named functions up the calls are followed (then: unsure)


def runs_once(src: SourceFile, node: Node) -> bool:
    """``node`` (a statement, a call, a function) runs at most once in the life of the process;
    for a function: its body does."""
    return _runs_once(src, node, frozenset())


def _runs_once(src: SourceFile, node: Node, visiting: _Visiting) -> bool:
    """Climbs out of function literals in a loop, not by recursion: literals nest hundreds deep
    in generated code. Only the calls of a named function recurse, a bounded number of times."""
    current = node
    while True:
        if current.type in FUNCTIONS:
            function = current
        else:
            if enclosing_loops(current):
                return False
            found = enclosing_function(current)
            if found is None:
                return True  # a package-level variable's initializer
            function = found
        if _has_goto(function):
            return False  # a goto may jump back: a loop that enclosing_loops does not see
        if function.type == "function_declaration":
            return _declaration_runs_once(src, function, visiting)
        if function.type != "func_literal":
            return False  # a method: which value it runs on is not followed
        step = _literal_step(src, function)
        if isinstance(step, bool):
            return step
        current = step


def _has_goto(function: Node) -> bool:
    body = function.child_by_field_name("body")
    return body is not None and any(
        True for _ in descendants(body, "goto_statement", into_functions=False)
    )


def _literal_step(src: SourceFile, literal: Node) -> Node | bool:
    """Where a literal's running once is decided: the call that runs it (which must run once
    itself), or the answer."""
    parent = literal.parent
    if parent is None:
        return False
    if parent.type == "call_expression" and same_node(
        parent.child_by_field_name("function"), literal
    ):
        return parent  # go func() {...}(), defer func() {...}(), func() {...}()
    if parent.type == "argument_list" and parent.parent is not None:
        call = parent.parent
        if is_call_to(src, call, "sync", *SYNC_ONCE_WRAPPERS):
            return call
        return _is_package_once_do(src, call, literal)
    return is_cobra_run_value(src, literal)


def _is_package_once_do(src: SourceFile, call: Node, literal: Node) -> bool:
    """``once.Do(literal)`` with ``var once sync.Once`` declared at package level."""
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression" or len(arguments(call)) != 1:
        return False
    operand = function.child_by_field_name("operand")
    field = function.child_by_field_name("field")
    if operand is None or field is None or operand.type != "identifier":
        return False
    if src.show(field) != "Do" or not same_node(arguments(call)[0], literal):
        return False
    name = src.show(operand)
    if any(src.show(n) == name for n in declaring_identifiers(top_level_in(src.root, call))):
        return False  # a local or parameter
    sync = import_name(src, "sync")
    types = package_var_types(src.pkg, name)
    return (
        sync is not None
        and len(types) == 1
        and types[0].type == "qualified_type"
        and types[0].text == f"{sync}.Once".encode()
    )


def is_cobra_run_value(src: SourceFile, value: Node) -> bool:
    """``value`` is what a ``cobra.Command`` literal holds in one of its ``Run`` fields."""
    element = value.parent
    keyed = element.parent if element is not None else None
    if element is None or keyed is None or keyed.type != "keyed_element":
        return False
    key, *rest = keyed.named_children
    if not rest or not same_node(rest[-1], element) or src.show(key) not in COBRA_RUN_FIELDS:
        return False
    literal = keyed.parent.parent if keyed.parent is not None else None
    type_node = literal.child_by_field_name("type") if literal is not None else None
    cobra = import_name(src, COBRA)
    return (
        literal is not None
        and literal.type == "composite_literal"
        and type_node is not None
        and cobra is not None
        and src.show(type_node) == f"{cobra}.Command"
    )


def _declaration_runs_once(src: SourceFile, function: Node, visiting: _Visiting) -> bool:
    if is_program_lifetime(src, function):
        return True
    key = (src.path, function.start_byte)
    if key in visiting or len(visiting) >= _MAX_CALLERS_DEPTH:
        return False  # recursion (it may run any number of times), or too far to tell
    visiting = visiting | {key}
    name = function_name(src, function)
    if name is None or (name[:1].isupper() and package_name(src) != "main"):
        return False  # another package may call it
    declared = enclosing_method(src, function)
    if declared is None:
        return False
    calls = callers(declared)
    files = src.pkg.mentioning(name)
    if src.pkg.incomplete:
        return False
    callees = {(s.path, _callee_start(c)) for s, c in calls}
    uses = 0
    for other in files:
        for identifier in descendants(other.root, "identifier"):
            if other.show(identifier) != name or (
                other.path == src.path and _declares(function, identifier)
            ):
                continue
            uses += 1
            if (other.path, identifier.start_byte) in callees:
                continue
            if not is_cobra_run_value(other, identifier):
                return False  # a value, a local of that name, another declaration
    return uses > 0 and all(_runs_once(s, call, visiting) for s, call in calls)


def _callee_start(call: Node) -> int:
    callee = call.child_by_field_name("function")
    return callee.start_byte if callee is not None else -1


def _declares(function: Node, identifier: Node) -> bool:
    return same_node(function.child_by_field_name("name"), identifier)
