"""Goroutine stack dumps, as the Go runtime prints them: parsed, never interpreted here.

The same text comes from three places: the ``goroutineleak`` profile written with ``debug=2``
(leaked goroutines say ``(leaked)`` in their header), the ``-timeout`` panic of a test binary and
Go's ``all goroutines are asleep - deadlock!`` (every goroutine, leaked or not). With
``GODEBUG=tracebackancestors=N`` each goroutine also lists the stacks of the goroutines that
started it, at the moment they started it (``[originating from goroutine N]:``), which is how a
leaked goroutine is traced back to the test that started it.

    goroutine 20 [chan receive (leaked)]:
    example.com/glp.Leak.func1()
            /tmp/glp/leak.go:6 +0x19
    created by example.com/glp.Leak in goroutine 19
            /tmp/glp/leak.go:5 +0x5f
    [originating from goroutine 19]:
    example.com/glp.Leak(...)
            /tmp/glp/leak.go:8 +0x5f
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

_HEADER = re.compile(r"^goroutine (\d+)(?: [^\[]*)? \[(.*)\]:$")
_LOCATION = re.compile(r"^\t(.*):(\d+)(?: \+0x[0-9a-f]+)?$")
_CREATED_BY = re.compile(r"^created by (\S+)(?: in goroutine (\d+))?$")
_ORIGIN = re.compile(r"^\[originating from goroutine (\d+)\]:$")
_FLAGS = (" (leaked)", " (scan)", " (durable)")

# The wait reasons of a goroutine blocked on a channel or a sync primitive: what the leak
# profile can report, and what a goroutine stuck in a dump is waiting for.
BLOCKING = frozenset(
    {
        "chan receive",
        "chan receive (nil chan)",
        "chan send",
        "chan send (nil chan)",
        "select",
        "select (no cases)",
        "semacquire",
        "sync.Cond.Wait",
        "sync.Mutex.Lock",
        "sync.RWMutex.Lock",
        "sync.RWMutex.RLock",
        "sync.WaitGroup.Wait",
    }
)


@dataclass(frozen=True, slots=True)
class Frame:
    """One call in a stack: the function as Go names it, and the file and line it is at."""

    function: str  # "example.com/m/p.(*T).Run.func1"
    file: str
    line: int

    @property
    def package(self) -> str:
        """The function's package path: ``example.com/m/p`` for ``example.com/m/p.F.func1``."""
        slash = self.function.rfind("/")
        dot = self.function.find(".", slash + 1)
        return self.function if dot < 0 else self.function[:dot]

    @property
    def name(self) -> str:
        """The function without its package: ``(*T).Run.func1``."""
        package = self.package
        return self.function[len(package) + 1 :] if package != self.function else self.function


@dataclass(frozen=True, slots=True)
class Origin:
    """An ancestor's stack, as it was when it started the goroutine (tracebackancestors)."""

    goroutine: int
    frames: tuple[Frame, ...]


@dataclass(frozen=True, slots=True)
class Goroutine:
    """One goroutine of a dump: its wait reason, its stack (innermost call first), who made it."""

    id: int
    state: str  # the wait reason without flags: "chan receive", "sync.WaitGroup.Wait"
    leaked: bool
    frames: tuple[Frame, ...]
    created_by: Frame | None = None
    creator: int | None = None  # the goroutine that ran the go statement
    ancestors: tuple[Origin, ...] = ()

    @property
    def is_blocked(self) -> bool:
        """Waiting on a channel or a sync primitive (not running, sleeping or in a syscall)."""
        return self.state in BLOCKING


def parse(text: str) -> list[Goroutine]:
    """Every goroutine in ``text``; lines that belong to no goroutine are skipped."""
    return list(_goroutines(text.splitlines()))


