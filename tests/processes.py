"""gofixleak in a real process: as a user without root's rights, or stopped by a real signal.

Permission tests mean nothing as root, who may read and write anything: when the suite runs as
root, the command runs as ``nobody`` (uid 65534); otherwise as the current user, whose
``chmod 000`` works as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

NOBODY = 65534
REPOSITORY = Path(__file__).resolve().parent.parent
LEAKY = (REPOSITORY / "examples" / "leaky" / "leaky.go").read_bytes()
"""A file with three findings (lines 19, 35 and 51), two of them with a safe fix."""


def unprivileged(command: list[str]) -> list[str]:
    """``command``, run without root's rights when this is root (``setpriv``, from util-linux;
    it is also how the bug reports ran as another user)."""
    if os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("tests run as root need setpriv (util-linux) to run gofixleak as nobody")
    return [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]


def give_away(path: Path) -> None:
    """Make ``path`` belong to the user the command runs as."""
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


def gofixleak(
    *args: str, cwd: Path, as_nobody: bool = True, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``python -m gofixleak ARGS`` in ``cwd``; the timeout only keeps a hang from stalling
    the suite (a hang is what some of these tests guard against)."""
    command = [sys.executable, "-m", "gofixleak", *args]
    return subprocess.run(
        unprivileged(command) if as_nobody else command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """An empty directory that the unprivileged user can reach (pytest's tmp_path is 0700)."""
    folder = Path(tempfile.mkdtemp(prefix="gofixleak-test-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        for path in [folder, *folder.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(folder)
