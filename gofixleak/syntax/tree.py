"""Walking the syntax tree: preorder walks, the per-file node index, ancestors, statements,
loops and the small structural predicates every rule shares.
"""

from __future__ import annotations

import bisect
import collections
import functools
import operator
from collections.abc import Callable, Iterator

from tree_sitter import Node, Query, QueryCursor

from gofixleak.golang import GO
from gofixleak.source import SourceFile

FUNCTIONS = frozenset({"function_declaration", "method_declaration", "func_literal"})


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
    """Descendants of ``node`` (and ``node`` itself) whose type is one of ``types``, in preorder;
    without those inside nested function literals when ``into_functions`` is false.

    In a tree without syntax errors they come from the file's index: one query per node type and
    file, in C, and a binary search for ``node``'s range, not a walk in Python (rules ask this of
    every function of every file). A tree with a syntax error (zero-width nodes do not sort into
    preorder) and unnamed node types are walked.
    """
    wanted = frozenset(types)
    root = _root_of(node)
    if root is None or root.has_error or not all(_is_named_type(kind) for kind in wanted):
        return (n for n in walk(node, into_functions=into_functions) if n.type in wanted)
    index = _index_of(root)
    found = index.of_types(wanted)
    if node.parent is not None:
        found = _in_range(found, node)
    if not into_functions:
        found = [n for n in found if index.is_own(n, node)]
    return iter(found)


def identifiers_named(
    src: SourceFile, name: str, node: Node, kind: str = "identifier"
) -> list[Node]:
    """The identifiers (or ``field_identifier``s...) spelled ``name`` inside ``node``, in
    preorder, through the file's index of names."""
    root = src.root
    if root.has_error:
        spelled = name.encode()
        return [n for n in walk(node) if n.type == kind and src.text(n) == spelled]
    found = _index_of(root).named(src, kind).get(name, [])
    return found if node.parent is None else _in_range(found, node)


def identifiers_named_that(
    src: SourceFile, name: str, node: Node, tag: str, keep: Callable[[Node], bool]
) -> list[Node]:
    """:func:`identifiers_named` that ``keep`` (a test of the node alone, named by ``tag``)
    accepts: the test is run once per identifier of the file, not once per question (a large
    function asks who declares ``s`` thousands of times, of thousands of ``s``)."""
    root = src.root
    if root.has_error:
        return [n for n in identifiers_named(src, name, node) if keep(n)]
    index = _index_of(root)
    key = (tag, name)
    found = index.kept.get(key)
    if found is None:
        named = index.named(src, "identifier").get(name, [])
        found = index.kept[key] = [n for n in named if keep(n)]
    return found if node.parent is None else _in_range(found, node)


_MAX_CLIMB = 64  # Node.parent walks down from the root: climbing costs depth squared


def _root_of(node: Node) -> Node | None:
    """The root of ``node``'s tree, or None when ``node`` lies too deep to climb cheaply."""
    current = node
    for _ in range(_MAX_CLIMB):
        parent = current.parent
        if parent is None:
            return current
        current = parent
    return None


def _in_range(nodes: list[Node], node: Node) -> list[Node]:
    """The nodes (a preorder list) that are ``node`` or lie inside it. One of the very same range
    may also be an ancestor (a statement list around its only statement): told apart by depth."""
    start = bisect.bisect_left(nodes, node.start_byte, key=_START)
    end = bisect.bisect_left(nodes, node.end_byte, key=_START)
    # Nodes nest: one that starts inside ``node`` and ends after it starts where ``node`` does
    # and encloses it, and those come first (the enclosing first, in preorder).
    while start < end and nodes[start].start_byte == node.start_byte:
        if nodes[start].end_byte <= node.end_byte:
            break
        start += 1
    inside = nodes[start:end]
    if inside and inside[0].byte_range == node.byte_range:
        depth = _depth(node)
        inside = [n for n in inside if n.byte_range != node.byte_range or _depth(n) >= depth]
    return inside


# Node types that rules look for in files and functions: found together, in the first pass of a
# file's index (one query: more queries over the same tree cost more than capturing more).
_COMMON_SCANS = FUNCTIONS | {
    "go_statement",
    "defer_statement",
    "short_var_declaration",
    "var_spec",
    "return_statement",
    "goto_statement",
    "break_statement",
    "continue_statement",
    "labeled_statement",
    "for_statement",
    "range_clause",
    "select_statement",
    "send_statement",
    "expression_statement",
    "call_expression",
    "unary_expression",
    "identifier",
    "import_spec",
    "type_spec",
    "type_alias",
    "type_identifier",
}


