"""`gofixleak pr` end to end: a real git repository with a bare remote, real Go verification,
and a local GitHub API server (tests/github_server.py) that records what the bot sent.

Stand-in rules (tests/verify_rules.py): fake-leak renames leak() to stop(), fake-other renames
other() to fine().
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import verify
from gofixleak.bot import github
from gofixleak.bot.run import parse_repository
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


def wait_until(condition: Callable[[], bool], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def bot_branches(world: World) -> list[str]:
    output = remote_git(world, "for-each-ref", "--format=%(refname:short)", "refs/heads/gofixleak")
    return output.split()


def test_dry_run_prints_the_plan_and_pushes_nothing(world: World) -> None:
    (world.work / "p" / "helpers.go").write_bytes(HELPERS.replace(b"func stop()  {}\n", b""))
    (world.work / ".gitignore").write_text("gen/\n")
    commit_all(world.work, "no stop")
    git(world.work, "push", "-q", "origin", "main")
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
    git(world.work, "push", "-q", "origin", "main")
    code, _, err = pr()
    assert code == 0 and "updated pull request #1" in err
    assert len(world.server.calls("PATCH")) == 2
    assert "p/b.go" not in world.server.pulls[1]["body"]


@pytest.mark.parametrize("how", ["a commit of their own", "an amended bot commit"])
def test_commits_others_pushed_to_the_branch_are_never_overwritten(world: World, how: str) -> None:
    assert pr()[0] == 0
    (branch,) = bot_branches(world)
    maintainer = world.work.parent / "maintainer"
    subprocess.run(["git", "clone", "-q", str(world.remote), str(maintainer)], check=True)
    git(maintainer, "checkout", "-q", branch)
    with (maintainer / "p" / "helpers.go").open("a") as helpers:
        helpers.write("// reviewer tweak\n")
    git(maintainer, "add", "-A")
    if how == "a commit of their own":
        git(maintainer, "commit", "-q", "-m", "Maintainer: address review comments")
    else:
        git(maintainer, "commit", "-q", "--amend", "--no-edit")  # the author stays the bot
    git(maintainer, "push", "-q", "--force", "origin", f"HEAD:{branch}")
    theirs = git(maintainer, "rev-parse", "HEAD")
    subject = git(maintainer, "log", "-1", "--format=%s")
    (world.work / "p" / "b.go").write_bytes(b"package p\n\nfunc g() { leak() }\n")
    commit_all(world.work, "another leak")
    git(world.work, "push", "-q", "origin", "main")
    code, _, err = pr()
    assert code == 0
    assert err == (
        f"gofixleak pr: branch {branch} of pull request #1 has a commit that gofixleak did not "
        f'write ({theirs[:7]} "{subject}", committed by Test User); not overwriting it: merge '
        "or close the pull request, then run again: https://github.example/acme/widgets/pull/1\n"
    )
    assert remote_git(world, "rev-parse", branch) == theirs
    assert world.server.calls("PATCH") == [] and len(world.server.pulls) == 1


def test_a_pull_request_closed_unmerged_is_not_reopened(world: World) -> None:
    assert pr()[0] == 0
    (branch,) = bot_branches(world)
    pushed = remote_git(world, "rev-parse", branch)
    world.server.close(1)
    code, _, err = pr()
    assert code == 0
    assert "closed without merging in pull request #1; not proposing them again" in err
    assert len(world.server.calls("POST")) == 1
    assert remote_git(world, "rev-parse", branch) == pushed
    code, _, err = pr("--force")
    assert code == 0, err
    assert "opened pull request #2" in err


def test_rejected_fixes_stay_out_when_new_fixes_come(world: World) -> None:
    assert pr()[0] == 0  # pull request #1: both fixes in p/a.go
    world.server.close(1)
    (world.work / "p" / "b.go").write_bytes(b"package p\n\nfunc g() { leak() }\n")
    commit_all(world.work, "another leak")
    git(world.work, "push", "-q", "origin", "main")
    code, _, err = pr()
    assert code == 0, err
    assert err.splitlines() == [
        "gofixleak pr: p/a.go (fake-leak), p/a.go (fake-other): closed without merging in pull "
        "request #1; not proposing them again (--force does): "
        "https://github.example/acme/widgets/pull/1",
        "gofixleak pr: opened pull request #2: https://github.example/acme/widgets/pull/2",
    ]
    body = world.server.pulls[2]["body"]
    assert "| `p/b.go` | 3 | `fake-leak` | call stop() | safe |" in body and "p/a.go" not in body
    branch = world.server.pulls[2]["head"]
    assert remote_git(world, "show", f"{branch}:p/a.go") + "\n" == CALLS.decode()
    assert "stop()" in remote_git(world, "show", f"{branch}:p/b.go")
    # An unrelated edit to p/a.go does not make its rejected fixes new.
    (world.work / "p" / "a.go").write_bytes(CALLS.replace(b"func f", b"// f calls.\nfunc f"))
    commit_all(world.work, "a comment")
    git(world.work, "push", "-q", "origin", "main")
    code, _, err = pr()
    assert code == 0 and "pull request #2 already proposes these fixes" in err
    code, _, err = pr("--force")
    assert code == 0 and "updated pull request #2 with the new fixes" in err
    assert "p/a.go" in world.server.pulls[2]["body"]


def test_a_new_fix_beside_a_rejected_one_of_its_rule_waits_with_it(world: World) -> None:
    assert pr()[0] == 0
    world.server.close(1)
    (world.work / "p" / "a.go").write_bytes(CALLS + b"\nfunc h() { leak() }\n")
    commit_all(world.work, "a second leak() in p/a.go")
    git(world.work, "push", "-q", "origin", "main")
    code, _, err = pr()
    assert code == 0, err
    # fake-leak's fixes in p/a.go change the rejected line and a new one: they stay out, together.
    assert err == (
        "gofixleak pr: p/a.go (fake-leak), p/a.go (fake-other): closed without merging in pull "
        "request #1; not proposing them again (--force does): "
        "https://github.example/acme/widgets/pull/1\n"
    )
    assert len(world.server.pulls) == 1


def test_a_pull_request_from_before_fixes_were_recorded_rejects_its_whole_set(
    world: World,
) -> None:
    assert pr()[0] == 0
    body = world.server.pulls[1]["body"]
    assert re.search(r"^<!-- gofixleak:fixes=[0-9a-f:, ]+ -->$", body, re.M)
    world.server.pulls[1]["body"] = re.sub(r"<!-- gofixleak:fixes=[^>]*-->\n", "", body)
    world.server.close(1)
    code, _, err = pr()
    assert code == 0
    held = "p/a.go (fake-leak), p/a.go (fake-other): closed without merging in pull request #1"
    assert held in err
    assert len(world.server.pulls) == 1


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


@pytest.mark.parametrize("branch", ["feature/secret-work", "main"])
def test_the_fixes_are_built_on_the_base_branch_not_on_local_commits(
    world: World, monkeypatch: pytest.MonkeyPatch, branch: str
) -> None:
    if branch != "main":
        git(world.work, "checkout", "-q", "-b", branch)
    wip = b"package p\n\nconst Unreleased = 42\n\nfunc w() { leak() }\n"
    (world.work / "p" / "wip.go").write_bytes(wip)
    commit_all(world.work, "WIP: private, not for main")
    private = git(world.work, "rev-parse", "HEAD")
    monkeypatch.chdir(world.work / "p")  # from a subdirectory: "." is p/ on the base branch too
    code, _, err = pr()
    assert code == 0 and "opened pull request #1" in err, err
    (bot,) = bot_branches(world)
    log = remote_git(world, "log", "--format=%s", f"main..{bot}")
    assert log.splitlines() == [
        "Fix 1 goroutine leak found by fake-other",
        "Fix 1 goroutine leak found by fake-leak",
    ]
    assert remote_git(world, "rev-parse", f"{bot}~2") == remote_git(world, "rev-parse", "main")
    assert "p/wip.go" not in remote_git(world, "ls-tree", "-r", "--name-only", bot)
    assert "p/wip.go" not in world.server.pulls[1]["body"]  # its leak is not on main
    unknown = subprocess.run(["git", "cat-file", "-e", private], cwd=world.remote, check=False)
    assert unknown.returncode != 0  # the private commit never left the machine
    assert git(world.work, "rev-parse", "--abbrev-ref", "HEAD") == branch
    assert git(world.work, "rev-parse", "HEAD") == private
    assert git(world.work, "status", "--porcelain") == ""


def test_a_path_that_is_not_on_the_base_branch_is_named(world: World) -> None:
    git(world.work, "checkout", "-q", "-b", "feature")
    (world.work / "q").mkdir()
    (world.work / "q" / "q.go").write_bytes(b"package q\n\nfunc q() { leak() }\n")
    commit_all(world.work, "q")
    code, _, err = pr("q")
    assert code == 2
    assert err.startswith("gofixleak pr: q: ") and err.count("\n") == 1
    assert err.endswith(" (on main as fetched, where the fixes are found)\n")


def test_the_remote_is_checked_before_the_slow_verification(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("verified before the remote was checked")

    monkeypatch.setattr(verify, "verify", never)
    missing = world.work.parent / "missing.git"
    git(world.work, "remote", "set-url", "--push", "origin", str(missing))
    code, _, err = pr()
    assert code == 2
    assert err == (
        f"gofixleak pr: cannot push to origin ({missing}): git push failed: '{missing}' does not "
        "appear to be a git repository; Could not read from remote repository.\n"
    )
    git(world.work, "remote", "set-url", "origin", str(missing))
    code, _, err = pr("--dry-run")
    assert code == 2
    assert err == (
        f"gofixleak pr: cannot tell the default branch of origin: git ls-remote failed: "
        f"'{missing}' does not appear to be a git repository; Could not read from remote "
        "repository.\n"
    )
    code, _, err = pr("--dry-run", "--base", "main")
    assert err == (
        f"gofixleak pr: cannot fetch main from origin: git fetch failed: '{missing}' does not "
        "appear to be a git repository; Could not read from remote repository.\n"
    )


def test_a_separate_push_url_is_where_the_branch_is_looked_for(world: World) -> None:
    mirror = world.work.parent / "mirror.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(world.remote), str(mirror)], check=True)
    git(world.work, "remote", "set-url", "--push", "origin", str(mirror))
    world.server.remote = mirror  # the pull request's branch is where pushes go
    world.server.failures[("POST", "pulls")] = Failure(422, {"message": "Validation Failed"})
    assert pr()[0] == 2  # the branch is pushed to the mirror, the pull request not opened
    code, _, err = pr()
    assert code == 0, err
    assert "opened pull request #1" in err
    assert bot_branches(world) == []  # nothing went to the fetch URL


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
    assert "--verify" not in err  # pr has no such option: it always verifies
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


# -- tokens (B1) --------------------------------------------------------------------------------


def token_forms(raw: str) -> set[str]:
    """Every way an error could spell the token: as set, stripped, repr, its long parts."""
    forms = {raw, raw.strip(), repr(raw)[1:-1], repr(raw.strip())[1:-1]}
    return forms | {part for part in raw.split() if len(part) >= 8}


@pytest.mark.parametrize("raw", [f"{TOKEN}\n", f"{TOKEN}\r\n", f"  {TOKEN}\r", f"\t{TOKEN} "])
def test_a_token_with_whitespace_around_it_is_used_without(
    world: World, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", raw)  # a secret file's final newline, CRLF, a paste
    code, _, err = pr()
    assert code == 0, err
    (create,) = world.server.calls("POST")
    assert create.authorization == f"token {TOKEN}"


def _wrong_token(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.server.token = "ghp_the_right_one"


def _echoing_server(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    echo = f"proxy refused Authorization: token {TOKEN}, {TOKEN!r}"
    world.server.failures[("GET", "repo")] = Failure(403, {"message": echo})


def _unreachable_api(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{port}/api/v3")


def _internal_error(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise RuntimeError(f"unexpected state with {TOKEN!r} and {TOKEN + chr(10)!r}")

    monkeypatch.setattr(verify, "find_go", broken)


def _push_url_with_the_token(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://x-access-token:{TOKEN}@127.0.0.1:{port}/acme/widgets.git"
    git(world.work, "remote", "set-url", "--push", "origin", url)


@pytest.mark.parametrize(
    "provoke",
    [_wrong_token, _echoing_server, _unreachable_api, _internal_error, _push_url_with_the_token],
)
@pytest.mark.parametrize("raw", [f"{TOKEN}\n", f"{TOKEN}\r", TOKEN])
def test_no_form_of_the_token_is_ever_printed(
    world: World, monkeypatch: pytest.MonkeyPatch, provoke: Callable[..., None], raw: str
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", raw)
    provoke(world, monkeypatch)
    code, out, err = pr()
    assert code == 2 and err.startswith("gofixleak pr: ")
    assert not {form for form in token_forms(raw) if form in out + err}, err


@pytest.mark.parametrize("raw", [f"{TOKEN[:12]} {TOKEN[12:]}", f"{TOKEN}\nsecond-line-of-the-file"])
def test_a_token_with_whitespace_inside_is_refused_unprinted(
    world: World, monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", raw)
    code, out, err = pr()
    assert code == 2
    assert err == (
        "gofixleak pr: GITHUB_TOKEN holds whitespace, control or non-ASCII characters inside it; "
        "set it to the token alone\n"
    )
    assert not {form for form in token_forms(raw) if form in out + err}
    assert world.server.requests == []


def test_redact_hides_every_form_of_a_token() -> None:
    raw = f"{TOKEN}\r\n"
    text = f"header {('Authorization', 'token ' + raw)!r}; json {json.dumps(raw)}; {TOKEN}"
    assert github.redact(text, raw) == "header ('Authorization', 'token ***'); json \"***\"; ***"


# -- GitHub's answers (B13, B14) -----------------------------------------------------------------

RATE_LIMITED = "API rate limit exceeded for user ID 1."
SECONDARY = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retries as in real runs; the client's waits are recorded, not slept."""
    slept: list[float] = []
    monkeypatch.setattr(github, "RETRIES", 3)
    monkeypatch.setattr(github, "sleep", slept.append)
    return slept


