"""``gofixleak pr``: verified fixes, one commit per rule, one pull request, never a broken build.

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

from typing import Annotated

import typer

from gofixleak import api
from gofixleak.model import Applicability
from gofixleak.options import IgnoreOption, SelectOption, rule_names

# The bot's work (git, the GitHub API, verification) is imported when the command runs: a plain
# check never loads it (gofixleak/bot/run.py).
DEFAULT_AUTHOR = "gofixleak bot <gofixleak-bot@users.noreply.github.com>"


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
    from gofixleak.bot import run

    options = api.Options(
        select=rule_names(select) or None,
        ignore=rule_names(ignore),
        fix=Applicability.UNSAFE if unsafe_fixes else Applicability.SAFE,
        use_config=True,  # the repository's .gofixleak.toml governs what is proposed
        unsafe_fixes=True if unsafe_fixes else None,
    )
    raise typer.Exit(
        run.run(
            paths or ["."],
            options,
            repo=repo,
            remote=remote,
            base=base,
            author=author,
            dry_run=dry_run,
            force=force,
            verify_tests=verify_tests,
        )
    )


def parse_repository(url: str) -> str | None:
    """``owner/name`` from a GitHub remote URL (see gofixleak/bot/run.py)."""
    from gofixleak.bot import run

    return run.parse_repository(url)


def register(app: typer.Typer) -> None:
    """Add the ``pr`` command to the gofixleak CLI."""
    app.command("pr")(pr)
