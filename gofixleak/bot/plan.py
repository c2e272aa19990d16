"""What the bot proposes, computed before anything is committed: the commits (one per rule), the
fingerprint that names the branch, the pull request's title and body.

The fingerprint hashes, for every file and rule, the lines that rule's commit removes and adds
(without line numbers or context), so an unrelated edit elsewhere in a file does not make the
same fixes look new. The body also records, for every file and rule, a hash of each run of lines
changed (the unit a rejection applies to): fixes whose pull request was closed unmerged are
recognised in any later set and left out of it.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gofixleak import __version__, api, registry
from gofixleak.bot import markdown
from gofixleak.model import FileResult, RuleInfo
from gofixleak.source import line_starts
from gofixleak.verify import Verification

if TYPE_CHECKING:
    from gofixleak.oracle.proof import FixProof

BRANCH_PREFIX = "gofixleak/"
MAX_BODY_CHARS = 60_000  # GitHub refuses a pull request body over 65,536 characters
FINGERPRINT = re.compile(r"<!-- gofixleak:fingerprint=([0-9a-f]{64}) -->")
FIXES = re.compile(r"<!-- gofixleak:fixes=([0-9a-f:, ]*) -->")
MARK_CHARS = 16  # of a sha256: unique enough among the fixes of one repository
# How the table labels a fix of a finding that is not a leak in normal use.
HYGIENE = {
    "test-failure": "hygiene: only once a test has failed",
    "process-lifetime": "hygiene: once for the life of the process",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One applied fix, as a row of the pull request's table."""

    path: str  # relative to the repository root, with /
    line: int
    rule: str
    fix: str
    safety: str  # "safe" or "unsafe"
    bite: str = "leak"  # where the leak bites (bites.py): hygiene when it is not "leak"
    leaks: str = ""  # --verify-tests: goroutines leaked at the site before -> after the fix


@dataclass(frozen=True, slots=True)
class Commit:
    """One rule's commit: its message and the files as they are after it."""

    rule: str
    message: str
    files: tuple[tuple[str, bytes], ...]


@dataclass(frozen=True, slots=True)
class Unit:
    """One rule's fixes in one file (the unit verification keeps or drops, and a rejection
    holds), with a hash of each run of lines they change, without line numbers or context."""

    path: str
    rule: str
    hunks: tuple[str, ...]

    @property
    def marks(self) -> frozenset[str]:
        """What the body records of this unit: ``file-and-rule:hunk`` for each hunk."""
        key = _short(f"{self.path}\0{self.rule}".encode())
        return frozenset(f"{key}:{hunk}" for hunk in self.hunks)

    def __str__(self) -> str:
        return f"{self.path} ({self.rule})"


@dataclass(frozen=True, slots=True)
class Plan:
    fingerprint: str
    commits: tuple[Commit, ...]
    changes: tuple[Change, ...]
    title: str
    body: str
    units: tuple[Unit, ...] = ()

    @property
    def branch(self) -> str:
        return BRANCH_PREFIX + self.fingerprint[:12]


def fingerprint_of(body: str | None) -> str | None:
    """The fingerprint a bot pull request's body records, or None."""
    match = FINGERPRINT.search(body or "")
    return match.group(1) if match else None


def fixes_of(body: str | None) -> frozenset[str] | None:
    """The marks of the fixes a bot pull request's body records (None: a body from before
    gofixleak recorded them, which only has the fingerprint of the whole set)."""
    match = FIXES.search(body or "")
    if match is None:
        return None
    marks: set[str] = set()
    for unit in match.group(1).split():
        key, _, hunks = unit.partition(":")
        marks |= {f"{key}:{hunk}" for hunk in hunks.split(",") if hunk}
    return frozenset(marks)


def rejected(units: Sequence[Unit], marks: frozenset[str]) -> list[Unit]:
    """The units that change lines a rejected fix changed (in the same file, by the same rule):
    such a unit holds that fix again, whatever else it holds."""
    return [unit for unit in units if unit.marks & marks]


