"""The files of one Go package, read and parsed only when somebody asks.

A Go package is the ``.go`` files of one directory that share a package clause; an external test
package (``package x_test``) is a package of its own. Every file counts whatever its build tags:
the files for other platforms still belong to the package, and a channel closed only in
``stop_windows.go`` is closed. Names starting with ``_`` or ``.`` are not Go files, as for the go
tool.

Nothing is read or parsed until it is needed. A rule asks the package for the files that mention
a word (``validate``, ``quit``): identifiers are spelled out in the bytes, so a file whose bytes
do not hold the word cannot declare or use the name, and is never parsed for it. A file that
could not be read (unreadable, too large, not a regular file) makes the package *incomplete*:
a question about "every use in the package" then has no sure answer, and the rules stay silent.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from gofixleak.prefilter import whole_word_at
from gofixleak.reading import ReadError, read_go_file
from gofixleak.source import GoVersion, SourceFile

Reader = Callable[[str], bytes]
"""Reads a file's bytes, or raises :class:`ReadError` (the caller's limits and checks apply)."""



_BLANKS = b" \t\r\n\f\v"
_IDENTIFIER = re.compile(rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*")


def package_clause(data: bytes) -> str | None:
    """The name in the file's ``package`` clause, read from its bytes (comments skipped); None
    when the file does not start with one."""
    index = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while index < len(data):
        if data[index] in _BLANKS:
            index += 1
        elif data.startswith(b"//", index):
            end = data.find(b"\n", index)
            index = len(data) if end == -1 else end + 1
        elif data.startswith(b"/*", index):
            end = data.find(b"*/", index + 2)
            if end == -1:
                return None
            index = end + 2
        else:
            break
    if not data.startswith(b"package", index):
        return None
    index += len(b"package")
    start = index
    while index < len(data) and data[index] in b" \t/*":
        if data.startswith(b"/*", index):
            end = data.find(b"*/", index + 2)
            if end == -1:
                return None
            index = end + 2
        else:
            index += 1
    if index == start:
        return None
    match = _IDENTIFIER.match(data, index)
    return match.group().decode("utf-8", "replace") if match else None


def is_go_file_name(name: str) -> bool:
    return name.endswith(".go") and not name.startswith((".", "_"))


class Directory:
    """The Go files of one directory, read once each, on first use.

    ``overrides`` hold texts that win over the disk (an editor's unsaved buffers, a file as
    fixed so far); ``reader`` reads the others (``api`` passes one with its size and file-kind
    checks).
    """

    def __init__(
        self,
        path: str,
        *,
        overrides: Mapping[str, bytes] | None = None,
        reader: Reader = read_go_file,
        listing: list[str] | None = None,
    ) -> None:
        self.path = path
        self._reader = reader
        self._texts: dict[str, bytes | None] = dict(overrides or {})
        self._listing = listing
        self._errors: dict[str, ReadError] = {}
        self._packages: dict[tuple[str | None, GoVersion | None], GoPackage] = {}

    def files(self) -> list[str]:
        """Every Go file of the directory (and every override), sorted."""
        if self._listing is None:
            try:
                names = os.listdir(self.path or ".")
            except OSError:
                names = []
            self._listing = [os.path.join(self.path, n) for n in names if is_go_file_name(n)]
        return sorted({*self._listing, *self._texts})

    def read(self, path: str) -> bytes:
        """The file's bytes (read once), or :class:`ReadError`."""
        if path not in self._texts:
            try:
                self._texts[path] = self._reader(path)
            except ReadError as error:
                self._errors[path] = error
                self._texts[path] = None
        data = self._texts[path]
        if data is None:
            raise self._errors.get(path) or ReadError(f"{path}: cannot read")
        return data

    def text(self, path: str) -> bytes | None:
        """The file's bytes, or None when it cannot be read."""
        try:
            return self.read(path)
        except ReadError:
            return None

    def override(self, path: str, data: bytes) -> None:
        """Use ``data`` as the text of ``path`` from now on (a buffer, a fixed text)."""
        self._texts[path] = data
        for package in self._packages.values():
            if package.has_source(path):
                package.update(path, data)

    def fresh(self, overrides: Mapping[str, bytes]) -> Directory:
        """The same directory, read anew, with ``overrides`` as the texts of their paths."""
        return Directory(self.path, overrides=overrides, reader=self._reader, listing=self._listing)

    def package(self, name: str | None, go_version: GoVersion | None) -> GoPackage:
        """The package of this directory whose files say ``package name``."""
        key = (name, go_version)
        if key not in self._packages:
            self._packages[key] = GoPackage(self, name, go_version)
        return self._packages[key]

    def package_of(self, path: str, go_version: GoVersion | None) -> GoPackage:
        data = self.text(path)
        return self.package(package_clause(data) if data is not None else None, go_version)


