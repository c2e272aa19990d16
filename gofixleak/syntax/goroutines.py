"""Goroutines: what a ``go`` statement starts, who started it, and whether it lives as long as
the program anyway.
"""

from __future__ import annotations

from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.flow import can_return
from gofixleak.syntax.names import function_name, package_name
from gofixleak.syntax.tree import (
    descendants,
    enclosing_function,
    is_inside,
    same_node,
    top_level_in,
)


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