def leave_out(
    results: Sequence[FileResult], units: Sequence[Unit], options: api.Options, root: str
) -> list[FileResult]:
    """``results`` with the fixes of ``units`` left out (the pipeline re-run without them, on
    each package directory that holds one: a fix that edits several files goes as a whole)."""
    out = {(u.path, u.rule) for u in units}
    changed = [r for r in results if r.changed and r.original is not None]
    touched = {
        _folder(r.path)
        for r in changed
        if {(relative(r.path, root), f.rule) for f in r.fixes_applied} & out
    }
    redone: dict[str, FileResult] = {}
    for folder in touched:
        group = [r for r in changed if _folder(r.path) == folder]
        kept = {
            r.path: {f.rule for f in r.fixes_applied if (relative(r.path, root), f.rule) not in out}
            for r in group
        }
        originals = {r.path: r.original for r in group if r.original is not None}
        redone.update(api.fix_subset(originals, kept, options))
    return [redone.get(r.path, r) if r.path in redone else r for r in results]


def _folder(path: str) -> str:
    return os.path.dirname(os.path.abspath(path))


def _texts_after(
    files: Mapping[str, FileResult], done: Mapping[str, set[str]], options: api.Options
) -> dict[str, bytes]:
    """Each file's text after the fixes of the rules ``done[path]`` only, for the findings in
    it (a fix that also edits other files of the package lands in them too)."""
    out: dict[str, bytes] = {}
    folders: dict[str, dict[str, FileResult]] = {}
    for path, result in files.items():
        folders.setdefault(_folder(result.path), {})[path] = result
    for group in folders.values():
        owns = {path: {f.rule for f in r.fixes_applied} for path, r in group.items()}
        if all(owns[path] <= done.get(path, set()) for path in group):
            out.update((path, r.fixed or r.original or b"") for path, r in group.items())
            continue
        if not any(done.get(path) for path in group):
            out.update((path, r.original or b"") for path, r in group.items())
            continue
        originals = {r.path: r.original or b"" for r in group.values()}
        rules = {r.path: done.get(path, set()) for path, r in group.items()}
        runs = api.fix_subset(originals, rules, options)
        for path, r in group.items():
            run = runs[r.path]
            out[path] = run.fixed if run.fixed is not None else r.original or b""
    return out


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
    units: list[Unit] = []
    for index, rule in enumerate(rules):
        after: dict[str, bytes] = {}
        so_far = set(rules[: index + 1])
        done = {path: {f.rule for f in r.fixes_applied} & so_far for path, r in files.items()}
        texts = _texts_after(files, done, options)
        for path in files:
            text = texts[path]
            if text != state[path]:
                entries.append((path, rule, _changed_lines_hash(state[path], text)))
                units.append(Unit(path, rule, _hunks(state[path], text)))
                after[path] = state[path] = text
        if after:
            info = registry.get(rule).info
            message = commit_message(info, [c for c in changes if c.rule == rule])
            commits.append(Commit(rule, message, tuple(sorted(after.items()))))
    fingerprint = hashlib.sha256(json.dumps(sorted(entries)).encode()).hexdigest()
    record = f"<!-- gofixleak:fixes={_record(units)} -->"
    body = pr_body(fingerprint, changes, [c.rule for c in commits], verification, record)
    return Plan(fingerprint, tuple(commits), tuple(changes), pr_title(changes), body, tuple(units))


def _inside(result: FileResult, root: str) -> bool:
    relative = os.path.relpath(os.path.realpath(result.path), os.path.realpath(root))
    return not relative.startswith("..")


def relative(path: str, root: str) -> str:
    """``path`` relative to ``root``, with /."""
    return os.path.relpath(os.path.realpath(path), os.path.realpath(root)).replace(os.sep, "/")


def _record(units: Sequence[Unit]) -> str:
    by_key: dict[str, list[str]] = {}
    for unit in units:
        for mark in sorted(unit.marks):
            key, _, hunk = mark.partition(":")
            by_key.setdefault(key, []).append(hunk)
    return " ".join(f"{key}:{','.join(hunks)}" for key, hunks in sorted(by_key.items()))


def _short(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:MARK_CHARS]


def _hunks(before: bytes, after: bytes) -> tuple[str, ...]:
    """A hash of each run of changed lines (its removed and added lines, no line numbers)."""
    hunks: list[list[bytes]] = []
    diff = difflib.diff_bytes(difflib.unified_diff, before.splitlines(), after.splitlines(), n=0)
    for line in diff:
        if line.startswith(b"@@"):
            hunks.append([])
        elif hunks and line[:1] in (b"+", b"-") and not line.startswith((b"+++", b"---")):
            hunks[-1].append(line)
    return tuple(sorted({_short(b"\n".join(lines)) for lines in hunks}))


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
        out.append(Change(path, line, finding.rule, message, safety, finding.bite.value))
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


