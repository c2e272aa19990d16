"""Byte-level tests run before parsing: can this file hold a finding of a rule at all?

Most Go files start no goroutine and make no ticker, and parsing is what a scan spends its time
on. A detector module may declare ``PREFILTER``: an object with ``search(data)`` (a compiled
``re.Pattern[bytes]`` or one of the matchers below) that finds something in every file the rule
could report. A file it does not match is never parsed for that rule. A prefilter must be a
*necessary* condition: too loose costs time, too strict loses findings
(tests/test_prefilter.py runs every fixture with and without the prefilters).

A detector module may also declare ``PACKAGE_PREFILTER(data, package)``, asked once the
prefilter matched, with the file's package: a test of the package's bytes (never a parse) that is
False only when the file holds no finding of the rule in that package.
"""

from __future__ import annotations

import re
from typing import Protocol


class Prefilter(Protocol):
    """What ``PREFILTER`` must offer: ``search(data)`` is None when the rule cannot fire."""

    def search(self, data: bytes, /) -> object | None: ...


# `go` then a word boundary: starting with a literal, the regex engine finds it fast; the
# boundary before it is checked by hand (a leading \b would make every position a candidate).
_GO_WORD_END = re.compile(rb"go\b")
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
# What may separate a statement's first token from what precedes it on its line: Go's blanks,
# ASCII control spaces, and (tree-sitter-go's whitespace is Unicode's \s) any byte of a
# multi-byte UTF-8 character.
_BLANKS = b" \t\r\f\v\x1c\x1d\x1e\x1f" + bytes(range(0x80, 0x100))
# What may end the token before a statement on the same line: a block's `{`, a `;` or NUL
# statement terminator, the `:` of a case clause or label, a `*/` comment.
_STATEMENT_STARTERS = frozenset(b"{;:\x00")


class GoStatement:
    """Matches when a ``go`` keyword stands where a statement can start.

    A ``go`` statement is a statement, so in a declaration without syntax errors its ``go``
    follows, on its own line, only blanks, or one of ``{`` ``;`` ``:`` NUL ``*/`` (tree-sitter-go
    also ends statements at NUL). That leaves out the word "go" in comments (``// go to``,
    ``//go:build``) and in strings (``"go/token"``), which are most of its occurrences. In a
    declaration with a syntax error a ``go`` may be glued to what precedes it; the engine reports
    nothing inside such a declaration.
    """

    def __init__(self) -> None:
        # Several rules' prefilters ask it of the same bytes in a row: the last answer is kept.
        self._last: tuple[bytes, re.Match[bytes] | None] | None = None

    def search(self, data: bytes, /) -> re.Match[bytes] | None:
        last = self._last
        if last is not None and last[0] is data:
            return last[1]
        found = self._search(data)
        self._last = (data, found)
        return found

    @staticmethod
    def _search(data: bytes) -> re.Match[bytes] | None:
        for match in _GO_WORD_END.finditer(data):
            start = match.start()
            if start and data[start - 1] in _WORD_BYTES:
                continue  # the end of a longer word: algo, ergo
            if _starts_statement(data, start):
                return match
        return None

    def __repr__(self) -> str:
        return "GoStatement()"


def _starts_statement(data: bytes, offset: int) -> bool:
    line_start = data.rfind(b"\n", 0, offset) + 1
    before = data[line_start:offset].rstrip(_BLANKS)
    return not before or before[-1] in _STATEMENT_STARTERS or before.endswith(b"*/")


GO_STATEMENT: Prefilter = GoStatement()
"""Every rule about a goroutine: no ``go`` statement, no goroutine, nothing to report."""


class Word:
    """Matches where ``word`` stands as a whole word (a regex behind a fast substring test)."""

    def __init__(self, *words: bytes) -> None:
        self.words = words
        self.pattern = re.compile(rb"\b(?:" + b"|".join(map(re.escape, words)) + rb")\b")

    def search(self, data: bytes, /) -> re.Match[bytes] | None:
        # Each word's first whole occurrence found by hand (a pattern that starts with \b is
        # tried at every byte); the pattern then matches there, as it would have.
        found = [at for word in self.words if (at := whole_word_at(data, word)) != -1]
        return self.pattern.search(data, min(found)) if found else None

    def __repr__(self) -> str:
        return f"Word{self.words!r}"


def whole_word_at(data: bytes, word: bytes, word_bytes: frozenset[int] = _WORD_BYTES) -> int:
    """Where ``word`` first occurs in ``data`` with no byte of ``word_bytes`` on either side
    (by default the ASCII word bytes, as a regex's word boundary tells), or -1."""
    start = data.find(word)
    while start != -1:
        end = start + len(word)
        if (not start or data[start - 1] not in word_bytes) and (
            end == len(data) or data[end] not in word_bytes
        ):
            return start
        start = data.find(word, start + 1)
    return -1


