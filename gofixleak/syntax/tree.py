"""Walking the syntax tree: preorder walks, the per-file node index, ancestors, statements,
loops and the small structural predicates every rule shares.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator

from tree_sitter import Node, Query, QueryCursor

from gofixleak.golang import GO
from gofixleak.source import SourceFile

FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})


def walk(node: Node, *, into_functions: bool = True) -> Iterator[Node]:
    """``node`` and its descendants, preorder; without entering nested function literals
    (the root itself is always entered) when ``into_functions`` is false."""
    # A tree cursor moves in C: about three times faster than collecting each node's children.
    cursor = node.walk()
    yield node
    if not cursor.goto_first_child():
        return
    while True:
        current = cursor.node
        if current is None:  # never: the cursor stands on a node
            return
        yield current
        if (into_functions or current.type not in FUNCTIONS) and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent() or cursor.depth == 0:
                return


def descendants(node: Node, *types: str, into_functions: bool = True) -> Iterator[Node]:
    """Descendants of ``node`` (and ``node`` itself) whose type is one of ``types``."""
    wanted = frozenset(types)
    if into_functions and node.parent is None and not node.has_error:
        return iter(_index_of(node).of_types(wanted))
    return (n for n in walk(node, into_functions=into_functions) if n.type in wanted)


# Node types that rules look for in the whole file: found together, in one pass (a type asked
# for alone costs a pass of its own, several times what it adds to this one).
_COMMON_SCANS = FUNCTIONS | {
    "go_statement",
    "short_var_declaration",
    "var_spec",
    "send_statement",
    "select_statement",
}


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


def label_of(statement: Node, src: SourceFile) -> str | None:
    parent = statement.parent
    if parent is not None and parent.type == "labeled_statement":
        label = parent.child_by_field_name("label")
        return src.show(label) if label is not None else None
    return None


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