def at(seconds: float) -> str:
    """``HH:MM UTC`` of now + ``seconds``, as the rate-limit message writes it (with the date
    when that is another day than today)."""
    now = datetime.now(UTC)
    then = now + timedelta(seconds=seconds)
    return f"{then:%H:%M} UTC" if then.date() == now.date() else f"{then:%Y-%m-%d %H:%M} UTC"


def test_a_short_rate_limit_is_waited_for_quietly(world: World, waits: list[float]) -> None:
    reset = str(int(time.time()) + 20)
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
    limited = Failure(403, {"message": RATE_LIMITED}, headers=headers)
    world.server.failures[("GET", "repo")] = limited
    code, _, err = pr()
    assert code == 0
    assert err == "gofixleak pr: opened pull request #1: https://github.example/acme/widgets/pull/1\n"
    assert len(waits) == 1 and 19 <= waits[0] <= 22


@pytest.mark.parametrize(
    ("status", "message", "headers"),
    [
        (403, RATE_LIMITED, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "{reset}"}),
        (429, "Too Many Requests", {"Retry-After": "3600"}),
        (403, SECONDARY, {"Retry-After": "3600"}),
    ],
)
def test_a_long_rate_limit_is_not_waited_for_and_is_named(
    world: World, waits: list[float], status: int, message: str, headers: dict[str, str]
) -> None:
    headers = {k: v.format(reset=int(time.time()) + 3600) for k, v in headers.items()}
    world.server.failures[("GET", "repo")] = Failure(status, {"message": message}, headers=headers)
    code, _, err = pr()
    assert code == 2 and waits == []
    assert err in {
        f"gofixleak pr: reading repository acme/widgets: rate limited by GitHub until {until} "
        f"({status} {message}); run again after that\n"
        for until in (at(3600), at(3601), at(3602))
    }
    assert len(world.server.calls("GET")) == 1
    assert bot_branches(world) == []