@dataclass(eq=False)
class GoPackage:
    """One Go package: the files of a directory that share a package clause.

    Parsed files are kept for the package's lifetime (the model refers to their nodes); a file
    changed by a fix is replaced with :meth:`update`, which also forgets everything derived.
    """

    directory: Directory
    name: str | None
    go_version: GoVersion | None
    _sources: dict[str, SourceFile] = field(default_factory=dict)
    _members: list[str] | None = None
    incomplete: bool = False
    # What the package model derived from the files; dropped whenever a file changes.
    derived: dict[object, object] = field(default_factory=dict)
    # Per kind of :func:`names_in` and word, the files (in order) whose bytes hold it so.
    _where: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    # Per kind, the questions asked, and once they are many, the index word -> files.
    _asked: dict[str, int] = field(default_factory=dict)
    _inverted: dict[str, dict[bytes, list[str]]] = field(default_factory=dict)
    # Per file, the names it could declare or use (:func:`names_in`), with the bytes read.
    _indexes: dict[str, _Names] = field(default_factory=dict)

    def paths(self) -> list[str]:
        """The package's files, sorted. A package without a clause (a broken file) holds only
        the files that were asked for by name."""
        if self._members is None:
            members = []
            for path in self.directory.files():
                data = self.directory.text(path)
                if data is None:
                    self.incomplete = True
                    continue
                if self.name is not None and package_clause(data) == self.name:
                    members.append(path)
            self._members = members
        return [*self._members, *(p for p in self._sources if p not in self._members)]

    def source(self, path: str) -> SourceFile:
        """The parsed file (parsed on first use)."""
        src = self._sources.get(path)
        if src is None:
            data = self.directory.text(path)
            if data is None:
                raise OSError(f"{path}: cannot be read")
            src = SourceFile.parse(path, data, self.go_version, package=self)
            self._sources[path] = src
        return src

    def has_source(self, path: str) -> bool:
        return path in self._sources

    def adopt(self, src: SourceFile) -> None:
        """Use ``src`` (already parsed, with this package) as the text of its path."""
        self._sources[src.path] = src
        self._forget_mentions()  # its bytes may not be those on disk

    def update(self, path: str, data: bytes) -> SourceFile:
        """Replace a file's text (a fix was applied): parse it, forget everything derived."""
        src = SourceFile.parse(path, data, self.go_version, package=self)
        self._sources[path] = src
        self.directory._texts[path] = data
        self.derived.clear()
        self._forget_mentions()
        self._indexes.pop(path, None)
        return src

    def _forget_mentions(self) -> None:
        self._where.clear()
        self._inverted.clear()

    def sources(self) -> Iterator[SourceFile]:
        """Every file of the package, parsed."""
        for path in self.paths():
            yield self.source(path)

    def mentioning(self, word: str, declaring: str | None = None) -> list[SourceFile]:
        """The files whose bytes hold ``word`` as a whole identifier, parsed; the others
        cannot declare or use a name spelled so. ``declaring`` ("func" for a function or
        method of that name, "type", "const", "var", "method" for the methods of a type)
        narrows them to the files whose bytes could declare it so (see :func:`names_in`): the
        others are not parsed for the question."""
        return [self.source(path) for path in self.paths_mentioning(word, declaring)]

    def paths_mentioning(self, word: str, declaring: str | None = None) -> list[str]:
        """The paths of :meth:`mentioning`, none of them parsed for the question."""
        kind = _INDEX_OF.get(declaring or "", "words")
        key = (kind, word)
        found = self._where.get(key)
        if found is None:
            found = self._where[key] = self._find_mentions(kind, word.encode())
        return found

    def _find_mentions(self, kind: str, spelled: bytes) -> list[str]:
        # Most packages are asked about a few names: each file is asked, and one that does not
        # hold the bytes at all is not split into words. A package asked about many (a large
        # one asks thousands) gets an index per kind, word -> files, built once: then a
        # question costs a lookup, not a scan of all its bytes.
        asked = self._asked[kind] = self._asked.get(kind, 0) + 1
        if asked > _SCANNED_QUESTIONS:
            index = self._inverted.get(kind)
            if index is None:
                index = self._inverted[kind] = {}
                for path, data in self._texts():
                    for name in self._names(path, data)[kind]:
                        index.setdefault(name, []).append(path)
            return index.get(spelled, [])
        if kind == "words":  # found in place: no file is split into words for a few questions
            return [path for path, data in self._texts() if _holds_word(data, spelled)]
        return [
            path
            for path, data in self._texts()
            if spelled in data and spelled in self._names(path, data)[kind]
        ]

    def _texts(self) -> Iterator[tuple[str, bytes]]:
        """Each readable file of the package, in order, with its bytes as the package sees them."""
        for path in self.paths():
            src = self._sources.get(path)
            data = src.data if src is not None else self.directory.text(path)
            if data is not None:
                yield path, data

    def any_mentioning(
        self, word: str, declaring: str | None, test: Callable[[SourceFile], bool]
    ) -> bool:
        """Some file of :meth:`mentioning` passes ``test``: the files already parsed are tried
        first, and a file is parsed only when none before it passed."""
        paths = self.paths_mentioning(word, declaring)
        parsed = [p for p in paths if p in self._sources]
        for path in (*parsed, *(p for p in paths if p not in self._sources)):
            if test(self.source(path)):
                return True
        return False

    def _names(self, path: str, data: bytes) -> Mapping[str, frozenset[bytes]]:
        names = self._indexes.get(path)
        if names is None or names.data is not data:
            names = self._indexes[path] = _Names(data)
        return names

    def data(self, path: str) -> bytes:
        """A file's bytes as the package sees them (b"" when it cannot be read); not parsed."""
        src = self._sources.get(path)
        data = src.data if src is not None else self.directory.text(path)
        return data if data is not None else b""


