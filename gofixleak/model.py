"""The core data of gofixleak: positions, edits, fixes, findings, rules and results.

Every position is a half-open range of UTF-8 byte offsets into a file's bytes; lines and columns
exist only in output. Findings carry spans, never tree-sitter nodes, which go stale after an edit.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """Half-open byte range ``[start, end)``."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"invalid span {self.start}..{self.end}")

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end

    def touches(self, other: Span) -> bool:
        """True when the closed ranges meet: overlapping, adjacent or the same insertion point."""
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``span`` with ``new_text``: an insertion when the span is empty."""

    span: Span
    new_text: bytes


class Applicability(enum.IntEnum):
    """How far a fix can be trusted; ordered so that "apply?" is one comparison."""

    DISPLAY_ONLY = 0
    UNSAFE = 1
    SAFE = 2

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


@dataclass(frozen=True, slots=True)
class Fix:
    """One way to remove a finding: a verb phrase and sorted, non-overlapping edits.

    ``edits`` apply to the finding's own file; ``elsewhere`` holds the edits in other files of
    the same Go package, as ``(path, edits)`` pairs sorted by path (a ``close`` in another
    file's ``Stop``). Such a fix lands in every file or in none.

    ``isolation`` names a region (usually the enclosing function) in which no other fix may be
    applied in the same pass, for fixes that introduce names or imports: two fixes that each pick
    the "fresh" name ``ticker`` in one function must not land together.
    """

    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability
    isolation: Span | None = None
    elsewhere: tuple[tuple[str, tuple[Edit, ...]], ...] = ()

    def __post_init__(self) -> None:
        if not self.edits and not self.elsewhere:
            raise ValueError("a fix needs at least one edit")
        if [p for p, _ in self.elsewhere] != sorted({p for p, _ in self.elsewhere}):
            raise ValueError(f"files of fix {self.message!r} are unsorted or repeated")
        for edits in (self.edits, *(e for _, e in self.elsewhere)):
            if self.elsewhere and edits is not self.edits and not edits:
                raise ValueError(f"fix {self.message!r} names a file without edits")
            previous: Edit | None = None
            for edit in edits:
                if previous is not None and (
                    edit.span < previous.span or edit.span.start < previous.span.end
                ):
                    raise ValueError(f"edits of fix {self.message!r} are unsorted or overlap")
                previous = edit

    def by_path(self, path: str) -> dict[str, tuple[Edit, ...]]:
        """Every file the fix edits (``path`` is the finding's own), with its edits."""
        out = {path: self.edits} if self.edits else {}
        out.update(self.elsewhere)
        return out


class Bite(enum.StrEnum):
    """Where a leak bites: on a path the program takes in normal use, only once a test has
    already failed, or once for the life of the process (see gofixleak/bites.py). Ordered as
    they are shown: leaks first."""

    LEAK = "leak"
    TEST_FAILURE = "test-failure"
    PROCESS_LIFETIME = "process-lifetime"

    @property
    def rank(self) -> int:
        return list(Bite).index(self)


@dataclass(frozen=True, slots=True)
class Related:
    """Another place that explains a finding (the unbuffered ``make``, the early return).

    ``path`` names a place in another file (the test that started a leaked goroutine): ``span``
    is then in that file's bytes, and ``line`` is its 1-based line (0: not known), which the
    renderers need and cannot compute without that file's text.
    """

    span: Span
    message: str
    path: str | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Finding:
    """A leak found by a rule in one file.

    ``captures`` holds the named spans the detector already found, so that the fixer does not
    search again. ``bite`` is where the leak bites, decided by the engine (gofixleak/bites.py).
    """

    rule: str
    path: str
    span: Span
    message: str
    captures: Mapping[str, Span] = field(default_factory=dict, compare=False)
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    bite: Bite = Bite.LEAK
    # Whether the package's tests saw this finding's goroutine leak (`gofixleak test`); None
    # when they did not run.
    confirmed: bool | None = None


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding silenced by a ``//gofixleak:`` directive: kept for reports, never fixed."""

    finding: Finding
    reason: str
    directive: Span


_RULE_NAME = re.compile(r"^[a-z]+(-[a-z]+)+$")


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """A rule's name and documentation, taken from its detector module's docstring."""

    name: str
    doc: str

    def __post_init__(self) -> None:
        if not _RULE_NAME.match(self.name):
            raise ValueError(f"rule name {self.name!r} is not kebab-case")

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0].strip() if self.doc.strip() else ""

    def section(self, title: str) -> str:
        """The text of a docstring section ("Why it leaks", "Fix safety", ...), or ""."""
        lines = self.doc.splitlines()
        out: list[str] = []
        inside = False
        for index, line in enumerate(lines):
            underline = lines[index + 1] if index + 1 < len(lines) else ""
            is_heading = bool(line.strip()) and set(underline.strip()) == {"-"}
            if is_heading:
                inside = line.strip() == title
                continue
            if set(line.strip()) == {"-"}:
                continue
            if inside:
                out.append(line)
        return "\n".join(out).strip()


@dataclass(frozen=True, slots=True)
class FileResult:
    """What gofixleak found (and, when fixing, changed) in one file.

    ``findings`` are those that remain: in check mode all of them; when fixing, those left in the
    fixed text. ``original``/``fixed`` are kept only when the fixes changed the file.
    ``error`` is a one-line message when the file could not be read or fixed.
    """

    path: str
    findings: tuple[Finding, ...] = ()
    fixes_applied: tuple[Finding, ...] = ()
    original: bytes | None = None
    fixed: bytes | None = None
    error: str | None = None
    line_starts: tuple[int, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
    # The bytes the spans refer to, kept when there is something to report: SARIF and GitHub
    # columns count UTF-16 code units, which only the text can tell.
    data: bytes | None = None
    # Other files that a fix applied here (or there) also edited: written together or not at all.
    linked: tuple[str, ...] = ()
    # Regions not analysed because they hold a syntax error (SourceFile.broken_regions), in the
    # text the findings refer to: every format reports them, --strict fails on them.
    skipped: tuple[Span, ...] = ()
    # A one-line notice that does not change the exit status (a file that is not Go source).
    warning: str | None = None
    # Findings of a class that --show leaves out: not printed, not fixed, only counted.
    hidden: tuple[Finding, ...] = ()

    @property
    def changed(self) -> bool:
        return self.fixed is not None and self.fixed != self.original

    def position(self, offset: int) -> tuple[int, int]:
        """1-based line and 1-based byte column of ``offset`` in the text the findings refer to."""
        return position(self.line_starts, offset)


def position(line_starts: tuple[int, ...], offset: int) -> tuple[int, int]:
    """1-based line and byte column of ``offset``, given the offsets at which lines start."""
    line = bisect.bisect_right(line_starts, offset) - 1
    line = max(line, 0)
    start = line_starts[line] if line_starts else 0
    return line + 1, offset - start + 1
