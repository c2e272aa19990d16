"""A large package checked in parts on several workers reports what one process reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import api, discovery, parallel, source
from gofixleak.cli import app

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def parts(monkeypatch: pytest.MonkeyPatch) -> list[api.Part]:
    """Every directory of more than one file is split (the fixtures are small), and the parts
    made are recorded (in this process: the split is made before the workers get them)."""
    monkeypatch.setattr(api, "SPLIT_BYTES", 1)
    monkeypatch.setattr(api, "PART_BYTES", 1)
    monkeypatch.setattr(parallel, "default_jobs", lambda: 2)  # two cores, whatever the machine
    made: list[api.Part] = []
    real = api._split

    def recording(
        items: list[discovery.Item], count: int
    ) -> Iterator[list[discovery.Item] | api.Part]:
        for unit in real(items, count):
            if isinstance(unit, api.Part):
                made.append(unit)
            yield unit

    monkeypatch.setattr(api, "_split", recording)
    monkeypatch.chdir(FIXTURES)
    return made


def _run(*args: str) -> tuple[int, bytes, str]:
    source.module_go_version.cache_clear()
    result = CliRunner().invoke(app, [*args, "--unsafe-fixes", "."])
    return result.exit_code, result.stdout_bytes, result.stderr


@pytest.mark.parametrize("flags", [[], ["--format", "json"]], ids=["text", "json"])
def test_parts_print_what_one_process_prints(parts: list[api.Part], flags: list[str]) -> None:
    alone = _run("--no-cache", "-j", "1", *flags)
    assert parts == []  # one process: nothing split
    split = _run("--no-cache", "-j", "2", *flags)
    assert split == alone and alone[0] == 1
    assert len(parts) >= 20  # the multi-file packages were checked in two parts
    assert all(len(part.mine) < len(part.items) for part in parts)


def test_parts_are_no_more_than_the_cores(
    parts: list[api.Part], monkeypatch: pytest.MonkeyPatch
) -> None:
    """-j beyond the cores starts more workers, not more parts: each part redoes the package's
    facts and holds the package in memory."""
    monkeypatch.setattr(parallel, "default_jobs", lambda: 1)
    alone = _run("--no-cache", "-j", "1")
    assert _run("--no-cache", "-j", "3") == alone
    assert parts == []
    monkeypatch.setattr(parallel, "default_jobs", lambda: 8)  # and four at the most
    assert _run("--no-cache", "-j", "8") == alone
    assert max(part.count for part in parts) == api.MAX_PARTS == 4


def test_a_fixing_run_is_never_split(parts: list[api.Part]) -> None:
    assert _run("--no-cache", "-j", "2", "--diff") == _run("--no-cache", "-j", "1", "--diff")
    assert parts == []


def test_parts_are_stored_together_and_answered_warm(
    parts: list[api.Part], tmp_path: Path
) -> None:
    fresh = _run("--no-cache", "-j", "1")
    cold = _run("--cache-dir", str(tmp_path), "-j", "2")
    made = len(parts)
    warm = _run("--cache-dir", str(tmp_path), "-j", "2")
    assert cold == warm == fresh
    assert made > 0 and len(parts) == made  # the warm run split (and checked) nothing