# What most files that rules read are asked beyond the common scan (selectors, keyed elements,
# field declarations...): found in the same first query, since a query costs a walk of the
# tree in C whatever it captures (on a 500 kB file about 25 ms for one type, 32 ms for these
# nine, 45 ms for the common ones): one walk for all beats one per type.
_SECOND_SCANS = frozenset(
    {
        "selector_expression",
        "keyed_element",
        "field_declaration",
        "method_elem",
        "composite_literal",
        "if_statement",
        "assignment_statement",
        "literal_value",
        "type_conversion_expression",
    }
)


_FIRST_SCAN = _COMMON_SCANS | _SECOND_SCANS


class _TreeIndex:
    """Nodes of one error-free tree by type, in preorder, and what is derived from them.

    Several rules scan the whole file and every function for the same types (``go_statement``,
    functions, identifiers): a query finds them in C, once per file, instead of walks in Python.
    """

    def __init__(self, root: Node) -> None:
        self.root = root
        self.found: dict[str, list[Node]] = {}  # in preorder
        self.captured: dict[str, list[Node]] = {}  # scanned, in the query's order: not yet sorted
        self.merged: dict[frozenset[str], list[Node]] = {}
        self.names: dict[str, dict[str, list[Node]]] = {}
        self.owners: dict[str, dict[tuple[int, int], Node]] = {}
        self.kept: dict[tuple[str, str], list[Node]] = {}

    def named(self, src: SourceFile, kind: str) -> dict[str, list[Node]]:
        """The nodes of ``kind`` (identifiers) by the name they spell, each list in preorder."""
        if kind not in self.names:
            by_name: dict[str, list[Node]] = {}
            data = src.data
            for node in self.of_types(frozenset({kind})):
                name = data[node.start_byte : node.end_byte].decode("utf-8", "replace")
                by_name.setdefault(name, []).append(node)
            self.names[kind] = by_name
        return self.names[kind]

    def of_types(self, types: frozenset[str]) -> list[Node]:
        missing = types - self.found.keys()
        if missing:
            unscanned = missing - self.captured.keys()
            if unscanned:
                self._scan(unscanned | (_FIRST_SCAN - self.found.keys() - self.captured.keys()))
            for kind in missing - self.found.keys():  # walked kinds are found by the scan
                self.found[kind] = _in_preorder(self.captured.pop(kind), kind in _LEAVES)
        if len(types) == 1:
            return self.found[next(iter(types))]
        if types not in self.merged:
            merged = [n for kind in types for n in self.found[kind]]
            self.merged[types] = _in_preorder(merged, types <= _LEAVES)
        return self.merged[types]

    def is_own(self, node: Node, scope: Node) -> bool:
        """``node`` lies in ``scope`` outside every function nested in it (``scope`` itself
        may be a function: it is entered)."""
        owner = self._owners(node.type).get(node.byte_range)
        if owner is None:
            return True
        if owner.byte_range == scope.byte_range:
            # A function has no child of its own range: one of scope's range is scope itself,
            # or lies inside it (a literal alone in an expression list).
            return owner.type == scope.type
        return owner.start_byte <= scope.start_byte and scope.end_byte <= owner.end_byte

    def _owners(self, kind: str) -> dict[tuple[int, int], Node]:
        """The innermost function strictly around each indexed node of ``kind``: one sweep of
        the functions and those nodes, both in preorder."""
        if kind not in self.owners:
            functions = self.of_types(FUNCTIONS)
            out: dict[tuple[int, int], Node] = {}
            stack: list[Node] = []
            next_function = 0
            for node in self.of_types(frozenset({kind})):
                # Push the functions that start before the node (or with it, around it).
                while next_function < len(functions) and _starts_before(
                    functions[next_function], node
                ):
                    function = functions[next_function]
                    while stack and not _holds(stack[-1], function):
                        stack.pop()
                    stack.append(function)
                    next_function += 1
                while stack and not _holds(stack[-1], node):
                    stack.pop()
                if stack:
                    out[node.byte_range] = stack[-1]
            self.owners[kind] = out
        return self.owners[kind]

    def _scan(self, types: frozenset[str]) -> None:
        named = frozenset(kind for kind in types if _is_named_type(kind))
        captured = QueryCursor(_scan_query(named)).captures(self.root) if named else {}
        for kind in named:  # sorted when first asked for: many a type never is, in many a file
            self.captured[kind] = captured.get(kind, [])
        for kind in types - named:  # anonymous or unknown: walked, as before
            self.found[kind] = [n for n in walk(self.root) if n.type == kind]


@functools.cache
def _scan_query(types: frozenset[str]) -> Query:
    """One pattern per named node type, its capture named after it."""
    return Query(GO, " ".join(f"({kind}) @{kind}" for kind in sorted(types)))


def _is_named_type(kind: str) -> bool:
    return bool(GO.id_for_node_kind(kind, True))


