"""How many goroutines a ``go`` statement starts, how many values they send in all, and
how much room the channel has: from the spawning loop and the declarations around it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tree_sitter import Node

from gofixleak import channels, syntax
from gofixleak.channels import LocalChannel
from gofixleak.detectors._abandoned.senders import Sender
from gofixleak.facts import constants
from gofixleak.model import Span
from gofixleak.source import SourceFile, span_of

LEN_TYPES = frozenset({"slice_type", "array_type", "map_type"})


SIGNED = frozenset({"int", "int8", "int16", "int32", "int64", "rune"})


UNSIGNED = frozenset({"uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte"})


@dataclass(frozen=True)
class Count:
    """How many goroutines a ``go`` statement starts.

    ``text`` spells the count for messages and fixes; ``size`` is the expression whose text
    becomes the capacity (``wrap_len``: inside ``len(...)``); ``constant`` when known.
    ``review`` names what makes a fix UNSAFE, with the span that shows it.
    """

    text: str
    constant: int | None = None
    size: Node | None = None
    wrap_len: bool = False
    review: dict[str, Node] = field(default_factory=dict)


def loops_after_make(node: Node, channel: LocalChannel) -> list[Node]:
    """Loops around ``node`` that run within one life of the channel (not around its make)."""
    return [
        loop for loop in syntax.enclosing_loops(node) if not syntax.is_inside(channel.make, loop)
    ]


def spawn_count(go: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    """How many times ``go`` runs per channel; None when the syntax does not tell."""
    loops = loops_after_make(go, channel)
    if not loops:
        review = {} if same_block(go, channel.declaration) else {"review:conditional-spawn": go}
        return Count("1", constant=1, review=review)
    if len(loops) > 1:
        return None
    loop = loops[0]
    count = loop_count(loop, channel, src)
    if count is None:
        return None
    if not spawns_unconditionally(go, loop, src):
        count.review["review:conditional-spawn"] = go
    return count


def same_block(statement: Node, declaration: Node) -> bool:
    holder = syntax.statement_of(declaration)
    return holder is not None and statement.parent == holder.parent


def spawns_unconditionally(go: Node, loop: Node, src: SourceFile) -> bool:
    """``go`` sits directly in the loop body, and nothing there skips or stops an iteration."""
    body = loop.child_by_field_name("body")
    if body is None or go not in syntax.block_statements(body):
        return False
    jumps = ("break_statement", "continue_statement", "return_statement", "goto_statement")
    return not any(syntax.descendants(body, *jumps, into_functions=False))


def loop_count(loop: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    clause = next(
        (c for c in loop.named_children if c.type in ("range_clause", "for_clause")), None
    )
    if clause is None:
        return None
    if clause.type == "range_clause":
        operand = clause.child_by_field_name("right")
        return range_count(operand, loop, channel, src) if operand is not None else None
    bound = counted_bound(clause, loop, src)
    if bound is None:
        return None
    count = integer_count(bound, loop, channel, src)
    if count is not None and is_written(bound, loop, src):
        count.review["review:size-changes-in-loop"] = bound
    return count


def range_count(operand: Node, loop: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    if operand.type == "int_literal":
        return integer_count(operand, loop, channel, src)
    if operand.type == "composite_literal":
        return literal_count(operand)
    if operand.type != "identifier":
        return None
    kind = kind_of(operand, channel, src)
    if kind == "len":
        count = Count(f"len({src.show(operand)})", size=operand, wrap_len=True)
        return with_untouched(count, operand, loop, channel, src)
    if kind is not None:
        return integer_count(operand, loop, channel, src)
    return None


def literal_count(literal: Node) -> Count | None:
    """A range over ``[]T{a, b, c}`` runs once per element (keyed elements, ``[...]`` sizes and
    maps are not counted: their length is not the number of elements written)."""
    type_node = literal.child_by_field_name("type")
    body = literal.child_by_field_name("body")
    if type_node is None or body is None or type_node.type != "slice_type":
        return None
    elements = [c for c in body.named_children if c.type != "comment"]
    if any(c.type == "keyed_element" for c in elements):
        return None
    return Count(str(len(elements)), constant=len(elements))


def integer_count(size: Node, loop: Node, channel: LocalChannel, src: SourceFile) -> Count | None:
    text = src.show(size)
    if size.type == "int_literal":
        value = int_value(text)
        return Count(text, constant=value, size=size) if value is not None else None
    if size.type == "call_expression":  # len(xs): never negative
        args = syntax.arguments(size)
        if syntax.call_name(src, size) != "len" or len(args) != 1 or args[0].type != "identifier":
            return None
        if kind_of(args[0], channel, src) is None:
            return None
        return with_untouched(Count(text, size=size), args[0], loop, channel, src)
    if size.type != "identifier":
        named = constants.integer(src, size)  # size+2, 2*workers: constant expressions
        return Count(text, constant=named, size=size) if named is not None else None
    named = constants.integer(src, size)  # const workers = 16
    if named is not None:
        return Count(text, constant=named, size=size)
    value = local_constant(size, channel, src)
    if value is not None:
        return with_untouched(Count(text, constant=value, size=size), size, loop, channel, src)
    kind = kind_of(size, channel, src)
    if kind not in ("unsigned", "signed"):
        return None
    count = with_untouched(Count(text, size=size), size, loop, channel, src)
    if count is not None and kind == "signed":
        count.review["review:may-be-negative"] = size
    return count


def int_value(text: str) -> int | None:
    try:
        return int(text.replace("_", ""), 0)
    except ValueError:
        return None


def with_untouched(
    count: Count, name: Node, loop: Node, channel: LocalChannel, src: SourceFile
) -> Count | None:
    """``count``, marked for review when ``name`` is used between the make and the loop."""
    between = Span(channel.make.end_byte, loop.start_byte)
    for node in syntax.descendants(channel.function, "identifier"):
        if src.show(node) != src.show(name) or not between.contains(span_of(node)):
            continue
        if is_len_argument(node, src):
            continue
        count.review["review:size-used-before-loop"] = node
    return count


def is_len_argument(node: Node, src: SourceFile) -> bool:
    parent = node.parent
    call = parent.parent if parent is not None else None
    return (
        parent is not None
        and parent.type == "argument_list"
        and call is not None
        and syntax.call_name(src, call) in ("len", "cap")
    )


def counted_bound(clause: Node, loop: Node, src: SourceFile) -> Node | None:
    """``n`` of ``for i := 0; i < n; i++`` (i not written in the body), or None."""
    init = clause.child_by_field_name("initializer")
    condition = clause.child_by_field_name("condition")
    update = clause.child_by_field_name("update")
    if init is None or condition is None or update is None:
        return None
    names = syntax.short_var_names(init, src)
    right = init.child_by_field_name("right")
    if len(names) != 1 or right is None or src.show(right) != "0":
        return None
    index = names[0]
    operator = condition.child_by_field_name("operator")
    left = condition.child_by_field_name("left")
    if operator is None or operator.type != "<" or not channels.is_name(left, index, src):
        return None
    if update.type != "inc_statement" or src.show(update) != f"{index}++":
        return None
    body = loop.child_by_field_name("body")
    if body is not None and is_written_name(body, index, src):
        return None
    return condition.child_by_field_name("right")


def is_written(size: Node, loop: Node, src: SourceFile) -> bool:
    body = loop.child_by_field_name("body")
    names = [size] if size.type == "identifier" else list(syntax.descendants(size, "identifier"))
    return body is not None and any(is_written_name(body, src.show(n), src) for n in names)


def is_written_name(scope: Node, name: str, src: SourceFile) -> bool:
    """``name`` is assigned, incremented or has its address taken inside ``scope`` (not where
    a ``for``, ``range`` or literal inside ``scope`` declares a name of its own spelled so)."""
    for node in syntax.descendants(scope, "identifier"):
        if src.show(node) != name or node.parent is None:
            continue
        if is_shadowed(node, scope, src):
            continue
        parent = node.parent
        if parent.type in ("inc_statement", "dec_statement"):
            return True
        if parent.type == "unary_expression" and src.text(parent).startswith(b"&"):
            return True
        holder = parent.parent
        if (
            parent.type == "expression_list"
            and holder is not None
            and holder.type == "assignment_statement"
            and holder.child_by_field_name("left") == parent
        ):
            return True
    return False


def is_shadowed(identifier: Node, scope: Node, src: SourceFile) -> bool:
    """A ``for`` header, ``range`` clause or literal's parameters between ``identifier`` and
    ``scope`` declare its name again, so it names another variable there."""
    name = src.show(identifier)
    for ancestor in syntax.ancestors(identifier):
        if ancestor == scope:
            return False
        header: Node | None = None
        if ancestor.type == "for_statement":
            header = next(
                (c for c in ancestor.named_children if c.type in ("for_clause", "range_clause")),
                None,
            )
            if header is not None and header.type == "for_clause":
                header = header.child_by_field_name("initializer")
        elif ancestor.type == "func_literal":
            header = ancestor.child_by_field_name("parameters")
        if header is not None and any(
            src.show(d) == name for d in syntax.declaring_identifiers(header)
        ):
            return True
    return False


def local_constant(name: Node, channel: LocalChannel, src: SourceFile) -> int | None:
    """The value of ``name`` when its one declaration before the channel is
    ``name := <integer literal>`` (or ``var name = ...``) and nothing writes it afterwards."""
    declared = declaration_before_make(name, channel, src)
    if declared is None:
        return None
    identifier, declaration = declared
    if declaration.type not in ("short_var_declaration", "var_spec"):
        return None
    if declaration.type == "var_spec" and declaration.child_by_field_name("type") is not None:
        return None
    if declaration.type == "short_var_declaration":
        value = value_of(declaration, identifier)
    else:
        value = var_value(declaration, identifier)
    outermost = syntax.top_level_declaration(channel.function)
    if (
        value is None
        or value.type != "int_literal"
        or is_written_name(outermost, src.show(name), src)
    ):
        return None
    return int_value(src.show(value))


def declaration_before_make(
    name: Node, channel: LocalChannel, src: SourceFile
) -> tuple[Node, Node] | None:
    """The one declaration of ``name`` in the enclosing functions, made before the channel:
    the declaring identifier and the declaration (spec, parameter or ``:=``) that holds it."""
    text = src.show(name)
    outermost = syntax.top_level_declaration(channel.function)
    found = [d for d in syntax.declaring_identifiers(outermost) if src.show(d) == text]
    if len(found) != 1 or found[0].start_byte >= channel.make.start_byte:
        return None
    declaration = found[0].parent
    if declaration is not None and declaration.type == "expression_list":
        declaration = declaration.parent
    return (found[0], declaration) if declaration is not None else None


def var_value(spec: Node, name: Node) -> Node | None:
    names = spec.children_by_field_name("name")
    values = spec.child_by_field_name("value")
    if values is None or len(values.named_children) != len(names):
        return None
    return values.named_children[names.index(name)]


def kind_of(name: Node, channel: LocalChannel, src: SourceFile) -> str | None:
    """``"len"`` (slice, array, map, string), "signed" or "unsigned" integer, or None (unknown),
    from the one declaration of ``name`` in the enclosing functions, made before the channel."""
    declared = declaration_before_make(name, channel, src)
    if declared is None:
        return None
    identifier, declaration = declared
    type_node = declaration.child_by_field_name("type")
    if type_node is not None and declaration.type in ("parameter_declaration", "var_spec"):
        return type_kind(type_node, src)
    if declaration.type == "short_var_declaration":
        return value_kind(value_of(declaration, identifier), src)
    return None


def value_of(declaration: Node, name: Node) -> Node | None:
    left = declaration.child_by_field_name("left")
    right = declaration.child_by_field_name("right")
    if left is None or right is None or len(left.named_children) != len(right.named_children):
        return None
    index = next(i for i, n in enumerate(left.named_children) if n == name)
    return right.named_children[index]


def type_kind(type_node: Node, src: SourceFile) -> str | None:
    if type_node.type in LEN_TYPES:
        return "len"
    text = src.show(type_node)
    if text == "string":
        return "len"
    if text in SIGNED:
        return "signed"
    if text in UNSIGNED:
        return "unsigned"
    return None


def value_kind(value: Node | None, src: SourceFile) -> str | None:
    if value is None:
        return None
    if value.type == "composite_literal":
        type_node = value.child_by_field_name("type")
        return "len" if type_node is not None and type_node.type in LEN_TYPES else None
    if value.type == "call_expression" and syntax.call_name(src, value) in ("len", "cap"):
        return "unsigned"  # an int, but never negative
    if value.type == "call_expression" and syntax.call_name(src, value) == "make":
        args = syntax.arguments(value)
        return "len" if args and args[0].type in LEN_TYPES else None
    if value.type == "interpreted_string_literal":
        return "len"
    return None


def total_sends(
    channel: LocalChannel, senders: dict[Node, Sender], src: SourceFile
) -> int | None:
    """How many values the goroutines can send in all; None when unknown (a goroutine may
    send more than once, or the number of goroutines is not a constant)."""
    if any(sender.per_run is None and sender.exact is None for sender in senders.values()):
        return None
    return weighted_total(channel, senders, src)


def weighted_total(
    channel: LocalChannel, senders: dict[Node, Sender], src: SourceFile
) -> int | None:
    """The values the goroutines send in all, each counted for its weight (see Sender)."""
    total = 0
    for go, sender in senders.items():
        count = spawn_count(go, channel, src)
        if count is None or count.constant is None:
            return None
        total += count.constant * sender.weight
    return total


def constant_total(counts: list[Count | None]) -> int | None:
    if any(c is None or c.constant is None for c in counts):
        return None
    return sum(c.constant for c in counts if c is not None and c.constant is not None)


def channel_capacity(channel: LocalChannel, src: SourceFile) -> int | None:
    """0 for unbuffered, the constant capacity (named constants included), or None (an
    expression: assumed sized)."""
    node = channel.capacity
    if node is None:
        return 0
    return constants.integer(src, node)
