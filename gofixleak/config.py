"""``.gofixleak.toml``: per-repository settings, found next to the files they govern.

For each file, the nearest ``.gofixleak.toml`` in its directory or above applies; the search
stops at the repository root (a directory holding ``.git``) or the filesystem root. Configs
do not merge: the nearest one wins. Keys: ``select``, ``ignore``, ``exclude`` (globs),
``unsafe-fixes``, ``strict``, ``fail-on`` and ``show`` (classes of findings, see bites.py),
``go-version`` and ``[[overrides]]`` (``paths`` globs with their own
``select``, ``ignore``, ``go-version``). Globs are relative to the config's directory and
``/``-separated: ``*`` and ``?`` stay within a path segment, ``**`` spans segments, a pattern
without ``/`` matches a file or directory name at any depth, and a pattern that matches a
directory matches everything in it.

Rule selection is layered, later layers winning: all rules, the config's ``select``/``ignore``,
each matching override's in file order, then the command line's ``--select``/``--ignore``.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gofixleak import bites, registry
from gofixleak.model import Bite
from gofixleak.source import GoVersion, parse_go_version
from gofixleak.suppression import DIRECTIVE_RULE_NAMES

if TYPE_CHECKING:  # tomllib is imported when a config file is read: most runs find none
    import tomllib

FILENAME = ".gofixleak.toml"
TOP_KEYS = (
    "select",
    "ignore",
    "exclude",
    "unsafe-fixes",
    "strict",
    "go-version",
    "overrides",
    "fail-on",
    "show",
)
OVERRIDE_KEYS = ("paths", "select", "ignore", "go-version")


class ConfigError(ValueError):
    """A config that cannot be used: the message names the file and, where known, the line."""


@dataclass(frozen=True, slots=True)
class Selection:
    """One layer of rule selection: ``select`` (None: keep what came before) minus ``ignore``."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()

    def apply(self, enabled: set[str]) -> set[str]:
        chosen = set(self.select) if self.select is not None else set(enabled)
        return chosen - set(self.ignore)


@dataclass(frozen=True, slots=True)
class Override:
    paths: tuple[str, ...]
    selection: Selection
    go_version: GoVersion | None = None


@dataclass(frozen=True, slots=True)
class Config:
    path: str
    selection: Selection
    exclude: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    go_version: GoVersion | None = None
    overrides: tuple[Override, ...] = ()
    # Exit 2 when part of a file was not analysed (a syntax error); like --strict.
    strict: bool | None = None
    # The classes of findings that make the exit status 1, and those shown; like --fail-on, --show.
    fail_on: frozenset[Bite] | None = None
    show: frozenset[Bite] | None = None

    @property
    def root(self) -> str:
        return os.path.dirname(self.path)

    def relative(self, file: str) -> str:
        return os.path.relpath(os.path.abspath(file), self.root).replace(os.sep, "/")

    def is_excluded(self, file: str) -> bool:
        return matches_any(self.exclude, self.relative(file))

    def overrides_for(self, file: str) -> list[Override]:
        relative = self.relative(file)
        return [o for o in self.overrides if matches_any(o.paths, relative)]

    def enabled(self, file: str, command_line: Selection) -> tuple[str, ...]:
        """The rule names (detectors and directive rules) enabled for ``file``."""
        enabled = set(registry.rule_names()) | DIRECTIVE_RULE_NAMES
        for layer in [self.selection, *(o.selection for o in self.overrides_for(file))]:
            enabled = layer.apply(enabled)
        return tuple(sorted(command_line.apply(enabled)))

    def go_version_for(self, file: str) -> GoVersion | None:
        versions = [o.go_version for o in self.overrides_for(file) if o.go_version is not None]
        return versions[-1] if versions else self.go_version


# --- finding -------------------------------------------------------------------------------


