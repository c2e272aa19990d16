#!/usr/bin/env python3
"""Time gofixleak against ``gofmt -l`` on exactly the files gofixleak reads.

    python3 bench/bench.py [PATH ...] [--corpus] [--runs N] [--jobs N] [--no-diff]
                           [--file FILE] [--file-runs N] [--warm]

Trees: each PATH, default ``$(go env GOROOT)/src``; with ``--corpus``, the trees that
bench/corpus.py lists (GOROOT/src and pinned modules, fetched once through the Go module proxy
into a cache outside the repository). Run it from anywhere, the repository root included, with
gofixleak installed either way (``pip install .`` or ``pip install -e .``): it imports and runs
the installed package (its ``gofixleak`` script, else ``python -P -m gofixleak``), whose path
it prints.

Per tree, from the tree's root, each in its own process:
  gofmt -l FILE...       the files gofixleak reads, as its discovery yields them ("." walked the
                         way the go tool does, vendor/ and testdata/ skipped) less those its
                         .gofixleak.toml excludes: both tools read the same bytes
  gofixleak .            check mode: report findings
  gofixleak --diff .     compute every safe fix and print the diff (not with --no-diff)
  gofixleak . (warm)     with --warm: check mode answered from the result cache, nothing
                         changed since its first run (which filled a scratch cache: "first")

gofixleak runs with --no-cache except for the warm run, so that the other figures are of a
check, not of a user's cache; with --warm, where a warm run's time goes is printed at the end
(its parts, one after the other, in this process).

Every file is read once before the first run, so that no command pays for the disk. The first
run of each command is reported apart ("first"); then ``--runs`` rounds (default 5) run every
command of every tree in turn, so that a change of machine load touches all of them alike:
medians of those, and their ratios to gofmt in the same invocation, are what to compare.

Then the one-file latency (a pre-commit hook, an editor): ``gofmt -l FILE`` and ``gofixleak
FILE`` on one file (``--file``, default the median-sized file of the first tree on which most
rules run: one with a ``go`` statement), ``--file-runs`` interleaved runs (default 21), with the
interpreter's own start (``python -c pass``) beside them.

Printed: wall time (median, fastest, slowest, first run), CPU time (user+sys, workers
included), peak memory: of the largest single process (``ru_maxrss`` from ``os.wait4``, or the
sampled VmHWM when that is below the benchmark's own peak, which a spawned process inherits in
ru_maxrss) and the summed RSS of the process and its workers (VmRSS sampled every 20 ms from
/proc; an upper bound, as forked workers share pages). When Python is told not to write
bytecode (PYTHONDONTWRITEBYTECODE), gofixleak's processes get a scratch PYTHONPYCACHEPREFIX
instead, as a package that pip installed has its bytecode compiled at install time.
"""

from __future__ import annotations

import argparse
import atexit
import datetime
import hashlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import corpus

try:
    import gofixleak
    from gofixleak import api, config, discovery, reading, registry
except ImportError as error:  # pragma: no cover - a message instead of a traceback
    raise SystemExit(f"bench: gofixleak is not installed ({error}): pip install . first") from None

REPO = Path(__file__).resolve().parent.parent
SAMPLE_SECONDS = 0.02
# The goals of issue 16: check mode on the same files as gofmt -l, and one file.
LARGE_TREE_TARGET = 0.6  # x gofmt -l, on the large tree: $(go env GOROOT)/src
MODULE_TARGET = 1.0  # x gofmt -l, on every other tree (a module)
ONE_FILE_TARGET = 0.12  # seconds
WARM_TARGET = 0.10  # x gofmt -l, an unchanged re-run on any tree
_OK = frozenset({0})
_FOUND = frozenset({0, 1})  # gofixleak's 1: findings


@dataclass(frozen=True)
class Run:
    wall: float
    cpu: float
    max_rss_mb: float | None
    tree_rss_mb: float | None
    exit_code: int
    stderr: str


@dataclass(frozen=True)
class Tree:
    name: str
    root: Path
    files: list[str]  # relative to root, as gofixleak names them
    megabytes: float


