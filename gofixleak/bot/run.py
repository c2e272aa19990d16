"""The work of ``gofixleak pr`` (the command is in gofixleak/bot/command.py): verified fixes,
one commit per rule, one pull request, never a broken build.

1. Refuse a dirty work tree; check the token, the repository, the API and that the remote takes
   a push, then fetch the base branch: all before any slow work.
2. Find the fixes on the base branch's fetched tip (the checkout when it is that commit, else a
   copy of that commit's files), safe only unless --unsafe-fixes, and verify them (go build +
   go vet through an overlay; --verify-tests adds go test).
3. Commit them on that tip, one commit per rule, on a branch named from their fingerprint: local
   commits are never pushed.
4. Push it and open the pull request, or: nothing to do when an open one has the same
   fingerprint; update the open gofixleak pull request when the fixes changed; do not propose
   again fixes whose pull request was closed unmerged (unless --force).
--dry-run prints the branch, commit messages and body, and neither commits nor pushes.

Exit status: 0 done (or nothing to do), 2 an error; the token never appears in any output.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

import typer

from gofixleak import api, verify
from gofixleak.bot import github, plan
from gofixleak.bot.git import Commit, Git, GitError, Identity
from gofixleak.model import FileResult

EXIT_OK, EXIT_ERROR = 0, 2
DEFAULT_AUTHOR = "gofixleak bot <gofixleak-bot@users.noreply.github.com>"


def run(
    paths: list[str],
    options: api.Options,
    *,
    repo: str | None,
    remote: str,
    base: str | None,
    author: str,
    dry_run: bool,
    force: bool,
    verify_tests: bool,
) -> int:
    """Open (or update) one pull request with the verified fixes; the exit status."""
    token = os.environ.get("GITHUB_TOKEN") or None  # as set: redacted in every form it can take
    try:
        _run(
            paths,
            _Settings(repo, remote, base, author, dry_run, force),
            options,
            verify_tests=verify_tests,
            token=token,
        )
    except _LeftAlone as done:
        _say(github.redact(str(done), token))
    except (_Failure, GitError, github.GitHubError, verify.VerifyError, ValueError) as error:
        _say(github.redact(str(error), token))
        return EXIT_ERROR
    except Exception as error:  # a bug: still no traceback, whose locals would show the token
        _say(github.redact(f"internal error: {type(error).__name__}: {error}", token))
        return EXIT_ERROR
    return EXIT_OK


class _Failure(Exception):
    """Stop with this message (already safe to print) and exit 2."""


class _LeftAlone(Exception):
    """Stop with this message: there is nothing the bot may do now (exit 0)."""


def _say(message: str) -> None:
    typer.echo(f"gofixleak pr: {message}", err=True)


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
    root = Git(os.getcwd()).toplevel()
    git = Git(root)  # some plumbing (checkout-index --all) works on the current directory only
    dirty = git.dirty_paths()
    if dirty:
        shown = ", ".join(dirty[:10]) + (", ..." if len(dirty) > 10 else "")
        raise _Failure(f"the work tree has uncommitted changes ({shown}); commit or stash them")
    options.rules()  # unknown rule names, a missing token or toolchain: errors before any work
    client = None if settings.dry_run else _client(settings, git, token)
    _find_go()
    # The token, the repository, the API and the remote answer before the slow verification.
    base = _base_branch(settings, git, client)
    target = _Target(base, _fetch(git, settings.remote, base), git.push_url(settings.remote))
    if client is not None:
        _check_push(git, settings.remote, target)
    rejections = None if client is None or settings.force else _Rejected(client, options)
    proposal = _proposal(paths, options, git, root, target, rejections, verify_tests)
    if proposal is None:
        if rejections is None or not rejections.held:
            _say("no verified fix to propose")
    elif client is None:
        _print_dry_run(proposal, settings)
    else:
        _publish(proposal, settings, git, client, target)


def _proposal(
    paths: list[str],
    options: api.Options,
    git: Git,
    root: str,
    target: _Target,
    rejections: _Rejected | None,
    verify_tests: bool,
) -> plan.Plan | None:
    """The verified fixes found on the base branch's tip, less those rejected before."""
    with _tree(git, root, target) as tree:
        on = "" if tree == root else f" (on {target.branch} as fetched, where the fixes are found)"
        moved = _paths_in(paths, root, tree)
        verified = _verified(moved, options, git, tree, target, on, verify_tests)
        proposal = plan.build(verified, options, tree)
        if proposal is None or rejections is None:
            return proposal
        return rejections.left_out(proposal, verified, tree, verify_tests)


@dataclass(frozen=True, slots=True)
class _Target:
    """The branch the pull request targets, its tip as fetched, and where pushes go."""

    branch: str
    commit: str
    push_url: str


def _find_go() -> None:
    try:
        verify.find_go()
    except verify.VerifyError:
        raise _Failure(
            "no `go` command is on PATH: gofixleak pr builds and vets every fix before it "
            "proposes it; install Go (https://go.dev/dl/)"
        ) from None