_GENERATED = re.compile(r"^Generated by gofixleak \S+ \(`gofixleak explain [\w-]+`\)\.$", re.M)


def is_commit_message(message: str) -> bool:
    """Whether ``message`` is one that :func:`commit_message` wrote (its last line says so)."""
    return bool(_GENERATED.search(message))


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
        rows.append(_row(c) + (f" {c.leaks or 'not checked'} |" if leaks else ""))
    if shown < len(changes):
        rest = f"| ... | | | and {len(changes) - shown} more (see the commits) | |"
        rows.append(rest + (" |" if leaks else ""))
    return rows


def pr_body(
    fingerprint: str,
    changes: Sequence[Change],
    rules: Sequence[str],
    verification: Verification,
    record: str = "",
) -> str:
    """Markdown: the fixes as a table, each rule's docs, the verification, the fingerprint and
    the ``record`` of the fixes (an HTML comment, which GitHub does not show).

    The table is cut short (with a count of the rest) if the body would pass GitHub's limit.
    """
    shown = len(changes)
    while True:
        body = _body(fingerprint, changes, shown, rules, verification, record)
        if len(body) <= MAX_BODY_CHARS or shown == 0:
            return body
        shown //= 2


def _body(
    fingerprint: str,
    changes: Sequence[Change],
    shown: int,
    rules: Sequence[str],
    verification: Verification,
    record: str,
) -> str:
    out = [
        f"<!-- gofixleak:fingerprint={fingerprint} -->",
        *([record] if record else []),
        f"gofixleak found {_plural(len(changes), 'goroutine leak')} and fixed "
        f"{'it' if len(changes) == 1 else 'them'}, one commit per rule.",
        *_hygiene(changes),
        "",
        *_table(changes, shown),
    ]
    for name in rules:
        out += _rule_docs(registry.get(name).info)
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
            where = f"{markdown.code(dropped.path)} {markdown.code(dropped.rule)}"
            out.append(f"- {where}: {markdown.text(dropped.reason)}")
            if dropped.output:
                out += markdown.fenced(dropped.output, indent="  ")
    out += [
        "",
        f"<sub>Generated by gofixleak {__version__}. Closing this pull request without merging "
        "it tells gofixleak not to propose these fixes again.</sub>",
    ]
    return "\n".join(out) + "\n"


def _hygiene(changes: Sequence[Change]) -> list[str]:
    """A sentence on the fixes of findings that are not leaks in normal use, if any."""
    count = sum(c.bite in HYGIENE for c in changes)
    if not count:
        return []
    which = f"{count} is" if count == 1 else f"{count} are"
    if count == len(changes):
        which = "it is" if count == 1 else "all are"
    return [
        "",
        f"Of these, {which} hygiene: the goroutine is stranded only once a test has already"
        " failed, or once for the life of the process (marked so in the table).",
    ]


def _row(change: Change) -> str:
    rule = markdown.code(change.rule)
    if change.bite in HYGIENE:
        rule += " " + markdown.text(f"({HYGIENE[change.bite]})")
    cells = (
        markdown.code(change.path),
        str(change.line),
        rule,
        markdown.text(change.fix),
        change.safety,
    )
    return "| " + " | ".join(markdown.cell(c) for c in cells) + " |"


def _rule_docs(info: RuleInfo) -> list[str]:
    """A rule's summary, "why it leaks" and "fix safety", from its docstring, as Markdown."""
    out = ["", f"### {markdown.code(info.name)}", "", markdown.from_docstring(info.summary)]
    why = markdown.from_docstring(info.section("Why it leaks"))
    if why:
        label = "**Why it leaks.**"
        # A list or code block cannot follow the label on its line.
        starts_block = why.startswith(("- ", "```"))
        out += ["", label, "", why] if starts_block else ["", f"{label} {why}"]
    safety = markdown.from_docstring(info.section("Fix safety"))
    if safety:
        out += ["", "<details><summary>Fix safety</summary>", "", safety, "", "</details>"]
    return out
