"""Run a pure per-file function on every core, results in input order, as they come.

The work on one file depends on nothing else, so a process pool scans a large tree on every core.
Results stream (an iterator, in the order of the input) so that a caller can print or drop each
one as it arrives. A small input is handled in this process: starting workers would cost more
than it saves.
"""

from __future__ import annotations

import itertools
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

SMALL_RUN = 32
"""Fewer items than this run in this process."""

CHUNK = 8
"""Items sent to a worker at a time: large enough to amortise the hand-over, small enough that
the last chunks do not leave a core idle."""


def default_jobs() -> int:
    return os.cpu_count() or 1


def ordered_map(
    function: Callable[[T], R], items: Iterable[T], jobs: int | None = None
) -> Iterator[R]:
    """``map(function, items)`` on ``jobs`` processes (default: every core), in input order.

    ``function`` must be picklable (a module-level function or a ``functools.partial`` of one).
    Raises ValueError when ``jobs`` is below 1.
    """
    workers = default_jobs() if jobs is None else jobs
    if workers < 1:
        raise ValueError(f"jobs must be at least 1, not {workers}")  # raised now, not at next()
    return _ordered(function, iter(items), workers)


def _ordered(function: Callable[[T], R], iterator: Iterator[T], workers: int) -> Iterator[R]:
    if workers > 1:
        head = list(itertools.islice(iterator, SMALL_RUN))
        if len(head) == SMALL_RUN:
            yield from _pooled(function, itertools.chain(head, iterator), workers)
            return
        iterator = iter(head)
    for item in iterator:
        yield function(item)


def _pooled(function: Callable[[T], R], items: Iterator[T], workers: int) -> Iterator[R]:
    import multiprocessing  # here, not at the top: a small run (a one-file check) needs none

    # fork (Linux) starts workers in milliseconds with everything already imported; elsewhere the
    # platform's default (spawn) re-imports the package in each worker.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    with context.Pool(workers, initializer=_ignore_interrupts) as pool:
        # Leaving the with-block (done, error, or the caller dropping the iterator) terminates the
        # workers.
        yield from pool.imap(function, items, CHUNK)


def _ignore_interrupts() -> None:
    """Ctrl-C is the parent's to handle: it stops the pool; workers print no tracebacks."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