def _base_branch(settings: _Settings, git: Git, client: github.GitHub | None) -> str:
    if client is not None:
        default = client.default_branch()  # also proves the token can read the repository
        return settings.base or default
    if settings.base:
        return settings.base
    unknown = f"cannot tell the default branch of {settings.remote}"
    try:
        named = git.remote_default_branch(settings.remote)
    except GitError as error:
        raise _Failure(f"{unknown}: {error}") from None
    if named is None:
        raise _Failure(f"{unknown}: its HEAD names no branch; pass --base BRANCH")
    return named


def _fetch(git: Git, remote: str, branch: str) -> str:
    try:
        return git.fetch(remote, branch)
    except GitError as error:
        raise _Failure(f"cannot fetch {branch} from {remote}: {error}") from None


def _check_push(git: Git, remote: str, target: _Target) -> None:
    try:
        git.check_push(remote, target.commit)
    except GitError as error:
        raise _Failure(f"cannot push to {remote} ({target.push_url}): {error}") from None


@contextlib.contextmanager
def _tree(git: Git, root: str, target: _Target) -> Iterator[str]:
    """The top level of a work tree holding the base branch's tip: the checkout itself when it
    is that commit (and clean), else a copy of that commit's files, with the current directory
    moved to the same place in it, so that the paths given mean the same there."""
    if git.head() == target.commit:
        yield root
        return
    here = os.path.relpath(os.getcwd(), root)
    with tempfile.TemporaryDirectory(prefix="gofixleak-base-") as folder:
        git.export(target.commit, folder)
        inside = os.path.normpath(os.path.join(folder, here))
        if not os.path.isdir(inside):
            raise _Failure(
                f"the current directory ({here}) is not on {target.branch}: the fixes are found "
                f"on {target.branch} as fetched; run from a directory it has"
            )
        with contextlib.chdir(inside):
            yield folder


def _paths_in(paths: list[str], root: str, tree: str) -> list[str]:
    """The paths given, in ``tree`` (relative ones already are: the current directory moved)."""
    if tree == root:
        return paths
    moved = []
    for path in paths:
        if os.path.isabs(path):
            inside = os.path.relpath(os.path.realpath(path), os.path.realpath(root))
            path = path if inside.startswith("..") else os.path.join(tree, inside)
        moved.append(path)
    return moved


def _client(settings: _Settings, git: Git, value: str | None) -> github.GitHub:
    token = github.token_from(value)
    if not token:
        raise _Failure("GITHUB_TOKEN is not set: it is needed to open the pull request")
    api_url = github.api_url_from(os.environ.get("GITHUB_API_URL"))
    return github.GitHub(_repository(settings, git), token, api_url)


def _verified(
    paths: list[str],
    options: api.Options,
    git: Git,
    root: str,
    target: _Target,
    on: str,
    verify_tests: bool,
) -> verify.Verification:
    """The fixes found under ``paths`` that passed verification."""
    # Only files git tracks: an ignored file (generated, vendored by hand) is not the repo's code.
    tracked = git.files_in(target.commit)
    found = [(r, plan.relative(r.path, root) in tracked) for r in api.run(paths, options)]
    # A tracked file's error, or a path's (missing, unreadable): never one of an ignored file.
    errors = [r.error for r, ours in found if r.error and (ours or not os.path.isfile(r.path))]
    results = [r for r, ours in found if ours]
    if errors:
        raise _Failure("; ".join(errors) + on)
    return _verify(results, options, verify_tests)


def _verify(
    results: list[FileResult], options: api.Options, verify_tests: bool
) -> verify.Verification:
    verified = verify.verify(results, options, tests=verify_tests)
    for dropped in verified.dropped:
        _say(dropped.describe())
    return verified


class _Rejected:
    """Leaves out of a plan the fixes that were in pull requests closed without merging."""

    def __init__(self, client: github.GitHub, options: api.Options) -> None:
        self.client = client
        self.options = options
        self.closed: list[github.PullRequest] = []
        self.held = False

    def left_out(
        self, proposal: plan.Plan, verified: verify.Verification, root: str, verify_tests: bool
    ) -> plan.Plan | None:
        """The plan without the rejected fixes, verified again (what is left of a package
        could, in principle, build differently)."""
        self.closed = self.client.closed_unmerged(proposal.branch)
        current: plan.Plan | None = proposal
        while current is not None:
            held = self._held(current)
            if not held:
                break
            self.held = True
            for pull, units in held.items():
                _say(_held_message(pull, units))
            units = [unit for units in held.values() for unit in units]
            results = plan.leave_out(verified.results, units, self.options, root)
            verified = _verify(results, self.options, verify_tests)
            current = plan.build(verified, self.options, root)
        return current

    def _held(self, proposal: plan.Plan) -> dict[github.PullRequest, list[plan.Unit]]:
        held: dict[github.PullRequest, list[plan.Unit]] = {}
        taken: set[plan.Unit] = set()
        for pull in self.closed:
            marks = plan.fixes_of(pull.body)
            if marks is not None:
                units = plan.rejected(proposal.units, marks)
            elif github.holds(pull.body, pull.head_ref, proposal.fingerprint, proposal.branch):
                units = list(proposal.units)  # opened before fixes were recorded: the whole set
            else:
                units = []
            units = [unit for unit in units if unit not in taken]
            if units:
                held[pull] = units
                taken.update(units)
        return held


