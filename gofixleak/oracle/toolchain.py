"""The Go toolchain the oracle needs: ``go`` 1.26 or later, with the leak profile.

Go 1.26 builds the ``goroutineleak`` profile into a test binary only under
``GOEXPERIMENT=goroutineleakprofile``; a toolchain that does not know the experiment refuses it
(``go: unknown GOEXPERIMENT goroutineleakprofile``). A later toolchain that has the profile
without the experiment, and no longer knows its name, is used without it: the collector looks the
profile up by name either way, and says so when it is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

EXPERIMENT = "goroutineleakprofile"
MIN_VERSION = (1, 26)
# How many creators of a goroutine its stack lists (GODEBUG=tracebackancestors): enough to reach
# the test that started a goroutine through the goroutines in between; each one lengthens every
# stack of a dump.
ANCESTORS = 8
_VERSION = re.compile(r"go(\d+)\.(\d+)")


class Unavailable(Exception):
    """The oracle cannot run here; the message is one line a user can act on."""


@dataclass(frozen=True, slots=True)
class Toolchain:
    go: str
    version: str  # "go1.26.8"
    experiment: bool  # whether GOEXPERIMENT must name the profile

    def environment(self, base: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
        """``base`` with the experiment and the ancestor tracebacks added to what it sets."""
        env = {**base, **extra}
        if self.experiment:
            env["GOEXPERIMENT"] = _with_item(env.get("GOEXPERIMENT", ""), EXPERIMENT)
        env["GODEBUG"] = _with_item(env.get("GODEBUG", ""), f"tracebackancestors={ANCESTORS}")
        return env


def find(go: str | None = None) -> Toolchain:
    """The toolchain on PATH (or ``go``), or Unavailable saying what is missing."""
    command = go or shutil.which("go")
    if command is None:
        raise Unavailable(
            "gofixleak test needs Go 1.26 or later (its goroutineleak profile), "
            "but no `go` command is on PATH"
        )
    plain = _go_env(command, {})
    version = plain.stdout.strip()
    if plain.returncode != 0:
        raise Unavailable(f"`{command} env GOVERSION` fails: {_first_line(plain.stderr)}")
    if _parse(version) < MIN_VERSION:
        raise Unavailable(
            f"gofixleak test needs Go 1.26 or later (its goroutineleak profile); {command} is "
            f"{version or 'older'}"
        )
    setting = _with_item(os.environ.get("GOEXPERIMENT", ""), EXPERIMENT)
    probe = _go_env(command, {"GOEXPERIMENT": setting})
    if probe.returncode == 0:
        return Toolchain(command, version, experiment=True)
    if "unknown GOEXPERIMENT" in probe.stderr and _parse(version) > MIN_VERSION:
        return Toolchain(command, version, experiment=False)
    raise Unavailable(
        f"{version} cannot build the goroutineleak profile ({_first_line(probe.stderr)}); "
        "gofixleak test needs a Go 1.26 toolchain with the goroutineleakprofile experiment"
    )


def _go_env(command: str, extra: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [command, "env", "GOVERSION"],
            env={**os.environ, **extra},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise Unavailable(f"cannot run {command}: {error}") from error


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else "no message"


def _parse(version: str) -> tuple[int, int]:
    match = _VERSION.search(version)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def _with_item(setting: str, item: str) -> str:
    """``a,b`` + ``c`` -> ``a,b,c``; a key already set (``c=1``) is replaced."""
    key = item.split("=")[0]
    kept = [p for p in setting.split(",") if p and p.split("=")[0] != key]
    return ",".join([*kept, item])
