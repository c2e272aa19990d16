"""A local stand-in for the GitHub REST API: the pull-request endpoints the bot calls, with
GitHub's documented request and response shapes, under a GitHub Enterprise style ``/api/v3``
prefix. It records every request, checks the token, reads branch heads from a bare git remote,
and can be told to answer a route badly: a status with GitHub's error body and chosen headers (a
rate limit), a body that is not the JSON GitHub sends, a late answer, or a dropped connection.

Endpoints (docs.github.com/en/rest/pulls/pulls):
    GET   /repos/{owner}/{repo}
    GET   /repos/{owner}/{repo}/pulls        state, head, base, sort, direction, per_page, page
    GET   /repos/{owner}/{repo}/pulls/{n}
    POST  /repos/{owner}/{repo}/pulls        title, head, base, body -> 201
    PATCH /repos/{owner}/{repo}/pulls/{n}    title, body, state
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

PREFIX = "/api/v3"
DOCS = "https://docs.github.com/rest"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class Failure:
    """Answer the next ``times`` matching requests with ``status``, ``headers`` and ``body`` (or
    the bytes ``raw``, sent as ``content_type``; ``cut``: announced longer than it is, then the
    connection closed), or drop the connection; after ``delay`` seconds. A status of 0 with a
    delay answers as the route normally does, late."""

    status: int = 0
    body: Any = field(default_factory=dict)
    disconnect: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    delay: float = 0.0
    times: int = 1
    cut: bool = False


class FakeGitHub:
    def __init__(self, remote: Path, repo: str = "acme/widgets", token: str = "ghp_secret") -> None:
        self.remote = remote
        self.repo = repo
        self.token = token
        self.pulls: dict[int, dict[str, Any]] = {}
        self.requests: list[Recorded] = []
        self.failures: dict[tuple[str, str], Failure] = {}  # (method, "pulls" | "pull" | "repo")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _failure(self, method: str, kind: str) -> Failure | None:
        failure = self.failures.get((method, kind))
        if failure is not None:
            failure.times -= 1
            if failure.times <= 0:
                del self.failures[(method, kind)]
        return failure

    def calls(self, method: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method]

    def close(self, number: int) -> None:
        """A maintainer closes the pull request without merging it."""
        self.pulls[number]["state"] = "closed"
        self.pulls[number]["closed_at"] = "2026-01-02T00:00:00Z"

    # -- JSON shapes --------------------------------------------------------------------------

    def _owner(self) -> dict[str, Any]:
        login = self.repo.split("/")[0]
        return {"login": login, "id": 1, "type": "Organization", "url": f"{self.url}/users/{login}"}

    def repository(self) -> dict[str, Any]:
        return {
            "id": 1296269,
            "node_id": "MDEwOlJlcG9zaXRvcnkxMjk2MjY5",
            "name": self.repo.split("/")[1],
            "full_name": self.repo,
            "private": False,
            "owner": self._owner(),
            "html_url": f"https://github.example/{self.repo}",
            "url": f"{self.url}/repos/{self.repo}",
            "default_branch": "main",
        }

    def _head_sha(self, ref: str) -> str:
        result = subprocess.run(
            ["git", "--git-dir", str(self.remote), "rev-parse", "--verify", f"refs/heads/{ref}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    def _pull_json(self, pull: dict[str, Any], *, single: bool = False) -> dict[str, Any]:
        number = pull["number"]
        owner = self.repo.split("/")[0]
        head_sha = self._head_sha(pull["head"]) or pull["head_sha"]
        data = {
            "url": f"{self.url}/repos/{self.repo}/pulls/{number}",
            "id": 1000 + number,
            "node_id": f"PR_{number}",
            "html_url": f"https://github.example/{self.repo}/pull/{number}",
            "number": number,
            "state": pull["state"],
            "locked": False,
            "title": pull["title"],
            "body": pull["body"],
            "user": {"login": "gofixleak-bot", "id": 2, "type": "User"},
            "created_at": "2026-01-01T00:00:00Z",
            "updated_at": "2026-01-01T00:00:00Z",
            "closed_at": pull.get("closed_at"),
            "merged_at": pull.get("merged_at"),
            "merge_commit_sha": None,
            "draft": False,
            "head": {
                "label": f"{owner}:{pull['head']}",
                "ref": pull["head"],
                "sha": head_sha,
                "user": self._owner(),
                "repo": self.repository(),
            },
            "base": {
                "label": f"{owner}:{pull['base']}",
                "ref": pull["base"],
                "sha": self._head_sha(pull["base"]),
                "user": self._owner(),
                "repo": self.repository(),
            },
        }
        if single:
            data["merged"] = pull.get("merged_at") is not None
            data["mergeable"] = None
        return data

    # -- routes ---------------------------------------------------------------------------------

    def _list(self, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        state = query.get("state", "open")
        pulls = [p for p in self.pulls.values() if state == "all" or p["state"] == state]
        if "head" in query:
            owner, _, ref = query["head"].partition(":")
            pulls = [p for p in pulls if owner == self.repo.split("/")[0] and p["head"] == ref]
        if "base" in query:
            pulls = [p for p in pulls if p["base"] == query["base"]]
        pulls.sort(key=lambda p: p["number"], reverse=query.get("direction", "desc") == "desc")
        per_page = int(query.get("per_page", "30"))
        page = int(query.get("page", "1"))
        chunk = pulls[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(pulls):
            following = urlencode({**query, "page": page + 1})
            headers["Link"] = f'<{self.url}/repos/{self.repo}/pulls?{following}>; rel="next"'
        return 200, [self._pull_json(p) for p in chunk], headers

    def _create(self, body: dict[str, Any]) -> tuple[int, Any]:
        missing = [k for k in ("head", "base") if not body.get(k)]
        if missing or not body.get("title"):
            return 422, _invalid(
                [
                    {
                        "resource": "PullRequest",
                        "field": missing[0] if missing else "title",
                        "code": "missing_field",
                    }
                ]
            )
        head = str(body["head"]).split(":")[-1]
        if not self._head_sha(head):
            return 422, _invalid([{"resource": "PullRequest", "field": "head", "code": "invalid"}])
        for pull in self.pulls.values():
            if pull["head"] == head and pull["state"] == "open":
                message = f"A pull request already exists for {self.repo.split('/')[0]}:{head}."
                return 422, _invalid(
                    [{"resource": "PullRequest", "code": "custom", "message": message}]
                )
        number = len(self.pulls) + 1
        self.pulls[number] = {
            "number": number,
            "state": "open",
            "title": body["title"],
            "body": body.get("body"),
            "head": head,
            "base": body["base"],
            "head_sha": self._head_sha(head),
        }
        return 201, self._pull_json(self.pulls[number], single=True)

    def _edit(self, number: int, body: dict[str, Any]) -> tuple[int, Any]:
        pull = self.pulls.get(number)
        if pull is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}
        for key in ("title", "body", "state"):
            if key in body:
                pull[key] = body[key]
        return 200, self._pull_json(pull, single=True)

    def route(
        self, method: str, path: str, query: dict[str, str], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        repo = f"/repos/{self.repo}"
        match = re.fullmatch(re.escape(repo) + r"(?:/pulls(?:/(\d+))?)?", path)
        if match is None:
            return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
        number = int(match.group(1)) if match.group(1) else None
        if path == repo and method == "GET":
            return 200, self.repository(), {}
        if path.endswith("/pulls") and method == "GET":
            return self._list(query)
        if path.endswith("/pulls") and method == "POST":
            return (*self._create(body), {})
        if number is not None and method == "GET":
            if number not in self.pulls:
                return 404, {"message": "Not Found", "documentation_url": DOCS}, {}
            return 200, self._pull_json(self.pulls[number], single=True), {}
        if number is not None and method == "PATCH":
            return (*self._edit(number, body), {})
        return 404, {"message": "Not Found", "documentation_url": DOCS}, {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                path = parts.path.removeprefix(PREFIX)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body = json.loads(raw) if raw else None
                authorization = self.headers.get("Authorization", "")
                fake.requests.append(Recorded(self.command, path, query, body, authorization))
                kind = "repo" if path == f"/repos/{fake.repo}" else "pulls"
                kind = "pull" if re.search(r"/pulls/\d+$", path) else kind
                failure = fake._failure(self.command, kind)
                if failure is not None and failure.delay:
                    time.sleep(failure.delay)
                if failure is not None and failure.disconnect:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if failure is not None and failure.raw is not None:
                    extra = 100 if failure.cut else 0
                    status = failure.status or 200
                    self._send_bytes(status, failure.raw, failure.content_type, extra)
                    if failure.cut:
                        self.close_connection = True
                elif failure is not None and failure.status:
                    self._send(failure.status, failure.body, failure.headers)
                elif authorization not in (f"token {fake.token}", f"Bearer {fake.token}"):
                    self._send(401, {"message": "Bad credentials", "documentation_url": DOCS}, {})
                else:
                    self._send(*fake.route(self.command, path, query, body))

            def _send_bytes(
                self, status: int, payload: bytes, content_type: str, extra: int = 0
            ) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload) + extra))
                self.end_headers()
                self.wfile.write(payload)

            def _send(self, status: int, data: Any, headers: dict[str, str]) -> None:
                payload = json.dumps(data).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = _serve

        return Handler


def _invalid(errors: list[dict[str, str]]) -> dict[str, Any]:
    return {"message": "Validation Failed", "errors": errors, "documentation_url": DOCS}
