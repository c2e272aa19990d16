"""Fix for abandoned-sender: give the channel room for every value that can be sent.

The detector records the size in ``finding.captures``: ``size`` (an expression used as is),
``size_len`` (a collection whose ``len`` is the size) or ``sender:N`` (one per ``go`` statement,
when there is no spawning loop; ``sender:N*K`` for a goroutine that sends exactly K values).
Captures named ``review:*`` mark what makes the fix UNSAFE.
No size capture: the number of sends is unknown, no fix.
"""

from __future__ import annotations

from gofixleak.detectors.abandoned_sender import RULE
from gofixleak.model import Applicability, Edit, Finding, Fix, Span
from gofixleak.source import SourceFile
from gofixleak.syntax import gofmt_expression

__all__ = ["RULE", "fix"]


def fix(finding: Finding, src: SourceFile) -> Fix | None:
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
