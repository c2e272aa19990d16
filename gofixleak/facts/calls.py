"""Who calls a function: the calls in the package that :func:`resolve.callee` settles to it."""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.facts import resolve
from gofixleak.facts.declarations import Function
from gofixleak.source import SourceFile
from gofixleak.syntax import descendants


def callers(function: Function) -> list[tuple[SourceFile, Node]]:
    """Every call of ``function`` in its package (the file and the call expression), found in
    the files that mention its name. Calls through function values are not seen."""
    key = ("callers", function.src.path, function.node.start_byte)
    package = function.src.pkg
    if key not in package.derived:
        found = []
        for src in package.mentioning(function.name):
            for call in descendants(src.root, "call_expression"):
                callee = call.child_by_field_name("function")
                if callee is None or function.name.encode() not in src.text(callee):
                    continue
                target = resolve.callee(src, call)
                if target is not None and target.node == function.node:
                    found.append((src, call))
        package.derived[key] = found
    calls: list[tuple[SourceFile, Node]] = package.derived[key]  # type: ignore[assignment]
    return calls


def is_result_dropped(src: SourceFile, call: Node) -> bool:
    """The call's results are thrown away: an expression statement, ``go``/``defer``, or
    ``_ = f()``."""
    parent = call.parent
    if parent is None:
        return False
    if parent.type in ("expression_statement", "go_statement", "defer_statement"):
        return True
    if parent.type == "expression_list" and parent.parent is not None:
        holder = parent.parent
        left = holder.child_by_field_name("left")
        return (
            holder.type == "assignment_statement"
            and left is not None
            and all(src.text(n) == b"_" for n in left.named_children)
        )
    return False
