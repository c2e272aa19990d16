"""The git the bot needs, through the git command: status, commits made with plumbing, pushes.

Commits are built with a temporary index (read-tree, hash-object, update-index, write-tree,
commit-tree), so the checkout, its index and its current branch are never touched.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass

GIT_TIMEOUT_SECONDS = 300


class GitError(Exception):
    """A git command failed: the message names the command and quotes git."""


@dataclass(frozen=True, slots=True)
class Identity:
    """An author, from ``Name <email>``."""

    name: str
    email: str

    @classmethod
    def parse(cls, text: str) -> Identity:
        match = re.fullmatch(r"\s*([^<>]+?)\s*<([^<>\s]+@[^<>\s]+)>\s*", text)
        if match is None:
            raise ValueError(f"author {text!r} is not of the form 'Name <email>'")
        return cls(match.group(1), match.group(2))

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


@dataclass(frozen=True, slots=True)
class Commit:
    """What the bot asks of a commit on someone's branch."""

    sha: str
    author: Identity
    committer: Identity
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0].strip()


class Git:
    """git commands run in one repository."""

    def __init__(self, cwd: str) -> None:
        self.cwd = cwd

    def run(
        self,
        *args: str,
        data: bytes | None = None,
        env: Mapping[str, str] | None = None,
        strip: bool = True,
    ) -> str:
        """git's stdout (stripped, unless told); GitError (with git's stderr) when it fails."""
        environment = {**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})}
        try:
            result = subprocess.run(
                ["git", *args],
                cwd=self.cwd,
                input=data,
                capture_output=True,
                env=environment,
                timeout=GIT_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise GitError(f"git {args[0]}: {error}") from error
        if result.returncode != 0:
            message = _summary(result.stderr.decode("utf-8", "replace"))
            raise GitError(f"git {args[0]} failed: {message or f'exit {result.returncode}'}")
        output = result.stdout.decode("utf-8", "replace")
        return output.strip() if strip else output

    def toplevel(self) -> str:
        return self.run("rev-parse", "--show-toplevel")

    def head(self) -> str:
        return self.run("rev-parse", "--verify", "HEAD^{commit}")

    def dirty_paths(self) -> list[str]:
        """Changed, staged and untracked (not ignored) paths: empty when the tree is clean."""
        output = self.run("status", "--porcelain=v1", "--untracked-files=normal", strip=False)
        return [line[3:] for line in output.splitlines() if line.strip()]

    def files_in(self, commit: str) -> set[str]:
        """Paths (relative to the top level, with /) of the files in ``commit``'s tree."""
        output = self.run("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit, strip=False)
        return {path for path in output.split("\0") if path}

    def remote_url(self, remote: str) -> str:
        return self.run("remote", "get-url", remote)

    def push_url(self, remote: str) -> str:
        """Where ``git push remote`` goes: its ``pushurl`` when it has one, else its URL."""
        return self.run("remote", "get-url", "--push", remote)

    def remote_default_branch(self, remote: str) -> str | None:
        """The branch the remote's HEAD names (its default branch), or None."""
        output = self.run("ls-remote", "--symref", remote, "HEAD")
        match = re.search(r"^ref: refs/heads/(\S+)\tHEAD$", output, re.MULTILINE)
        return match.group(1) if match else None

    def fetch(self, remote: str, branch: str) -> str:
        """The commit ``branch`` points to on ``remote`` (a URL or a remote's name), fetched."""
        self.run("fetch", "--quiet", "--no-tags", remote, f"refs/heads/{branch}")
        return self.run("rev-parse", "--verify", "FETCH_HEAD^{commit}")

    def check_push(self, remote: str, commit: str) -> None:
        """GitError unless ``remote`` would take a push (reachable, and these credentials may
        push): a dry run, which sends nothing and creates no branch."""
        target = "refs/heads/gofixleak/push-check"
        self.run("push", "--dry-run", "--quiet", remote, f"{commit}:{target}")

    def export(self, commit: str, folder: str) -> None:
        """Write the files of ``commit`` into ``folder`` (through a temporary index, so that
        the checkout, its index and its branch are never touched)."""
        with tempfile.TemporaryDirectory(prefix="gofixleak-git-") as scratch:
            index = {"GIT_INDEX_FILE": os.path.join(scratch, "index")}
            self.run("read-tree", commit, env=index)
            self.run("checkout-index", "--all", "--force", f"--prefix={folder}/", env=index)

    def commits_not_in(self, remote: str, branch: str, tip: str, base: str) -> list[Commit]:
        """The commits of ``remote``'s ``branch`` (at ``tip``) that ``base`` does not have,
        newest first (fetched from ``remote`` first, so that they are here to read)."""
        self.run("fetch", "--quiet", "--no-tags", remote, f"refs/heads/{branch}")
        fields = "%H%x1f%an%x1f%ae%x1f%cn%x1f%ce%x1f%B"
        output = self.run("log", "-z", f"--format={fields}", tip, "--not", base, strip=False)
        commits = []
        for record in output.split("\0"):
            if record.strip():
                sha, author, author_email, committer, committer_email, message = record.split(
                    "\x1f", 5
                )
                commits.append(
                    Commit(
                        sha.strip(),
                        Identity(author, author_email),
                        Identity(committer, committer_email),
                        message,
                    )
                )
        return commits

    def remote_branch(self, remote: str, branch: str) -> str | None:
        """The commit ``branch`` points to on ``remote`` (a URL or a remote's name), or None
        when it has no such branch."""
        output = self.run("ls-remote", "--heads", remote, f"refs/heads/{branch}")
        for line in output.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def commit(
        self, parent: str, files: Mapping[str, bytes], message: str, author: Identity
    ) -> str:
        """A new commit on ``parent`` with ``files`` (repository-relative path -> bytes)."""
        with tempfile.TemporaryDirectory(prefix="gofixleak-git-") as folder:
            index = {"GIT_INDEX_FILE": os.path.join(folder, "index")}
            self.run("read-tree", parent, env=index)
            for path, data in sorted(files.items()):
                # --path applies the repository's attributes (eol, filters) as `git add` would.
                blob = self.run("hash-object", "-w", "--stdin", f"--path={path}", data=data)
                mode = self._mode(parent, path)
                self.run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}", env=index)
            tree = self.run("write-tree", env=index)
        identity = {
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_COMMITTER_NAME": author.name,
            "GIT_COMMITTER_EMAIL": author.email,
        }
        return self.run("commit-tree", tree, "-p", parent, data=message.encode(), env=identity)

    def _mode(self, commit: str, path: str) -> str:
        entry = self.run("ls-tree", commit, "--", path)
        return entry.split(" ", 1)[0] if entry else "100644"

    def set_branch(self, branch: str, commit: str) -> None:
        """Point the local ``branch`` at ``commit`` (not when it is the branch checked out)."""
        current = self.run("rev-parse", "--abbrev-ref", "HEAD")
        if current != branch:
            self.run("update-ref", f"refs/heads/{branch}", commit)

    def push(self, remote: str, commit: str, branch: str, expected: str | None) -> None:
        """Make ``remote``'s ``branch`` point at ``commit``, only if it still points at
        ``expected`` (None: only if it does not exist), so that nobody's work is overwritten."""
        lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
        self.run("push", "--quiet", lease, remote, f"{commit}:refs/heads/{branch}")


def _summary(stderr: str) -> str:
    """git's complaint on one line: its fatal, error and rejection lines (else every line), without
    hints and the advice paragraphs that follow them."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("hint:")]
    important = [line for line in lines if line.startswith(("fatal:", "error:", "! "))]
    chosen = important or lines
    return "; ".join(re.sub(r"^(fatal|error): ", "", line) for line in chosen)
