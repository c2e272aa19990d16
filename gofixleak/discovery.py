"""Which files to scan: Go files under the given paths, the way the go tool would see them.

Directories are walked recursively (``./...`` and ``dir/...`` mean the same); ``vendor``,
``testdata``, hidden and ``_``-prefixed directories are skipped, as the go tool skips them, and
so are symbolic links that lead out of the tree being walked. A file named explicitly is always
scanned.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

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
    """Files in a stable order; each file once, even when named twice."""
    seen: set[str] = set()
    for arg in args or ["."]:
        path = strip_dots(arg)
        if not os.path.lexists(path):
            yield Item(display_path(path), f"{arg}: no such file or directory")
            continue
        if os.path.isdir(path):
            found = _walk(path)
        elif path.endswith(".go") or os.path.isfile(path):
            found = iter([path])
        else:
            yield Item(display_path(path), f"{arg}: not a regular file or directory")
            continue
        for file in found:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                yield Item(display_path(file))


def _walk(root: str) -> Iterator[str]:
    real_root = os.path.realpath(root)
    visited = {real_root}
    for folder, dirs, files in os.walk(root, followlinks=True):
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
                yield full


def _is_skipped_dir(name: str) -> bool:
    return name in SKIPPED_DIRS or name.startswith((".", "_"))


def _stays_inside(path: str, real_root: str) -> bool:
    if not os.path.islink(path):
        return True
    target = os.path.realpath(path)
    return target == real_root or target.startswith(real_root + os.sep)
