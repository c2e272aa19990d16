"""Suppression comments, in Go's directive style: the engine's job, never a rule's.

``//gofixleak:ignore RULE[,RULE] reason`` silences the named rules on its own line (a trailing
comment) or, when the comment stands alone on its line, on the next line.
``//gofixleak:file-ignore RULE[,RULE] reason`` silences them in the whole file. The reason is
required. Like ``//go:build``, a directive has no space after ``//``.

A directive that cannot be read is itself reported as ``invalid-directive`` and suppresses
nothing; a rule named by a directive that suppressed nothing (while that rule ran) is reported as
``unused-directive``. Both are engine findings, not detectors: they are selected and ignored like
rules, but a directive cannot silence them.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from gofixleak.model import Finding, RuleInfo, Span, Suppressed, position
from gofixleak.source import SourceFile, line_starts

PREFIX = b"//gofixleak:"
_MARKER = b"gofixleak:"
_SPACED = re.compile(rb"//\s+gofixleak:")
VERBS = ("ignore", "file-ignore")

INVALID = RuleInfo(
    "invalid-directive",
    """A //gofixleak: suppression comment that cannot be read.

What it finds
-------------
A ``//gofixleak:ignore`` or ``//gofixleak:file-ignore`` comment without a reason, naming no rule,
an unknown rule or a directive rule, with an unknown verb (``//gofixleak:ignroe``), or written
with a space after ``//`` (Go directives have none, so ``// gofixleak:ignore`` is not one).

Why it matters
--------------
A directive with a problem suppresses nothing, so the finding it meant to silence is still
reported; this finding says why. The reason is required so that a reader of the code, and of
the SARIF ``suppressions``, learns why the leak is accepted.

Example
-------
    go worker(jobs) //gofixleak:ignore endless-goroutine-loop

Fixed
-----
    go worker(jobs) //gofixleak:ignore endless-goroutine-loop runs for the life of the server

Limitations
-----------
Only line comments are directives; ``/* gofixleak:ignore */`` is an ordinary comment.
""",
)

UNUSED = RuleInfo(
    "unused-directive",
    """A //gofixleak: suppression comment that suppresses nothing.

What it finds
-------------
A rule named by ``//gofixleak:ignore`` (or ``//gofixleak:file-ignore``) that reported nothing
where the directive applies, while that rule ran.

Why it matters
--------------
A stale suppression hides the next real leak on that line. Remove the rule from the directive,
or the directive.

Example
-------
    //gofixleak:ignore leaky-time-tick the ticker lives as long as the process
    ticker := time.NewTicker(time.Second)

Fixed
-----
No automatic fix.

Limitations
-----------
A rule that did not run (``--select``, ``--ignore``, the configuration) is not judged, nor is a
directive next to a syntax error.
""",
)

DIRECTIVE_RULES: tuple[RuleInfo, ...] = (INVALID, UNUSED)
DIRECTIVE_RULE_NAMES = frozenset(info.name for info in DIRECTIVE_RULES)


@dataclass(frozen=True, slots=True)
class Directive:
    """A well-formed directive: which rules it silences, why, and on which line (0-based)."""

    span: Span
    rules: tuple[str, ...]
    reason: str
    line: int | None  # None: the whole file

    @property
    def verb(self) -> str:
        return "ignore" if self.line is not None else "file-ignore"


@dataclass(frozen=True, slots=True)
class Screened:
    """The findings left after suppression, those suppressed, and the directives' own findings."""

    kept: tuple[Finding, ...]
    suppressed: tuple[Suppressed, ...]
    problems: tuple[Finding, ...]


def has_directives(data: bytes) -> bool:
    """Cheap byte test: most files hold no directive and need no work here."""
    return _MARKER in data


def screen(
    src: SourceFile,
    findings: Sequence[Finding],
    known: Collection[str],
    ran: Collection[str],
    report: Collection[str] = DIRECTIVE_RULE_NAMES,
) -> Screened:
    """Split ``findings`` into kept and suppressed, and report the directives' problems.

    ``known`` are the rule names a directive may name, ``ran`` the rules that ran on ``src`` (only
    those can make a directive unused), ``report`` the directive rules to report.
    """
    if not has_directives(src.data):
        return Screened(tuple(findings), (), ())
    starts = line_starts(src.data)
    directives: list[Directive] = []
    problems: list[Finding] = []
    for comment in _directive_comments(src):
        parsed = _parse(src, comment, known, starts)
        if isinstance(parsed, Directive):
            directives.append(parsed)
        elif INVALID.name in report:
            problems.append(Finding(INVALID.name, src.path, comment, parsed))
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    used: set[tuple[Span, str]] = set()
    for finding in findings:
        line = position(starts, finding.span.start)[0] - 1
        directive = _covering(directives, finding.rule, line)
        if directive is None:
            kept.append(finding)
            continue
        used.add((directive.span, finding.rule))
        suppressed.append(Suppressed(finding, directive.reason, directive.span))
    if UNUSED.name in report:
        problems.extend(_unused(src, directives, used, ran, starts))
    return Screened(tuple(kept), tuple(suppressed), tuple(problems))


def _covering(directives: Iterable[Directive], rule: str, line: int) -> Directive | None:
    """The directive that silences ``rule`` on ``line``: a line directive first, then the file."""
    matching = [d for d in directives if rule in d.rules and d.line in (line, None)]
    matching.sort(key=lambda d: d.line is None)
    return matching[0] if matching else None


def _directive_comments(src: SourceFile) -> Iterator[Span]:
    """Each line comment that starts a directive (or looks like one written with a space)."""
    seen: set[int] = set()
    index = src.data.find(_MARKER)
    while index != -1:
        node = src.root.descendant_for_byte_range(index, index)
        if node is not None and node.type == "comment" and node.start_byte not in seen:
            text = src.data[node.start_byte : node.end_byte]
            if text.startswith(PREFIX) or _SPACED.match(text):
                seen.add(node.start_byte)
                yield Span(node.start_byte, node.end_byte)
        index = src.data.find(_MARKER, index + 1)


def _parse(
    src: SourceFile, comment: Span, known: Collection[str], starts: tuple[int, ...]
) -> Directive | str:
    """The directive in ``comment``, or the message of an ``invalid-directive`` finding."""
    text = src.text(comment).decode("utf-8", "replace").rstrip()
    if not text.startswith(PREFIX.decode()):
        return "write //gofixleak: with no space after //, like every Go directive"
    verb, _, rest = text[len(PREFIX) :].partition(" ")
    verb, rest = verb.strip(), rest.strip()
    if verb not in VERBS:
        return f"unknown directive //gofixleak:{verb}; use //gofixleak:ignore or :file-ignore"
    usage = f"//gofixleak:{verb} RULE[,RULE] reason"
    names_text, _, reason = rest.partition(" ")
    names = tuple(n for n in names_text.split(",") if n)
    if not names:
        return f"//gofixleak:{verb} names no rule; write {usage}"
    for name in names:
        if name in DIRECTIVE_RULE_NAMES:
            return f"{name} cannot be suppressed by a directive"
        if name not in known:
            return f"unknown rule {name!r} in //gofixleak:{verb}"
    if not reason.strip():
        return f"//gofixleak:{verb} needs a reason: {usage}"
    return Directive(comment, names, reason.strip(), _target_line(src, comment, verb, starts))


def _target_line(src: SourceFile, comment: Span, verb: str, starts: tuple[int, ...]) -> int | None:
    if verb == "file-ignore":
        return None
    line = position(starts, comment.start)[0] - 1
    alone = not src.data[starts[line] : comment.start].strip()
    return line + 1 if alone else line


def _unused(
    src: SourceFile,
    directives: Iterable[Directive],
    used: set[tuple[Span, str]],
    ran: Collection[str],
    starts: tuple[int, ...],
) -> Iterator[Finding]:
    for directive in directives:
        if _near_broken_code(src, directive, starts):
            continue
        for rule in directive.rules:
            if rule in ran and (directive.span, rule) not in used:
                yield Finding(
                    UNUSED.name,
                    src.path,
                    directive.span,
                    f"//gofixleak:{directive.verb} {rule} suppresses nothing; remove it",
                )


def _near_broken_code(src: SourceFile, directive: Directive, starts: tuple[int, ...]) -> bool:
    """Findings in syntax-error regions are dropped, so a directive there is not judged."""
    if directive.line is None:
        return bool(src.broken_regions)
    first = min(directive.line, position(starts, directive.span.start)[0] - 1)
    end = starts[directive.line + 1] if directive.line + 1 < len(starts) else len(src.data)
    return src.is_broken(Span(starts[first], end))
