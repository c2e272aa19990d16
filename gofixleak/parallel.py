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

from gofixleak import interrupts

T = TypeVar("T")
R = TypeVar("R")

SMALL_RUN = 32
"""Fewer items than this run in this process."""

CHUNK = 8
"""Items sent to a worker at a time: large enough to amortise the hand-over, small enough that
the last chunks do not leave a core idle."""


MAX_JOBS_PER_CORE = 4
"""More workers than this per core only cost memory and process slots (-j 100000 forked until
the process table was full); a larger --jobs is lowered to it."""


def default_jobs() -> int:
    return os.cpu_count() or 1


def max_jobs() -> int:
    return MAX_JOBS_PER_CORE * default_jobs()


def ordered_map(
    function: Callable[[T], R], items: Iterable[T], jobs: int | None = None
) -> Iterator[R]:
    """``map(function, items)`` on ``jobs`` processes (default: every core), in input order.

    ``function`` must be picklable (a module-level function or a ``functools.partial`` of one).
    Raises ValueError when ``jobs`` is below 1. At most :func:`max_jobs` workers are started, and
    no more than the input keeps busy (one per CHUNK items).
    """
    workers = default_jobs() if jobs is None else jobs
    if workers < 1:
        raise ValueError(f"jobs must be at least 1, not {workers}")  # raised now, not at next()
    return _ordered(function, iter(items), min(workers, max_jobs()))


def _ordered(function: Callable[[T], R], iterator: Iterator[T], workers: int) -> Iterator[R]:
    if workers > 1:
        head = list(itertools.islice(iterator, max(SMALL_RUN, workers * CHUNK)))
        if len(head) >= SMALL_RUN:
            workers = min(workers, -(-len(head) // CHUNK))
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
    with context.Pool(workers, initializer=_worker_signals) as pool:
        # Leaving the with-block (done, error, or the caller dropping the iterator) terminates the
        # workers.
        yield from pool.imap(function, items, CHUNK)


def _worker_signals() -> None:
    """Ctrl-C is the parent's to handle: it stops the pool; workers print no tracebacks. SIGTERM
    and SIGHUP, which the parent turns into exceptions, end a worker at once (that is how the
    pool stops its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    interrupts.reset_in_worker()
