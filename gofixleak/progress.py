"""A progress bar on stderr for scans that take more than a moment.

It appears only after ``delay`` seconds (a quick scan prints nothing), only when asked (the CLI
asks when stderr is a terminal and ``--quiet`` is off), and disappears when the scan ends.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
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
