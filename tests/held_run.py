"""Run the gofixleak command, held at one point until a signal arrives (a test helper).

    python tests/held_run.py MARKER POINT ARGS...

POINT is ``write`` (the second file's new text is being flushed to disk, during --apply) or
``verify`` (Go is running on the overlay, during --verify). MARKER is created once the run is
held there; the run then waits for a signal, in the real code around the held call.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

marker, point, *args = sys.argv[1:]
real_fsync, real_run = os.fsync, subprocess.run
calls: list[int] = []


def hold() -> None:
    Path(marker).touch()
    time.sleep(600)  # a signal ends this (an exception from its handler), or the test gives up


def fsync(fd: int) -> None:
    calls.append(fd)
    if len(calls) == 2:
        hold()
    real_fsync(fd)


def run(command: list[str], *rest: Any, **options: Any) -> Any:
    if any(str(arg).startswith("-overlay=") for arg in command):
        hold()
    return real_run(command, *rest, **options)


# A Ctrl-C as in a terminal: the runner of the tests may have inherited SIGINT ignored (a
# background job of a non-interactive shell), and a process keeps an ignored SIGINT ignored.
signal.signal(signal.SIGINT, signal.default_int_handler)

if point == "write":
    os.fsync = fsync  # type: ignore[assignment]
else:
    subprocess.run = run  # type: ignore[assignment]
sys.argv = ["gofixleak", *args]

from gofixleak.cli import main  # noqa: E402  (after the patches, as a real run would import it)

main()