def find(path: str) -> Config | None:
    """The config that governs ``path`` (a file or a directory), or None."""
    absolute = os.path.abspath(path)
    directory = absolute if os.path.isdir(absolute) else os.path.dirname(absolute)
    found = _nearest(directory)
    return load(found) if found is not None else None


@functools.lru_cache(maxsize=4096)
def _nearest(directory: str) -> str | None:
    candidate = os.path.join(directory, FILENAME)
    if os.path.isfile(candidate):
        return candidate
    parent = os.path.dirname(directory)
    if os.path.exists(os.path.join(directory, ".git")) or parent == directory:
        return None
    return _nearest(parent)


@functools.lru_cache(maxsize=256)
def load(path: str) -> Config:
    """Read and check one config file; ConfigError names the file and the line."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror or error}") from error
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: not UTF-8: {error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(_toml_error(path, raw, error)) from error
    return _Reader(path, raw.decode("utf-8")).config(data)


def _toml_error(path: str, raw: bytes, error: tomllib.TOMLDecodeError) -> str:
    """``file:line:column: invalid TOML: ...``, from tomllib's "(at line L, column C)"."""
    message = str(error)
    located = re.search(r" \(at line (\d+), column (\d+)\)$", message)
    if located:
        message = message[: located.start()]
        return f"{path}:{located[1]}:{located[2]}: invalid TOML: {message}"
    if message.endswith(" (at end of document)"):
        message = message[: -len(" (at end of document)")]
        last = len(raw.splitlines()) or 1
        return f"{path}:{last}: invalid TOML: {message} at the end of the file"
    return f"{path}: invalid TOML: {message}"


def clear_cache() -> None:
    """Forget found and loaded configs (a long-lived process whose files change)."""
    _nearest.cache_clear()
    load.cache_clear()


# --- globs ---------------------------------------------------------------------------------


def matches_any(patterns: Iterable[str], relative: str) -> bool:
    return any(_glob(pattern).match(relative) for pattern in patterns)


@functools.lru_cache(maxsize=1024)
def _glob(pattern: str) -> re.Pattern[str]:
    """A pattern matching the path, or any path under a directory the glob matches."""
    anchored = "/" in pattern.rstrip("/")
    body = _translate(pattern.strip("/"))
    prefix = "" if anchored else "(?:.*/)?"
    return re.compile(f"^{prefix}{body}(?:/.*)?$", re.DOTALL)