@dataclass
class Command:
    tree: str
    label: str
    argv: list[str]
    cwd: Path
    ok_exits: frozenset[int]
    env: dict[str, str] | None = None
    runs: list[Run] = field(default_factory=list)
    first: Run | None = None

    def median(self) -> float:
        return statistics.median(r.wall for r in self.runs)


def main() -> int:
    args = _parse_args()
    gofmt = shutil.which("gofmt") or str(Path(_go_env("GOROOT")) / "bin" / "gofmt")
    trees = [_tree(name, root) for name, root in _named_roots(args)]
    env = _child_env()
    gofixleak_argv = [*_gofixleak_command(), "--no-cache"]
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    warm_caches = Path(tempfile.mkdtemp(prefix="gofixleak-bench-cache-"))
    atexit.register(shutil.rmtree, warm_caches, ignore_errors=True)
    commands: list[Command] = []
    for tree in trees:
        _check_arg_length(tree)
        commands.append(
            # gofmt exits 2 after reporting a file it cannot parse
            Command(tree.name, "gofmt -l", [gofmt, "-l", *tree.files], tree.root, frozenset({0, 2}))
        )
        commands.append(
            Command(
                tree.name, "gofixleak", [*gofixleak_argv, ".", *jobs], tree.root, _FOUND, env
            )
        )
        if not args.no_diff:
            argv = [*gofixleak_argv, "--diff", ".", *jobs]
            commands.append(Command(tree.name, "gofixleak --diff", argv, tree.root, _FOUND, env))
        if args.warm:
            folder = warm_caches / str(len(commands))
            argv = [*_gofixleak_command(), "--cache-dir", str(folder), ".", *jobs]
            commands.append(Command(tree.name, WARM, argv, tree.root, _FOUND, env))
    one_file = _one_file(args, trees[0])
    latency = [
        Command("", "python -c pass", [sys.executable, "-P", "-c", "pass"], one_file.parent, _OK),
        Command("", "gofmt -l FILE", [gofmt, "-l", one_file.name], one_file.parent, _OK),
        Command(
            "", "gofixleak FILE", [*gofixleak_argv, one_file.name], one_file.parent, _FOUND, env
        ),
    ]
    load_before = _load()
    _header(trees, args, gofmt, gofixleak_argv, one_file, env)
    _prime(gofixleak_argv, one_file, env)
    _rounds(commands, args.runs)
    _rounds(latency, args.file_runs, quiet=True)
    print()
    _ratio_table(trees, commands)
    _detail_table(commands)
    _latency_table(latency)
    _verdicts(trees, commands, latency)
    if args.warm:
        _warm_phases(trees, commands)
    print()
    print(f"load average (1 min): {load_before} at start, {_load()} at end, on {_cores()} cores")
    for command in commands:
        if command.label == "gofixleak":
            said = command.runs[-1].stderr.strip().splitlines()
            print(f"gofixleak on {command.tree} said: {said[-1] if said else '(nothing)'}")
    return 0


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="PATH defaults to $(go env GOROOT)/src.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH", help="a Go tree to scan")
    parser.add_argument(
        "--corpus", action="store_true", help="the trees of bench/corpus.py instead of PATHs"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument(
        "--jobs", type=int, default=None, help="pass --jobs N to gofixleak (default: its own)"
    )
    parser.add_argument("--no-diff", action="store_true", help="do not time gofixleak --diff")
    parser.add_argument("--file", type=Path, help="the file of the one-file latency")
    parser.add_argument(
        "--file-runs", type=int, default=21, help="one-file runs per command (default 21)"
    )
    parser.add_argument(
        "--warm", action="store_true", help="also time an unchanged re-run (the result cache)"
    )
    args = parser.parse_args()
    if args.runs < 1 or args.file_runs < 1:
        parser.error("--runs and --file-runs must be at least 1")
    if args.corpus and args.paths:
        parser.error("--corpus lists its own trees: give no PATH")
    return args


def _gofixleak_command() -> list[str]:
    """What users run: the console script beside this Python, else ``python -P -m gofixleak``
    (-P: the working directory is not searched, so a work tree's gofixleak/ cannot shadow the
    installed package)."""
    script = Path(sys.executable).parent / "gofixleak"
    return [str(script)] if script.is_file() else [sys.executable, "-P", "-m", "gofixleak"]


def _go_env(name: str) -> str:
    out = subprocess.run(["go", "env", name], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _named_roots(args: argparse.Namespace) -> list[tuple[str, Path]]:
    if args.corpus:
        print("fetching the corpus (cached after the first time) ...", file=sys.stderr)
        return corpus.trees(corpus.DEFAULT_DEST)
    paths = args.paths or [str(corpus.goroot_src())]
    roots = [Path(p).resolve() for p in paths]
    for root in roots:
        if not root.is_dir():
            raise SystemExit(f"bench: {root} is not a directory")
    goroot = corpus.goroot_src()
    return [(_name(root, goroot), root) for root in roots]


def _name(root: Path, goroot_src: Path) -> str:
    if root.is_relative_to(goroot_src):
        return str(Path("go/src") / root.relative_to(goroot_src)).rstrip("/.")
    return str(root)


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _tree(name: str, root: Path) -> Tree:
    """The files ``gofixleak .`` reads in ``root``: what it discovers, less what its config
    excludes and what is too large to read; each read here once (into the OS file cache)."""
    options = api.Options(use_config=True)
    files, size = [], 0
    with _working_directory(root):
        config.clear_cache()
        for item in discovery.discover(["."]):
            if item.error is not None or not _is_read(item.path, options):
                continue
            with open(item.path, "rb") as handle:
                size += len(handle.read())
            files.append(item.path)
    if not files:
        raise SystemExit(f"bench: gofixleak reads no Go file in {root}")
    return Tree(name, root, files, size / 1e6)


def _is_read(path: str, options: api.Options) -> bool:
    try:
        if options.for_file(path) is None:
            return False
    except config.ConfigError:
        return False  # reported as an error, not read
    return os.path.getsize(path) <= reading.MAX_FILE_BYTES


def _check_arg_length(tree: Tree) -> None:
    length = sum(len(f) + 1 for f in tree.files)
    if length > os.sysconf("SC_ARG_MAX") // 2:
        raise SystemExit(f"bench: the {len(tree.files)} files of {tree.name} do not fit one argv")


def _one_file(args: argparse.Namespace, tree: Tree) -> Path:
    """``--file``, else the median-sized file of ``tree`` on which most rules run (past their
    prefilters: a file with a ``go`` statement), so that it is parsed and checked."""
    if args.file is not None:
        return Path(args.file).resolve()
    rules = registry.all_rules()
    checked = []
    for name in tree.files:
        data = (tree.root / name).read_bytes()
        if len(registry.applicable(rules, data)) > len(rules) // 2:
            checked.append((len(data), name))
    if not checked:
        return tree.root / tree.files[len(tree.files) // 2]
    checked.sort()
    return tree.root / checked[len(checked) // 2][1]


def _child_env() -> dict[str, str] | None:
    """gofixleak's environment: bytecode cached (in a scratch directory when Python is told not
    to write it beside the sources), as it is for a package that pip installed."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return None
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if "PYTHONPYCACHEPREFIX" not in env:
        scratch = tempfile.mkdtemp(prefix="gofixleak-bench-pycache-")
        atexit.register(shutil.rmtree, scratch, ignore_errors=True)
        env["PYTHONPYCACHEPREFIX"] = scratch
    return env


def _prime(gofixleak_argv: list[str], one_file: Path, env: dict[str, str] | None) -> None:
    """Compile gofixleak's bytecode (when it is not yet) before anything is timed."""
    argv = [*gofixleak_argv, "--diff", one_file.name]
    run = _measure(argv, one_file.parent, env)
    _check_exit(Command("", "gofixleak --diff FILE", argv, one_file.parent, _FOUND), run)


def _rounds(commands: list[Command], runs: int, *, quiet: bool = False) -> None:
    for command in commands:
        command.first = _timed(command)
    for index in range(runs):
        for command in commands:
            command.runs.append(_timed(command))
        if not quiet:
            walls = ", ".join(
                f"{c.tree} {c.label} {c.runs[-1].wall:.2f} s" for c in commands if c.runs
            )
            print(f"round {index + 1}/{runs}: {walls}", file=sys.stderr, flush=True)


def _timed(command: Command) -> Run:
    run = _measure(command.argv, command.cwd, command.env)
    _check_exit(command, run)
    return run


def _measure(argv: list[str], cwd: Path, env: dict[str, str] | None) -> Run:
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors
        )
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
        max_rss_mb=_largest_mb(usage.ru_maxrss / 1024, sampler.largest_mb),
        tree_rss_mb=sampler.peak_mb or None,
        exit_code=process.returncode,
        stderr=stderr,
    )


def _largest_mb(maxrss_mb: float, sampled_mb: float | None) -> float | None:
    """The peak RSS of the largest process. ``ru_maxrss`` is exact, but a spawned process starts
    as a copy of this one and counts this one's peak as its own (Linux keeps the larger across
    exec): below that it says nothing, and the sampled VmHWM tells instead."""
    own_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if sampled_mb is None or maxrss_mb > own_mb:
        return maxrss_mb
    return sampled_mb or None  # None: it ended before the first sample


class _TreeSampler(threading.Thread):
    """Peak resident memory of a process and its descendants (Linux /proc), every 20 ms: the
    largest of one process (its VmHWM) and of their sum (VmRSS)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_bytes = 0
        self.largest_bytes = 0
        self.available = Path(f"/proc/{pid}/task/{pid}/children").exists()
        self._done = threading.Event()

    @property
    def peak_mb(self) -> float | None:
        return self.peak_bytes / 2**20 if self.available else None

    @property
    def largest_mb(self) -> float | None:
        return self.largest_bytes / 2**20 if self.available else None

    def run(self) -> None:
        while self.available and not self._done.is_set():
            memory = [self._memory(pid) for pid in self._family()]
            self.peak_bytes = max(self.peak_bytes, sum(rss for rss, _ in memory))
            self.largest_bytes = max(self.largest_bytes, *(peak for _, peak in memory))
            self._done.wait(SAMPLE_SECONDS)

    def stop(self) -> None:
        self._done.set()
        self.join()

    def _family(self) -> list[int]:
        """The process and its descendants, through each thread's ``children`` list."""
        found, pending = [], [self.pid]
        while pending:
            pid = pending.pop()
            found.append(pid)
            try:
                for task in os.scandir(f"/proc/{pid}/task"):
                    with open(f"{task.path}/children", "rb") as handle:
                        pending.extend(int(child) for child in handle.read().split())
            except OSError:
                continue  # it ended meanwhile
        return found

    @staticmethod
    def _memory(pid: int) -> tuple[int, int]:
        """VmRSS and VmHWM (its peak so far) of ``pid``, in bytes; zeros once it has ended."""
        fields = {}
        try:
            with open(f"/proc/{pid}/status", "rb") as handle:
                for line in handle:
                    if line.startswith((b"VmRSS:", b"VmHWM:")):
                        name, value = line.split(b":", 1)
                        fields[name] = int(value.split()[0]) * 1024  # kB
        except (OSError, ValueError):
            pass
        return fields.get(b"VmRSS", 0), fields.get(b"VmHWM", 0)


def _check_exit(command: Command, run: Run) -> None:
    crashed = "Traceback (most recent call last)" in run.stderr
    if run.exit_code not in command.ok_exits or crashed:
        where = f" on {command.tree}" if command.tree else ""
        print(f"bench: {command.label}{where} exited with {run.exit_code}:\n{run.stderr[-2000:]}")
        raise SystemExit(2)


def _header(
    trees: Sequence[Tree],
    args: argparse.Namespace,
    gofmt: str,
    gofixleak_argv: list[str],
    one_file: Path,
    env: dict[str, str] | None,
) -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
    package = Path(gofixleak.__file__).resolve().parent
    where = "this work tree" if package.is_relative_to(REPO) else "NOT this work tree"
    print(f"gofixleak benchmark, {now}")
    files = sum(len(t.files) for t in trees)
    megabytes = sum(t.megabytes for t in trees)
    print(f"trees    {len(trees)}, {files} .go files, {megabytes:.1f} MB: the files gofixleak")
    print("         reads (vendor/, testdata/, hidden and _-prefixed directories skipped),")
    print("         given to gofmt -l by name")
    print(
        f"machine  {_cores()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, {go_version}"
    )
    print(f"         gofmt: {gofmt}")
    print(f"         gofixleak {gofixleak.__version__}: {' '.join(gofixleak_argv)}")
    print(f"         package {package} ({where})")
    if env is not None:
        print(f"         gofixleak's bytecode cached in {env['PYTHONPYCACHEPREFIX']}")
    jobs = f"--jobs {args.jobs}" if args.jobs else f"default --jobs ({_cores()})"
    print(f"runs     a first run, then {args.runs} interleaved rounds; {jobs}")
    print(f"one file {one_file} ({one_file.stat().st_size} bytes), {args.file_runs} runs")
    print()


def _table(heads: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """A Markdown table, padded to line up in a terminal too."""
    widths = [max(len(row[i]) for row in [heads, *rows]) for i in range(len(heads))]

    def line(row: Sequence[str]) -> str:
        cells = [row[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        return "| " + " | ".join(cells) + " |"

    print(line(heads))
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in rows:
        print(line(row))
    print()


def _by(commands: Sequence[Command], label: str) -> dict[str, Command]:
    return {c.tree: c for c in commands if c.label == label}


def _ratio_table(trees: Sequence[Tree], commands: Sequence[Command]) -> None:
    labels = [label for label in _LABELS if _by(commands, label)]
    heads = ["tree", "files", "MB", "gofmt -l s", "gofixleak s", "ratio"]
    if "gofixleak --diff" in labels:
        heads += ["--diff s", "ratio"]
    if WARM in labels:
        heads += ["warm s", "ratio"]

    def row(name: str, files: int, megabytes: float, medians: dict[str, float]) -> list[str]:
        base = medians["gofmt -l"]
        cells = [name, str(files), f"{megabytes:.1f}", f"{base:.2f}"]
        for label in labels[1:]:
            cells += [f"{medians[label]:.2f}", f"{medians[label] / base:.2f}"]
        return cells

    rows = []
    for tree in trees:
        medians = {label: _by(commands, label)[tree.name].median() for label in labels}
        rows.append(row(tree.name, len(tree.files), tree.megabytes, medians))
    if len(trees) > 1:
        files = sum(len(t.files) for t in trees)
        megabytes = sum(t.megabytes for t in trees)
        summed = {
            label: sum(c.median() for c in _by(commands, label).values()) for label in labels
        }
        rows.append(row("all, one after another", files, megabytes, summed))
    print("Median wall time, same files (ratio: gofixleak / gofmt -l):")
    print()
    _table(heads, rows)


WARM = "gofixleak . (warm)"
_LABELS = ("gofmt -l", "gofixleak", "gofixleak --diff", WARM)


def _detail_table(commands: Sequence[Command]) -> None:
    heads = ["tree", "command", "median s", "min s", "max s", "first s", "CPU s", "max RSS MB"]
    heads.append("all RSS MB")
    rows = []
    for c in commands:
        walls = [r.wall for r in c.runs]
        rows.append(
            [
                c.tree,
                c.label,
                f"{c.median():.2f}",
                f"{min(walls):.2f}",
                f"{max(walls):.2f}",
                f"{c.first.wall:.2f}" if c.first else "",
                f"{statistics.median(r.cpu for r in c.runs):.2f}",
                _most(r.max_rss_mb for r in c.runs),
                _most(r.tree_rss_mb for r in c.runs),
            ]
        )
    print("Per command: wall time (median, min and max of the rounds; the first run apart),")
    print("median CPU (user+sys, workers included), peak RSS of the largest single process and")
    print("peak summed RSS of the process and its workers, worst run:")
    print()
    _table(heads, rows)


def _most(values: Iterable[float | None]) -> str:
    """The largest of the known ``values``, in whole MB; n/a when none is known."""
    known = [v for v in values if v is not None]
    return f"{max(known):.0f}" if known else "n/a"


def _latency_table(commands: Sequence[Command]) -> None:
    heads = ["one file", "median ms", "min ms", "max ms", "first ms", "CPU ms", "max RSS MB"]
    rows = []
    for c in commands:
        walls = [r.wall for r in c.runs]
        rows.append(
            [
                c.label,
                f"{1000 * c.median():.0f}",
                f"{1000 * min(walls):.0f}",
                f"{1000 * max(walls):.0f}",
                f"{1000 * c.first.wall:.0f}" if c.first else "",
                f"{1000 * statistics.median(r.cpu for r in c.runs):.0f}",
                _most(r.max_rss_mb for r in c.runs),
            ]
        )
    print("One-file latency, interleaved runs:")
    print()
    _table(heads, rows)


def _verdicts(
    trees: Sequence[Tree], commands: Sequence[Command], latency: Sequence[Command]
) -> None:
    gofmt, check = _by(commands, "gofmt -l"), _by(commands, "gofixleak")
    for tree in trees:
        target = LARGE_TREE_TARGET if tree.name == "go/src" else MODULE_TARGET
        ratio = check[tree.name].median() / gofmt[tree.name].median()
        verdict = "met" if ratio <= target else "NOT met"
        print(f"target: gofixleak <= {target} x gofmt -l on {tree.name}: {ratio:.2f}, {verdict}")
        if tree.name in _by(commands, WARM):
            ratio = _by(commands, WARM)[tree.name].median() / gofmt[tree.name].median()
            verdict = "met" if ratio <= WARM_TARGET else "NOT met"
            said = f"warm <= {WARM_TARGET} x gofmt -l on {tree.name}: {ratio:.2f}, {verdict}"
            print(f"target: {said}")
    one = latency[-1].median()
    verdict = "met" if one <= ONE_FILE_TARGET else "NOT met"
    print(f"target: a one-file check <= {ONE_FILE_TARGET} s: {one:.3f} s, {verdict}")


def _warm_phases(trees: Sequence[Tree], commands: Sequence[Command]) -> None:
    """Where a warm run's time goes: its parts one after the other in this process, on one
    core, with the cache its timed runs used (CPU seconds; start-up is the one-file table's)."""
    from gofixleak.cache import ResultCache, directory_files

    print()
    print("Where a warm run's time goes (CPU s, in this process, one core):")
    print()
    heads = ["tree", "finding files", "reading", "hashing", "the rest", "warm run"]
    rows = []
    warm = _by(commands, WARM)
    for tree in trees:
        folder = warm[tree.name].argv[warm[tree.name].argv.index("--cache-dir") + 1]
        with _working_directory(tree.root):
            config.clear_cache()
            start = time.process_time()
            groups = list(api._by_directory(discovery.discover(["."])))
            found = time.process_time()
            read = [
                directory_files(api.package_directory(g[0].path), [i.path for i in g])
                for g in groups
            ]
            after_read = time.process_time()
            for files in read:
                digest = hashlib.sha256()
                for _, data in files or ():
                    digest.update(data)
            hashed = time.process_time()
            config.clear_cache()
            results = api.run(["."], api.Options(use_config=True), 1, ResultCache.open(folder))
            before = time.process_time()
            for _ in results:
                pass
            total = time.process_time() - before
        parts = [found - start, after_read - found, hashed - after_read]
        cells = [f"{p:.2f}" for p in [*parts, total - sum(parts), total]]
        rows.append([tree.name, *cells])
    _table(heads, rows)
    print("the rest: configs, options, keys and reading the entries")


def _cores() -> int:
    return os.cpu_count() or 1


def _load() -> str:
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


if __name__ == "__main__":
    sys.exit(main())
