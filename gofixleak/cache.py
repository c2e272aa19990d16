"""The result cache: what a directory's check found, kept on disk, keyed by all it depends on.

A second run over files that did not change answers from here instead of parsing and checking
them again, as ruff and golangci-lint do. The unit is the group of files of one directory that
:func:`gofixleak.api.check_group` checks together: a file's findings (and fixes) can depend on
every ``.go`` file of its directory, which the package model reads, so an entry's key holds the
exact bytes of every one of them, not only of the files checked.

The key is a SHA-256 of

- the code (:func:`code_fingerprint`): gofixleak's version and the bytes of its own source files
  (rules change between commits of one version), the registered rules, tree-sitter's version and
  the Go grammar's binary, the Python version;
- each file checked: its path as it is shown, its options once its ``.gofixleak.toml`` is folded
  in (rules, fix level, directive rules) and its Go version (``--go-version``, the config or the
  nearest ``go.mod``);
- the directory's listing and the bytes of every file in it. Never a modification time: a file
  rewritten within the same second, or restored with its old time, must not hit a stale entry.

That is everything the check reads. The files are read once, before the key is made, and the
check then runs on exactly those bytes (they are handed to the :class:`Directory` it reads),
never on a second read from disk that could differ. Results that hold an error (a file that
could not be read, a fixer's internal error) are not stored, nor is anything for a directory with
a file that cannot be read.

Why ``--apply`` may write what an entry says: the fixed text in an entry is what the fix pipeline
made of the bytes in its key, and an entry is only found for those same bytes, so it is the text
a fresh run would compute. The write itself then checks the file on disk against the text the
result was computed from (``original``), exactly as after a fresh run: a file changed since is
left alone.

Entries are files ``results/XX/<rest of the key's hex>``: a header (magic, the key, the payload's
length and SHA-256) and a pickle of the results. Pickle is acceptable here because only this
user's own files are read (an entry owned by anybody else is ignored; the directories are made
``0700``), and a stale class layout cannot be met, since the code's hash is in every key. An
entry is written to a temporary file beside it and renamed into place, so concurrent runs and a
killed run never show a half-written entry; an entry that does not check out (truncated,
corrupted, a different key) is a miss, and the next store replaces it.

The cache is bounded: each store adds the entry's size to ``results/ledger``; when the ledger's
sum passes ``max_bytes``, the least recently used entries (by modification time, refreshed on a
hit at most once an hour) are removed down to three quarters of it, so a warm run never lists
the cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import importlib
import os
import pickle
import stat
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gofixleak import __version__, registry
from gofixleak.model import FileResult
from gofixleak.reading import ReadError

if TYPE_CHECKING:
    from gofixleak.facts.package import Directory

FORMAT = b"gofixleak result cache 1"
"""Part of every key: change it when the entry format changes."""

DEFAULT_MAX_BYTES = 256 * 2**20
"""The size the cache is kept under unless told otherwise (256 MiB)."""

MAGIC = b"gofixleak-cache\x01"
_DIGEST = 32  # SHA-256
_HEADER = len(MAGIC) + _DIGEST + 8 + _DIGEST
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)

REFRESH_SECONDS = 3600
"""A hit refreshes its entry's modification time (its place in the LRU order) when older."""

STALE_TEMPORARY_SECONDS = 3600
"""A temporary file this old was left by a killed run: pruning removes it."""

LEDGER_COMPACT_BYTES = 64 * 1024
"""A ledger this long is rewritten as one line (it is read at the end of every run)."""


def user_cache_root() -> Path:
    """gofixleak's directory in the user's cache: ``$XDG_CACHE_HOME/gofixleak``, by default
    ``~/.cache/gofixleak``. (platformdirs knows more platforms, but its import alone costs a
    one-file check about 10 ms.)"""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "gofixleak"


