"""Give a polled send the stop case of its poll:
``select { case <-stop: return; case ch <- v: }``."""

from __future__ import annotations

from gofixleak import syntax
from gofixleak.model import Applicability, Edit, Finding, Fix
from gofixleak.source import SourceFile


def fix(finding: Finding, src: SourceFile) -> Fix | None:
    captures = finding.captures
    send = src.text(captures["poll_send"]).decode()
    stop = src.text(captures["poll_signal"]).decode()
    exit_ = src.text(captures["poll_exit"]).decode()
    if "poll_default" in captures:
        # The send is the default's only statement: it becomes a case of the poll itself.
        edit = Edit(captures["poll_default"], f"case {send}:".encode())
        message = f"make the send a case of the select on {stop}"
    else:
        at = captures["poll_send"]
        if not syntax.starts_line(src.data, at.start):
            return None
        indent = syntax.indent_of(src.data, at.start).decode()
        lines = [f"case <-{stop}:", f"\t{exit_}", f"case {send}:", "}"]
        text = "select {\n" + "\n".join(indent + line for line in lines)
        edit = Edit(at, text.encode())
        message = f"send in a select that also waits for {stop}"
    # SAFE: the receivers stop on the same signal without draining (the detector's proof), so
    # once it fires the send could only block; until then the select sends as the plain send.
    # UNSAFE when the signal may be one value sent rather than a close: the new case can take
    # the value a receiver waited for.
    safe = "poll_safe" in captures
    return Fix(message, (edit,), Applicability.SAFE if safe else Applicability.UNSAFE)
