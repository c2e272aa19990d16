"""Run a pure per-file function on every core, results in input order, as they come.

The work on one file depends on nothing else, so a process pool scans a large tree on every core.
Results stream (an iterator, in the order of the input) so that a caller can print or drop each
one as it arrives. A small input is handled in this process: starting workers would cost more
than it saves.
"""

from __future__ import annotations

import functools
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


def workers_for(jobs: int | None) -> int:
    """The number of processes :func:`ordered_map` may use for ``jobs``."""
    workers = default_jobs() if jobs is None else jobs
    if workers < 1:
        raise ValueError(f"jobs must be at least 1, not {workers}")
    return min(workers, max_jobs())


def ordered_map(
    function: Callable[[T], R],
    items: Iterable[T],
    jobs: int | None = None,
    heavy: Callable[[T], bool] | None = None,
) -> Iterator[R]:
    """``map(function, items)`` on ``jobs`` processes (default: every core), in input order.

    ``function`` must be picklable (a module-level function or a ``functools.partial`` of one).
    Raises ValueError when ``jobs`` is below 1. At most :func:`max_jobs` workers are started, and
    no more than the input keeps busy (one per CHUNK items). An item that ``heavy`` says is
    worth a worker of its own (a part of a large package) is handed over alone, not with the
    items beside it, and a run that holds one uses workers however short it is.
    """
    workers = workers_for(jobs)  # raised now, not at next()
    return _ordered(function, iter(items), workers, heavy or _light)


def _light(_: object) -> bool:
    return False


def _ordered(
    function: Callable[[T], R], iterator: Iterator[T], workers: int, heavy: Callable[[T], bool]
) -> Iterator[R]:
    if workers > 1:
        head = list(itertools.islice(iterator, max(SMALL_RUN, workers * CHUNK)))
        heavies = sum(1 for item in head if heavy(item))
        if len(head) >= SMALL_RUN or heavies > 1:
            workers = min(workers, max(-(-len(head) // CHUNK), heavies))
            batches = _batches(itertools.chain(head, iterator), heavy)
            for results in _pooled(functools.partial(_each, function), batches, workers):
                yield from results
            return
        iterator = iter(head)
    for item in iterator:
        yield function(item)


def _batches(items: Iterator[T], heavy: Callable[[T], bool]) -> Iterator[list[T]]:
    """Runs of up to CHUNK items, a heavy item alone."""
    batch: list[T] = []
    for item in items:
        if heavy(item):
            if batch:
                yield batch
                batch = []
            yield [item]
            continue
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _each(function: Callable[[T], R], batch: list[T]) -> list[R]:
    return [function(item) for item in batch]


def _pooled(function: Callable[[T], R], items: Iterator[T], workers: int) -> Iterator[R]:
    import multiprocessing  # here, not at the top: a small run (a one-file check) needs none

    # fork (Linux) starts workers in milliseconds with everything already imported; elsewhere the
    # platform's default (spawn) re-imports the package in each worker.
    context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)
    with context.Pool(workers, initializer=_worker_signals) as pool:
        # Leaving the with-block (done, error, or the caller dropping the iterator) terminates the
        # workers. The items come in batches (see _batches): one at a time.
        yield from pool.imap(function, items, 1)


def _worker_signals() -> None:
    """Ctrl-C is the parent's to handle: it stops the pool; workers print no tracebacks. SIGTERM
    and SIGHUP, which the parent turns into exceptions, end a worker at once (that is how the
    pool stops its workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    interrupts.reset_in_worker()
