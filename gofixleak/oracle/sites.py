"""From goroutines to the places in the module's code where they are stuck.

A goroutine's site is its first frame inside the module: runtime, ``testing``, standard library
and other modules' frames are skipped, and so are a nested module's and ``vendor/``. A goroutine
whose every frame is outside the module is placed at its ``go`` statement, when that is inside.
A goroutine that waits inside ``testing`` itself (``t.Run`` waiting for a subtest, ``t.Parallel``)
is the test framework's, not a leak; one that package initialization started (``init``, a
package variable) lives as long as the program, as the static rules also hold. Sites are then
counted over the runs of ``--count``.
"""

from __future__ import annotations

import functools
import os
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gofixleak.oracle.stacks import (
    Frame,
    Goroutine,
    name_of_test,
    started_in_init,
    started_in_test,
)

LEAKED, TIMEOUT, DEADLOCK = "leaked", "timeout", "deadlock"


@dataclass(frozen=True, slots=True)
class Module:
    root: str  # absolute directory of go.mod
    path: str  # the module path

    def file(self, printed: str) -> str | None:
        """The absolute path of a file a stack names, when it is the module's own code."""
        if os.path.isabs(printed):
            absolute = os.path.normpath(printed)
        elif printed.startswith(self.path + "/"):  # built with -trimpath
            absolute = os.path.join(self.root, printed[len(self.path) + 1 :])
        else:
            return None
        relative = os.path.relpath(absolute, self.root)
        if relative.startswith("..") or "vendor" in relative.split(os.sep):
            return None
        return None if _in_nested_module(self.root, os.path.dirname(absolute)) else absolute


@functools.lru_cache(maxsize=4096)
def _in_nested_module(root: str, folder: str) -> bool:
    while folder != root and folder.startswith(root + os.sep):
        if os.path.isfile(os.path.join(folder, "go.mod")):
            return True
        folder = os.path.dirname(folder)
    return False


@dataclass(frozen=True, slots=True)
class Leak:
    """One goroutine stuck at a place in the module."""

    file: str  # absolute
    line: int
    state: str  # the wait reason: "chan send", "sync.WaitGroup.Wait"
    how: str  # LEAKED (the profile), TIMEOUT or DEADLOCK (a dump of a binary that never ended)
    function: str  # the function at the site (or the blocked one, when outside the module)
    created_at: Frame | None = None  # the go statement, when it is in the module (file absolute)
    test: Frame | None = None  # the test function that started it (file absolute when in module)
    outside: bool = False  # every frame is outside the module: placed at its go statement
    signature: str = ""  # "<entry function>(...) [<state>]", the runtime test's label format


def leaks(
    goroutines: Sequence[Goroutine], module: Module, how: str, generated: Collection[str] = ()
) -> list[Leak]:
    """The goroutines of one dump that are stuck in the module's code."""
    by_id = {g.id: g for g in goroutines}
    found = []
    for goroutine in goroutines:
        stuck = goroutine.leaked if how == LEAKED else goroutine.is_blocked
        if stuck and not waits_in_testing(goroutine):
            leak = leak_of(goroutine, by_id, module, how, generated)
            if leak is not None:
                found.append(leak)
    return found


def waits_in_testing(goroutine: Goroutine) -> bool:
    """Blocked in the test framework's own code (``t.Run``, ``t.Parallel``), not in a test's."""
    for frame in goroutine.frames:
        package = frame.package
        if package == "runtime" or package.startswith(("runtime/", "internal/")):
            continue
        return package == "testing"
    return False


def leak_of(
    goroutine: Goroutine,
    others: Mapping[int, Goroutine],
    module: Module,
    how: str,
    generated: Collection[str] = (),
) -> Leak | None:
    def inside(frame: Frame | None) -> Frame | None:
        file = module.file(frame.file) if frame is not None else None
        if frame is None or file is None or file in generated:
            return None
        return Frame(frame.function, file, frame.line)

    created_at = inside(goroutine.created_by)
    test = started_in_test(goroutine, others)
    if test is None and started_in_init(goroutine):
        return None  # package initialization's: it lives as long as the program anyway
    test = inside(test) or test
    site = next((f for f in map(inside, goroutine.frames) if f is not None), None)
    outside = site is None
    if site is None:
        site = created_at
    if site is None:
        return None
    blocked = next((f.function for f in goroutine.frames if f.package != "runtime"), "")
    return Leak(
        site.file,
        site.line,
        goroutine.state,
        how,
        blocked if outside else site.function,
        created_at,
        test,
        outside,
        _signature(goroutine),
    )


def _signature(goroutine: Goroutine) -> str:
    """What the runtime's own leak test matches its expectations against: the goroutine's entry
    function, its arguments elided, and its wait reason (``main.`` left out)."""
    entry = goroutine.frames[-1].function if goroutine.frames else ""
    return f"{entry.removeprefix('main.')}(...) [{goroutine.state}]"


@dataclass(frozen=True, slots=True)
class Site:
    """Where goroutines were seen stuck, over ``runs`` runs of the tests."""

    file: str
    line: int
    states: tuple[str, ...]
    hows: tuple[str, ...]
    most: int  # goroutines stuck here in the run that had the most
    runs_seen: int  # runs in which some goroutine was stuck here
    runs: int
    function: str
    created_at: tuple[Frame, ...]
    tests: tuple[Frame, ...]
    outside: bool
    leaks: tuple[Leak, ...]

    @property
    def key(self) -> tuple[str, int]:
        return self.file, self.line

    @property
    def state(self) -> str:
        return self.states[0]


def sites(runs: Sequence[Iterable[Leak]]) -> list[Site]:
    """The sites of the leaks of each run, in file and line order."""
    per_run: list[Counter[tuple[str, int]]] = []
    every: dict[tuple[str, int], list[Leak]] = {}
    for run in runs:
        counts: Counter[tuple[str, int]] = Counter()
        for leak in run:
            counts[(leak.file, leak.line)] += 1
            every.setdefault((leak.file, leak.line), []).append(leak)
        per_run.append(counts)
    out = []
    for key, found in sorted(every.items()):
        states = Counter(leak.state for leak in found)
        out.append(
            Site(
                key[0],
                key[1],
                tuple(s for s, _ in states.most_common()),
                tuple(sorted({leak.how for leak in found})),
                max(counts[key] for counts in per_run),
                sum(1 for counts in per_run if counts[key]),
                len(runs),
                found[0].function,
                _unique(leak.created_at for leak in found),
                _unique_tests(leak.test for leak in found),
                all(leak.outside for leak in found),
                tuple(found),
            )
        )
    return out


def _unique(frames: Iterable[Frame | None]) -> tuple[Frame, ...]:
    seen: dict[tuple[str, int], Frame] = {}
    for frame in frames:
        if frame is not None:
            seen.setdefault((frame.file, frame.line), frame)
    return tuple(sorted(seen.values(), key=lambda f: (f.file, f.line)))


def _unique_tests(frames: Iterable[Frame | None]) -> tuple[Frame, ...]:
    seen: dict[str, Frame] = {}
    for frame in frames:
        if frame is not None:
            seen.setdefault(name_of_test(frame), frame)
    return tuple(seen[name] for name in sorted(seen))