def _held_message(pull: github.PullRequest, units: list[plan.Unit]) -> str:
    shown = ", ".join(str(unit) for unit in units[:5])
    more = f" and {len(units) - 5} more" if len(units) > 5 else ""
    them = "it" if len(units) == 1 else "them"
    return (
        f"{shown}{more}: closed without merging in pull request #{pull.number}; not proposing "
        f"{them} again (--force does): {pull.url}"
    )


def _print_dry_run(proposal: plan.Plan, settings: _Settings) -> None:
    typer.echo(f"branch: {proposal.branch}")
    typer.echo(f"author: {settings.author}")
    for commit in proposal.commits:
        typer.echo(f"\n--- commit ({commit.rule}) ---\n{commit.message}", nl=False)
    typer.echo(f"\n--- pull request ---\ntitle: {proposal.title}\n\n{proposal.body}", nl=False)
    _say(f"dry run: {len(proposal.commits)} commit(s) on {proposal.branch}; nothing pushed")


def _publish(
    proposal: plan.Plan, settings: _Settings, git: Git, client: github.GitHub, target: _Target
) -> None:
    open_pulls = client.open_bot_pulls()
    for pull in open_pulls:
        if github.holds(pull.body, pull.head_ref, proposal.fingerprint, proposal.branch):
            _say(f"pull request #{pull.number} already proposes these fixes: {pull.url}")
            return
    head = _commit(proposal, settings, git, target)
    if open_pulls:
        _update(proposal, settings, git, client, open_pulls[0], head, target)
    else:
        _create(proposal, settings, git, client, head, target)


def _commit(proposal: plan.Plan, settings: _Settings, git: Git, target: _Target) -> str:
    """The fix commits, on the base branch's fetched tip (never on local commits)."""
    commit = target.commit
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
    target: _Target,
) -> None:
    where = f"branch {pull.head_ref} of pull request #{pull.number}"
    tip = _own_tip(git, target, pull.head_ref, where, pull.url)
    git.push(settings.remote, head, pull.head_ref, expected=tip)
    git.set_branch(pull.head_ref, head)
    try:
        client.update(pull.number, proposal.title, proposal.body)
    except github.GitHubError as error:
        raise _Failure(f"{error} (branch {pull.head_ref} is pushed; re-run to finish)") from None
    _say(f"updated pull request #{pull.number} with the new fixes: {pull.url}")


def _create(
    proposal: plan.Plan,
    settings: _Settings,
    git: Git,
    client: github.GitHub,
    head: str,
    target: _Target,
) -> None:
    # Left by a run that failed after its push: pushed to again, if nobody else did.
    pushed = _own_tip(git, target, proposal.branch, f"branch {proposal.branch}", "")
    git.push(settings.remote, head, proposal.branch, expected=pushed)
    git.set_branch(proposal.branch, head)
    try:
        pull = client.create(proposal.title, proposal.body, proposal.branch, target.branch)
    except github.GitHubError as error:
        raise _Failure(f"{error} (branch {proposal.branch} is pushed; re-run to finish)") from None
    _say(f"opened pull request #{pull.number}: {pull.url}")


def _own_tip(git: Git, target: _Target, branch: str, where: str, url: str) -> str | None:
    """The commit ``branch`` points to where pushes go (None: there is no such branch), for a
    push that replaces it, if every commit on it that the base does not have is gofixleak's;
    else _LeftAlone: someone's work on the branch is never overwritten."""
    tip = git.remote_branch(target.push_url, branch)
    if tip is None:
        return None
    commits = git.commits_not_in(target.push_url, branch, tip, target.commit)
    foreign = [c for c in commits if not _is_gofixleaks(c)]
    if not foreign:
        return tip
    shown = ", ".join(
        f'{c.sha[:7]} "{c.subject}", committed by {c.committer.name}' for c in foreign[:3]
    )
    more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
    count = "a commit" if len(foreign) == 1 else f"{len(foreign)} commits"
    them = "it" if len(foreign) == 1 else "them"
    raise _LeftAlone(
        f"{where} has {count} that gofixleak did not write ({shown}{more}); not overwriting "
        f"{them}: merge or close the pull request, then run again" + (f": {url}" if url else "")
    )


def _is_gofixleaks(commit: Commit) -> bool:
    """Written by gofixleak: its message, committed as it was authored (an amend, a rebase or a
    cherry-pick by someone else changes the committer)."""
    return plan.is_commit_message(commit.message) and commit.author == commit.committer


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