# Questions of one kind answered by asking each file, before the package gets an index.
_SCANNED_QUESTIONS = 16
_INDEX_OF = {"func": "name", "method": "func", "type": "type", "const": "const", "var": "var"}

# Bytes beyond ASCII belong to words too: `équit` does not mention `quit`.
_WORD = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")
# Every byte that is not part of a word becomes a blank: the words are what split() returns
# (twice as fast as finding them with _WORD).
_WORDS_ONLY = bytes(c if _WORD.fullmatch(bytes([c])) else 0x20 for c in range(256))
# Each pattern starts with its keyword, then looks behind it for a word byte (starting with a
# look-behind, a pattern is tried at every byte; with a literal, the engine skips to it).
_FUNC_LINE = re.compile(rb"func(?<![A-Za-z0-9_\x80-\xff]func)(?![A-Za-z0-9_\x80-\xff])[^\n{]*")
# The word after ``func`` and its receiver, if any (a parenthesis of its own allowed inside).
_FUNC_NAME = re.compile(
    rb"func(?<![A-Za-z0-9_\x80-\xff]func)[ \t]*(?:\((?:[^()\n]|\([^()\n]*\))*\)[ \t]*)?"
    rb"([A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*)"
)
_TYPE_NAME = re.compile(
    rb"(?m)(?:(?<![A-Za-z0-9_\x80-\xff])type[ \t]+|^[ \t]*)([A-Za-z0-9_\x80-\xff]+)"
)
_SPEC_NAMES = re.compile(
    rb"(?m)(?:(?<![A-Za-z0-9_\x80-\xff])(?:const|var)[ \t]+|^[ \t]*)"
    rb"([A-Za-z0-9_\x80-\xff]+(?:[ \t]*,[ \t]*[A-Za-z0-9_\x80-\xff]+)*)"
)


