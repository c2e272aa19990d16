"""Shared helpers about channels: which are made locally, where they are sent on, received from,
closed, and whether they escape the function that made them.

Everything works on syntax alone, one function at a time. A channel is tracked by its name inside
the function that declares it with ``make``; when that name could mean something else somewhere
in the function (declared again, assigned, passed on), :func:`is_confined` says no and the rules
stay silent.

Limitations: a channel made through a named type (``type results chan int``; ``make(results)``),
declared with ``var ch chan T`` and assigned later, or kept in a struct field is not a local
channel here. A channel handed to a goroutine as an argument (``go worker(ch)``,
``go func(c chan int) {...}(ch)``) counts as escaping, although the callee may be in view.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.facts.usage import Subject
from gofixleak.source import SourceFile
from gofixleak.syntax import (
    FUNCTIONS,
    ancestors,
    arguments,
    call_name,
    declaring_identifiers,
    descendants,
    is_goroutine_literal,
    walk,
)

# Builtins that use a channel without letting it out of the function.
_HARMLESS_BUILTINS = frozenset({"close", "len", "cap"})


@dataclass(frozen=True)
class LocalChannel:
    """``name := make(chan T[, capacity])`` (or ``var name = make(...)``) in ``function``'s body."""

    name: str
    declaration: Node  # the short_var_declaration or var_spec
    make: Node  # the make call
    function: Node  # the function (declaration, method or literal) whose body declares it
    declared: int = -1  # where the identifier that declares it starts

    @property
    def channel_type(self) -> Node:
        return arguments(self.make)[0]

    @property
    def subject(self) -> Subject:
        """The channel as the package model follows it (see :func:`facts.usage.usage`)."""
        return Subject(self.name, declared=self.declared)

    @property
    def capacity(self) -> Node | None:
        """The capacity argument, or None for an unbuffered ``make(chan T)``."""
        args = arguments(self.make)
        return args[1] if len(args) > 1 else None


def is_make_chan(src: SourceFile, node: Node) -> bool:
    """``make(chan T)`` or ``make(chan T, n)`` (any direction of channel type)."""
    if node.type != "call_expression" or call_name(src, node) != "make":
        return False
    args = arguments(node)
    return 1 <= len(args) <= 2 and args[0].type == "channel_type"


def local_channels(function: Node, src: SourceFile) -> Iterator[LocalChannel]:
    """Channels that ``function`` itself (not a nested literal) declares with ``make``."""
    if function.type not in FUNCTIONS:
        yield from _declared_in(function, src)
        return
    # Four rules ask this of every function of the file: the file is searched once.
    key = (function.start_byte, function.end_byte)
    for name, declaration, value, declared in _channel_index(src).get(key, ()):
        yield LocalChannel(name, declaration, value, function, declared)


def _declared_in(function: Node, src: SourceFile) -> Iterator[LocalChannel]:
    body = function.child_by_field_name("body")
    if body is None:
        return
    for node in walk(body, into_functions=False):
        for name, value in _made_channels(node, src):
            yield LocalChannel(src.show(name), node, value, function, name.start_byte)


def _made_channels(node: Node, src: SourceFile) -> list[tuple[Node, Node]]:
    """The ``(name, make(chan ...))`` pairs that ``node``, a declaration, declares."""
    if node.type == "short_var_declaration":
        pairs = _pairs(node.child_by_field_name("left"), node.child_by_field_name("right"))
    elif node.type == "var_spec":
        names = [c for c in node.children_by_field_name("name") if c.type == "identifier"]
        values = node.child_by_field_name("value")
        pairs = list(zip(names, values.named_children, strict=False)) if values else []
        if values is not None and len(names) != len(values.named_children):
            pairs = []
    else:
        return []
    return [(n, v) for n, v in pairs if n.type == "identifier" and is_make_chan(src, v)]


_ChannelIndex = dict[tuple[int, int], list[tuple[str, Node, Node, int]]]
_last_index: list[tuple[SourceFile, _ChannelIndex]] = []


def _channel_index(src: SourceFile) -> _ChannelIndex:
    """Each function's own ``make(chan ...)`` declarations, keyed by the function's byte range.
    Only the last file's index is kept."""
    if _last_index and _last_index[0][0] is src:
        return _last_index[0][1]
    index: _ChannelIndex = {}
    for node in descendants(src.root, "short_var_declaration", "var_spec"):
        if src.data.find(b"chan", node.start_byte, node.end_byte) == -1:
            continue  # no make(chan ...) without the word: most declarations end here
        made = _made_channels(node, src)
        function = next((a for a in ancestors(node) if a.type in FUNCTIONS), None)
        if made and function is not None:
            key = (function.start_byte, function.end_byte)
            index.setdefault(key, []).extend(
                (src.show(n), node, v, n.start_byte) for n, v in made
            )
    _last_index[:] = [(src, index)]
    return index


def _pairs(left: Node | None, right: Node | None) -> list[tuple[Node, Node]]:
    if left is None or right is None or len(left.named_children) != len(right.named_children):
        return []
    return list(zip(left.named_children, right.named_children, strict=True))


def is_name(node: Node | None, name: str, src: SourceFile) -> bool:
    return node is not None and node.type == "identifier" and src.show(node) == name


def sends_on(scope: Node, name: str, src: SourceFile) -> list[Node]:
    """``name <- v`` statements in ``scope`` (nested literals included, select cases included)."""
    return [
        n
        for n in descendants(scope, "send_statement")
        if is_name(n.child_by_field_name("channel"), name, src)
    ]


