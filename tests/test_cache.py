"""The result cache: a warm run prints what a cold run prints, byte for byte, in every format;
whatever a directory's results depend on (every file's bytes, the listing, the options, the
go.mod, the config, the rules) is a new entry; a killed run or a damaged entry is never read;
the cache stays under its bound."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TypeVar

import pytest
from tree_sitter import Tree
from typer.testing import CliRunner

from gofixleak import cache as result_cache
from gofixleak import config, golang, parallel, registry, source
from gofixleak.cache import ResultCache
from gofixleak.cli import app
from gofixleak.model import FileResult
from tests.fake_rule import INFO, declare, detect, rename
from tests.test_readme_examples import example, without_directive

ROOT = Path(__file__).resolve().parent.parent
LEAKY = (ROOT / "examples" / "leaky" / "leaky.go").read_bytes()
"""Three findings (abandoned-sender, leaky-time-tick, orphaned-receiver), two fixable."""

FORMATS = [
    ("--format", "text"),
    ("--format", "json"),
    ("--format", "sarif"),
    ("--format", "github"),
    ("--diff",),
]

PRODUCER = b"""package p

// Go runs f and returns its error on a channel: a caller that drops it strands the sender.
func Go(f func() error) chan error {
\tch := make(chan error)
\tgo func() {
\t\tch <- f()
\t}()
\treturn ch
}
"""
WAITS = b"package p\n\nfunc Start(job func() error) error {\n\treturn <-Go(job)\n}\n"
DROPS = b"package p\n\nfunc Fire(job func() error) {\n\tGo(job)\n}\n"

Outcome = tuple[int, bytes, str]
T = TypeVar("T")
R = TypeVar("R")


def run(*args: str, cache: Path | None) -> Outcome:
    """``gofixleak ARGS`` as a new process would run it (no go.mod remembered), with the cache
    in ``cache`` or (None) without one: exit status, stdout's bytes, stderr."""
    source.module_go_version.cache_clear()
    chosen = ["--no-cache"] if cache is None else ["--cache-dir", str(cache)]
    result = CliRunner().invoke(app, [*args, *chosen, "-j", "1"])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The texts parsed from now on (in this process)."""
    texts: list[bytes] = []

    def counting(data: bytes) -> Tree:
        texts.append(data)
        return golang.parse(data)

    monkeypatch.setattr("gofixleak.source.parse", counting)
    return texts


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in (folder / "results").glob("??/*") if not p.name.startswith("."))


def readme_tree(root: Path) -> None:
    """The README's config and suppression examples, and the suppressed loop unsuppressed."""
    (root / ".git").mkdir(parents=True)
    (root / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (root / config.FILENAME).write_text(example("config"))
    (root / "poller").mkdir()
    (root / "poller" / "poller.go").write_text(example("suppression"))
    loose = without_directive(example("suppression")).replace("func Start", "func Loose")
    (root / "poller" / "loose.go").write_text(loose)
    shutil.copytree(ROOT / "examples", root / "examples")


@pytest.mark.parametrize("tree", ["fixtures", "examples", "readme"])
def test_a_warm_run_prints_the_bytes_a_cold_run_prints(
    tree: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[bytes]
) -> None:
    if tree == "readme":
        readme_tree(tmp_path / "repo")
        monkeypatch.chdir(tmp_path / "repo")
        paths = ["./...", "examples/"]
    else:
        monkeypatch.chdir(ROOT)
        paths = [f"{tree}/"]
    config.clear_cache()
    cache = tmp_path / "cache"
    for args in [*FORMATS, ("--format", "json", "--select", "leaky-time-tick")]:
        fresh = run(*args, *paths, cache=None)
        cold = run(*args, *paths, cache=cache)
        parsed.clear()
        warm = run(*args, *paths, cache=cache)
        assert parsed == [], f"{args}: the warm run parsed files"
        assert cold == fresh and warm == fresh, args
        assert fresh[0] == 1 and fresh[1]  # there was something to print
    assert entries(cache)


def test_a_changed_file_and_a_changed_neighbour_are_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[bytes]
) -> None:
    """a.go's finding depends on the other files of its package, which are not checked."""
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    package = tmp_path / "p"
    package.mkdir()
    (package / "a.go").write_bytes(PRODUCER)
    (package / "b.go").write_bytes(WAITS)
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    clean = run("p/a.go", cache=cache)
    assert clean[0] == 0
    steps: list[tuple[Callable[[], object], int]] = [  # and the exit status a fresh run gives
        (lambda: (package / "b.go").write_bytes(DROPS), 1),  # a neighbour changes
        (lambda: (package / "b.go").write_bytes(WAITS), 0),
        (lambda: (package / "c.go").write_bytes(DROPS), 1),  # a file is added
        (lambda: (package / "a.go").write_bytes(b"// Package p.\n" + PRODUCER), 1),
    ]
    for step, status in steps:
        step()
        fresh = run("p/a.go", cache=None)
        assert run("p/a.go", cache=cache) == fresh
        assert fresh[0] == status
    assert b"p/a.go:6:8: abandoned-sender: " in fresh[1]  # the target's own change moved it
    (package / "c.go").unlink()  # the first text again: its entry still holds
    (package / "a.go").write_bytes(PRODUCER)
    parsed.clear()
    assert run("p/a.go", cache=cache) == clean
    assert parsed == []


