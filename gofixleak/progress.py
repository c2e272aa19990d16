"""Progress bars on stderr for scans and verifications that take more than a moment.

The scan's bar appears only after ``delay`` seconds (a quick scan prints nothing); --verify's,
which runs Go for seconds to minutes, at once. Both only when asked (the CLI asks when stderr is
a terminal and ``--quiet`` is off), and both disappear when the work ends.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from gofixleak.model import FileResult

if TYPE_CHECKING:  # rich is imported when a bar is drawn: a quick or quiet scan never loads it
    from rich.console import Console
    from rich.progress import Progress

DELAY = 0.5


def track(
    results: Iterable[FileResult],
    *,
    enabled: bool,
    delay: float = DELAY,
    console: Console | None = None,
) -> Iterator[FileResult]:
    """``results``, unchanged, counting them on a progress bar once ``delay`` has passed."""
    if not enabled:
        yield from results
        return
    start = time.monotonic()
    progress: Progress | None = None
    try:
        for count, result in enumerate(results, start=1):
            if progress is None and time.monotonic() - start >= delay:
                progress = _bar(console)
                progress.start()
            if progress is not None:
                progress.update(progress.task_ids[0], completed=count, path=result.path)
            yield result
    finally:
        if progress is not None:
            progress.stop()


def _bar(console: Console | None) -> Progress:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("gofixleak"),
        BarColumn(),
        TextColumn("{task.completed} files"),  # the total is not known while files are found
        TimeElapsedColumn(),
        TextColumn("{task.fields[path]}", style="dim"),
        console=console or Console(stderr=True),
        transient=True,
    )
    progress.add_task("scan", total=None, path="")
    return progress


@contextlib.contextmanager
def verification(
    *, enabled: bool, console: Console | None = None
) -> Iterator[Callable[[int, int, str], None] | None]:
    """A callback for ``verify.verify(progress=...)`` that draws packages decided / total, the
    time taken and the go command running; None when not enabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("gofixleak --verify"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} packages"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[running]}", style="dim"),
        console=console or Console(stderr=True),
        transient=True,
    )
    task = progress.add_task("verify", total=None, running="")

    def report(done: int, total: int, running: str) -> None:
        progress.update(task, completed=done, total=total, running=running)

    with progress:
        yield report
