"""What the bot proposes, computed before anything is committed: the commits (one per rule), the
fingerprint that names the branch, the pull request's title and body.

The fingerprint hashes, for every file and rule, the lines that rule's commit removes and adds
(without line numbers or context), so an unrelated edit elsewhere in a file does not make the
same fixes look new, and a pull request closed unmerged stays closed.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gofixleak import __version__, api, registry
from gofixleak.model import FileResult, RuleInfo
from gofixleak.source import line_starts
from gofixleak.verify import Verification, file_options

if TYPE_CHECKING:
    from gofixleak.oracle.proof import FixProof

BRANCH_PREFIX = "gofixleak/"
MAX_BODY_CHARS = 60_000  # GitHub refuses a pull request body over 65,536 characters
FINGERPRINT = re.compile(r"<!-- gofixleak:fingerprint=([0-9a-f]{64}) -->")


@dataclass(frozen=True, slots=True)
class Change:
    """One applied fix, as a row of the pull request's table."""

    path: str  # relative to the repository root, with /
    line: int
    rule: str
    fix: str
    safety: str  # "safe" or "unsafe"
    leaks: str = ""  # --verify-tests: goroutines leaked at the site before -> after the fix


@dataclass(frozen=True, slots=True)
class Commit:
    """One rule's commit: its message and the files as they are after it."""

    rule: str
    message: str
    files: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Plan:
    fingerprint: str
    commits: tuple[Commit, ...]
    changes: tuple[Change, ...]
    title: str
    body: str

    @property
    def branch(self) -> str:
        return BRANCH_PREFIX + self.fingerprint[:12]


def fingerprint_of(body: str | None) -> str | None:
    """The fingerprint a bot pull request's body records, or None."""
    match = FINGERPRINT.search(body or "")
    return match.group(1) if match else None


def build(verification: Verification, options: api.Options, root: str) -> Plan | None:
    """The plan for the verified fixes of files under ``root`` (None: nothing to propose)."""
    files = {
        relative(r.path, root): r for r in verification.results if r.changed and _inside(r, root)
    }
    if not files:
        return None
    rules = sorted({f.rule for r in files.values() for f in r.fixes_applied})
    changes = [
        c for path, r in sorted(files.items()) for c in _changes(path, r, _proofs(verification, r))
    ]
    state = {path: r.original or b"" for path, r in files.items()}
    commits: list[Commit] = []
    entries: list[tuple[str, str, str]] = []
    for index, rule in enumerate(rules):
        after: dict[str, bytes] = {}
        for path, result in files.items():
            own = {f.rule for f in result.fixes_applied}
            if rule not in own:
                continue
            done = own & set(rules[: index + 1])
            text = (
                result.fixed if done == own and result.fixed else _fixed_with(result, done, options)
            )
            if text != state[path]:
                entries.append((path, rule, _changed_lines_hash(state[path], text)))
                after[path] = state[path] = text
        if after:
            info = registry.get(rule).info
            message = commit_message(info, [c for c in changes if c.rule == rule])
            commits.append(Commit(rule, message, tuple(sorted(after.items()))))
    fingerprint = hashlib.sha256(json.dumps(sorted(entries)).encode()).hexdigest()
    body = pr_body(fingerprint, changes, [c.rule for c in commits], verification)
    return Plan(fingerprint, tuple(commits), tuple(changes), pr_title(changes), body)


def _inside(result: FileResult, root: str) -> bool:
    relative = os.path.relpath(os.path.realpath(result.path), os.path.realpath(root))
    return not relative.startswith("..")


def relative(path: str, root: str) -> str:
    """``path`` relative to ``root``, with /."""
    return os.path.relpath(os.path.realpath(path), os.path.realpath(root)).replace(os.sep, "/")


def _fixed_with(result: FileResult, rules: set[str], options: api.Options) -> bytes:
    """The file after the fixes of ``rules`` alone: the pipeline re-run with only them."""
    assert result.original is not None
    subset = dataclasses.replace(file_options(options, result.path), select=tuple(sorted(rules)))
    fixed = api.check_source(result.path, result.original, subset)
    return fixed.fixed if fixed.changed and fixed.fixed is not None else result.original


def _changed_lines_hash(before: bytes, after: bytes) -> str:
    lines = [
        line
        for line in difflib.diff_bytes(
            difflib.unified_diff, before.splitlines(), after.splitlines(), n=0
        )
        if line[:1] in (b"+", b"-") and not line.startswith((b"+++", b"---"))
    ]
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def _changes(path: str, result: FileResult, proofs: Sequence[FixProof]) -> list[Change]:
    starts = line_starts(result.original or b"")
    out = []
    for finding in result.fixes_applied:
        line = _line(starts, finding.span.start)
        fix = finding.fix
        message, safety = (fix.message, fix.applicability.label) if fix else ("", "")
        out.append(Change(path, line, finding.rule, message, safety))
    return _with_leaks(sorted(out, key=lambda c: (c.path, c.line, c.rule)), proofs)


def _proofs(verification: Verification, result: FileResult) -> list[FixProof]:
    """The leak check's proofs of the fixes of ``result``, in line order."""
    proofs = verification.leaks.proofs if verification.leaks else ()
    return sorted((p for p in proofs if p.path == result.path), key=lambda p: p.line)