@dataclass(frozen=True)
class ResultCache:
    """A cache directory and the fingerprint of the code that fills it (made once per run, in
    the parent process: workers receive it with their work)."""

    directory: str
    code: bytes
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def open(
        cls, directory: str | os.PathLike[str], max_bytes: int = DEFAULT_MAX_BYTES
    ) -> ResultCache:
        """The cache in ``directory`` (made if missing); OSError when it cannot be made."""
        results = Path(directory) / "results"
        results.mkdir(mode=0o700, parents=True, exist_ok=True)
        tag = results / "CACHEDIR.TAG"
        if not tag.exists():  # backup tools skip a directory so tagged (bford.info/cachedir)
            with contextlib.suppress(OSError):
                _write_atomically(tag, _CACHEDIR_TAG)
        return cls(str(directory), code_fingerprint(), max_bytes)

    @property
    def results(self) -> str:
        return os.path.join(self.directory, "results")

    def check(
        self,
        files: Sequence[tuple[str, bytes]],
        targets: Sequence[tuple[str, str]],
        compute: Callable[[], list[FileResult]],
    ) -> list[FileResult]:
        """The results of ``targets`` (path, a description of everything else that decides its
        results), from the cache or from ``compute``; ``files``: every file of the directory,
        with the bytes ``compute`` will check."""
        key = self.key(files, targets)
        found = self.load(key, [path for path, _ in targets])
        if found is not None:
            return found
        results = compute()
        if all(r.error is None for r in results):
            self.store(key, results)
        return results

    def lookup(
        self, files: Sequence[tuple[str, bytes]], targets: Sequence[tuple[str, str]]
    ) -> list[FileResult] | None:
        """:meth:`check`'s results when the cache holds them, else None."""
        return self.load(self.key(files, targets), [path for path, _ in targets])

    def key(self, files: Sequence[tuple[str, bytes]], targets: Sequence[tuple[str, str]]) -> bytes:
        digest = hashlib.sha256(FORMAT)
        _feed(digest, self.code, b"%d" % len(targets))
        for path, description in targets:
            _feed(digest, os.fsencode(path), description.encode("utf-8", "surrogateescape"))
        _feed(digest, b"%d" % len(files))
        for path, data in files:
            _feed(digest, os.fsencode(path), data)
        return digest.digest()

    def load(self, key: bytes, paths: Sequence[str]) -> list[FileResult] | None:
        """The entry's results for ``paths``, or None (missing, foreign, damaged, stale)."""
        entry = self._entry(key)
        try:
            fd = os.open(entry, _READ_FLAGS)
        except OSError:
            return None
        with os.fdopen(fd, "rb") as handle:
            try:
                info = os.fstat(fd)
                if not _is_ours(info):
                    return None
                blob = handle.read()
            except OSError:
                return None
        results = _decode(blob, key)
        if results is None or [r.path for r in results] != list(paths):
            return None
        if time.time() - info.st_mtime > REFRESH_SECONDS:
            with contextlib.suppress(OSError):
                os.utime(entry)
        return results

    def store(self, key: bytes, results: Sequence[FileResult]) -> None:
        """Keep ``results`` under ``key``: whole or not at all, and silently not when the
        cache cannot be written (a full disk must not fail a check)."""
        blob = _encode(key, list(results))
        if len(blob) > self.max_bytes // 8:
            return  # it would push out a large part of the cache
        entry = Path(self._entry(key))
        try:
            entry.parent.mkdir(mode=0o700, exist_ok=True)
            _write_atomically(entry, blob)
        except OSError:
            return
        self._note(len(blob))

    def prune_if_full(self) -> None:
        """After a run: when the ledger says the cache holds more than ``max_bytes``, remove
        the least recently used entries down to three quarters of it."""
        ledger = Path(self.results) / "ledger"
        try:
            text = ledger.read_bytes()
        except FileNotFoundError:
            self.prune()  # no ledger (a new cache, or it was removed): count the entries
            return
        except OSError:
            return
        total = sum(int(n) for n in text.split() if n.isdigit())
        if total > self.max_bytes:
            self.prune()
        elif len(text) > LEDGER_COMPACT_BYTES:
            with contextlib.suppress(OSError):
                _write_atomically(ledger, b"%d\n" % total)

    def prune(self) -> None:
        """Remove the least recently used entries until the cache holds at most three quarters
        of ``max_bytes``, and temporary files left by killed runs; then write the ledger."""
        now = time.time()
        entries: list[tuple[float, int, str]] = []
        for path, info in _files(self.results):
            name = os.path.basename(path)
            if name.startswith(".tmp-"):
                if now - info.st_mtime > STALE_TEMPORARY_SECONDS:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
            elif len(name) == 2 * _DIGEST - 2:
                entries.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries):
            if total <= self.max_bytes * 3 // 4:
                break
            with contextlib.suppress(OSError):  # another run pruned it first (or reads it)
                os.unlink(path)
            total -= size
        with contextlib.suppress(OSError):
            _write_atomically(Path(self.results) / "ledger", b"%d\n" % total)

    def _entry(self, key: bytes) -> str:
        name = key.hex()
        return os.path.join(self.results, name[:2], name[2:])

    def _note(self, size: int) -> None:
        """Add ``size`` to the ledger (one short append: whole even when runs append at once)."""
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
        with contextlib.suppress(OSError):
            fd = os.open(os.path.join(self.results, "ledger"), flags, 0o600)
            try:
                os.write(fd, b"%d\n" % size)
            finally:
                os.close(fd)


