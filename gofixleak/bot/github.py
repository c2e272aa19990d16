"""The GitHub REST calls of the bot, through PyGithub: find its pull requests, open, update.

Every failure becomes a GitHubError whose message says what was being done and what GitHub (or
the network) answered, with the token and any URL credentials redacted.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gofixleak.bot.plan import BRANCH_PREFIX, fingerprint_of

if TYPE_CHECKING:  # PyGithub is imported when the bot runs, not with every CLI start
    from github import GithubException
    from github.PullRequest import PullRequest as GithubPullRequest
    from github.Repository import Repository

DEFAULT_API_URL = "https://api.github.com"
TIMEOUT_SECONDS = 30
RETRIES = 3  # on 5xx and rate limits, with PyGithub's backoff
SECONDS_BETWEEN_REQUESTS: float | None = 0.25  # GitHub's advice against secondary rate limits
SECONDS_BETWEEN_WRITES: float | None = 1.0
CLOSED_SCAN = 100  # recently updated closed pull requests searched for a fingerprint


class GitHubError(Exception):
    """A GitHub API call failed; the message is safe to print."""


_CREDENTIALS_IN_URL = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` without the secrets, nor the ``user:password@`` part of any URL."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _CREDENTIALS_IN_URL.sub(r"\1***@", text)


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    url: str
    head_ref: str
    head_sha: str
    body: str
    merged: bool

    @property
    def fingerprint(self) -> str | None:
        return fingerprint_of(self.body)


def holds(body: str | None, head_ref: str, fingerprint: str, branch: str) -> bool:
    """Whether a pull request proposes the fixes of ``fingerprint``: the fingerprint its body
    records (its branch keeps its first name when it is updated), else its branch's name."""
    recorded = fingerprint_of(body)
    return recorded == fingerprint if recorded else head_ref == branch


def _pull(pull: GithubPullRequest) -> PullRequest:
    return PullRequest(
        pull.number,
        pull.html_url,
        pull.head.ref,
        pull.head.sha,
        pull.body or "",
        pull.merged_at is not None,
    )


class GitHub:
    """One repository on github.com or a GitHub Enterprise server (``api_url``)."""

    def __init__(self, repo: str, token: str, api_url: str = DEFAULT_API_URL) -> None:
        from github import Auth, Github, GithubRetry

        self.repo_name = repo
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._client = Github(
            base_url=self.api_url,
            auth=Auth.Token(token),
            per_page=100,
            timeout=TIMEOUT_SECONDS,
            retry=GithubRetry(total=RETRIES) if RETRIES else None,
            seconds_between_requests=SECONDS_BETWEEN_REQUESTS,
            seconds_between_writes=SECONDS_BETWEEN_WRITES,
        )
        self._repository: Repository | None = None

    @contextlib.contextmanager
    def _calling(self, doing: str) -> Iterator[None]:
        import requests
        from github import GithubException

        try:
            yield
        except GithubException as error:
            raise GitHubError(redact(f"{doing}: {_explain(error)}", self._token)) from None
        except requests.RequestException as error:
            message = f"{doing}: cannot reach the GitHub API at {self.api_url}: {error}"
            raise GitHubError(redact(message, self._token)) from None

    def _repo(self) -> Repository:
        if self._repository is None:
            with self._calling(f"reading repository {self.repo_name}"):
                self._repository = self._client.get_repo(self.repo_name)
        return self._repository

    def default_branch(self) -> str:
        return self._repo().default_branch

    def open_bot_pulls(self) -> list[PullRequest]:
        """The open pull requests from this repository's gofixleak/ branches, oldest first."""
        repo = self._repo()
        with self._calling("listing open pull requests"):
            pulls = [
                _pull(p)
                for p in repo.get_pulls(state="open", sort="created", direction="asc")
                if p.head.ref.startswith(BRANCH_PREFIX) and self._is_own(p)
            ]
        return pulls

    def _is_own(self, pull: GithubPullRequest) -> bool:
        head = pull.head.repo
        return head is not None and head.full_name.lower() == self.repo_name.lower()

    def closed_unmerged(self, fingerprint: str, branch: str) -> PullRequest | None:
        """A pull request of these fixes (its branch or its recorded fingerprint) that was closed
        without being merged, or None."""
        repo = self._repo()
        owner = self.repo_name.split("/")[0]
        with self._calling("listing closed pull requests"):
            by_branch = list(repo.get_pulls(state="closed", head=f"{owner}:{branch}"))
            recent = repo.get_pulls(state="closed", sort="updated", direction="desc")
            candidates = by_branch + list(itertools.islice(recent, CLOSED_SCAN))
            for pull in candidates:
                if pull.merged_at is None and holds(pull.body, pull.head.ref, fingerprint, branch):
                    return _pull(pull)
        return None

    def create(self, title: str, body: str, head: str, base: str) -> PullRequest:
        repo = self._repo()
        with self._calling(f"opening a pull request from {head} into {base}"):
            return _pull(repo.create_pull(base=base, head=head, title=title, body=body))

    def update(self, number: int, title: str, body: str) -> PullRequest:
        repo = self._repo()
        with self._calling(f"updating pull request #{number}"):
            pull = repo.get_pull(number)
            pull.edit(title=title, body=body)
            return _pull(pull)


def _explain(error: GithubException) -> str:
    data = error.data if isinstance(error.data, dict) else {}
    message = str(data.get("message") or error.message or "no message")
    details = "; ".join(_error_detail(e) for e in data.get("errors") or () if isinstance(e, dict))
    said = f"{error.status} {message}" + (f": {details}" if details else "")
    if error.status == 401:
        return f"GitHub rejected the token ({said}); check GITHUB_TOKEN"
    if error.status == 403:
        return f"GitHub refused ({said}); the token needs contents and pull-requests write access"
    if error.status == 404:
        return f"not found ({said}); check the repository name and that the token can see it"
    if error.status == 422:
        return f"GitHub rejected the request ({said})"
    return f"GitHub answered {said}"


def _error_detail(error: dict[str, object]) -> str:
    if error.get("message"):
        return str(error["message"])
    parts = (error.get("resource"), error.get("field"), error.get("code"))
    return " ".join(str(p) for p in parts if p)