def test_rate_limit_waits_add_up_to_at_most_a_minute(world: World, waits: list[float]) -> None:
    world.server.failures[("GET", "repo")] = Failure(
        429, {"message": "Too Many Requests"}, headers={"Retry-After": "25"}, times=10
    )
    code, _, err = pr()
    assert code == 2
    assert waits == [25, 25]  # a third would pass 60 s
    assert "reading repository acme/widgets: rate limited by GitHub until" in err
    assert len(world.server.calls("GET")) == 3


@pytest.mark.parametrize(
    "failure",
    [
        Failure(502, {"message": "Bad Gateway"}, times=2),
        Failure(raw=b'[{"number": 1', cut=True, times=2),
        Failure(disconnect=True, times=2),
    ],
)
def test_a_failed_read_is_retried(world: World, waits: list[float], failure: Failure) -> None:
    world.server.failures[("GET", "pulls")] = failure
    code, _, err = pr()
    assert code == 0, err
    assert waits == [1, 2]


@pytest.mark.parametrize(
    ("failure", "said"),
    [
        (Failure(502, {"message": "Bad Gateway"}, times=5), "GitHub answered 502 Bad Gateway"),
        (
            Failure(403, {"message": SECONDARY}, headers={"Retry-After": "1"}, times=5),
            "rate limited by GitHub until",
        ),
        (Failure(delay=1.5), "did not answer within 0.5 s"),
        (Failure(disconnect=True), "the connection was closed before an answer came"),
        (
            Failure(raw=b'{"number": 1', cut=True),
            "the connection broke before the whole answer came",
        ),
    ],
)
def test_the_post_that_opens_the_pull_request_is_sent_once(
    world: World, waits: list[float], monkeypatch: pytest.MonkeyPatch, failure: Failure, said: str
) -> None:
    monkeypatch.setattr(github, "TIMEOUT_SECONDS", 0.5)
    world.server.failures[("POST", "pulls")] = failure
    code, _, err = pr()
    assert code == 2
    assert said in err and err.count("\n") == 1
    (branch,) = bot_branches(world)
    assert f"(branch {branch} is pushed; re-run to finish)" in err
    assert len(world.server.calls("POST")) == 1
    world.server.failures.clear()
    if failure.delay:  # the late answer does open it, once the server gets to it
        wait_until(lambda: bool(world.server.pulls))
    code, _, err = pr()  # the re-run finds the pull request, or opens it
    assert code == 0, err
    assert len(world.server.pulls) == 1