def receives_from(scope: Node, name: str, src: SourceFile) -> list[Node]:
    """``<-name`` expressions in ``scope`` (nested literals included). Not ``range name``."""
    return [
        n
        for n in descendants(scope, "unary_expression")
        if _operator(n) == "<-" and is_name(n.child_by_field_name("operand"), name, src)
    ]


def ranges_over(scope: Node, name: str, src: SourceFile) -> list[Node]:
    """``for ... range name`` loops in ``scope``."""
    out = []
    for clause in descendants(scope, "range_clause"):
        if is_name(clause.child_by_field_name("right"), name, src) and clause.parent is not None:
            out.append(clause.parent)
    return out


def closes_of(scope: Node, name: str, src: SourceFile) -> list[Node]:
    """``close(name)`` calls in ``scope``."""
    return [
        n
        for n in descendants(scope, "call_expression")
        if call_name(src, n) == "close"
        and len(arguments(n)) == 1
        and is_name(arguments(n)[0], name, src)
    ]


def _operator(unary: Node) -> str:
    operator = unary.child_by_field_name("operator")
    return operator.type if operator is not None else ""


def select_alternatives(operation: Node) -> list[Node]:
    """The other cases (default included) of the select whose case is ``operation``.

    ``operation`` is a send statement or a receive expression; [] when it is not a select case.
    """
    case = communication_case_of(operation)
    if case is None or case.parent is None:
        return []
    return [
        c
        for c in case.parent.named_children
        if c.type in ("communication_case", "default_case") and c != case
    ]


def communication_case_of(operation: Node) -> Node | None:
    """The select case whose communication is ``operation`` (a send, or a receive in it)."""
    node = operation
    if node.type != "send_statement":
        parent = node.parent
        if parent is not None and parent.type == "receive_statement":
            node = parent
    case = node.parent
    if case is None or case.type != "communication_case":
        return None
    communication = case.child_by_field_name("communication")
    return case if communication is not None and communication == node else None


def go_statement_of(node: Node, function: Node) -> Node | None:
    """The ``go func() {...}()`` statement of ``function`` whose literal holds ``node``.

    None when ``node`` is in ``function``'s own body, or when the innermost literal around it is
    anything else (a deferred or stored literal, a goroutine started by a nested literal).
    """
    literal = next((a for a in ancestors(node) if a.type in FUNCTIONS), None)
    if literal is None or not is_goroutine_literal(literal):
        return None
    go = literal.parent.parent if literal.parent is not None else None
    if go is None:
        return None
    owner = next((a for a in ancestors(go) if a.type in FUNCTIONS), None)
    return go if owner == function else None


def is_confined(channel: LocalChannel, src: SourceFile) -> bool:
    """:func:`_is_confined`, worked out once per channel although four rules ask."""
    if not _confined_cache or _confined_cache[0][0] is not src:
        _confined_cache[:] = [(src, {})]
    answers = _confined_cache[0][1]
    key = (channel.name, channel.declaration.start_byte, channel.function.start_byte)
    if key not in answers:
        answers[key] = _is_confined(channel, src)
    return answers[key]


# The last file's answers: (file, {(name, declaration start, function start): answer}).
_confined_cache: list[tuple[SourceFile, dict[tuple[str, int, int], bool]]] = []


def _is_confined(channel: LocalChannel, src: SourceFile) -> bool:
    """True when ``channel``'s name means the channel everywhere in its function, and the channel
    only reaches code that runs while the function can see it.

    Allowed uses: send, receive, ``range``, ``close``/``len``/``cap``, inside the function's body or
    a literal that is called on the spot (``go func() {...}()``, ``defer func() {...}()``,
    ``func() {...}()``). Anything else — returned, assigned, stored, passed to a function, captured
    by a stored literal, declared a second time — is an escape.
    """
    body = channel.function.child_by_field_name("body")
    if body is None:
        return False
    declared = next(
        (c for c in _declared_names(channel.declaration) if src.show(c) == channel.name), None
    )
    for node in walk(body):
        if node.type != "identifier" or src.show(node) != channel.name or node == declared:
            continue
        if not _is_harmless_use(node, src) or not _runs_in_view(node, channel.function):
            return False
    return not _is_redeclared(body, channel, declared, src)


def _declared_names(declaration: Node) -> list[Node]:
    if declaration.type == "short_var_declaration":
        left = declaration.child_by_field_name("left")
        return list(left.named_children) if left is not None else []
    return list(declaration.children_by_field_name("name"))


def _is_harmless_use(identifier: Node, src: SourceFile) -> bool:
    parent = identifier.parent
    if parent is None:
        return False
    if parent.type == "send_statement":
        return parent.child_by_field_name("channel") == identifier
    if parent.type == "unary_expression":
        return _operator(parent) == "<-"
    if parent.type == "range_clause":
        return parent.child_by_field_name("right") == identifier
    if parent.type == "argument_list" and parent.parent is not None:
        call = parent.parent
        return call_name(src, call) in _HARMLESS_BUILTINS and len(arguments(call)) == 1
    return False


def _runs_in_view(node: Node, function: Node) -> bool:
    """Every literal between ``node`` and ``function`` is called where it is written."""
    for ancestor in ancestors(node):
        if ancestor == function:
            return True
        if ancestor.type in FUNCTIONS:
            call = ancestor.parent
            if (
                ancestor.type != "func_literal"
                or call is None
                or call.type != "call_expression"
                or call.child_by_field_name("function") != ancestor
            ):
                return False
    return True


def _is_redeclared(
    body: Node, channel: LocalChannel, declared: Node | None, src: SourceFile
) -> bool:
    """The name is declared again somewhere in the function (parameters of literals included)."""
    return any(n != declared and src.show(n) == channel.name for n in declaring_identifiers(body))
