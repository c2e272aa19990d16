#!/usr/bin/env python3
"""Run gofixleak over the real-world corpus and print the tables of docs/real-world.md.

    python3 bench/realworld.py [--tree SUBSTRING ...] [--jobs 2] [--verify] [--tickers]
                               [--save RESULTS.json | --load RESULTS.json]

The corpus is what ``bench/corpus.py`` prints (``$(go env GOROOT)/src`` and pinned modules from
the Go module proxy, cached outside the repository). For each tree, from the tree's root:

- files and lines scanned: the files :func:`gofixleak.discovery.discover` yields, as the tool
  reads them;
- findings per rule and fixes offered (safe / unsafe): ``gofixleak check --format json
  --unsafe-fixes .``;
- with ``--verify``, fixes verified: ``gofixleak check --diff --unsafe-fixes --verify .`` with
  ``GOMODCACHE`` at the corpus' scratch module cache and ``GOFLAGS=-mod=mod`` so that Go may
  fetch the module's dependencies through the proxy. Go refuses ``-overlay`` replacements for
  files beneath ``GOMODCACHE``, so a module tree is verified in a fresh writable copy under
  ``<dest>/work``. A fix is verified when its (file, rule) unit is not dropped;
- with ``--tickers``, a second pass with ``--go-version 1.22 --select
  leaky-time-tick,unstopped-ticker``: most modules say ``go >= 1.23``, where those two rules are
  silent by design, so they are measured as if the code still ran on Go 1.22.

Every finding is looked up in the committed triage file (``docs/real-world-triage.json``): one
entry per finding, keyed by tree, path, rule and the text of the finding's first line (line
numbers drift), with a verdict (``leak``, ``harmless`` or ``false-positive``) and a one-line
reason. Findings without an entry are flagged UNTRIAGED (and the exit status is 1); entries that
match no finding any more are listed, as fixed false positives when their verdict says so.
Precision counts leak and harmless findings as true: (leak + harmless) / triaged.

Progress goes to stderr, the markdown to stdout; ``--update docs/real-world.md`` also puts it
between that file's ``<!-- realworld:start -->`` and ``<!-- realworld:end -->`` markers. Nothing
else is written to the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# gofixleak is the installed package, never the work tree's gofixleak/ (which lacks fixers/:
# only an install maps it to gofixleak.fixers); python -P keeps it so in the processes started.
sys.path.insert(0, str(REPO / "bench"))

import corpus  # noqa: E402

from gofixleak import api  # noqa: E402
from gofixleak.discovery import discover  # noqa: E402
from gofixleak.model import Applicability  # noqa: E402
from gofixleak.source import parse_go_version  # noqa: E402

TRIAGE = REPO / "docs" / "real-world-triage.json"
VERDICTS = ("leak", "harmless", "false-positive")
TICKER_RULES = ("leaky-time-tick", "unstopped-ticker")
KNOWN_GOOS = frozenset(
    [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "wasip1",
        "windows",
        "zos",
    ]
)
_DROPPED = re.compile(
    r"^gofixleak: (?P<path>.+?): (?P<rule>[a-z-]+): fix not applied: (?P<why>.*)$"
)
_APPLIED = re.compile(r"(\d+) fix(?:es)? in (\d+) files?")


@dataclass
class Finding:
    tree: str
    path: str
    line: int
    rule: str
    text: str  # the finding's first source line, stripped: the triage key
    message: str
    fix: str | None  # "safe", "unsafe", or None
    bite: str = "leak"  # where it bites: leak, test-failure or process-lifetime

    def key(self) -> tuple[str, str, str, str]:
        return (self.tree, self.path, self.rule, self.text)


@dataclass
class Tree:
    name: str
    directory: str
    files: int = 0
    lines: int = 0
    seconds: float = 0.0
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # crashes, tracebacks, files the tool refused
    verified: bool = False  # --verify ran on this tree
    applied: int = 0  # fixes the verified --diff applied
    dropped: list[dict[str, str]] = field(default_factory=list)  # path, rule, why
    verify_seconds: float = 0.0


# --- running ----------------------------------------------------------------------------------


def count_scanned(directory: str) -> tuple[int, int]:
    """Files and lines the tool reads under ``directory`` (discovery's own walk)."""
    files = lines = 0
    for item in discover([directory]):
        if item.error is not None:
            continue
        data = Path(item.path).read_bytes()
        files += 1
        lines += data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return files, lines


def gofixleak(
    args: Sequence[str], cwd: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    command = [sys.executable, "-P", "-m", "gofixleak", "check", "--no-config", *args]
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    return result.returncode, result.stdout, result.stderr


def scan(tree: Tree, jobs: int, extra: Sequence[str] = ()) -> None:
    files, lines = count_scanned(tree.directory)
    tree.files, tree.lines = files, lines
    started = time.monotonic()
    code, out, err = gofixleak(
        ["--format", "json", "--unsafe-fixes", "-q", "-j", str(jobs), *extra, "."], tree.directory
    )
    tree.seconds = round(time.monotonic() - started, 1)
    if code not in (0, 1) or "Traceback" in err:
        tree.errors.append(f"exit {code}: {err.strip()[-2000:]}")
        if not out.strip():
            return
    report = json.loads(out)
    tree.errors.extend(f"{e['path']}: {e['message']}" for e in report["errors"])
    for f in report["findings"]:
        tree.findings.append(
            Finding(
                tree=tree.name,
                path=f["path"],
                line=f["line"],
                rule=f["rule"],
                text=source_line(tree.directory, f["path"], f["line"]),
                message=f["message"],
                fix=f["fix"]["applicability"] if f["fix"] else None,
                bite=f.get("bite", "leak"),
            )
        )


def source_line(directory: str, path: str, line: int) -> str:
    data = (Path(directory) / path).read_bytes().splitlines()
    return data[line - 1].decode("utf-8", "replace").strip() if 0 < line <= len(data) else ""


def verify(tree: Tree, jobs: int, dest: Path, extra: Sequence[str] = ()) -> None:
    """Apply every offered fix through ``--verify`` (build and vet with the fixes in place)."""
    if not any(f.fix for f in tree.findings):
        return
    modcache = dest / "modcache"
    directory = tree.directory
    env = dict(os.environ)
    if Path(directory).resolve().is_relative_to(modcache.resolve()):
        directory = str(working_copy(tree, dest))
        env.update(GOMODCACHE=str(modcache), GOFLAGS="-mod=mod")
    started = time.monotonic()
    code, _, err = gofixleak(
        ["--diff", "--unsafe-fixes", "--verify", "-j", str(jobs), *extra, "."], directory, env
    )
    tree.verify_seconds = round(time.monotonic() - started, 1)
    tree.verified = True
    if code not in (0, 1) or "Traceback" in err:
        tree.errors.append(f"--verify exit {code}: {err.strip()[-2000:]}")
    for line in err.splitlines():
        match = _DROPPED.match(line)
        if match:
            dropped = match.groupdict()
            if "build constraints" in dropped["why"]:
                dropped["elsewhere"] = vet_for_its_platform(directory, dropped, env, extra)
            tree.dropped.append(dropped)
    applied = _APPLIED.search(err)
    tree.applied = int(applied.group(1)) if applied else 0


def vet_for_its_platform(
    directory: str, dropped: dict[str, str], env: dict[str, str], extra: Sequence[str]
) -> str:
    """``--verify`` cannot build a file that this platform's build constraints leave out
    (``x_darwin_test.go`` on Linux). When the file name names its GOOS, vet its package for that
    GOOS with the same fix through an overlay; returns what passed, or why it did not."""
    goos = goos_of(dropped["path"])
    if goos is None:
        return ""
    path = Path(directory) / dropped["path"]
    version = extra[list(extra).index("--go-version") + 1] if "--go-version" in extra else None
    options = api.Options(
        select=(dropped["rule"],),
        fix=Applicability.UNSAFE,
        go_version=parse_go_version(version) if version else None,
    )
    result = api.check_source(str(path), path.read_bytes(), options)
    if result.fixed is None:
        return "no fix to vet"
    with tempfile.TemporaryDirectory() as scratch:
        fixed = Path(scratch) / path.name
        fixed.write_bytes(result.fixed)
        overlay = Path(scratch) / "overlay.json"
        overlay.write_text(json.dumps({"Replace": {str(path.resolve()): str(fixed)}}))
        package = "./" + (os.path.dirname(dropped["path"]) or ".")
        vet = subprocess.run(
            ["go", "vet", "-overlay", str(overlay), package],
            cwd=directory,
            env={**env, "GOOS": goos},
            capture_output=True,
            text=True,
            check=False,
        )
    if vet.returncode != 0:
        return f"GOOS={goos} go vet fails: {vet.stderr.strip()[-500:]}"
    return f"GOOS={goos} go vet passes"


def goos_of(path: str) -> str | None:
    """The GOOS a ``_goos.go`` / ``_goos_test.go`` / ``_goos_arch.go`` file name selects."""
    parts = Path(path).name.removesuffix(".go").removesuffix("_test").split("_")
    for part in parts[-2:]:
        if part in KNOWN_GOOS:
            return part
    return None


def working_copy(tree: Tree, dest: Path) -> Path:
    """A fresh writable copy of a module tree, outside GOMODCACHE."""
    target = dest / "work" / re.sub(r"[^A-Za-z0-9.]+", "_", tree.name)
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(tree.directory, target, symlinks=True)
    for folder, _, files in os.walk(target):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, 0o644)
    return target


# --- triage -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    verdict: str
    reason: str
    fixed_by: str = ""  # for a false positive: the detector fix and fixture that silence it


def load_triage(path: Path) -> dict[tuple[str, str, str, str], Verdict]:
    if not path.exists():
        return {}
    out = {}
    for entry in json.loads(path.read_text()):
        if entry["verdict"] not in VERDICTS:
            raise SystemExit(f"{path}: unknown verdict {entry['verdict']!r}")
        key = (entry["tree"], entry["path"], entry["rule"], entry["line"])
        out[key] = Verdict(entry["verdict"], entry["reason"], entry.get("fixed_by", ""))
    return out


# --- markdown ---------------------------------------------------------------------------------


def table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines.extend("| " + " | ".join(str(c) for c in row) + " |" for row in rows)
    return "\n".join(lines)


def precision(true: int, false: int) -> str:
    return f"{100 * true / (true + false):.1f}%" if true + false else "-"


def fixes(findings: list[Finding]) -> tuple[int, int]:
    return sum(f.fix == "safe" for f in findings), sum(f.fix == "unsafe" for f in findings)


def verified_count(tree: Tree) -> int | None:
    if not tree.verified:
        return None
    dropped = {(d["path"], d["rule"]) for d in tree.dropped if not passes_elsewhere(d)}
    return sum(1 for f in tree.findings if f.fix and (f.path, f.rule) not in dropped)


def passes_elsewhere(dropped: dict[str, str]) -> bool:
    return dropped.get("elsewhere", "").endswith("passes")


def tree_table(trees: list[Tree]) -> str:
    rows: list[tuple[object, ...]] = []
    total = Counter[str]()
    for t in trees:
        safe, unsafe = fixes(t.findings)
        verified = verified_count(t)
        by_rule = Counter(f.rule for f in t.findings)
        rows.append(
            (
                f"`{t.name}`",
                f"{t.files:,}",
                f"{t.lines:,}",
                len(t.findings),
                ", ".join(f"{r} {n}" for r, n in sorted(by_rule.items())) or "-",
                f"{safe} / {unsafe}",
                "-" if verified is None else f"{verified}",
                len(t.dropped) if t.verified else "-",
                len(t.errors),
                t.seconds,
            )
        )
        total.update(
            files=t.files,
            lines=t.lines,
            findings=len(t.findings),
            safe=safe,
            unsafe=unsafe,
            verified=verified or 0,
            dropped=len(t.dropped),
            errors=len(t.errors),
        )
    rows.append(
        (
            "**total**",
            f"{total['files']:,}",
            f"{total['lines']:,}",
            total["findings"],
            "",
            f"{total['safe']} / {total['unsafe']}",
            total["verified"],
            total["dropped"],
            total["errors"],
            round(sum(t.seconds for t in trees), 1),
        )
    )
    header = (
        "tree",
        "files",
        "lines",
        "findings",
        "by rule",
        "fixes safe / unsafe",
        "verified",
        "dropped",
        "errors",
        "seconds",
    )
    return table(header, rows)


def rule_table(findings: list[Finding], triage: dict[tuple[str, str, str, str], Verdict]) -> str:
    rows: list[tuple[object, ...]] = []
    total = Counter[str]()
    for rule in sorted({f.rule for f in findings}):
        counts = Counter(verdict_of(f, triage) for f in findings if f.rule == rule)
        total.update(counts)
        rows.append(rule_row(f"`{rule}`", counts))
    rows.append(rule_row("**all**", total))
    return table(
        ("rule", "findings", "leak", "harmless", "false positive", "untriaged", "precision"), rows
    )


def rule_row(name: str, counts: Counter[str]) -> tuple[object, ...]:
    true = counts["leak"] + counts["harmless"]
    return (
        name,
        sum(counts.values()),
        counts["leak"],
        counts["harmless"],
        counts["false-positive"],
        counts["untriaged"],
        precision(true, counts["false-positive"]),
    )


BITES = ("leak", "test-failure", "process-lifetime")


def bite_table(findings: list[Finding], triage: dict[tuple[str, str, str, str], Verdict]) -> str:
    """Findings per class of where they bite (every class is shown by default; only ``leak``
    fails the run), each with its verdicts, and the share of ``leak`` among them."""
    rows: list[tuple[object, ...]] = []
    for bite in BITES:
        counts = Counter(verdict_of(f, triage) for f in findings if f.bite == bite)
        rows.append(
            (
                f"`{bite}`",
                sum(counts.values()),
                counts["leak"],
                counts["harmless"],
                counts["false-positive"],
                counts["untriaged"],
            )
        )
    shown = len(findings)
    leaks = sum(f.bite == "leak" for f in findings)
    share = f"{100 * leaks / shown:.0f}%" if shown else "-"
    header = ("class", "findings", "leak", "harmless", "false positive", "untriaged")
    return (
        table(header, rows)
        + f"\n\nOf the {shown} findings shown by default, {leaks} ({share}) are in the `leak` "
        "class, the one that fails a run by default."
    )


def verdict_of(finding: Finding, triage: dict[tuple[str, str, str, str], Verdict]) -> str:
    verdict = triage.get(finding.key())
    return verdict.verdict if verdict else "untriaged"


def finding_table(findings: list[Finding], triage: dict[tuple[str, str, str, str], Verdict]) -> str:
    rows: list[tuple[object, ...]] = []
    for f in findings:
        verdict = triage.get(f.key())
        rows.append(
            (
                f"`{f.tree.split('@')[0]}`",
                f"`{f.path}:{f.line}`",
                f"`{f.rule}`",
                f.fix or "-",
                f"**{verdict.verdict}**" if verdict else "**UNTRIAGED**",
                verdict.reason if verdict else f.message,
            )
        )
    return table(("tree", "where", "rule", "fix", "verdict", "why"), rows)


def stale_entries(
    findings: list[Finding], triage: dict[tuple[str, str, str, str], Verdict], trees: list[str]
) -> list[tuple[tuple[str, str, str, str], Verdict]]:
    """Entries of the trees that ran which match no finding now."""
    seen = {f.key() for f in findings}
    return [(k, v) for k, v in sorted(triage.items()) if k[0] in trees and k not in seen]


def render(
    trees: list[Tree],
    tickers: list[Tree],
    triage: dict[tuple[str, str, str, str], Verdict],
    meta: dict[str, str],
) -> str:
    findings = [f for t in trees for f in t.findings]
    ticker_findings = [f for t in tickers for f in t.findings]
    names = [t.name for t in trees]
    out = [
        f"<!-- generated by `python3 bench/realworld.py` ({meta['go']}, "
        f"gofixleak {meta['commit']}) -->",
        "",
        "### Trees",
        "",
        tree_table(trees),
        "",
        "### Triage per rule",
        "",
        rule_table(findings, triage) if findings else "No findings.",
        "",
        "### Where the findings bite",
        "",
        bite_table(findings, triage) if findings else "No findings.",
        "",
    ]
    if tickers:
        out += [
            "### Ticker rules as if on Go 1.22 (`--go-version 1.22`)",
            "",
            tree_table(tickers),
            "",
            rule_table(ticker_findings, triage) if ticker_findings else "No findings.",
            "",
        ]
    every = findings + ticker_findings
    if every:
        out += ["### Every finding", "", finding_table(every, triage), ""]
    stale = stale_entries(every, triage, names)
    fixed = [(k, v) for k, v in stale if v.verdict == "false-positive" and v.fixed_by]
    other = [(k, v) for k, v in stale if (k, v) not in fixed]
    if fixed:
        rows: list[tuple[object, ...]] = [
            (f"`{k[0].split('@')[0]}`", f"`{k[1]}`", f"`{k[2]}`", f"`{k[3]}`", v.reason, v.fixed_by)
            for k, v in fixed
        ]
        out += [
            "### False positives fixed (no longer reported)",
            "",
            table(("tree", "file", "rule", "line", "why it was wrong", "fixed by"), rows),
            "",
        ]
    if other:
        rows = [(f"`{k[0]}`", f"`{k[1]}`", f"`{k[2]}`", f"`{k[3]}`", v.verdict) for k, v in other]
        out += [
            "### Triage entries that match no finding",
            "",
            table(("tree", "file", "rule", "line", "verdict"), rows),
            "",
        ]
    dropped = [(t.name, d) for t in trees + tickers for d in t.dropped]
    if dropped:
        rows = [
            (f"`{n}`", f"`{d['path']}`", f"`{d['rule']}`", d["why"], d.get("elsewhere") or "-")
            for n, d in dropped
        ]
        header = ("tree", "file", "rule", "why", "on its own platform")
        out += ["### Fixes dropped by --verify", "", table(header, rows), ""]
    errors = [(t.name, e) for t in trees + tickers for e in t.errors]
    if errors:
        out += ["### Errors", ""] + [f"- `{n}`: {e}" for n, e in errors] + [""]
    return "\n".join(out)


START, END = "<!-- realworld:start -->", "<!-- realworld:end -->"


def update_block(path: Path, markdown: str) -> None:
    """Put ``markdown`` between the START and END markers of ``path``."""
    text = path.read_text()
    head, start, rest = text.partition(START)
    _, end, tail = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"{path}: no {START} ... {END} block")
    path.write_text(f"{head}{START}\n{markdown}\n{END}{tail}")


