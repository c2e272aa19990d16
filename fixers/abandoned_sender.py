"""Fix for abandoned-sender: give the channel room for every value that can be sent.

The detector records the size in ``finding.captures``: ``size`` (an expression used as is),
``size_len`` (a collection whose ``len`` is the size) or ``sender:N`` (one per ``go`` statement,
when there is no spawning loop; ``sender:N*K`` for a goroutine that sends exactly K values).
Captures named ``review:*`` mark what makes the fix UNSAFE.
No size capture: the number of sends is unknown, no fix.

A request to a loop (the ``request`` capture: a bare send, when the loop closes a done
channel) becomes a ``select`` that also waits for that channel and then returns the zero values
of the sender's results: UNSAFE, a new way out of the function.
"""

from __future__ import annotations

from tree_sitter import Node

from gofixleak.detectors._abandoned.loop_request import loop_request
from gofixleak.detectors.abandoned_sender import RULE
from gofixleak.facts import declarations
from gofixleak.model import Applicability, Edit, Finding, Fix, Span
from gofixleak.source import SourceFile
from gofixleak.syntax import gofmt_expression, in_a_select

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    if "request" in finding.captures:
        return _request_fix(finding.captures["request"], src)
    size = _size(finding, src)
    channel_type = finding.captures.get("type")
    if size is None or channel_type is None:
        return None
    capacity = finding.captures.get("capacity")
    if capacity is not None:
        edit = Edit(capacity, size.encode())
    else:
        edit = Edit(Span(channel_type.end, channel_type.end), b", " + size.encode())
    reviews = [key for key in finding.captures if key.startswith("review:")]
    applicability = Applicability.UNSAFE if reviews else Applicability.SAFE
    return Fix(f"size the channel to {size}", (edit,), applicability)


def _size(finding: Finding, src: SourceFile) -> str | None:
    captures = finding.captures
    if "size" in captures:
        return _as_capacity(src, captures["size"])
    if "size_len" in captures:
        collection = _as_capacity(src, captures["size_len"])
        return None if collection is None else f"len({collection})"
    senders = sum(_weight(key) for key in captures if key.startswith("sender:"))
    return str(senders) if senders else None


def _weight(key: str) -> int:
    """``sender:2`` counts one value, ``sender:2*8`` eight."""
    _, _, weight = key.partition("*")
    return int(weight) if weight else 1


def _as_capacity(src: SourceFile, span: Span) -> str | None:
    """The expression at ``span`` as gofmt prints it as make's second argument: ``for range
    n * 2`` becomes ``make(chan T, n*2)``."""
    node = src.node_at(span)
    return None if node is None else gofmt_expression(src, node, depth=2)


def _request_fix(span: Span, src: SourceFile) -> Fix | None:
    send = src.node_at(span)
    request = loop_request(src, send) if send is not None else None
    if request is None or request.done_field is None:
        return None
    zeros = _zero_values(src, request.sender_node)
    if zeros is None:
        return None
    done = f"{request.operand}.{request.done_field}"
    returned = "return " + ", ".join(zeros) if zeros else "return"
    edit = in_a_select(src, request.send, [f"case <-{done}:", f"\t{returned}"])
    if edit is None:
        return None
    return Fix(f"also wait for <-{done}, and return", (edit,), Applicability.UNSAFE)


_NILLABLE = frozenset(
    {"pointer_type", "slice_type", "map_type", "channel_type", "function_type", "interface_type"}
)
_NUMBERS = (
    "int", "int8", "int16", "int32", "int64",
    "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "byte", "rune",
    "float32", "float64", "complex64", "complex128",
)  # fmt: skip
_PREDECLARED = {"bool": "false", "string": '""', "error": "nil", "any": "nil"} | {
    name: "0" for name in _NUMBERS
}


def _zero_values(src: SourceFile, function: Node) -> list[str] | None:
    """The zero value of each of ``function``'s results, as Go spells it; None when the syntax
    cannot tell one (a type of another package, a type parameter, an array...)."""
    result = function.child_by_field_name("result")
    if result is None:
        return []
    if result.type != "parameter_list":
        zero = _zero(src, result)
        return None if zero is None else [zero]
    zeros: list[str] = []
    for declaration in result.named_children:
        if declaration.type == "comment":
            continue
        if declaration.type != "parameter_declaration":
            return None
        zero = _zero(src, declaration.child_by_field_name("type"))
        if zero is None:
            return None
        zeros.extend([zero] * max(1, len(declaration.children_by_field_name("name"))))
    return zeros


def _zero(src: SourceFile, type_node: Node | None) -> str | None:
    if type_node is None:
        return None
    if type_node.type in _NILLABLE:
        return "nil"
    if type_node.type != "type_identifier":
        return None
    name = src.show(type_node)
    if declarations.struct_type(src.pkg, name) is not None:
        return f"{name}{{}}"
    if declarations.interface_type(src.pkg, name) is not None:
        return "nil"
    if declarations.declares(src.pkg, name):
        return None  # a type of the package of another kind, or a name it redeclares
    return _PREDECLARED.get(name)
