#!/usr/bin/env python3
"""Time gofixleak against gofmt on the same tree, side by side.

    python3 bench/bench.py [PATH] [--runs N] [--jobs N]

PATH defaults to ``$(go env GOROOT)/src``. Each command runs in its own process, ``--runs``
times (default 5), the commands interleaved (gofmt, check, diff, gofmt, ...) after one untimed
warm-up round, so that a change of machine load touches all of them alike: compare the ratios,
which are measured in the same invocation, rather than absolute times across machines.

Commands timed:
  gofmt -l PATH          parses and formats every .go file (vendor/ and testdata/ included)
  gofixleak PATH         check mode: report findings
  gofixleak --diff PATH  compute every safe fix and print the diff

Printed per command: median, fastest and slowest wall time, median CPU time (user+sys of the
process and its workers), files and MB per second (each tool over the files it reads), the
largest single-process peak RSS (``ru_maxrss`` from ``os.wait4``) and the peak of the summed RSS
of the whole process tree (sampled every 20 ms from /proc; an upper bound, since forked workers
share pages). Then the ratios gofixleak/gofmt of the median wall times.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = 0.5  # gofixleak check mode, as a fraction of gofmt -l's wall time
SAMPLE_SECONDS = 0.02


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    max_rss_mb: float
    tree_rss_mb: float | None
    exit_code: int
    stderr: str


@dataclass(frozen=True)
class Command:
    label: str
    argv: list[str]
    ok_exits: frozenset[int]
    files: int
    megabytes: float


def main() -> int:
    args = _parse_args()
    root = Path(args.path or _goroot_src()).resolve()
    if not root.is_dir():
        print(f"bench: {root} is not a directory", file=sys.stderr)
        return 2
    gofmt = shutil.which("gofmt") or str(Path(_go_env("GOROOT")) / "bin" / "gofmt")
    ours_files, ours_mb = _gofixleak_files(root)
    gofmt_files, gofmt_mb = _gofmt_files(root)
    gofixleak = [sys.executable, "-m", "gofixleak"]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    commands = [
        # gofmt exits 2 after reporting files it cannot parse (GOROOT's testdata holds some)
        Command("gofmt -l", [gofmt, "-l", str(root)], frozenset({0, 2}), gofmt_files, gofmt_mb),
        Command(
            "gofixleak (check)",
            [*gofixleak, str(root), *jobs],
            frozenset({0, 1}),
            ours_files,
            ours_mb,
        ),
        Command(
            "gofixleak --diff",
            [*gofixleak, "--diff", str(root), *jobs],
            frozenset({0, 1}),
            ours_files,
            ours_mb,
        ),
    ]
    load_before = _load()
    _header(root, args, (ours_files, ours_mb), (gofmt_files, gofmt_mb), gofmt)
    print("warm-up round (untimed) ...", flush=True)
    for command in commands:
        _check_exit(command, _measure(command.argv))
    runs: dict[str, list[Run]] = {c.label: [] for c in commands}
    for index in range(args.runs):
        for command in commands:
            run = _measure(command.argv)
            _check_exit(command, run)
            runs[command.label].append(run)
        walls = ", ".join(f"{c.label} {runs[c.label][-1].wall:.2f} s" for c in commands)
        print(f"run {index + 1}/{args.runs}: {walls}", flush=True)
    print()
    _table(commands, runs)
    _ratios(commands, runs)
    print()
    print(f"load average (1 min): {load_before} at start, {_load()} at end")
    summary = runs[commands[1].label][-1].stderr.strip().splitlines()
    if summary:
        print(f"gofixleak (check) said: {summary[-1]}")
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="PATH defaults to $(go env GOROOT)/src.",
    )
    parser.add_argument("path", nargs="?", help="the Go tree to scan")
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command (default 5)")
    parser.add_argument(
        "--jobs", type=int, default=None, help="pass --jobs N to gofixleak (default: its own)"
    )
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    return args


def _goroot_src() -> str:
    return str(Path(_go_env("GOROOT")) / "src")


def _go_env(name: str) -> str:
    out = subprocess.run(["go", "env", name], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _gofixleak_files(root: Path) -> tuple[int, float]:
    """The files gofixleak reads: its own discovery (vendor/, testdata/ ... skipped)."""
    sys.path.insert(0, str(REPO))
    from gofixleak import discovery

    paths = [item.path for item in discovery.discover([str(root)]) if item.error is None]
    return len(paths), sum(os.path.getsize(p) for p in paths) / 1e6


def _gofmt_files(root: Path) -> tuple[int, float]:
    """The files gofmt -l reads: every *.go file not starting with a dot, in every directory."""
    count, size = 0, 0
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith(".go") and not name.startswith("."):
                count += 1
                size += os.path.getsize(os.path.join(folder, name))
    return count, size / 1e6


def _measure(argv: list[str]) -> Run:
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors)
        sampler = _TreeSampler(process.pid)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        sampler.stop()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        tree_rss_mb=sampler.peak_mb,
        exit_code=process.returncode,
        stderr=stderr,
    )


class _TreeSampler(threading.Thread):
    """The peak of the summed resident memory of a process and its descendants (Linux /proc)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_bytes = 0
        self.available = Path("/proc/self/stat").exists()
        self._done = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE") if self.available else 0

    @property
    def peak_mb(self) -> float | None:
        return self.peak_bytes / 1e6 / 1.048576 if self.available else None

    def run(self) -> None:
        while self.available and not self._done.is_set():
            self.peak_bytes = max(self.peak_bytes, self._tree_rss())
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _tree_rss(self) -> int:
        parents: dict[int, int] = {}
        rss: dict[int, int] = {}
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue  # the process ended meanwhile
            pid = int(entry.name)
            parents[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * self._page
        total, wanted = 0, {self.pid}
        for pid in sorted(parents):  # children have larger pids, but not always: iterate
            if self._descends(pid, parents, wanted):
                total += rss[pid]
        return total

    @staticmethod
    def _descends(pid: int, parents: dict[int, int], wanted: set[int]) -> bool:
        seen = []
        while pid not in wanted:
            seen.append(pid)
            pid = parents.get(pid, 0)
            if pid <= 1:
                return False
        wanted.update(seen)
        return True


def _check_exit(command: Command, run: Run) -> None:
    if run.exit_code not in command.ok_exits:
        print(f"bench: {command.label} exited with {run.exit_code}:\n{run.stderr[-2000:]}")
        raise SystemExit(2)


def _header(
    root: Path,
    args: argparse.Namespace,
    ours: tuple[int, float],
    theirs: tuple[int, float],
    gofmt: str,
) -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    print(f"gofixleak benchmark, {now}")
    print(f"tree     {root}")
    print(f"         gofixleak reads {ours[0]} .go files, {ours[1]:.1f} MB (vendor/, testdata/,")
    print("         hidden and _-prefixed directories skipped, as the go tool does)")
    print(f"         gofmt -l reads {theirs[0]} .go files, {theirs[1]:.1f} MB (every directory)")
    print(
        f"machine  {os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {go_version}"
    )
    print(f"         gofmt: {gofmt}; gofixleak: {sys.executable} -m gofixleak ({REPO})")
    jobs = f"--jobs {args.jobs}" if args.jobs else f"default --jobs ({os.cpu_count()})"
    print(f"runs     {args.runs} timed runs per command, interleaved, after a warm-up; {jobs}")
    print()


def _table(commands: list[Command], runs: dict[str, list[Run]]) -> None:
    heads = (
        "command",
        "median s",
        "min s",
        "max s",
        "CPU s",
        "files/s",
        "MB/s",
        "max RSS MB",
        "tree RSS MB",
    )
    rows = []
    for command in commands:
        mine = runs[command.label]
        wall = statistics.median(r.wall for r in mine)
        tree = [r.tree_rss_mb for r in mine if r.tree_rss_mb is not None]
        rows.append(
            (
                command.label,
                f"{wall:.2f}",
                f"{min(r.wall for r in mine):.2f}",
                f"{max(r.wall for r in mine):.2f}",
                f"{statistics.median(r.cpu for r in mine):.2f}",
                f"{command.files / wall:.0f}",
                f"{command.megabytes / wall:.1f}",
                f"{max(r.max_rss_mb for r in mine):.0f}",
                f"{max(tree):.0f}" if tree else "n/a",
            )
        )
    widths = [max(len(row[i]) for row in [heads, *rows]) for i in range(len(heads))]
    for row in [heads, *rows]:
        cells = [row[0].ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)
        ]
        print("  ".join(cells))
    print()
    print("median/min/max s: wall time; CPU s: median user+sys, workers included;")
    print("max RSS MB: largest single process (ru_maxrss, os.wait4), worst run;")
    print("tree RSS MB: peak sum over the process and its workers, sampled, worst run.")


def _ratios(commands: list[Command], runs: dict[str, list[Run]]) -> None:
    medians = {c.label: statistics.median(r.wall for r in runs[c.label]) for c in commands}
    base = medians[commands[0].label]
    print()
    for command in commands[1:]:
        ratio = medians[command.label] / base
        print(f"{command.label} / gofmt -l = {ratio:.2f} (median wall time)")
    check = medians[commands[1].label] / base
    verdict = "met" if check <= TARGET else "NOT met"
    print(f"target: gofixleak (check) at most {TARGET} x gofmt -l: {verdict}")


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


if __name__ == "__main__":
    sys.exit(main())