def _in_preorder(nodes: list[Node], leaves: bool = False) -> list[Node]:
    """Nodes of an error-free tree (so no zero-width nodes) in the order a preorder walk meets
    them: by start, the enclosing node first; a node and its only child can share a range, then
    the shallower first (``leaves``: the nodes are leaves, none holds another). (Query captures
    come in no such order.)"""
    # Two stable sorts on attributes read in C: by end, longest first, then by start.
    nodes.sort(key=_END, reverse=True)
    nodes.sort(key=_START)
    if leaves:
        return nodes
    ranges = [n.byte_range for n in nodes]
    if len(set(ranges)) != len(ranges):
        return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte, _depth(n)))
    return nodes


# Node types that never hold another node (the identifiers: the longest lists of a file).
_LEAVES = frozenset({"identifier", "field_identifier", "type_identifier", "package_identifier"})
_START = operator.attrgetter("start_byte")
_END = operator.attrgetter("end_byte")


def _starts_before(function: Node, node: Node) -> bool:
    """``function`` comes before ``node`` in preorder (at the same start, the longer first; a
    node of the function's own range is its ancestor, or the function itself, and comes first)."""
    if function.start_byte != node.start_byte:
        return function.start_byte < node.start_byte
    return function.end_byte > node.end_byte


def _holds(outer: Node, node: Node) -> bool:
    """``node`` lies strictly inside ``outer`` (not ``outer`` itself)."""
    return (
        outer.start_byte <= node.start_byte
        and node.end_byte <= outer.end_byte
        and outer.byte_range != node.byte_range
    )


def _depth(node: Node) -> int:
    return sum(1 for _ in ancestors(node))


# The indexes of the trees last used, most recent last (enough for the files of one large
# package): a package's files are analysed together
# (a callee's file beside the caller's), and memory stays flat. An index holds the tree's nodes,
# so the tree stays alive and its root's id cannot be taken by another tree meanwhile.
_INDEXES: collections.OrderedDict[int, _TreeIndex] = collections.OrderedDict()
_KEPT_INDEXES = 256


def _index_of(root: Node) -> _TreeIndex:
    """The index of ``root``'s tree."""
    index = _INDEXES.get(root.id)
    if index is None or index.root != root:
        index = _INDEXES[root.id] = _TreeIndex(root)
        while len(_INDEXES) > _KEPT_INDEXES:
            _INDEXES.popitem(last=False)
    _INDEXES.move_to_end(root.id)
    return index


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


def counted_loop(src: SourceFile, loop: Node) -> tuple[Node, Node] | None:
    """``(S, N)``, the expressions of ``for i := S; i < N; i++`` whose counter the body never
    writes (assigned, incremented, declared again, its address taken): the loop runs ``N - S``
    times if ``N`` keeps its value. None for any other loop."""
    clause = next((c for c in loop.named_children if c.type == "for_clause"), None)
    if clause is None:
        return None
    init = clause.child_by_field_name("initializer")
    condition = clause.child_by_field_name("condition")
    update = clause.child_by_field_name("update")
    if init is None or condition is None or update is None:
        return None
    if init.type != "short_var_declaration":
        return None
    left, right = init.child_by_field_name("left"), init.child_by_field_name("right")
    if left is None or right is None or len(left.named_children) != 1:
        return None
    if len(right.named_children) != 1:
        return None
    index = src.show(left.named_children[0])
    bound = condition.child_by_field_name("right")
    operator = condition.child_by_field_name("operator")
    counter = condition.child_by_field_name("left")
    if bound is None or operator is None or operator.type != "<":
        return None
    if counter is None or src.show(counter) != index:
        return None
    if src.show(update).replace(" ", "") != f"{index}++":
        return None
    body = loop.child_by_field_name("body")
    for node in descendants(body, "identifier") if body is not None else ():
        if src.show(node) == index and is_written(node):
            return None
    return right.named_children[0], bound


def is_written(identifier: Node) -> bool:
    """``identifier`` is assigned (``i = 1``, ``i += 2``), incremented or decremented, declared
    again (``i := 5``), or has its address taken (``&i``)."""
    parent = identifier.parent
    if parent is None:
        return False
    if parent.type in ("inc_statement", "dec_statement"):
        return True
    if parent.type == "unary_expression":
        operator = parent.child_by_field_name("operator")
        return operator is not None and operator.type == "&"
    holder = parent.parent
    return (
        parent.type == "expression_list"
        and holder is not None
        and holder.type in ("assignment_statement", "short_var_declaration")
        and same_node(holder.child_by_field_name("left"), parent)
    )


def int_literal(src: SourceFile, node: Node) -> int | None:
    """The value of an integer literal (``8``, ``0x10``, ``1_000``); None for anything else."""
    return _int_literal(src.show(node)) if node.type == "int_literal" else None


def _int_literal(text: str) -> int | None:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        return None