def _with_leaks(changes: Sequence[Change], proofs: Sequence[FixProof]) -> list[Change]:
    """Each change with its "before → after". A proof names a fix by its line in the original
    text, a change of a later pass only roughly: so they are paired per rule, in order."""
    out = []
    for change in changes:
        same_rule = [c for c in changes if c.rule == change.rule]
        mine = [p for p in proofs if p.rule == change.rule]
        if len(mine) == len(same_rule):
            proof: FixProof | None = mine[same_rule.index(change)]
        else:
            proof = next((p for p in mine if p.line == change.line), None)
        leaks = f"{proof.before} → {proof.after}" if proof is not None else ""
        out.append(dataclasses.replace(change, leaks=leaks))
    return out


def _line(starts: tuple[int, ...], offset: int) -> int:
    return max(1, sum(1 for start in starts if start <= offset))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def commit_message(rule: RuleInfo, changes: Sequence[Change]) -> str:
    """Subject, the rule's summary, the fixed places, and its "why" and "fix safety" docs."""
    files = len({c.path for c in changes})
    lines = [
        f"Fix {_plural(len(changes), 'goroutine leak')} found by {rule.name}",
        "",
        rule.summary,
        "",
        f"Fixed ({_plural(len(changes), 'place')} in {_plural(files, 'file')}):",
        *(f"- {c.path}:{c.line}: {c.fix} ({c.safety})" for c in changes),
    ]
    for title in ("Why it leaks", "Fix safety"):
        text = _section(rule, title)
        if text:
            lines += ["", f"{title}:", text]
    lines += ["", f"Generated by gofixleak {__version__} (`gofixleak explain {rule.name}`)."]
    return "\n".join(lines) + "\n"


def _section(rule: RuleInfo, title: str) -> str:
    return textwrap.dedent(rule.section(title)).strip()


def pr_title(changes: Sequence[Change]) -> str:
    rules = sorted({c.rule for c in changes})
    return f"Fix {_plural(len(changes), 'goroutine leak')} ({', '.join(rules)})"


def _table(changes: Sequence[Change], shown: int) -> list[str]:
    """The fixes as a Markdown table; with the leak check's before → after column if it ran."""
    leaks = any(c.leaks for c in changes)
    head = "| file | line | rule | fix | safety |"
    head += " leaked goroutines before → after |" if leaks else ""
    rows = [head, "| --- " * (6 if leaks else 5) + "|"]
    for c in changes[:shown]:
        row = f"| `{_cell(c.path)}` | {c.line} | `{c.rule}` | {_cell(c.fix)} | {c.safety} |"
        rows.append(row + (f" {c.leaks or 'not checked'} |" if leaks else ""))
    if shown < len(changes):
        rest = f"| ... | | | and {len(changes) - shown} more (see the commits) | |"
        rows.append(rest + (" |" if leaks else ""))
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def pr_body(
    fingerprint: str, changes: Sequence[Change], rules: Sequence[str], verification: Verification
) -> str:
    """Markdown: the fixes as a table, each rule's docs, the verification, the fingerprint.

    The table is cut short (with a count of the rest) if the body would pass GitHub's limit.
    """
    shown = len(changes)
    while True:
        body = _body(fingerprint, changes, shown, rules, verification)
        if len(body) <= MAX_BODY_CHARS or shown == 0:
            return body
        shown //= 2


def _body(
    fingerprint: str,
    changes: Sequence[Change],
    shown: int,
    rules: Sequence[str],
    verification: Verification,
) -> str:
    out = [
        f"<!-- gofixleak:fingerprint={fingerprint} -->",
        f"gofixleak found {_plural(len(changes), 'goroutine leak')} and fixed "
        f"{'it' if len(changes) == 1 else 'them'}, one commit per rule.",
        "",
        *_table(changes, shown),
    ]
    for name in rules:
        info = registry.get(name).info
        out += ["", f"### `{name}`", "", info.summary]
        why = _section(info, "Why it leaks")
        if why:
            out += ["", f"**Why it leaks.** {why}"]
        safety = _section(info, "Fix safety")
        if safety:
            out += ["", "<details><summary>Fix safety</summary>", "", safety, "", "</details>"]
    out += ["", "### Verification", "", verification.summary() + "."]
    if verification.leaks is not None and verification.leaks.proofs:
        confirmed = sum(1 for proof in verification.leaks.proofs if proof.proven)
        out += [
            "",
            f"{confirmed} fix{'' if confirmed == 1 else 'es'} confirmed by the package tests: "
            "the goroutines that leaked at the site before the fix are gone after it (`go test` "
            "under Go's goroutineleak profile, the table's last column).",
        ]
    if verification.dropped:
        out += ["", "Fixes not proposed, because the package no longer passes with them:", ""]
        for dropped in verification.dropped:
            out.append(f"- `{dropped.path}` `{dropped.rule}`: {dropped.reason}")
            if dropped.output:
                out += ["  ```", *(f"  {line}" for line in dropped.output.splitlines()), "  ```"]
    out += [
        "",
        f"<sub>Generated by gofixleak {__version__}. Closing this pull request without merging "
        "it tells gofixleak not to propose these fixes again.</sub>",
    ]
    return "\n".join(out) + "\n"
