"""``gofixleak pr``: verified fixes, one commit per rule, one pull request, never a broken build.

1. Refuse a dirty work tree; find the fixes (safe only, unless --unsafe-fixes) and verify them
   (go build + go vet through an overlay; --verify-tests adds go test).
2. Commit them, one commit per rule, on a branch named from their fingerprint.
3. Push it and open the pull request, or: nothing to do when an open one has the same
   fingerprint; update the open gofixleak pull request when the fixes changed; do not propose
   again fixes whose pull request was closed unmerged (unless --force).
--dry-run prints the branch, commit messages and body, and neither commits nor pushes.

Exit status: 0 done (or nothing to do), 2 an error; the token never appears in any output.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Annotated

import typer

from gofixleak import api
from gofixleak.bot.git import Git, GitError, Identity
from gofixleak.model import Applicability
from gofixleak.options import IgnoreOption, SelectOption, rule_names

# Every gofixleak command line registers `pr`, so this module is imported on each start: what
# only the bot uses (verify, the plan, the GitHub client) is imported when `pr` runs.
if TYPE_CHECKING:
    from gofixleak.bot import github, plan

EXIT_OK, EXIT_ERROR = 0, 2
DEFAULT_AUTHOR = "gofixleak bot <gofixleak-bot@users.noreply.github.com>"


class _Failure(Exception):
    """Stop with this message (already safe to print) and exit 2."""


def _say(message: str) -> None:
    typer.echo(f"gofixleak pr: {message}", err=True)


def pr(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Go files or directories to fix. Default: .")
    ] = None,
    repo: Annotated[
        str | None,
        typer.Option(
            "--repo",
            help="owner/name on GitHub (default: $GITHUB_REPOSITORY, else the remote's URL).",
        ),
    ] = None,
    remote: Annotated[str, typer.Option("--remote", help="The git remote to push to.")] = "origin",
    base: Annotated[
        str | None,
        typer.Option("--base", help="Branch the pull request targets (default: the repo's)."),
    ] = None,
    author: Annotated[
        str, typer.Option("--author", help="Author and committer of the commits.")
    ] = DEFAULT_AUTHOR,
    unsafe_fixes: Annotated[
        bool, typer.Option("--unsafe-fixes", help="Also propose fixes that need review.")
    ] = False,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    verify_tests: Annotated[
        bool, typer.Option("--verify-tests", help="Also drop fixes whose package's go test fails.")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print branch, commit messages and body; push nothing."),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Propose fixes even if their PR was closed unmerged.")
    ] = False,
) -> None:
    """Open (or update) one pull request with the verified fixes, one commit per rule."""
    from gofixleak import verify
    from gofixleak.bot import github

    token = os.environ.get("GITHUB_TOKEN") or None
    try:
        _run(
            paths or ["."],
            _Settings(repo, remote, base, author, dry_run, force),
            api.Options(
                select=rule_names(select) or None,
                ignore=rule_names(ignore),
                fix=Applicability.UNSAFE if unsafe_fixes else Applicability.SAFE,
                use_config=True,  # the repository's .gofixleak.toml governs what is proposed
                unsafe_fixes=True if unsafe_fixes else None,
            ),
            verify_tests=verify_tests,
            token=token,
        )
    except (_Failure, GitError, github.GitHubError, verify.VerifyError, ValueError) as error:
        _say(github.redact(str(error), token))
        raise typer.Exit(EXIT_ERROR) from None
    except Exception as error:  # a bug: still no traceback, whose locals would show the token
        _say(github.redact(f"internal error: {type(error).__name__}: {error}", token))
        raise typer.Exit(EXIT_ERROR) from None
    raise typer.Exit(EXIT_OK)


class _Settings:
    def __init__(
        self,
        repo: str | None,
        remote: str,
        base: str | None,
        author: str,
        dry_run: bool,
        force: bool,
    ) -> None:
        self.repo = repo
        self.remote = remote
        self.base = base
        self.author = Identity.parse(author)
        self.dry_run = dry_run
        self.force = force


def _run(
    paths: list[str],
    settings: _Settings,
    options: api.Options,
    *,
    verify_tests: bool,
    token: str | None,
) -> None:
    from gofixleak import verify

    git = Git(os.getcwd())
    root = git.toplevel()
    dirty = git.dirty_paths()
    if dirty:
        shown = ", ".join(dirty[:10]) + (", ..." if len(dirty) > 10 else "")
        raise _Failure(f"the work tree has uncommitted changes ({shown}); commit or stash them")
    options.rules()  # unknown rule names, a missing token or toolchain: errors before any work
    client = None if settings.dry_run else _client(settings, git, token)
    verify.find_go()
    proposal = _propose(paths, options, git, root, verify_tests=verify_tests)
    if proposal is None:
        _say("no verified fix to propose")
    elif client is None:
        _print_dry_run(proposal, settings)
    else:
        _publish(proposal, settings, git, client)


def _client(settings: _Settings, git: Git, token: str | None) -> github.GitHub:
    from gofixleak.bot import github

    if not token:
        raise _Failure("GITHUB_TOKEN is not set: it is needed to open the pull request")
    api_url = os.environ.get("GITHUB_API_URL") or github.DEFAULT_API_URL
    return github.GitHub(_repository(settings, git), token, api_url)


def _propose(
    paths: list[str], options: api.Options, git: Git, root: str, *, verify_tests: bool
) -> plan.Plan | None:
    from gofixleak import verify
    from gofixleak.bot import plan

    # Only files git tracks: an ignored file (generated, vendored by hand) is not the repo's code.
    tracked = git.tracked_files()
    results = [r for r in api.run(paths, options) if plan.relative(r.path, root) in tracked]
    errors = [r.error for r in results if r.error is not None]
    if errors:
        raise _Failure("; ".join(errors))
    verified = verify.verify(results, options, tests=verify_tests)
    for dropped in verified.dropped:
        _say(dropped.describe())
    return plan.build(verified, options, root)


def _print_dry_run(proposal: plan.Plan, settings: _Settings) -> None:
    typer.echo(f"branch: {proposal.branch}")
    typer.echo(f"author: {settings.author}")
    for commit in proposal.commits:
        typer.echo(f"\n--- commit ({commit.rule}) ---\n{commit.message}", nl=False)
    typer.echo(f"\n--- pull request ---\ntitle: {proposal.title}\n\n{proposal.body}", nl=False)
    _say(f"dry run: {len(proposal.commits)} commit(s) on {proposal.branch}; nothing pushed")


def _publish(proposal: plan.Plan, settings: _Settings, git: Git, client: github.GitHub) -> None:
    from gofixleak.bot import github

    open_pulls = client.open_bot_pulls()
    for pull in open_pulls:
        if github.holds(pull.body, pull.head_ref, proposal.fingerprint, proposal.branch):
            _say(f"pull request #{pull.number} already proposes these fixes: {pull.url}")
            return
    if not settings.force:
        closed = client.closed_unmerged(proposal.fingerprint, proposal.branch)
        if closed is not None:
            _say(
                f"pull request #{closed.number} with these fixes was closed without merging; "
                f"not proposing them again (--force does): {closed.url}"
            )
            return
    head = _commit(proposal, settings, git)
    if open_pulls:
        _update(proposal, settings, git, client, open_pulls[0], head)
    else:
        _create(proposal, settings, git, client, head)


def _commit(proposal: plan.Plan, settings: _Settings, git: Git) -> str:
    commit = git.head()
    for step in proposal.commits:
        commit = git.commit(commit, dict(step.files), step.message, settings.author)
    return commit


def _update(
    proposal: plan.Plan,
    settings: _Settings,
    git: Git,
    client: github.GitHub,
    pull: github.PullRequest,
    head: str,
) -> None:
    from gofixleak.bot import github

    git.push(settings.remote, head, pull.head_ref, expected=pull.head_sha)
    git.set_branch(pull.head_ref, head)
    try:
        client.update(pull.number, proposal.title, proposal.body)
    except github.GitHubError as error:
        raise _Failure(f"{error} (branch {pull.head_ref} is pushed; re-run to finish)") from None
    _say(f"updated pull request #{pull.number} with the new fixes: {pull.url}")


def _create(
    proposal: plan.Plan, settings: _Settings, git: Git, client: github.GitHub, head: str
) -> None:
    from gofixleak.bot import github

    base = settings.base or client.default_branch()
    pushed = git.remote_branch(settings.remote, proposal.branch)  # left by a run that failed
    git.push(settings.remote, head, proposal.branch, expected=pushed)
    git.set_branch(proposal.branch, head)
    try:
        pull = client.create(proposal.title, proposal.body, proposal.branch, base)
    except github.GitHubError as error:
        raise _Failure(f"{error} (branch {proposal.branch} is pushed; re-run to finish)") from None
    _say(f"opened pull request #{pull.number}: {pull.url}")


_REMOTE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://[^/]+/|[^/:@]+@[^/:]+:)(?:.*/)?([\w.-]+)/([\w.-]+?)(?:\.git)?/?$"
)


def parse_repository(url: str) -> str | None:
    """owner/name from a GitHub remote URL (https, ssh or scp-like), or None."""
    match = _REMOTE.match(url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


def _repository(settings: _Settings, git: Git) -> str:
    """owner/name: --repo, else $GITHUB_REPOSITORY, else parsed from the remote's URL."""
    named = settings.repo or os.environ.get("GITHUB_REPOSITORY")
    if named:
        if not re.fullmatch(r"[\w.-]+/[\w.-]+", named):
            raise _Failure(f"repository {named!r} is not of the form owner/name")
        return named
    url = git.remote_url(settings.remote)
    parsed = parse_repository(url)
    if parsed is None:
        raise _Failure(f"cannot tell the GitHub repository from {url!r}: pass --repo owner/name")
    return parsed


def register(app: typer.Typer) -> None:
    """Add the ``pr`` command to the gofixleak CLI."""
    app.command("pr")(pr)
