"""Regions left unanalysed because they hold a syntax error, as every format reports them.

Nothing is found or fixed inside a top-level declaration that does not parse (the tree there is
a guess), so a finding could be missing there: gofixleak never says "0 findings" about code it
did not read without saying so. Each format gets the regions (``FileResult.skipped``) its own way:
text names them on stderr and counts the files in the summary, JSON lists them under
``skipped``, SARIF as warning notifications, GitHub as ``::warning`` annotations.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gofixleak.model import FileResult, Span

REASON = "syntax error"


@dataclass(frozen=True, slots=True)
class Region:
    """One skipped region: its file, its span and its 1-based first and last line."""

    result: FileResult
    span: Span
    line: int
    end_line: int

    @property
    def lines(self) -> str:
        if self.line == self.end_line:
            return f"line {self.line}"
        return f"lines {self.line}-{self.end_line}"

    @property
    def message(self) -> str:
        """``syntax error: lines 12-40 not analysed``."""
        return f"{REASON}: {self.lines} not analysed"


def regions(results: Iterable[FileResult]) -> Iterator[Region]:
    for result in results:
        for span in result.skipped:
            line, _ = result.position(span.start)
            # The last line is the one of the region's last byte, not of the offset after it.
            end_line, _ = result.position(max(span.start, span.end - 1))
            yield Region(result, span, line, end_line)


def partly_skipped(results: Iterable[FileResult]) -> int:
    """How many files have a region that was not analysed."""
    return sum(1 for result in results if result.skipped)


def text_notes(results: Iterable[FileResult]) -> list[str]:
    """``path:12: syntax error: lines 12-40 not analysed``, one per region, for stderr."""
    return [f"{r.result.path}:{r.line}: {r.message}" for r in regions(results)]


def json_entries(results: Iterable[FileResult]) -> list[dict[str, Any]]:
    return [
        {
            "path": r.result.path,
            "line": r.line,
            "end_line": r.end_line,
            "start_byte": r.span.start,
            "end_byte": r.span.end,
            "reason": REASON,
        }
        for r in regions(results)
    ]