def _translate(pattern: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        elif pattern[index] == "[" and "]" in pattern[_set_start(pattern, index) :]:
            end = pattern.index("]", _set_start(pattern, index))
            # Characters that regular expressions (not globs) treat specially inside a set.
            body = re.sub(r"([\\\[&~|])", r"\\\1", pattern[index + 1 : end])
            out.append("[^" + body[1:] + "]" if body.startswith("!") else "[" + body + "]")
            index = end + 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return "".join(out)


def _set_start(pattern: str, index: int) -> int:
    """Where the ``]`` closing the set at ``index`` is looked for: a ``]`` first in the set
    (after a ``!``) is a member, as in fnmatch."""
    return index + (3 if pattern.startswith("[!", index) else 2)


# --- checking ------------------------------------------------------------------------------


class _Reader:
    """Turns parsed TOML into a Config, with errors that point at the offending line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: str, message: str, section: int | None = None) -> ConfigError:
        """An error at ``key`` of the top level (``section`` None) or of the n-th override."""
        line = self._line_of(key, section)
        where = f"{self.path}:{line}" if line else self.path
        return ConfigError(f"{where}: {message}")

    def _line_of(self, key: str, section: int | None) -> int | None:
        headers = [n for n, line in enumerate(self.lines) if line.strip().startswith("[")]
        overrides = [n for n in headers if self.lines[n].strip().startswith("[[overrides]]")]
        if section is None:
            first, last = 0, headers[0] if headers else len(self.lines)
        elif section < len(overrides):
            first = overrides[section] + 1
            last = next((n for n in headers if n >= first), len(self.lines))
        else:
            return None
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\")\s*=")
        for number in range(first, last):
            if pattern.match(self.lines[number]):
                return number + 1
        table = re.compile(rf"^\s*\[\[?\s*{re.escape(key)}\s*[\].]")
        for number in headers:
            if table.match(self.lines[number]):
                return number + 1
        return overrides[section] + 1 if section is not None else None

    def config(self, data: dict[str, Any]) -> Config:
        self._known_keys(data, TOP_KEYS, "")
        overrides = data.get("overrides", [])
        if not isinstance(overrides, list) or not all(isinstance(o, dict) for o in overrides):
            raise self.fail("overrides", "overrides must be an array of tables: [[overrides]]")
        return Config(
            path=self.path,
            selection=self._selection(data),
            exclude=self._globs(data, "exclude") or (),
            unsafe_fixes=self._bool(data, "unsafe-fixes"),
            go_version=self._go_version(data),
            overrides=tuple(self._override(o, n) for n, o in enumerate(overrides)),
            strict=self._bool(data, "strict"),
            fail_on=self._bites(data, "fail-on"),
            show=self._bites(data, "show"),
        )

    def _bites(self, data: dict[str, Any], key: str) -> frozenset[Bite] | None:
        names = self._strings(data, key)
        if names is None:
            return None
        try:
            return bites.parse(names)
        except ValueError as error:
            raise self.fail(key, f"{key}: {error}") from error

    def _bool(self, data: dict[str, Any], key: str) -> bool | None:
        value = data.get(key)
        if value is not None and not isinstance(value, bool):
            raise self.fail(key, f"{key} must be true or false")
        return value

    def _override(self, data: dict[str, Any], section: int) -> Override:
        self._known_keys(data, OVERRIDE_KEYS, "[[overrides]] ", section)
        paths = self._globs(data, "paths", section)
        if not paths:
            raise self.fail("paths", "each [[overrides]] needs paths = [globs]", section)
        return Override(paths, self._selection(data, section), self._go_version(data, section))

    def _known_keys(
        self, data: dict[str, Any], known: Sequence[str], where: str, section: int | None = None
    ) -> None:
        for key in data:
            if key not in known:
                raise self.fail(
                    key,
                    f"unknown key {where}{key!r}; known keys: {', '.join(known)}",
                    section,
                )

    def _strings(
        self, data: dict[str, Any], key: str, section: int | None = None
    ) -> tuple[str, ...] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.fail(key, f"{key} must be a list of strings", section)
        return tuple(value)

    def _globs(
        self, data: dict[str, Any], key: str, section: int | None = None
    ) -> tuple[str, ...] | None:
        """The globs under ``key``, each checked now: a bad one is this file's error, not a
        crash while files are being checked."""
        patterns = self._strings(data, key, section)
        where = key if section is None else f"[[overrides]] {key}"
        for pattern in patterns or ():
            try:
                _glob(pattern)
            except re.error as error:
                message = f"bad glob {pattern!r} in {where}: {error.msg}"
                raise self.fail(key, message, section) from error
        return patterns

    def _selection(self, data: dict[str, Any], section: int | None = None) -> Selection:
        select = self._strings(data, "select", section)
        ignore = self._strings(data, "ignore", section) or ()
        known = set(registry.rule_names()) | DIRECTIVE_RULE_NAMES
        for key, names in (("select", select or ()), ("ignore", ignore)):
            for name in names:
                if name not in known:
                    raise self.fail(
                        key,
                        f"unknown rule {name!r} in {key}; known rules: {', '.join(sorted(known))}",
                        section,
                    )
        return Selection(select, ignore)

    def _go_version(self, data: dict[str, Any], section: int | None = None) -> GoVersion | None:
        value = data.get("go-version")
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail("go-version", 'go-version must be a string such as "1.22"', section)
        try:
            return parse_go_version(value)
        except ValueError as error:
            raise self.fail("go-version", str(error), section) from error
