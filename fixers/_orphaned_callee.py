"""Close the channel in the callee it was handed to, when that callee returns."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.detectors import _orphaned_callee
from gofixleak.facts import resolve
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    call = src.node_at(finding.captures["callee_call"])
    argument = src.node_at(finding.captures["callee_argument"])
    callee = resolve.callee(src, call) if call is not None else None
    if call is None or argument is None or callee is None:
        return None
    handover = _orphaned_callee.Handover(call, argument, callee)
    parameter = _orphaned_callee.parameter_of(handover, src)
    first = _orphaned_callee.first_statement(callee)
    if parameter is None or first is None:
        return None
    edit = syntax.insert_lines_before(callee.src, first, [f"defer close({parameter})"])
    if edit is None:
        return None
    message = f"close {parameter} when {callee.name} returns"
    # UNSAFE: the callee is edited, and the waiter now goes on (with a zero value) once the
    # callee ends, which its author may not have meant.
    if callee.src is src:
        return Fix(message, (edit,), Applicability.UNSAFE)
    return Fix(message, (), Applicability.UNSAFE, elsewhere=((callee.src.path, (edit,)),))
