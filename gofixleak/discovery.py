"""Which files to scan: Go files under the given paths, the way the go tool would see them.

Directories are walked recursively (``./...`` and ``dir/...`` mean the same); ``vendor``,
``testdata``, hidden and ``_``-prefixed directories are skipped, as the go tool skips them, and
so are symbolic links that lead out of the tree being walked. A file named explicitly is always
scanned. A directory that cannot be listed is reported, never skipped in silence.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gofixleak.reading import reason

SKIPPED_DIRS = frozenset({"vendor", "testdata", "node_modules"})


@dataclass(frozen=True, slots=True)
class Item:
    """A file to scan, or a path that could not be used (``error`` set)."""

    path: str
    error: str | None = None


def display_path(path: str) -> str:
    """The path as users see it: relative to the working directory when inside it."""
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, os.getcwd())
    return absolute if relative.startswith("..") else relative


def strip_dots(arg: str) -> str:
    """``./...`` -> ``.``, ``pkg/...`` -> ``pkg``."""
    if arg == "...":
        return "."
    if arg.endswith("/..."):
        return arg[: -len("/...")] or "/"
    return arg


def discover(args: Sequence[str]) -> Iterator[Item]:
    """Files in a stable order; each file once, even when named twice. A path that cannot be
    looked at (missing, a directory that cannot be listed) is an Item with an error, in its
    place: a part of the tree that was not seen must never look clean."""
    seen: set[str] = set()
    for arg in args or ["."]:
        path = strip_dots(arg)
        try:
            os.lstat(path)
        except OSError as error:
            yield Item(display_path(path), _cannot_open(arg, error))
            continue
        if os.path.isdir(path):
            found = _walk(path)
        elif path.endswith(".go") or os.path.isfile(path):
            found = iter([Item(path)])
        else:
            yield Item(display_path(path), f"{arg}: not a regular file or directory")
            continue
        for item in found:
            if item.error is not None:
                yield item
                continue
            key = os.path.realpath(item.path)
            if key not in seen:
                seen.add(key)
                yield Item(display_path(item.path))


def _cannot_open(arg: str, error: OSError) -> str:
    if isinstance(error, FileNotFoundError):
        return f"{arg}: no such file or directory"
    return f"{arg}: cannot read: {reason(error)}"


def _walk(root: str) -> Iterator[Item]:
    real_root = os.path.realpath(root)
    visited = {real_root}
    unlisted: list[OSError] = []  # os.walk reports a directory it cannot list here, and goes on
    for folder, dirs, files in os.walk(root, onerror=unlisted.append, followlinks=True):
        yield from _unlisted(unlisted)
        kept = []
        for name in sorted(dirs):
            full = os.path.join(folder, name)
            real = os.path.realpath(full)
            if _is_skipped_dir(name) or not _stays_inside(full, real_root) or real in visited:
                continue  # a link back into the tree is walked once, not forever
            visited.add(real)
            kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            full = os.path.join(folder, name)
            go_file = name.endswith(".go") and not name.startswith((".", "_"))
            if go_file and _stays_inside(full, real_root):
                yield Item(full)
    yield from _unlisted(unlisted)


def _unlisted(errors: list[OSError]) -> Iterator[Item]:
    """``open DIR: permission denied``, as gofmt says it, in gofixleak's words."""
    for error in errors:
        folder = display_path(str(error.filename))
        yield Item(folder, f"{folder}: cannot open directory: {reason(error)}")
    errors.clear()


def _is_skipped_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.startswith((".", "_"))


def _stays_inside(path: str, real_root: str) -> bool:
    if not os.path.islink(path):
        return True
    target = os.path.realpath(path)
    return target == real_root or target.startswith(real_root + os.sep)