_WORD_BYTES = frozenset(c for c in range(256) if _WORDS_ONLY[c] != 0x20)


def _holds_word(data: bytes, word: bytes) -> bool:
    """``word`` is one of ``names_in(data)["words"]``: it occurs with no word byte on either
    side (found with bytes.find, not by splitting the file)."""
    if not word or word.translate(_WORDS_ONLY) != word:
        return False  # not a word: no split yields it
    return whole_word_at(data, word, _WORD_BYTES) != -1


def names_in(data: bytes) -> dict[str, frozenset[bytes]]:
    """What a file's bytes could declare at top level, found in one pass each, in gofmt's
    layout and any other that keeps a declared name on its keyword's line or starts a line
    with it: ``words``, every identifier it spells; ``func``, the words after a ``func``
    keyword and before a ``{`` on its line (a function's name, a method's name and its
    receiver's type); ``name``, the word after a ``func`` keyword and its receiver (a
    function's or a method's name); ``type``,
    the word after ``type`` or first on a line (a name in a ``type ( ... )`` group); ``const``
    and ``var``, the names of a spec (``a, b = 1, 2``), after the keyword or first on a
    line. Each is a superset (a file outside it cannot declare the name so) and is only a
    necessary condition: the syntax tree decides."""
    names = _Names(data)
    return {kind: names[kind] for kind in _KINDS}


_KINDS = ("words", "func", "name", "type", "const", "var")


class _Names(Mapping[str, frozenset[bytes]]):
    """:func:`names_in` of one file, each kind computed when first asked."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._kinds: dict[str, frozenset[bytes]] = {}

    def __getitem__(self, kind: str) -> frozenset[bytes]:
        found = self._kinds.get(kind)
        if found is None:
            found = self._kinds[kind] = self._compute(kind)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(_KINDS)

    def __len__(self) -> int:
        return len(_KINDS)

    def _compute(self, kind: str) -> frozenset[bytes]:
        data = self.data
        if kind == "words":
            return frozenset(data.translate(_WORDS_ONLY).split())
        if kind == "func":
            return frozenset(w for line in _FUNC_LINE.findall(data) for w in _WORD.findall(line))
        if kind == "name":
            return frozenset(_FUNC_NAME.findall(data))
        # A name first on a line declares a type, a const or a var only in a file with that
        # keyword.
        if kind not in _KINDS or not _holds_word(self.data, kind.encode()):
            return frozenset()
        if kind == "type":
            return frozenset(_TYPE_NAME.findall(data))
        if "const" in self._kinds or "var" in self._kinds:
            return self._kinds["const" if kind == "var" else "var"] or self._specs()
        return self._specs()

    def _specs(self) -> frozenset[bytes]:
        # Most runs are one word: split only those that list several.
        return frozenset(
            w
            for run in _SPEC_NAMES.findall(self.data)
            for w in (_WORD.findall(run) if b"," in run else (run,))
        )


def single_file_package(src_path: str, go_version: GoVersion | None) -> GoPackage:
    """A package holding one file and nothing else (no directory is read)."""
    directory = Directory(os.path.dirname(src_path), listing=[])
    return GoPackage(directory, None, go_version, _members=[])