HANDED = (ROOT / "fixtures" / "select-without-exit" / "handed.go").read_bytes()
"""Findings whose fixes are all unsafe."""


def test_every_option_and_setting_that_changes_results_is_a_new_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs one after the other on one cache, each as a fresh run prints it; the pairs at the
    end show that each change matters (a key without it would have served the earlier run)."""
    (tmp_path / ".git").mkdir()
    gomod = tmp_path / "go.mod"
    gomod.write_text("module example.com/m\n\ngo 1.22\n")
    for name, text in [("leaky", LEAKY), ("handed", HANDED)]:
        (tmp_path / name).mkdir()
        (tmp_path / name / f"{name}.go").write_bytes(text)
    monkeypatch.chdir(tmp_path)
    settings = tmp_path / config.FILENAME

    def configured(text: str) -> Callable[[], object]:
        return lambda: settings.write_text(text)

    def go_line(version: str) -> Callable[[], object]:
        return lambda: gomod.write_text(f"module example.com/m\n\ngo {version}\n")

    def same() -> None:
        pass

    variants: dict[str, tuple[Callable[[], object], Sequence[str]]] = {
        "plain": (same, ()),
        "select": (same, ("--select", "leaky-time-tick")),
        "ignore": (same, ("--ignore", "leaky-time-tick")),
        "go-version": (same, ("--go-version", "1.23")),
        "diff": (same, ("--diff",)),
        "unsafe": (same, ("--diff", "--unsafe-fixes")),
        "directives": (same, ("--select", "abandoned-sender,unused-directive")),
        "show": (same, ("--fail-on", "test-failure", "--show", "test-failure")),
        "go.mod 1.23": (go_line("1.23"), ()),  # the ticker rules are silent from Go 1.23 on
        "go.mod 1.22": (go_line("1.22"), ()),
        "config ignore": (configured('ignore = ["orphaned-receiver"]\n'), ()),
        "config go-version": (configured('go-version = "1.23"\n'), ()),
        "config unsafe": (configured("unsafe-fixes = true\n"), ("--diff",)),
        "no config": (same, ("--no-config", "--diff")),
    }
    cache = tmp_path / "cache"
    outputs = {}
    for name, (change, args) in variants.items():
        change()
        config.clear_cache()
        fresh = run(*args, ".", cache=None)
        assert run(*args, ".", cache=cache) == fresh, name
        outputs[name] = fresh
    differ = [
        ("plain", "go.mod 1.23"),
        ("plain", "config ignore"),
        ("plain", "config go-version"),
        ("diff", "unsafe"),
        ("diff", "config unsafe"),
        ("config unsafe", "no config"),
        ("plain", "directives"),
        ("plain", "show"),  # the leaks are only counted
    ]
    for one, other in differ:
        assert outputs[one] != outputs[other], (one, other)
    assert outputs["go.mod 1.22"] == outputs["plain"] and outputs["no config"] == outputs["diff"]


def test_other_rules_are_another_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.go").write_bytes(b"package p\n\nfunc f() {\n\tleak()\n}\n")
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    diffs = []
    for fixer in [rename, declare, rename]:
        rules = (registry.Rule(INFO, detect, fixer),)
        monkeypatch.setattr(registry, "all_rules", lambda rules=rules: rules)
        fresh = run("--diff", "a.go", cache=None)
        assert run("--diff", "a.go", cache=cache) == fresh
        diffs.append(fresh[1])
    assert diffs[0] != diffs[1]


def test_apply_writes_what_a_fresh_run_writes_after_the_file_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entry of the text first read is of no use once the file changed; the one of the
    text as it is now is what a fresh run would compute."""
    cached, fresh = tmp_path / "cached", tmp_path / "fresh"
    for tree in (cached, fresh):
        (tree / "leaky").mkdir(parents=True)
        (tree / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
        (tree / "leaky" / "leaky.go").write_bytes(LEAKY)
    cache = tmp_path / "cache"
    monkeypatch.chdir(cached)
    assert run("--diff", ".", cache=cache)[0] == 1  # the entry for LEAKY as it is
    edited = LEAKY.replace(b"package leaky\n", b"package leaky\n\n// Edited since.\n", 1)
    assert edited != LEAKY
    written = []
    for tree in (cached, fresh):
        (tree / "leaky" / "leaky.go").write_bytes(edited)
        monkeypatch.chdir(tree)
        outcome = run("--apply", ".", cache=cache if tree == cached else None)
        written.append((outcome, (tree / "leaky" / "leaky.go").read_bytes()))
    assert written[0] == written[1]
    assert written[0][1] not in (LEAKY, edited)  # fixes were written, into the edited text
    for tree in (cached, fresh):  # unchanged since: the warm --apply writes the same again
        (tree / "leaky" / "leaky.go").write_bytes(edited)
    monkeypatch.chdir(cached)
    assert run("--apply", ".", cache=cache) == written[0][0]
    assert (cached / "leaky" / "leaky.go").read_bytes() == written[1][1]


KILLED_WHILE_STORING = """
import os, signal, sys
from gofixleak import cache, cli

class Dying:
    '''os, except that a file opened for writing gets half its bytes, then SIGKILL.'''

    def __getattr__(self, name):
        return getattr(os, name)

    def fdopen(self, fd, mode="r", *args, **kwargs):
        handle = os.fdopen(fd, mode, *args, **kwargs)
        if "w" not in mode:
            return handle

        class Half:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                handle.close()

            def write(self, data):
                handle.write(data[: len(data) // 2])
                handle.flush()
                os.kill(os.getpid(), signal.SIGKILL)

        return Half()

cache.os = Dying()
sys.argv = ["gofixleak", *sys.argv[1:]]
cli.main()
"""


def test_a_run_killed_while_storing_leaves_no_entry_that_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[bytes]
) -> None:
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (tmp_path / "leaky").mkdir()
    (tmp_path / "leaky" / "leaky.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    ResultCache.open(cache)  # made already: the first file the run writes is an entry
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_WHILE_STORING, "--cache-dir", str(cache), "-j", "1", "."],
        cwd=tmp_path,
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    (half,) = (cache / "results").glob("??/.tmp-*")
    assert half.stat().st_size > 0 and entries(cache) == []
    fresh = run(".", cache=None)
    assert run(".", cache=cache) == fresh
    parsed.clear()
    assert run(".", cache=cache) == fresh and parsed == []
    old = time.time() - 2 * result_cache.STALE_TEMPORARY_SECONDS
    os.utime(half, (old, old))
    ResultCache.open(cache).prune()
    assert not half.exists() and len(entries(cache)) == 1


