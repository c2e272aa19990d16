"""Timers and tickers: where a ticker left running leaks (Go before 1.23)."""

from __future__ import annotations

from collections.abc import Iterator

from tree_sitter import Node

from gofixleak.source import SourceFile
from gofixleak.syntax.goroutines import is_program_lifetime
from gofixleak.syntax.names import arguments, hides_import, import_name, is_call_to
from gofixleak.syntax.tree import descendants, enclosing_function

# Go 1.23 collects unreferenced timers and tickers, stopped or not (the module's `go` line picks
# the behaviour), so leaving one unstopped only leaks before that version.
TIMERS_COLLECTED_SINCE = (1, 23)


def timers_need_stop(src: SourceFile) -> bool:
    """True when an unstopped ticker or timer is never collected: Go before 1.23, or unknown."""
    return src.go_version is None or src.go_version < TIMERS_COLLECTED_SINCE


def timer_calls(src: SourceFile, *names: str) -> Iterator[Node]:
    """Calls ``time.<name>(d)`` in a file where a timer left running leaks: not a test file,
    Go before 1.23 (or unknown), ``time`` imported."""
    if src.is_test or not timers_need_stop(src) or import_name(src, "time") is None:
        return
    for call in descendants(src.root, "call_expression"):
        if is_call_to(src, call, "time", *names) and len(arguments(call)) == 1:
            yield call


def timer_function(src: SourceFile, call: Node, *, in_main: bool = False) -> Node | None:
    """The function whose return strands a timer made by ``call``; None in ``main``/``init``
    (the program ends with them; ``in_main``: not None there either, for a caller that has
    another reason to report) or where a local hides the ``time`` import (``time.NewTicker``
    may then be a fake clock's method, with a ``Stop`` of its own)."""
    function = enclosing_function(call)
    if function is None or (is_program_lifetime(src, function) and not in_main):
        return None
    return None if hides_import(src, function, "time") else function


