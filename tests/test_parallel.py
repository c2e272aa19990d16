"""Scanning on several processes: same results as one, in discovery order, streamed."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import api, discovery, parallel, registry
from gofixleak.cli import app
from gofixleak.model import Applicability
from tests.fake_rule import INFO, detect, rename

LEAKY = b"package p\n\nfunc f%d() {\n\tleak()\n}\n"
CLEAN = b"package p\n\nfunc g%d() {}\n"
FILES = parallel.SMALL_RUN * 3  # enough for the pool to be used


@pytest.fixture(autouse=True)
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    # Workers are forked, so they see the stand-in rule too.
    monkeypatch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, rename),))


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for index in range(FILES):
        folder = tmp_path / f"pkg{index % 7}"
        folder.mkdir(exist_ok=True)
        text = (LEAKY if index % 3 == 0 else CLEAN) % index
        (folder / f"f{index:03}.go").write_bytes(text)
    (tmp_path / "pkg0" / "broken.go").write_bytes(b"package p\n\nfunc {\n\tleak()\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _pid(_: int) -> int:
    return os.getpid()


def _square(value: int) -> int:
    return value * value


def test_ordered_map_keeps_the_input_order() -> None:
    values = list(range(500))
    assert list(parallel.ordered_map(_square, values, 2)) == [v * v for v in values]
    assert list(parallel.ordered_map(_square, values, 1)) == [v * v for v in values]


def test_a_large_input_runs_in_workers() -> None:
    pids = set(parallel.ordered_map(_pid, range(parallel.SMALL_RUN * 4), 2))
    assert os.getpid() not in pids


def test_a_small_input_runs_in_this_process() -> None:
    pids = set(parallel.ordered_map(_pid, range(parallel.SMALL_RUN - 1), 2))
    assert pids == {os.getpid()}


def test_a_heavy_item_is_handed_over_alone() -> None:
    batches = list(parallel._batches(iter(range(20)), lambda item: item in (10, 11)))
    assert batches == [[*range(8)], [8, 9], [10], [11], [*range(12, 20)]]


def test_a_short_run_with_heavy_items_runs_in_workers() -> None:
    """Two parts of one large package are worth two workers, though the run is short."""
    pids = list(parallel.ordered_map(_pid, range(3), 2, heavy=lambda item: item > 0))
    assert os.getpid() not in pids[1:]
    assert list(parallel.ordered_map(_square, range(3), 2, heavy=bool)) == [0, 1, 4]
    assert set(parallel.ordered_map(_pid, range(3), 2, heavy=lambda item: item == 2)) == {
        os.getpid()
    }  # one heavy item alone gains nothing from a worker


def test_jobs_below_one_are_refused_at_once() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        parallel.ordered_map(_square, [1], 0)


def _workers_running(_: int) -> int:
    return 0


@pytest.mark.parametrize(
    ("jobs", "items"),
    [
        (parallel.max_jobs() + 3, 400),  # -j 100000 used to fork until the process table was full
        (parallel.max_jobs(), parallel.SMALL_RUN + parallel.CHUNK),  # idle workers: not started
    ],
)
def test_workers_are_capped_by_cores_and_by_the_input(jobs: int, items: int) -> None:
    results = parallel.ordered_map(_workers_running, range(items), jobs)
    next(results)
    started = len(multiprocessing.active_children())  # a pool starts all its workers at once
    results.close()  # type: ignore[attr-defined]  # stops the workers
    assert started == min(parallel.max_jobs(), -(-items // parallel.CHUNK))


def test_results_stream() -> None:
    results = parallel.ordered_map(_square, iter(range(10**9)), 2)  # never materialised
    assert [next(results) for _ in range(100)] == [v * v for v in range(100)]
    results.close()  # type: ignore[attr-defined]  # stops the workers


@pytest.mark.parametrize("fix", [None, Applicability.SAFE], ids=["check", "fix"])
def test_one_and_two_jobs_give_the_same_results(tree: Path, fix: Applicability | None) -> None:
    options = api.Options(fix=fix)
    one = list(api.run(["."], options, jobs=1))
    two = list(api.run(["."], options, jobs=2))
    assert one == two
    assert [r.path for r in two] == [item.path for item in discovery.discover(["."])]
    assert sum(len(r.findings) + len(r.fixes_applied) for r in two) == FILES // 3


@pytest.mark.parametrize("flags", [[], ["--format", "json"], ["--diff"]], ids=str)
def test_cli_jobs_1_and_2_print_the_same(tree: Path, flags: list[str]) -> None:
    runs = [CliRunner().invoke(app, [".", *flags, "--jobs", jobs]) for jobs in ("1", "2")]
    assert runs[0].exit_code == runs[1].exit_code == 1
    assert runs[0].stdout == runs[1].stdout != ""
    assert runs[0].stderr == runs[1].stderr


def test_cli_refuses_zero_jobs(tree: Path) -> None:
    result = CliRunner().invoke(app, [".", "--jobs", "0"])
    assert result.exit_code == 2
