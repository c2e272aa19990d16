"""`gofixleak pr` end to end: a real git repository with a bare remote, real Go verification,
and a local GitHub API server (tests/github_server.py) that records what the bot sent.

Stand-in rules (tests/verify_rules.py): fake-leak renames leak() to stop(), fake-other renames
other() to fine().
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import verify
from gofixleak.bot import github
from gofixleak.bot.command import parse_repository
from gofixleak.cli import app
from tests.github_server import Failure, FakeGitHub
from tests.verify_rules import GO_MOD, use_rules

pytestmark = pytest.mark.skipif(shutil.which("go") is None, reason="needs go")

TOKEN = "ghp_TESTtoken0123456789abcdef"
CALLS = b"package p\n\nfunc f() {\n\tleak()\n\tother()\n}\n"
HELPERS = b"package p\n\nfunc leak()  {}\nfunc stop()  {}\nfunc other() {}\nfunc fine()  {}\n"
BOT = "gofixleak bot <gofixleak-bot@users.noreply.github.com>"


@dataclass
class World:
    work: Path
    remote: Path
    server: FakeGitHub


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def remote_git(world: World, *args: str) -> str:
    return git(world.remote, *args)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    use_rules(monkeypatch)
    config = tmp_path / "gitconfig"
    config.write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[commit]\n\tgpgsign = false\n"
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name, value in {"GOTOOLCHAIN": "local", "GOPROXY": "off", "GOFLAGS": "-mod=mod"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/widgets")
    # No retries or pauses between calls against the local server.
    monkeypatch.setattr(github, "RETRIES", 0)
    monkeypatch.setattr(github, "SECONDS_BETWEEN_REQUESTS", None)
    monkeypatch.setattr(github, "SECONDS_BETWEEN_WRITES", None)
    remote = tmp_path / "remote.git"
    work = tmp_path / "work"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    (work / "go.mod").write_bytes(GO_MOD)
    (work / "p").mkdir()
    (work / "p" / "a.go").write_bytes(CALLS)
    (work / "p" / "helpers.go").write_bytes(HELPERS)
    commit_all(work, "initial")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "main")
    monkeypatch.chdir(work)
    with FakeGitHub(remote, token=TOKEN) as server:
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        yield World(work, remote, server)


def commit_all(work: Path, message: str) -> None:
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", message)


def pr(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["pr", *args])
    return result.exit_code, result.stdout, result.stderr


def bot_branches(world: World) -> list[str]:
    output = remote_git(world, "for-each-ref", "--format=%(refname:short)", "refs/heads/gofixleak")
    return output.split()


def test_dry_run_prints_the_plan_and_pushes_nothing(world: World) -> None:
    (world.work / "p" / "helpers.go").write_bytes(HELPERS.replace(b"func stop()  {}\n", b""))
    (world.work / ".gitignore").write_text("gen/\n")
    commit_all(world.work, "no stop")
    (world.work / "gen").mkdir()  # ignored by git: not the repository's code, never proposed
    (world.work / "gen" / "g.go").write_bytes(b"package gen\n\nfunc g() { other() }\n")
    code, out, err = pr("--dry-run")
    assert code == 0
    branch = re.search(r"^branch: (gofixleak/[0-9a-f]{12})$", out, re.M)
    assert branch is not None
    assert f"author: {BOT}" in out
    # fake-leak's fix does not build (stop is undefined): only fake-other's commit is proposed.
    assert "--- commit (fake-other) ---\nFix 1 goroutine leak found by fake-other\n" in out
    assert "- p/a.go:5: call fine() (safe)" in out
    assert "Why it leaks:\nother() never returns." in out
    assert "commit (fake-leak)" not in out and "gen/g.go" not in out + err
    assert "| `p/a.go` | 5 | `fake-other` | call fine() | safe |" in out
    assert "Fixes not proposed, because the package no longer passes with them:" in out
    assert "p/a.go:4:2: undefined: stop" in out
    assert "p/a.go: fake-leak: fix not applied: `go build` fails" in err
    assert bot_branches(world) == [] and world.server.requests == []
    assert git(world.work, "branch", "--list", "gofixleak/*") == ""
    assert git(world.work, "status", "--porcelain") == ""


def test_opens_one_pull_request_with_one_commit_per_rule_and_is_idempotent(world: World) -> None:
    code, _, err = pr()
    assert code == 0, err
    assert "opened pull request #1: https://github.example/acme/widgets/pull/1" in err
    (branch,) = bot_branches(world)
    log = remote_git(world, "log", "--format=%an <%ae>|%cn <%ce>|%s", f"main..{branch}")
    assert log.splitlines() == [
        f"{BOT}|{BOT}|Fix 1 goroutine leak found by fake-other",
        f"{BOT}|{BOT}|Fix 1 goroutine leak found by fake-leak",
    ]
    fixed = remote_git(world, "show", f"{branch}:p/a.go")
    assert fixed == "package p\n\nfunc f() {\n\tstop()\n\tfine()\n}"
    (create,) = world.server.calls("POST")
    assert create.authorization == f"token {TOKEN}"
    assert create.path == "/repos/acme/widgets/pulls"
    assert create.body["head"] == branch and create.body["base"] == "main"
    assert create.body["title"] == "Fix 2 goroutine leaks (fake-leak, fake-other)"
    body = create.body["body"]
    assert "| `p/a.go` | 4 | `fake-leak` | call stop() | safe |" in body
    assert "### `fake-leak`\n\nCalls of leak().\n" in body
    assert "**Why it leaks.** leak() blocks forever on a channel nobody reads." in body
    assert "<summary>Fix safety</summary>\n\nSafe: stop() does the same work and returns." in body
    assert "`go build`, `go vet` passed with the fixes in place" in body
    # The checkout is untouched: same branch, same files, clean.
    assert git(world.work, "rev-parse", "--abbrev-ref", "HEAD") == "main"
    assert (world.work / "p" / "a.go").read_bytes() == CALLS
    assert git(world.work, "status", "--porcelain") == ""
    # Run again: the open pull request already holds these fixes.
    code, _, err = pr()
    assert code == 0
    assert "pull request #1 already proposes these fixes" in err
    assert len(world.server.calls("POST")) == 1 and world.server.calls("PATCH") == []
    assert bot_branches(world) == [branch]


def test_new_fixes_update_the_open_pull_request(world: World) -> None:
    assert pr()[0] == 0
    (branch,) = bot_branches(world)
    first = remote_git(world, "rev-parse", branch)
    (world.work / "p" / "b.go").write_bytes(b"package p\n\nfunc g() { leak() }\n")
    commit_all(world.work, "another leak")
    git(world.work, "push", "-q", "origin", "main")
    code, _, err = pr()
    assert code == 0, err
    assert "updated pull request #1 with the new fixes" in err
    assert world.server.calls("POST")[1:] == []
    (edit,) = world.server.calls("PATCH")
    assert edit.path == "/repos/acme/widgets/pulls/1"
    assert "| `p/b.go` | 3 | `fake-leak` | call stop() | safe |" in edit.body["body"]
    assert bot_branches(world) == [branch]  # the pull request's own branch moved
    assert remote_git(world, "rev-parse", branch) != first
    assert "stop()" in remote_git(world, "show", f"{branch}:p/b.go")
    assert world.server.pulls[1]["body"] == edit.body["body"]
    # Back to the first fixes: the branch still has their name, but the pull request holds the
    # second ones (its body says so), so it is updated again rather than called up to date.
    git(world.work, "rm", "-q", "p/b.go")
    commit_all(world.work, "no second leak")
    code, _, err = pr()
    assert code == 0 and "updated pull request #1" in err
    assert len(world.server.calls("PATCH")) == 2
    assert "p/b.go" not in world.server.pulls[1]["body"]


def test_a_pull_request_closed_unmerged_is_not_reopened(world: World) -> None:
    assert pr()[0] == 0
    (branch,) = bot_branches(world)
    pushed = remote_git(world, "rev-parse", branch)
    world.server.close(1)
    code, _, err = pr()
    assert code == 0
    assert "pull request #1 with these fixes was closed without merging" in err
    assert len(world.server.calls("POST")) == 1
    assert remote_git(world, "rev-parse", branch) == pushed
    code, _, err = pr("--force")
    assert code == 0, err
    assert "opened pull request #2" in err


def test_a_bad_token_is_reported_and_never_printed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_WRONGtoken")
    code, out, err = pr()
    assert code == 2 and out == ""
    assert "GitHub rejected the token (401 Bad credentials); check GITHUB_TOKEN" in err
    assert "ghp_WRONGtoken" not in err
    assert bot_branches(world) == []  # nothing was pushed before the token was known bad


def test_an_error_that_echoes_the_token_is_redacted(world: World) -> None:
    echo = f"proxy refused Authorization: token {TOKEN}"
    world.server.failures[("GET", "repo")] = Failure(403, {"message": echo})
    code, _, err = pr()
    assert code == 2
    assert "proxy refused Authorization: token ***" in err
    assert TOKEN not in err


def test_an_internal_error_is_reported_without_the_token(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> str:
        raise RuntimeError(f"unexpected state with {TOKEN}")

    monkeypatch.setattr(verify, "find_go", broken)
    code, _, err = pr()
    assert code == 2
    assert err == "gofixleak pr: internal error: RuntimeError: unexpected state with ***\n"


def test_redact_hides_tokens_and_url_credentials() -> None:
    text = f"push to https://x-access-token:{TOKEN}@github.com/acme/widgets failed ({TOKEN})"
    assert github.redact(text, TOKEN) == (
        "push to https://***@github.com/acme/widgets failed (***)"
    )


def test_a_rejected_pull_request_keeps_the_branch_and_a_rerun_completes(world: World) -> None:
    world.server.failures[("POST", "pulls")] = Failure(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "code": "custom", "message": "No commits"}],
            "documentation_url": "https://docs.github.com/rest",
        },
    )
    code, _, err = pr()
    assert code == 2
    assert "GitHub rejected the request (422 Validation Failed: No commits)" in err
    (branch,) = bot_branches(world)
    assert f"branch {branch} is pushed; re-run to finish" in err
    assert world.server.pulls == {}
    code, _, err = pr()
    assert code == 0, err
    assert world.server.pulls[1]["head"] == branch
    assert bot_branches(world) == [branch]


def test_a_network_failure_keeps_the_branch_and_a_rerun_completes(world: World) -> None:
    world.server.failures[("POST", "pulls")] = Failure(disconnect=True)
    code, _, err = pr()
    assert code == 2
    assert f"cannot reach the GitHub API at {world.server.url}" in err
    (branch,) = bot_branches(world)
    assert f"branch {branch} is pushed; re-run to finish" in err
    assert pr()[0] == 0
    assert world.server.pulls[1]["head"] == branch


def test_an_unreachable_api_is_a_clear_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}/api/v3")
    code, _, err = pr()
    assert code == 2
    assert (
        f"reading repository acme/widgets: cannot reach the GitHub API at http://127.0.0.1:{port}"
        in err
    )
    assert bot_branches(world) == []


def test_refusals_before_any_work(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    (world.work / "p" / "a.go").write_bytes(CALLS + b"\n")
    code, _, err = pr()
    assert code == 2
    assert "the work tree has uncommitted changes (p/a.go); commit or stash them" in err
    git(world.work, "checkout", "--", "p/a.go")
    monkeypatch.delenv("GITHUB_TOKEN")
    code, _, err = pr()
    assert code == 2 and "GITHUB_TOKEN is not set" in err
    assert pr("--author", "nobody")[2].endswith("is not of the form 'Name <email>'\n")
    only_git = world.work.parent / "bin"
    only_git.mkdir()
    (only_git / "git").symlink_to(shutil.which("git") or "git")
    monkeypatch.setenv("PATH", str(only_git))
    code, _, err = pr("--dry-run")
    assert code == 2 and "no `go` command is on PATH" in err
    assert world.server.requests == []


@pytest.mark.parametrize(
    ("url", "repo"),
    [
        ("https://github.com/acme/widgets.git", "acme/widgets"),
        ("https://x-access-token:t@github.com/acme/widgets", "acme/widgets"),
        ("git@github.com:acme/widgets.git", "acme/widgets"),
        ("ssh://git@ghe.example.com:22/acme/widgets.git", "acme/widgets"),
        ("/srv/git/widgets.git", None),
    ],
)
def test_the_repository_is_parsed_from_the_remote_url(url: str, repo: str | None) -> None:
    assert parse_repository(url) == repo