def damage_by_truncating(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[:-1])


def damage_by_flipping(entry: Path) -> None:
    data = bytearray(entry.read_bytes())
    data[len(data) // 2] ^= 0x40
    entry.write_bytes(bytes(data))


def damage_by_emptying(entry: Path) -> None:
    entry.write_bytes(b"")


@pytest.mark.parametrize("damage", [damage_by_truncating, damage_by_flipping, damage_by_emptying])
def test_a_damaged_entry_is_a_miss_and_is_replaced(
    damage: Callable[[Path], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    parsed: list[bytes],
) -> None:
    (tmp_path / "leaky").mkdir()
    (tmp_path / "leaky" / "leaky.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    first = run("--format", "json", ".", cache=cache)
    (entry,) = entries(cache)
    damage(entry)
    parsed.clear()
    assert run("--format", "json", ".", cache=cache) == first
    assert parsed  # checked again
    parsed.clear()
    assert run("--format", "json", ".", cache=cache) == first
    assert parsed == []  # and stored again, whole


def test_an_entry_under_another_key_is_a_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "leaky.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    tick, orphan = ("--select", "leaky-time-tick"), ("--select", "orphaned-receiver")
    run(*tick, ".", cache=cache)
    (one,) = entries(cache)
    run(*orphan, ".", cache=cache)
    (other,) = set(entries(cache)) - {one}
    one.write_bytes(other.read_bytes())  # a whole entry for the same file, filed under another key
    assert run(*tick, ".", cache=cache) == run(*tick, ".", cache=None)


def test_an_entry_of_another_user_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: list[bytes]
) -> None:
    (tmp_path / "leaky.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    first = run(".", cache=cache)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(cache).st_uid + 1)
    parsed.clear()
    assert run(".", cache=cache) == first
    assert parsed


def test_workers_check_what_the_cache_does_not_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Enough directories for worker processes: workers store the entries; a run with nothing
    changed starts none; a run with some directories changed sends those (and only those) to
    workers, and prints what a fresh run prints, in the same order."""
    for index in range(80):
        folder = tmp_path / f"d{index:02}"
        folder.mkdir()
        (folder / "leaky.go").write_bytes(LEAKY.replace(b"package leaky", b"package d", 1))
    monkeypatch.chdir(tmp_path)
    cache = tmp_path / "cache"
    pooled: list[int] = []
    real_pooled = parallel._pooled

    def counting(function: Callable[[T], R], items: Iterator[T], workers: int) -> Iterator[R]:
        sent: list[list[object]] = list(items)  # type: ignore[arg-type]  # batches of directories
        pooled.append(sum(len(batch) for batch in sent))
        return real_pooled(function, iter(sent), workers)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_pooled", counting)

    def on_two_workers() -> Outcome:
        source.module_go_version.cache_clear()
        result = CliRunner().invoke(app, ["--cache-dir", str(cache), "-j", "2", "."])
        return result.exit_code, result.stdout_bytes, result.stderr

    fresh = run(".", cache=None)
    assert on_two_workers() == fresh and pooled == [80]
    assert len(entries(cache)) == 80
    ledger = (cache / "results" / "ledger").read_bytes()
    pooled.clear()
    assert on_two_workers() == fresh
    assert pooled == []  # no worker started
    assert (cache / "results" / "ledger").read_bytes() == ledger  # nothing stored: all hits
    for index in range(0, 80, 2):  # every other directory changes
        (tmp_path / f"d{index:02}" / "note.go").write_bytes(b"package d\n")
    fresh = run(".", cache=None)
    assert on_two_workers() == fresh and pooled == [40]


def test_a_new_process_finds_the_entries(tmp_path: Path) -> None:
    """Keys must not depend on anything a process makes up (string hashing, addresses)."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    cache = tmp_path / "cache"

    def in_a_process(seed: str) -> subprocess.CompletedProcess[bytes]:
        command = [sys.executable, "-m", "gofixleak", "--cache-dir", str(cache), "-j", "1", "."]
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        return subprocess.run(command, cwd=tmp_path, env=environment, capture_output=True)

    first = in_a_process("1")
    ledger = (cache / "results" / "ledger").read_bytes()
    again = in_a_process("2")
    assert (again.returncode, again.stdout, again.stderr) == (1, first.stdout, first.stderr)
    assert (cache / "results" / "ledger").read_bytes() == ledger  # nothing stored: all hits


DESCRIBED = """
from dataclasses import dataclass
from gofixleak.cache import describe

@dataclass(frozen=True)
class Options:
    show: frozenset[str]
    rules: tuple[str, ...]

shown = frozenset(["leak", "test-failure", "process-lifetime", "alpha", "beta", "gamma"])
print(describe(Options(shown, ("a", "b"))), repr(shown), sep="\t")
"""


def test_options_are_described_alike_in_every_process() -> None:
    """A set's order follows string hashing, which each process seeds anew (its repr would
    make a new key in every run)."""
    described, reprs = set(), set()
    for seed in "1234":
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", DESCRIBED], env=environment, capture_output=True, text=True
        )
        text, shown = done.stdout.rstrip("\n").split("\t")
        described.add(text)
        reprs.add(shown)
    assert len(reprs) > 1  # the sets' own reprs do differ
    assert described == {
        "Options(show={'alpha', 'beta', 'gamma', 'leak', 'process-lifetime', 'test-failure'},"
        " rules=('a', 'b',))"
    }


def test_the_cache_is_where_the_user_says_and_nowhere_with_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "leaky.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    xdg = Path(os.environ["XDG_CACHE_HOME"])
    assert CliRunner().invoke(app, ["--no-cache", "."]).exit_code == 1
    assert not (xdg / "gofixleak").exists()
    assert CliRunner().invoke(app, ["."]).exit_code == 1
    assert len(entries(xdg / "gofixleak")) == 1
    chosen = tmp_path / "chosen"
    monkeypatch.setenv("GOFIXLEAK_CACHE_DIR", str(chosen))
    assert CliRunner().invoke(app, ["--select", "leaky-time-tick", "."]).exit_code == 1
    assert len(entries(chosen)) == 1 and len(entries(xdg / "gofixleak")) == 1
    flag = tmp_path / "flag"
    assert CliRunner().invoke(app, ["--cache-dir", str(flag), "."]).exit_code == 1
    assert len(entries(flag)) == 1 and len(entries(chosen)) == 1
    assert (flag / "results" / "CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f59")


def test_a_cache_that_cannot_be_made_is_not_used_and_changes_nothing_else(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "leaky.go").write_bytes(LEAKY)
    monkeypatch.chdir(tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_bytes(b"")
    fresh = run(".", cache=None)
    code, out, err = run(".", cache=blocked)
    assert (code, out) == fresh[:2]
    assert err == f"gofixleak: warning: {blocked}: cache not used: Not a directory\n" + fresh[2]
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))  # the default place: not a word
    result = CliRunner().invoke(app, ["."])
    assert (result.exit_code, result.stdout_bytes, result.stderr) == fresh


def results_of(size: int, name: str) -> list[FileResult]:
    return [FileResult(name, data=b"x" * size)]


def test_pruning_keeps_the_most_recently_used_entries_under_the_bound(tmp_path: Path) -> None:
    cache = ResultCache.open(tmp_path / "cache", max_bytes=100_000)
    keys = [bytes([index]) * 32 for index in range(12)]
    now = time.time()
    for index, key in enumerate(keys):
        cache.store(key, results_of(10_000, f"f{index}.go"))
        age = now - 10 * result_cache.REFRESH_SECONDS + index * 60  # key 0 is the oldest
        os.utime(cache._entry(key), (age, age))
    assert cache.load(keys[0], ["f0.go"]) == results_of(10_000, "f0.go")  # used again now
    cache.prune_if_full()
    kept = [index for index, key in enumerate(keys) if os.path.exists(cache._entry(key))]
    assert kept == [0, 6, 7, 8, 9, 10, 11]  # the least recently used went first
    assert sum(os.path.getsize(cache._entry(keys[i])) for i in kept) <= 75_000
    ledger = int((Path(cache.results) / "ledger").read_bytes())
    assert ledger == sum(os.path.getsize(cache._entry(keys[i])) for i in kept)


def test_a_cache_under_its_bound_is_left_alone(tmp_path: Path) -> None:
    cache = ResultCache.open(tmp_path / "cache", max_bytes=1_000_000)
    keys = [bytes([index]) * 32 for index in range(5)]
    for index, key in enumerate(keys):
        cache.store(key, results_of(10_000, f"f{index}.go"))
    cache.prune_if_full()
    assert all(os.path.exists(cache._entry(key)) for key in keys)


def test_an_entry_too_large_for_the_cache_is_not_stored(tmp_path: Path) -> None:
    cache = ResultCache.open(tmp_path / "cache", max_bytes=80_000)
    cache.store(b"\1" * 32, results_of(20_000, "big.go"))
    assert cache.load(b"\1" * 32, ["big.go"]) is None


def test_a_change_to_any_of_gofixleaks_own_files_is_another_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rules change between commits of one version: the code's hash covers every source file
    (the fixers' too) and the Go grammar's files."""
    fingerprint = result_cache.code_fingerprint()
    read = result_cache._read
    for changed in ["engine.py", "abandoned_sender.py", "_binding"]:  # _binding: the parser

        def edited(path: str, changed: str = changed) -> bytes:
            data = read(path)
            return data + b"\n# edited\n" if os.path.basename(path).startswith(changed) else data

        result_cache._installed_code.cache_clear()
        monkeypatch.setattr(result_cache, "_read", edited)
        assert result_cache.code_fingerprint() != fingerprint, changed
    monkeypatch.undo()
    result_cache._installed_code.cache_clear()
    assert result_cache.code_fingerprint() == fingerprint
