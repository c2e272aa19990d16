""".gofixleak.toml: finding, every key, overrides, precedence of the command line, and errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import api, config, registry
from gofixleak.cli import app
from gofixleak.model import Applicability, Finding, Fix
from gofixleak.source import SourceFile
from tests.fake_rule import INFO, detect, rename

LEAKY = b"package p\n\nfunc f() {\n\tleak()\n}\n"


def unsafe(finding: Finding, src: SourceFile) -> Fix:
    return Fix("u", rename(finding, src).edits, Applicability.UNSAFE)


@pytest.fixture(autouse=True)
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: (registry.Rule(INFO, detect, unsafe),))
    config.clear_cache()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"  # its parent is this test's own, for a config above the repository
    (root / ".git").mkdir(parents=True)
    for name in ("main.go", "legacy/old.go", "legacy/deep/older.go", "gen/x_gen.go", "api/a.go"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(LEAKY)
    monkeypatch.chdir(root)
    return root


def write(path: Path, text: str) -> Path:
    target = path / config.FILENAME
    target.write_text(text, encoding="utf-8")
    return target


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "-j", "1"])
    return result.exit_code, result.stdout, result.stderr


def reported(*args: str) -> list[str]:
    out = run(*args)[1]
    return sorted(line.split(":")[0] for line in out.splitlines())


ALL = ["api/a.go", "gen/x_gen.go", "legacy/deep/older.go", "legacy/old.go", "main.go"]


def test_no_config_means_defaults(repo: Path) -> None:
    assert reported(".") == ALL


def test_exclude_globs(repo: Path) -> None:
    write(repo, 'exclude = ["legacy/**", "*_gen.go"]\n')
    assert reported(".") == ["api/a.go", "main.go"]
    assert reported("legacy/old.go") == []  # named files are excluded too (pre-commit names them)
    assert reported("--no-config", ".") == ALL


def test_ignore_and_select(repo: Path) -> None:
    write(repo, 'ignore = ["fake-leak"]\n')
    assert reported(".") == []
    assert reported("--select", "fake-leak", ".") == ALL  # the command line wins
    config.clear_cache()
    write(repo, 'select = ["unused-directive"]\n')
    assert reported(".") == []
    assert reported("--select", "fake-leak", ".") == ALL


def test_overrides_apply_to_their_paths_in_order(repo: Path) -> None:
    write(
        repo,
        '[[overrides]]\npaths = ["legacy"]\nignore = ["fake-leak"]\n\n'
        '[[overrides]]\npaths = ["legacy/deep/**"]\nselect = ["fake-leak"]\n',
    )
    assert reported(".") == ["api/a.go", "gen/x_gen.go", "legacy/deep/older.go", "main.go"]
    assert reported("--ignore", "fake-leak", ".") == []


def test_the_nearest_config_wins_and_the_search_stops_at_the_repository(repo: Path) -> None:
    write(repo.parent, 'ignore = ["fake-leak"]\n')  # above .git: never read
    assert reported(".") == ALL
    write(repo, 'ignore = ["fake-leak"]\n')
    write(repo / "api", "exclude = []\n")  # nearer, and configs do not merge
    config.clear_cache()
    assert reported(".") == ["api/a.go"]


def test_unsafe_fixes_and_the_flags_that_override_it(repo: Path) -> None:
    assert run("--diff", "main.go")[1] == ""
    write(repo, "unsafe-fixes = true\n")
    assert "+\tstop()" in run("--diff", "main.go")[1]
    assert run("--diff", "--no-unsafe-fixes", "main.go")[1] == ""
    config.clear_cache()
    write(repo, "unsafe-fixes = false\n")
    assert "+\tstop()" in run("--diff", "--unsafe-fixes", "main.go")[1]


def test_go_version_from_config_overrides_and_the_command_line(repo: Path) -> None:
    write(repo, 'go-version = "1.21"\n[[overrides]]\npaths = ["legacy/**"]\ngo-version = "1.18"\n')
    options = api.Options(use_config=True)
    assert options.for_file("main.go") == api.Options(select=_all(), go_version=(1, 21))
    assert options.for_file("legacy/old.go") == api.Options(select=_all(), go_version=(1, 18))
    pinned = api.Options(use_config=True, go_version=(1, 23)).for_file("legacy/old.go")
    assert pinned is not None and pinned.go_version == (1, 23)


def _all() -> tuple[str, ...]:
    return ("fake-leak", "invalid-directive", "unused-directive")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('select = ["fake-leak"\n', ":1: invalid TOML: Unclosed array at the end of the file"),
        ('exclude = []\nselect = ["a" "b"]\n', ":2:15: invalid TOML: Unclosed array"),
        ("exclude = [1]\n", ":1: exclude must be a list of strings"),
        ('\nselect = ["fake-lek"]\n', ":2: unknown rule 'fake-lek' in select; known rules:"),
        ('ignore = ["nope"]\n', ":1: unknown rule 'nope' in ignore"),
        ("colour = true\n", ":1: unknown key 'colour'; known keys: select, ignore, exclude"),
        ("[tool]\nx = 1\n", ":1: unknown key 'tool'"),
        ('unsafe-fixes = "yes"\n', ":1: unsafe-fixes must be true or false"),
        ('go-version = "banana"\n', ":1: not a Go version: 'banana'"),
        ("go-version = 1.22\n", ":1: go-version must be a string"),
        ("overrides = 3\n", ":1: overrides must be an array of tables"),
        ('[[overrides]]\nignore = ["fake-leak"]\n', ":1: each [[overrides]] needs paths"),
        (
            'ignore = []\n[[overrides]]\npaths = ["a"]\n'
            '[[overrides]]\npaths = ["b"]\nexclude = []\n',
            ":6: unknown key [[overrides]] 'exclude'; known keys: paths, select, ignore",
        ),
        (
            'select = []\n[[overrides]]\npaths = ["a"]\nselect = ["x"]\n',
            ":4: unknown rule 'x' in select",
        ),
        # A bad glob used to crash with a traceback (exit 1) once files were checked.
        ('exclude = ["[z-a]"]\n', ":1: bad glob '[z-a]' in exclude: bad character range z-a"),
        (
            '[[overrides]]\nignore = []\npaths = ["ok/**", "[9-0]/**"]\n',
            ":3: bad glob '[9-0]/**' in [[overrides]] paths: bad character range 9-0",
        ),
    ],
)
def test_a_bad_config_is_an_error_naming_file_and_line(repo: Path, text: str, message: str) -> None:
    path = write(repo, text)
    code, out, err = run(".")
    assert code == 2 and out == ""
    assert f"gofixleak: {path}{message}" in err


def test_a_bad_config_deeper_in_the_tree_fails_its_files(repo: Path) -> None:
    path = write(repo / "legacy", "colour = 1\n")
    code, out, err = run(".")
    assert code == 2
    assert f"{path}:1: unknown key 'colour'" in err
    assert "main.go:4:2" in out  # the rest of the tree is still checked


def test_a_bad_glob_deeper_in_the_tree_fails_its_files(repo: Path) -> None:
    path = write(repo / "legacy", 'exclude = ["[z-a]"]\n')
    code, out, err = run("--format", "json", ".")
    assert code == 2
    assert "Traceback" not in err
    errors = json.loads(out)["errors"]
    assert {e["path"] for e in errors} == {"legacy/old.go", "legacy/deep/older.go"}
    assert errors[0]["message"] == f"{path}:1: bad glob '[z-a]' in exclude: bad character range z-a"


@pytest.mark.parametrize(
    ("pattern", "path", "matches"),
    [
        ("legacy/**", "legacy/a.go", True),
        ("legacy/**", "legacy/x/y/a.go", True),
        ("legacy/**", "src/legacy/a.go", False),
        ("legacy", "src/legacy/a.go", True),  # no slash: a name at any depth
        ("legacy/", "legacy/a.go", True),
        ("*_gen.go", "a/b/x_gen.go", True),
        ("*_gen.go", "x_gen.go.txt", False),
        ("a/*.go", "a/x.go", True),
        ("a/*.go", "a/b/x.go", False),
        ("**/mocks/*.go", "mocks/m.go", True),
        ("**/mocks/*.go", "a/b/mocks/m.go", True),
        ("?.go", "a.go", True),
        ("?.go", "ab.go", False),
        ("[ab].go", "b.go", True),
        ("[!ab].go", "b.go", False),
        ("[!ab].go", "c.go", True),
        ("a+b.go", "a+b.go", True),
        ("[!]]x", "ax", True),  # a ] first in the set is a member, as in fnmatch
        ("[!]]x", "]x", False),
        ("[[]x", "[x", True),  # characters a regular expression would read as set operations
        ("[a&&b]", "&", True),
        ("[a||b]", "|", True),
        ("[a~~b]", "~", True),
    ],
)
def test_globs(pattern: str, path: str, matches: bool) -> None:
    assert config.matches_any([pattern], path) is matches