CAPTIVE = b"<html><body>Please log in to the guest network</body></html>"


@pytest.mark.parametrize(
    ("route", "failure", "said"),
    [
        (
            ("GET", "repo"),
            Failure(raw=b"{not json at all"),
            'reading repository acme/widgets: the GitHub API at {url} did not answer with JSON '
            '(200, application/json: "{{not json at all")',
        ),
        (
            ("GET", "repo"),
            Failure(raw=b""),
            "reading repository acme/widgets: the GitHub API at {url} did not answer with JSON "
            "(200, application/json: an empty body)",
        ),
        (
            ("GET", "repo"),
            Failure(raw=b"[1,2,3]"),
            "reading repository acme/widgets: the GitHub API at {url} answered with unexpected "
            'JSON (200, the answer is a list, not an object: "[1,2,3]")',
        ),
        (
            ("GET", "pulls"),
            Failure(raw=CAPTIVE, content_type="text/html"),
            "listing closed pull requests: the GitHub API at {url} did not answer with JSON "
            '(200, text/html: "<html><body>Please log in to the guest network</body></html>")',
        ),
        (
            ("POST", "pulls"),
            Failure(raw=b'{"number": "x"}', status=201),
            "opening a pull request from gofixleak/",
        ),
        (
            ("POST", "pulls"),
            Failure(raw=b'{"number": "x"}', status=201),
            'the GitHub API at {url} answered with unexpected JSON (201, "number" is a string, '
            'not a whole number: "{{\\"number\\": \\"x\\"}}")',
        ),
        (
            ("GET", "repo"),
            Failure(403, {"message": "Forbidden"}),
            "reading repository acme/widgets: GitHub refused (403 Forbidden); the token needs "
            "contents and pull-requests write access",
        ),
        (
            ("GET", "repo"),
            Failure(502, raw=b"<html>502 Bad Gateway</html>", content_type="text/html"),
            'reading repository acme/widgets: GitHub answered 502 Bad Gateway ("<html>502 Bad '
            'Gateway</html>")',
        ),
    ],
)
def test_an_unexpected_answer_is_one_clear_line(
    world: World, route: tuple[str, str], failure: Failure, said: str
) -> None:
    world.server.failures[route] = failure
    code, _, err = pr()
    assert code == 2
    assert said.format(url=world.server.url) in err
    assert err.startswith("gofixleak pr: ") and err.count("\n") == 1
    assert "internal error" not in err


@pytest.mark.parametrize("url", ["not-a-url", "ftp://ghe.example.com/api/v3", "https://", "http://h:99999"])
def test_a_bad_api_url_is_refused_before_any_work(
    world: World, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("GITHUB_API_URL", url)
    code, _, err = pr()
    assert code == 2
    assert err == (
        f"gofixleak pr: GITHUB_API_URL {url!r} is not an http or https URL with a host "
        "(GitHub Enterprise: https://HOST/api/v3; unset: https://api.github.com)\n"
    )
    assert bot_branches(world) == []