def _goroutines(lines: Sequence[str]) -> Iterator[Goroutine]:
    index = 0
    while index < len(lines):
        header = _HEADER.match(lines[index])
        index += 1
        if header is None:
            continue
        state, leaked = _state(header.group(2))
        frames, index = _frames(lines, index)
        created_by: Frame | None = None
        creator: int | None = None
        created = _CREATED_BY.match(lines[index]) if index < len(lines) else None
        location = _location(lines, index + 1)
        if created is not None and location is not None:
            created_by = Frame(created.group(1), *location)
            creator = int(created.group(2)) if created.group(2) else None
            index += 2
        ancestors: list[Origin] = []
        while index < len(lines) and (origin := _ORIGIN.match(lines[index])) is not None:
            origin_frames, index = _frames(lines, index + 1)
            if index < len(lines) and _CREATED_BY.match(lines[index]):
                index += 2  # the ancestor's own creator is the next origin
            ancestors.append(Origin(int(origin.group(1)), tuple(origin_frames)))
        number = int(header.group(1))
        yield Goroutine(number, state, leaked, tuple(frames), created_by, creator, tuple(ancestors))


def _state(text: str) -> tuple[str, bool]:
    """``chan send (leaked), 2 minutes`` -> (``chan send``, True)."""
    status = text.split(", ")[0]
    leaked = " (leaked)" in status
    for flag in _FLAGS:
        status = status.replace(flag, "")
    return status, leaked


def _frames(lines: Sequence[str], index: int) -> tuple[list[Frame], int]:
    """The function/location pairs from ``index`` on, and the index after them."""
    frames: list[Frame] = []
    while index + 1 < len(lines):
        line = lines[index]
        if line.startswith("...") and "frames elided" in line:
            index += 1
            continue
        location = _location(lines, index + 1)
        if line.startswith(("created by ", "\t", "[")) or location is None or "(" not in line:
            break
        frames.append(Frame(line[: line.rfind("(")], *location))
        index += 2
    return frames, index


def _location(lines: Sequence[str], index: int) -> tuple[str, int] | None:
    if index >= len(lines):
        return None
    match = _LOCATION.match(lines[index])
    return (match.group(1), int(match.group(2))) if match else None


def started_in_test(goroutine: Goroutine, others: Mapping[int, Goroutine]) -> Frame | None:
    """The frame of the test function that started ``goroutine`` (directly or through other
    goroutines), or None: the function ``testing.tRunner`` called, in the goroutine's own stack,
    its ancestors' stacks, or the stacks of its creators still in the same dump."""
    for frames in _lineage(goroutine, others):
        for callee, caller in itertools.pairwise(frames):
            if caller.function == "testing.tRunner" and _is_test_function(callee):
                return callee
    return None


def started_in_init(goroutine: Goroutine) -> bool:
    """Started, directly or through other goroutines, by a package's initialization (an
    ``init`` function or a package variable's initializer): it lives as long as the program."""
    creators = [goroutine.created_by] if goroutine.created_by is not None else []
    frames = [*creators, *(f for origin in goroutine.ancestors for f in origin.frames)]
    return any(_is_init(frame) for frame in frames)


def _is_init(frame: Frame) -> bool:
    return re.match(r"init(\.\d+)?(\.func\d+)*$", frame.name) is not None


def name_of_test(frame: Frame) -> str:
    """``TestSub`` for ``example.com/m/p.TestSub.func1`` (a subtest's literal)."""
    return frame.name.split(".")[0]


def _is_test_function(frame: Frame) -> bool:
    return re.match(r"(Test|Benchmark|Fuzz|Example)(\W|_|[A-Z0-9]|$)", frame.name) is not None


def _lineage(goroutine: Goroutine, others: Mapping[int, Goroutine]) -> Iterator[tuple[Frame, ...]]:
    yield goroutine.frames
    for origin in goroutine.ancestors:
        yield origin.frames
    seen = {goroutine.id}
    creator = goroutine.creator
    while creator is not None and creator not in seen and creator in others:
        seen.add(creator)
        yield others[creator].frames
        creator = others[creator].creator
