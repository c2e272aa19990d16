"""SIGTERM and SIGHUP stop a run as Ctrl-C does: clean-up runs, the exit status is 128 + n, and
--apply says how many files it wrote. A real process, a real signal (see tests/held_run.py)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.processes import LEAKY, REPOSITORY

HELD_RUN = Path(__file__).with_name("held_run.py")


def start_held(
    cwd: Path, point: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    """Start the command and return once it is held at ``point``."""
    marker = cwd / "held"
    process = subprocess.Popen(
        [sys.executable, str(HELD_RUN), str(marker), point, *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 300  # only keeps a broken run from stalling the suite
    while not marker.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the run ended before it was held: {process.communicate()}")
        time.sleep(0.01)
    return process


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_apply_leaves_no_temporary_file(tmp_path: Path, signum: int) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for name in ("a.go", "b.go"):
        (tree / name).write_bytes(LEAKY)
    process = start_held(tmp_path, "write", "--apply", "-j", "1", "tree")
    process.send_signal(signum)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 128 + signum
    assert "gofixleak: interrupted: 1 of 2 files written; the others are as they were\n" in err
    assert "Traceback" not in err
    assert (tree / "a.go").read_bytes() != LEAKY
    assert (tree / "b.go").read_bytes() == LEAKY
    assert sorted(p.name for p in tree.iterdir()) == ["a.go", "b.go"]  # no .b.go.*.gofixleak


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_a_signal_during_verify_removes_its_temporary_directory(
    tmp_path: Path, signum: int
) -> None:
    if shutil.which("go") is None:
        pytest.fail("go is needed on PATH for this test")
    module = tmp_path / "module"
    module.mkdir()
    shutil.copy(REPOSITORY / "examples" / "leaky" / "go.mod", module)
    (module / "leaky.go").write_bytes(LEAKY)
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = {**os.environ, "TMPDIR": str(temporary)}
    process = start_held(tmp_path, "verify", "--diff", "--verify", "module", env=env)
    assert [p.name[: len("gofixleak-verify-")] for p in temporary.iterdir()] == [
        "gofixleak-verify-"
    ]
    process.send_signal(signum)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 128 + signum
    assert "Traceback" not in err
    assert list(temporary.iterdir()) == []