TIME_TICK: Prefilter = Word(b"Tick")
"""``time.Tick``: the name is always written (``time.Tick``, an alias's ``t.Tick``, a dot
import's ``Tick``, a method value ``f := time.Tick``)."""

NEW_TICKER_OR_TIMER: Prefilter = Word(b"NewTicker", b"NewTimer")
"""``time.NewTicker`` and ``time.NewTimer``, however ``time`` is imported."""


# Between two tokens: blanks and comments.
_BETWEEN = rb"(?:\s|/\*.*?\*/|//[^\n]*\n)*"
_MAKE_CHAN = re.compile(
    rb"make" + _BETWEEN + rb"\(" + _BETWEEN + rb"(?:<-" + _BETWEEN + rb")?chan\b",
    re.DOTALL,
)
_NAME_BYTES = _WORD_BYTES | frozenset(range(0x80, 0x100))


class MakeChan:
    """``make(chan T...)`` (``make(<-chan T)`` too), whatever blanks or comments part its
    tokens: the builtin is called by its name (``is_make_chan``). ``chan`` is looked for first
    (most files spell none); then each ``make`` that starts a name is tried in place (a pattern
    that starts by looking behind would be tried at every byte)."""

    def search(self, data: bytes, /) -> re.Match[bytes] | None:
        if b"chan" not in data:
            return None
        start = data.find(b"make")
        while start != -1:
            if not start or data[start - 1] not in _NAME_BYTES:
                found = _MAKE_CHAN.match(data, start)
                if found is not None:
                    return found
            start = data.find(b"make", start + 4)
        return None

    def __repr__(self) -> str:
        return "MakeChan()"


MAKE_CHAN: Prefilter = MakeChan()


class FieldSend:
    """A send on a selected field, ``x.f <- v``: each ``<-`` is tried, looking back over blanks
    and a name for the ``.`` of a selector (a comment before it counts as a match: the
    prefilter must not miss)."""

    def search(self, data: bytes, /) -> int | None:
        start = data.find(b"<-")
        while start != -1:
            before = start
            while before and (data[before - 1] in _BLANK_BYTES or data[before - 1] in _NAME_BYTES):
                before -= 1
            if before and before < start and data[before - 1] in b"./":
                return start
            start = data.find(b"<-", start + 2)
        return None

    def __repr__(self) -> str:
        return "FieldSend()"


_BLANK_BYTES = frozenset(_BLANKS)
FIELD_SEND: Prefilter = FieldSend()


class AllOf:
    """Matches when each of ``prefilters`` matches (tried in order: the cheapest first)."""

    def __init__(self, *prefilters: Prefilter) -> None:
        self.prefilters = prefilters

    def search(self, data: bytes, /) -> object | None:
        found: object | None = None
        for each in self.prefilters:
            found = each.search(data)
            if found is None:
                return None
        return found

    def __repr__(self) -> str:
        return f"AllOf{self.prefilters!r}"


WAITGROUP_ADD: Prefilter = AllOf(GO_STATEMENT, Word(b"Add"))  # the go statement is asked anyway
"""A ``wg.Add`` and a ``go`` statement: the WaitGroup rule reports at a goroutine that an Add
counts, or at a Wait in the loop that follows an Add, and both stand in the Add's block."""


class Bytes:
    """Matches where one of ``needles`` occurs, as bytes (``<-`` is no word)."""

    def __init__(self, *needles: bytes) -> None:
        self.needles = needles

    def search(self, data: bytes, /) -> int | None:
        return next((data.find(n) for n in self.needles if n in data), None)

    def __repr__(self) -> str:
        return f"Bytes{self.needles!r}"


LOCKED_CHANNEL_WAIT: Prefilter = AllOf(Bytes(b"ock("), Bytes(b"<-", b"range"))
"""A call that may take a lock (``mu.Lock()``, ``c.RLock()``, a same-package helper ``s.lock()``
declared in another file) and a channel operation (``<-``, or a ``range`` over a channel) in one
file: where ``lock-held-channel-wait`` looks."""


class Contains:
    """Matches where every one of ``needles`` occurs, anywhere (a plain substring test: the
    fastest necessary condition for a word, or for a token such as ``<-``)."""

    def __init__(self, *needles: bytes) -> None:
        self.needles = needles

    def search(self, data: bytes, /) -> bool | None:
        return True if all(needle in data for needle in self.needles) else None

    def __repr__(self) -> str:
        return f"Contains{self.needles!r}"


class AnyOf:
    """Matches where any of ``prefilters`` matches: a rule whose shapes need different words."""

    def __init__(self, *prefilters: Prefilter) -> None:
        self.prefilters = prefilters

    def search(self, data: bytes, /) -> object | None:
        for candidate in self.prefilters:
            found = candidate.search(data)
            if found is not None:
                return found
        return None

    def __repr__(self) -> str:
        return f"AnyOf{self.prefilters!r}"