def describe(value: object) -> str:
    """A text that names ``value`` (options, a Go version) the same way in every process:
    ``repr``, but with sets sorted and dataclasses spelled out field by field (a set's order
    follows string hashing, which differs from one process to the next)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = (f"{f.name}={describe(getattr(value, f.name))}" for f in dataclasses.fields(value))
        return f"{type(value).__qualname__}({', '.join(fields)})"
    if isinstance(value, set | frozenset):
        return "{" + ", ".join(sorted(describe(item) for item in value)) + "}"
    if isinstance(value, tuple | list):
        return "(" + ", ".join(describe(item) for item in value) + ",)"
    if isinstance(value, dict):
        items = sorted(f"{describe(k)}: {describe(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    return repr(value)


def directory_files(directory: Directory, targets: Iterable[str]) -> list[tuple[str, bytes]] | None:
    """Every file ``directory`` holds for the check (its Go files and the ``targets``), each
    read now, so that the check sees exactly these bytes; None when one cannot be read."""
    try:
        for path in targets:
            directory.read(path)
        return [(path, directory.read(path)) for path in directory.files()]
    except ReadError:
        return None


def code_fingerprint() -> bytes:
    """What the code that computes the results is: a change to any of it is a new cache. The
    rules are asked each time (tests, and any embedder, may register others)."""
    digest = hashlib.sha256(_installed_code())
    for rule in registry.all_rules():
        _feed(digest, *(part.encode() for part in _rule_identity(rule)))
    return digest.digest()


@functools.cache
def _installed_code() -> bytes:
    """The hash of gofixleak's source files, the Go grammar and Python: read once per process
    (about 3 ms)."""
    import tree_sitter
    import tree_sitter_go

    digest = hashlib.sha256(FORMAT)
    _feed(digest, __version__.encode(), sys.version.encode(), tree_sitter.__version__.encode())
    fixers = importlib.import_module("gofixleak.fixers").__path__
    for root in [os.path.dirname(__file__), *fixers]:
        for name in _files_under(root, ".py"):
            _feed(digest, name.encode(), _read(os.path.join(root, name)))
    grammar = os.path.dirname(tree_sitter_go.__file__ or "")
    for name in _files_under(grammar, ""):  # its compiled parser, mostly
        _feed(digest, name.encode(), _read(os.path.join(grammar, name)))
    return digest.digest()


def _files_under(root: str, suffix: str) -> list[str]:
    """The files below ``root`` whose names end in ``suffix``, relative to it, sorted (not
    bytecode: it follows the sources)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        relative = os.path.relpath(folder, root)
        for name in files:
            if name.endswith(suffix):
                found.append(os.path.normpath(os.path.join(relative, name)))
    return sorted(found)


def _read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def _rule_identity(rule: registry.Rule) -> tuple[str, ...]:
    def name(function: object) -> str:
        if function is None:
            return "-"
        return f"{getattr(function, '__module__', '?')}:{getattr(function, '__qualname__', '?')}"

    return (rule.name, name(rule.detect), name(rule.fix), repr(rule.prefilter))


def _feed(digest: hashlib._Hash, *parts: bytes) -> None:
    """Each part with its length first, so that no two sequences of parts feed the same bytes."""
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)


def _encode(key: bytes, results: list[FileResult]) -> bytes:
    # A result with nothing to say (most files) is kept as its path alone: unpickling a frozen
    # dataclass field by field was most of the time a warm run spent in its entries.
    kept = [r.path if r == FileResult(r.path) else r for r in results]
    payload = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
    length = len(payload).to_bytes(8, "big")
    return MAGIC + key + length + hashlib.sha256(payload).digest() + payload


def _decode(blob: bytes, key: bytes) -> list[FileResult] | None:
    if len(blob) < _HEADER or not blob.startswith(MAGIC):
        return None
    start = len(MAGIC)
    stored_key = blob[start : start + _DIGEST]
    length = int.from_bytes(blob[start + _DIGEST : start + _DIGEST + 8], "big")
    checksum = blob[start + _DIGEST + 8 : _HEADER]
    payload = blob[_HEADER:]
    if stored_key != key or length != len(payload) or hashlib.sha256(payload).digest() != checksum:
        return None
    try:
        kept = pickle.loads(payload)
    except Exception:  # a layout the checksum vouches for but this code cannot read: a miss
        return None
    if not isinstance(kept, list):
        return None
    results = [FileResult(r) if isinstance(r, str) else r for r in kept]
    return results if all(isinstance(r, FileResult) for r in results) else None


def _is_ours(info: os.stat_result) -> bool:
    """A regular file of this user: nobody else's pickle is ever loaded."""
    getuid = getattr(os, "getuid", None)
    return stat.S_ISREG(info.st_mode) and (getuid is None or info.st_uid == getuid())


def _files(folder: str) -> Iterator[tuple[str, os.stat_result]]:
    """The files one level below ``folder``'s subdirectories, with their status."""
    with contextlib.suppress(OSError), os.scandir(folder) as subfolders:
        for sub in subfolders:
            if not sub.is_dir(follow_symlinks=False):
                continue
            with contextlib.suppress(OSError), os.scandir(sub.path) as files:
                for file in files:
                    with contextlib.suppress(OSError):
                        yield file.path, file.stat(follow_symlinks=False)


def _write_atomically(path: Path, data: bytes) -> None:
    """``path`` holds its old bytes or ``data``, whatever happens: a temporary file beside it,
    renamed over it; removed again when the write fails or is interrupted."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


_CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file is a cache directory tag created by gofixleak.\n"
    b"# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
