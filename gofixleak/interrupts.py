"""SIGTERM and SIGHUP stop a run the way Ctrl-C does: as an exception, so that clean-up runs.

By default those signals kill the process at once: a temporary file beside a file being fixed, or
``--verify``'s temporary directory, would stay behind. Raised as :class:`Terminated` instead,
they unwind through the same ``finally`` blocks and ``except BaseException`` clean-ups as
KeyboardInterrupt, and the command exits with 128 + the signal's number, as a shell reports it.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType

HANDLED = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Terminated(BaseException):
    """A signal asked the process to stop (a BaseException, as KeyboardInterrupt is)."""

    def __init__(self, signum: int) -> None:
        super().__init__(f"terminated by {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _stop(signum: int, frame: FrameType | None) -> None:
    for handled in HANDLED:  # a second signal must not cut the clean-up short
        signal.signal(handled, signal.SIG_IGN)
    raise Terminated(signum)


@contextlib.contextmanager
def raised_as_exceptions() -> Iterator[None]:
    """Within the block (in the main thread), SIGTERM and SIGHUP raise :class:`Terminated`."""
    previous = {signum: signal.signal(signum, _stop) for signum in HANDLED}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def reset_in_worker() -> None:
    """A forked worker dies of these signals as usual; only the parent cleans up."""
    for signum in HANDLED:
        signal.signal(signum, signal.SIG_DFL)
