"""The GitHub REST calls of the bot: find its pull requests, open one, update one.

Made with ``requests`` directly rather than a GitHub client library, so that every answer is
checked here: the waits for rate limits and retries add up to at most MAX_WAIT_SECONDS in a run,
the POST that opens a pull request is never sent twice, and an answer that is not the JSON GitHub
documents is an error that says what was asked and what came back. Every failure becomes a
GitHubError with a one-line message, with the token and any URL credentials redacted.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from gofixleak import __version__
from gofixleak.bot.plan import BRANCH_PREFIX, fingerprint_of

if TYPE_CHECKING:  # requests is imported when the bot runs, not with every CLI start
    import requests

DEFAULT_API_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
TIMEOUT_SECONDS: float = 30
RETRIES = 3  # for a GET or PATCH answered 5xx or rate limited, or whose connection dropped
MAX_WAIT_SECONDS: float = 60  # all the waiting of one run: rate limits and backoff
SECONDARY_RATE_WAIT_SECONDS = 60  # GitHub: "wait for at least one minute" when it says no more
SECONDS_BETWEEN_REQUESTS: float | None = 0.25  # GitHub's advice against secondary rate limits
SECONDS_BETWEEN_WRITES: float | None = 1.0
CLOSED_SCAN = 100  # recently updated closed pull requests searched for a fingerprint
MAX_PAGES = 50  # of 100 pull requests each: a server that always has a next page ends here
EXCERPT_CHARS = 80
# Re-sent after a 5xx answer, a rate limit or a dropped connection: a POST may have opened a pull
# request before its answer was lost, so it is sent once (a PATCH sets the same title and body).
_RETRIED = frozenset({"GET", "PATCH"})
sleep = time.sleep  # every wait of the client, so that tests can count them


class GitHubError(Exception):
    """A GitHub API call failed; the message is one line, safe to print."""


_CREDENTIALS_IN_URL = re.compile(r"(\b[a-z][a-z0-9+.-]*://)[^/@\s]+@", re.IGNORECASE)


def redact(text: str, *secrets: str | None) -> str:
    """``text`` without the secrets in any form an error can hold (as given, stripped, in a
    ``repr`` or JSON string, each whitespace-separated part), nor any URL's ``user:password@``."""
    forms: set[str] = set()
    for secret in secrets:
        if secret:
            forms |= _forms(secret)
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return _CREDENTIALS_IN_URL.sub(r"\1***@", text)


def _forms(secret: str) -> set[str]:
    forms = set()
    for text in (secret, secret.strip()):
        forms |= {text, repr(text)[1:-1], json.dumps(text)[1:-1]}
    forms |= {part for part in secret.split() if len(part) >= 8}
    return {form for form in forms if form.strip()}


def token_from(value: str | None) -> str | None:
    """The token in ``GITHUB_TOKEN``'s value, without the whitespace around it (a secret file's
    final newline); GitHubError for one that still holds whitespace or control characters."""
    token = (value or "").strip()
    if not token:
        return None
    if not re.fullmatch(r"[\x21-\x7e]+", token):
        raise GitHubError(
            "GITHUB_TOKEN holds whitespace, control or non-ASCII characters inside it; "
            "set it to the token alone"
        )
    return token


def api_url_from(value: str | None) -> str:
    """``GITHUB_API_URL``'s value (default: github.com's API), checked before any request."""
    url = (value or "").strip() or DEFAULT_API_URL
    parts = urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise GitHubError(
            f"GITHUB_API_URL {url!r} is not an http or https URL with a host "
            f"(GitHub Enterprise: https://HOST/api/v3; unset: {DEFAULT_API_URL})"
        )
    if parts.query or parts.fragment:
        raise GitHubError(f"GITHUB_API_URL {url!r} has a query or fragment; give the API's base")
    return url.rstrip("/")


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


class _Unexpected(Exception):
    """The answer is JSON, but not what GitHub documents for the call."""


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    data: Any
    excerpt: str
    next_url: str | None