def describe_environment() -> dict[str, str]:
    go = subprocess.run(["go", "version"], capture_output=True, text=True, check=False).stdout
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {"go": go.strip().removeprefix("go version "), "commit": commit.strip()}


# --- main -------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=corpus.DEFAULT_DEST)
    parser.add_argument(
        "--tree", action="append", default=[], help="only trees whose name has this"
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--verify", action="store_true", help="also apply the fixes with --verify")
    parser.add_argument(
        "--tickers", action="store_true", help="also run the ticker rules as on Go 1.22"
    )
    parser.add_argument("--triage", type=Path, default=TRIAGE)
    parser.add_argument("--save", type=Path, help="write the raw results here")
    parser.add_argument("--load", type=Path, help="render saved results instead of running")
    parser.add_argument(
        "--update", type=Path, help="replace the generated block of this markdown file"
    )
    args = parser.parse_args(argv)
    triage = load_triage(args.triage)
    if args.load:
        saved = json.loads(args.load.read_text())
        trees, tickers = ([revive(t) for t in saved[k]] for k in ("trees", "tickers"))
        meta = saved["meta"]
    else:
        meta = describe_environment()
        trees, tickers = run(args)
    if args.save:
        data = {
            "meta": meta,
            "trees": [asdict(t) for t in trees],
            "tickers": [asdict(t) for t in tickers],
        }
        args.save.write_text(json.dumps(data, indent=1) + "\n")
    markdown = render(trees, tickers, triage, meta)
    if args.update:
        update_block(args.update, markdown)
    print(markdown)
    untriaged = [f for t in trees + tickers for f in t.findings if f.key() not in triage]
    for f in untriaged:
        print(f"UNTRIAGED {f.tree} {f.path}:{f.line} {f.rule}: {f.text}", file=sys.stderr)
    crashed = any(t.errors for t in trees + tickers)
    return 1 if untriaged or crashed else 0


def run(args: argparse.Namespace) -> tuple[list[Tree], list[Tree]]:
    selected = [
        (name, directory)
        for name, directory in corpus.trees(args.dest)
        if not args.tree or any(s in name for s in args.tree)
    ]
    trees, tickers = [], []
    ticker_args = ["--go-version", "1.22", "--select", ",".join(TICKER_RULES)]
    for name, directory in selected:
        tree = Tree(name, str(directory))
        print(f"realworld: {name} ...", file=sys.stderr, flush=True)
        scan(tree, args.jobs)
        if args.verify:
            verify(tree, args.jobs, args.dest)
        trees.append(tree)
        if args.tickers:
            ticker = Tree(name, str(directory))
            scan(ticker, args.jobs, ticker_args)
            if args.verify:
                verify(ticker, args.jobs, args.dest, ticker_args)
            tickers.append(ticker)
    return trees, tickers


def revive(data: dict[str, object]) -> Tree:
    tree = Tree(**data)  # type: ignore[arg-type]
    tree.findings = [Finding(**f) for f in tree.findings]  # type: ignore[arg-type]
    return tree


if __name__ == "__main__":
    sys.exit(main())