class GitHub:
    """One repository on github.com or a GitHub Enterprise server (``api_url``)."""

    def __init__(self, repo: str, token: str, api_url: str = DEFAULT_API_URL) -> None:
        import requests

        self.repo_name = repo
        self.api_url = api_url.rstrip("/")
        self._token = token
        self._session = requests.Session()
        # An auth object, not a header: requests then never falls back to ~/.netrc.
        self._session.auth = _TokenAuth(token)
        self._session.headers.update(
            {
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": f"gofixleak/{__version__}",
            }
        )
        self._waited = 0.0
        self._last_request: float | None = None
        self._default_branch: str | None = None

    # -- the calls --------------------------------------------------------------------------

    def default_branch(self) -> str:
        if self._default_branch is None:
            doing = f"reading repository {self.repo_name}"
            answer = self._call(doing, "GET", self._url(""))
            with self._expecting(doing, answer):
                self._default_branch = _string(_object(answer.data, "the answer"), "default_branch")
        return self._default_branch

    def open_bot_pulls(self) -> list[PullRequest]:
        """The open pull requests from this repository's gofixleak/ branches, oldest first."""
        query = {"state": "open", "sort": "created", "direction": "asc", "per_page": "100"}
        return self._bot_pulls(self._pages("listing open pull requests", query))

    def closed_unmerged(self, branch: str) -> list[PullRequest]:
        """The bot's pull requests that were closed without being merged, most recently updated
        first: the one from ``branch``, and those among the CLOSED_SCAN most recently updated
        closed pull requests."""
        owner = self.repo_name.split("/")[0]
        doing = "listing closed pull requests"
        by_branch = self._pages(doing, {"state": "closed", "head": f"{owner}:{branch}"})
        query = {"state": "closed", "sort": "updated", "direction": "desc", "per_page": "100"}
        recent = self._pages(doing, query, limit=CLOSED_SCAN)
        found: dict[int, PullRequest] = {}
        for pull in self._bot_pulls([*recent, *by_branch]):
            if not pull.merged:
                found.setdefault(pull.number, pull)
        return list(found.values())

    def create(self, title: str, body: str, head: str, base: str) -> PullRequest:
        doing = f"opening a pull request from {head} into {base}"
        payload = {"title": title, "body": body, "head": head, "base": base}
        answer = self._call(doing, "POST", self._url("/pulls"), payload=payload)
        with self._expecting(doing, answer):
            return _pull(answer.data)[0]

    def update(self, number: int, title: str, body: str) -> PullRequest:
        doing = f"updating pull request #{number}"
        payload = {"title": title, "body": body}
        answer = self._call(doing, "PATCH", self._url(f"/pulls/{number}"), payload=payload)
        with self._expecting(doing, answer):
            return _pull(answer.data)[0]

    def _url(self, path: str) -> str:
        return f"{self.api_url}/repos/{self.repo_name}{path}"

    def _pages(
        self, doing: str, query: dict[str, str], limit: int | None = None
    ) -> list[tuple[PullRequest, str | None]]:
        """Every pull request of the list (up to ``limit``), each with its head's repository."""
        pulls: list[tuple[PullRequest, str | None]] = []
        url: str | None = self._url("/pulls")
        params: dict[str, str] | None = query
        for _ in range(MAX_PAGES):
            if url is None or (limit is not None and len(pulls) >= limit):
                break
            answer = self._call(doing, "GET", url, params=params)
            with self._expecting(doing, answer):
                pulls += [_pull(item) for item in _array(answer.data)]
            url, params = answer.next_url, None  # the next link carries the query
        return pulls if limit is None else pulls[:limit]

    def _bot_pulls(self, pulls: list[tuple[PullRequest, str | None]]) -> list[PullRequest]:
        """Those from a gofixleak/ branch of this repository (not of a fork)."""
        own = self.repo_name.lower()
        return [
            pull
            for pull, head_repo in pulls
            if pull.head_ref.startswith(BRANCH_PREFIX) and (head_repo or "").lower() == own
        ]

    # -- one request ------------------------------------------------------------------------

    def _call(
        self,
        doing: str,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        payload: dict[str, str] | None = None,
    ) -> _Answer:
        """The JSON answer to one request, retried within the bounds; GitHubError otherwise."""
        import requests

        for attempt in range(RETRIES + 1):
            again = attempt < RETRIES
            self._throttle(method)
            try:
                response = self._session.request(
                    method, url, params=params, json=payload, timeout=TIMEOUT_SECONDS
                )
            except requests.ReadTimeout:
                raise self._error(
                    doing, f"the GitHub API at {self.api_url} did not answer within "
                    f"{TIMEOUT_SECONDS:g} s"
                ) from None
            except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
                # Refused or unresolved: nothing was sent, so any request may be sent again.
                resend = method in _RETRIED or _never_sent(error)
                if resend and again and self._wait(2**attempt):
                    continue
                raise self._error(doing, _unreachable(self.api_url, error)) from None
            except requests.RequestException as error:
                raise self._error(doing, _unreachable(self.api_url, error)) from None
            limit = _rate_limit(response)
            if limit is not None:
                if method in _RETRIED and again and self._wait(limit.seconds):
                    continue
                raise self._error(doing, limit.describe(response))
            retry = response.status_code >= 500 and method in _RETRIED and again
            if retry and self._wait(2**attempt):
                continue
            if response.status_code >= 400:
                raise self._error(doing, _explain(response))
            return self._answer(doing, response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _answer(self, doing: str, response: requests.Response) -> _Answer:
        excerpt = _excerpt(response)
        try:
            data = json.loads(response.content)
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type").split(";")[0].strip()
            raise self._error(
                doing,
                f"the GitHub API at {self.api_url} did not answer with JSON "
                f"({response.status_code}, {kind}: {excerpt})",
            ) from None
        next_url = response.links.get("next", {}).get("url")
        return _Answer(response.status_code, data, excerpt, next_url)

    @contextlib.contextmanager
    def _expecting(self, doing: str, answer: _Answer) -> Iterator[None]:
        try:
            yield
        except _Unexpected as error:
            raise self._error(
                doing,
                f"the GitHub API at {self.api_url} answered with unexpected JSON "
                f"({answer.status}, {error}: {answer.excerpt})",
            ) from None

    def _error(self, doing: str, what: str) -> GitHubError:
        return GitHubError(redact(f"{doing}: {what}", self._token))

    def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds`` if the run's waiting stays within the bound; False otherwise."""
        if self._waited + seconds > MAX_WAIT_SECONDS:
            return False
        self._waited += seconds
        sleep(seconds)
        return True

    def _throttle(self, method: str) -> None:
        gap = SECONDS_BETWEEN_REQUESTS if method == "GET" else SECONDS_BETWEEN_WRITES
        now = time.monotonic()
        if gap and self._last_request is not None and now - self._last_request < gap:
            sleep(gap - (now - self._last_request))
        self._last_request = time.monotonic()


class _TokenAuth:
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"token {self._token}"
        return request


# -- what came back -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _RateLimit:
    seconds: float
    until: datetime

    def describe(self, response: requests.Response) -> str:
        now = datetime.now(UTC)
        when = f"{self.until:%H:%M} UTC"
        if self.until.date() != now.date():
            when = f"{self.until:%Y-%m-%d %H:%M} UTC"
        said = f"{response.status_code} {_message(response) or response.reason}"
        return f"rate limited by GitHub until {when} ({said}); run again after that"


def _rate_limit(response: requests.Response) -> _RateLimit | None:
    """The wait GitHub asks for, when the answer is a primary or secondary rate limit."""
    if response.status_code not in (403, 429):
        return None
    headers = response.headers
    now = datetime.now(UTC)
    seconds: float | None = _retry_after(headers.get("Retry-After", ""), now)
    reset = headers.get("X-RateLimit-Reset", "")
    if seconds is None and headers.get("X-RateLimit-Remaining") == "0" and reset.isdigit():
        # One second more: GitHub does not say when in that second the limit resets.
        seconds = int(reset) - now.timestamp() + 1
    if seconds is None and (
        response.status_code == 429 or "rate limit" in _message(response).lower()
    ):
        seconds = SECONDARY_RATE_WAIT_SECONDS
    if seconds is None:
        return None
    seconds = max(seconds, 0.0)
    return _RateLimit(seconds, now + timedelta(seconds=seconds))


def _retry_after(value: str, now: datetime) -> float | None:
    value = value.strip()
    if value.isdigit():
        return float(value)
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return (when - now).total_seconds() if when.tzinfo else None


def _json_or_none(response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def _message(response: requests.Response) -> str:
    data = _json_or_none(response)
    message = data.get("message") if isinstance(data, dict) else None
    return _one_line(str(message)) if message else ""


def _explain(response: requests.Response) -> str:
    data = _json_or_none(response)
    data = data if isinstance(data, dict) else {}
    message = _message(response) or response.reason or "no message"
    errors = data.get("errors")
    errors = errors if isinstance(errors, list) else []
    details = "; ".join(_error_detail(e) for e in errors if isinstance(e, dict))
    status = response.status_code
    said = f"{status} {message}" + (f": {details}" if details else "")
    if status == 401:
        return f"GitHub rejected the token ({said}); check GITHUB_TOKEN"
    if status == 403:
        return f"GitHub refused ({said}); the token needs contents and pull-requests write access"
    if status == 404:
        return f"not found ({said}); check the repository name and that the token can see it"
    if status == 422:
        return f"GitHub rejected the request ({said})"
    if not data:
        return f"GitHub answered {status} {response.reason} ({_excerpt(response)})"
    return f"GitHub answered {said}"


def _error_detail(error: dict[str, object]) -> str:
    if error.get("message"):
        return _one_line(str(error["message"]))
    parts = (error.get("resource"), error.get("field"), error.get("code"))
    return " ".join(str(p) for p in parts if p)


def _excerpt(response: requests.Response) -> str:
    if not response.content:
        return "an empty body"
    text = _one_line(response.content[: EXCERPT_CHARS * 4].decode("utf-8", "replace"))
    cut = text[:EXCERPT_CHARS] + ("..." if len(text) > EXCERPT_CHARS else "")
    return json.dumps(cut, ensure_ascii=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _never_sent(error: Exception) -> bool:
    """Whether the connection failed before the request went out (refused, no such host)."""
    from urllib3.exceptions import ConnectTimeoutError  # NewConnectionError is one too

    reason = getattr(error.args[0] if error.args else None, "reason", None)
    return isinstance(reason, ConnectTimeoutError)


def _unreachable(api_url: str, error: Exception) -> str:
    text = str(error)
    # urllib3 wraps the cause ("[Errno 111] Connection refused") in pool and object reprs.
    cause = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", text)
    if cause:
        text = cause.group(1)
    elif "RemoteDisconnected" in text or "Connection aborted" in text:
        text = "the connection was closed before an answer came"
    elif "IncompleteRead" in text or "Connection broken" in text:
        text = "the connection broke before the whole answer came"
    return f"cannot reach the GitHub API at {api_url}: {_one_line(text)}"


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number" if isinstance(value, int | float) else "a value")


def _object(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unexpected(f"{what} is {_kind(value)}, not an object")
    return value


def _array(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise _Unexpected(f"the answer is {_kind(value)}, not a list")
    return value


def _string(data: dict[str, Any], key: str, *, optional: bool = False) -> str:
    value = data.get(key)
    if optional and value is None:
        return ""
    if not isinstance(value, str):
        raise _Unexpected(f'"{key}" is {_kind(value)}, not a string')
    return value


def _pull(value: object) -> tuple[PullRequest, str | None]:
    """A pull request's JSON as the bot reads it, and the full name of its head's repository
    (None: the fork was deleted)."""
    data = _object(value, "a pull request")
    number = data.get("number")
    if not isinstance(number, int) or isinstance(number, bool):
        raise _Unexpected(f'"number" is {_kind(number)}, not a whole number')
    head = _object(data.get("head"), '"head"')
    repo = head.get("repo")
    full_name = _string(_object(repo, '"head.repo"'), "full_name") if repo is not None else None
    pull = PullRequest(
        number,
        _string(data, "html_url"),
        _string(head, "ref"),
        _string(head, "sha"),
        _string(data, "body", optional=True),
        _string(data, "merged_at", optional=True) != "",
    )
    return pull, full_name
