#!/usr/bin/env python3
"""Measure recall on the goroutine leaks that Go's runtime ships as test data.

    python3 bench/recall.py [--corpus DIR] [--update docs/real-world.md]

Go 1.26 ships the test corpus of its goroutine-leak profiler at
``$(go env GOROOT)/src/runtime/testdata/testgoroutineleakprofile``: ``commonpatterns.go`` (the
six leak patterns of Uber's CGO 2024 study) and ``goker/*.go`` (the GoBench/GoKer kernels of
real bugs in Docker, Kubernetes, gRPC, etcd, CockroachDB...). Every kernel leaks.

The committed label file ``docs/recall-labels.json`` says, for each kernel, whether its leak is
``in`` scope (its real cause is reachable with the package model: the syntax of one package's
functions, methods, struct fields, lock regions and WaitGroups, with no type information beyond
what declarations give; with the rule expected to report it, or none when no rule has the
shape), ``artifact`` (only the cut-down kernel as written is reachable: the real cause needs
types or crosses packages; counted in the recall of all kernels, not in scope) or ``out`` of
scope (mutex-only and Cond deadlocks, interfaces, function values, other packages), with the
reason. The labels were written by reading each kernel and the upstream bug (see
../shared/research/gobench-recall.md), not from the tool's output.

The script runs ``gofixleak check --go-version 1.22`` on the directory (discovery skips
``testdata``, so the directory is named explicitly) and matches every finding to a kernel by
file and enclosing top-level function. A kernel is found when a finding of its expected rule
lies in its function (its file, for a GoKer kernel). Findings that are not a labelled leak must
be listed in the kernel's ``other_findings`` with a verdict (``true`` or ``false-positive``),
or, in a file that holds no labelled kernel (``simple.go``, the profiler's own tests), in the
file's top-level ``other_findings`` (with the ``file``); any other finding is UNLABELLED and
the exit status is 1.

Prints the markdown to stdout; ``--update FILE`` also puts it between FILE's
``<!-- recall:start -->`` and ``<!-- recall:end -->`` markers.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# gofixleak is the installed package, never the work tree's gofixleak/ (which lacks fixers/:
# only an install maps it to gofixleak.fixers); python -P keeps it so in the process started.

from gofixleak import syntax  # noqa: E402
from gofixleak.source import SourceFile  # noqa: E402

LABELS = REPO / "docs" / "recall-labels.json"
CORPUS = "src/runtime/testdata/testgoroutineleakprofile"
GO_VERSION = "1.22"  # the ticker rules speak only below Go 1.23
START, END = "<!-- recall:start -->", "<!-- recall:end -->"


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the corpus, "/"-separated
    line: int
    rule: str
    function: str | None  # enclosing top-level function or method name
    text: str  # the finding's first source line, stripped
    message: str


@dataclass
class Kernel:
    kernel: str
    file: str
    function: str | None
    upstream: str
    scope: str  # "in", "artifact" or "out"
    rule: str | None
    reason: str
    others: list[dict[str, str]]
    hits: list[Finding] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.hits)

    def holds(self, finding: Finding) -> bool:
        return finding.path == self.file and (
            self.function is None or finding.function == self.function
        )


def default_corpus() -> Path:
    goroot = subprocess.run(
        ["go", "env", "GOROOT"], capture_output=True, text=True, check=True
    ).stdout.strip()
    return Path(goroot) / CORPUS


def load_kernels(path: Path = LABELS) -> list[Kernel]:
    data = json.loads(path.read_text())
    return [
        Kernel(
            kernel=k["kernel"],
            file=k["file"],
            function=k.get("function"),
            upstream=k.get("upstream", ""),
            scope=k["scope"],
            rule=k.get("rule"),
            reason=k["reason"],
            others=k.get("other_findings", []),
        )
        for k in data["kernels"]
    ]


def run_tool(corpus: Path) -> list[Finding]:
    command = [
        sys.executable, "-P", "-m", "gofixleak", "check", "--no-config", "--format", "json",
        "--go-version", GO_VERSION, "-q", str(corpus) + "/",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1) or "Traceback" in result.stderr:
        raise SystemExit(f"gofixleak failed ({result.returncode}): {result.stderr[-2000:]}")
    report = json.loads(result.stdout)
    if report["errors"]:
        raise SystemExit(f"gofixleak reported errors: {report['errors']}")
    return [_finding(corpus, f) for f in report["findings"]]


def _finding(corpus: Path, raw: dict[str, object]) -> Finding:
    path = Path(str(raw["path"]))
    data = path.read_bytes()
    line = int(str(raw["line"]))
    start = int(str(raw["start_byte"]))
    src = SourceFile.parse(str(path), data)
    node = src.root.descendant_for_byte_range(start, start)
    function = _top_level_name(node, src) if node is not None else None
    return Finding(
        path=path.relative_to(corpus).as_posix(),
        line=line,
        rule=str(raw["rule"]),
        function=function,
        text=data.splitlines()[line - 1].decode(errors="replace").strip(),
        message=str(raw["message"]),
    )


def _top_level_name(node: object, src: SourceFile) -> str | None:
    for ancestor in syntax.ancestors(node):  # type: ignore[arg-type]
        if ancestor.type in ("function_declaration", "method_declaration"):
            name = ancestor.child_by_field_name("name")
            return src.show(name) if name is not None else None
    return None


def load_other_findings(path: Path = LABELS) -> list[dict[str, str]]:
    """The labelled findings in files that hold no kernel."""
    data = json.loads(path.read_text())
    found: list[dict[str, str]] = data.get("other_findings", [])
    return found


def classify(
    kernels: list[Kernel],
    findings: list[Finding],
    loose: list[dict[str, str]] | None = None,
) -> tuple[list[tuple[Finding, dict[str, str]]], list[Finding]]:
    """Attach each finding to the kernel whose labelled leak it reports; return the findings
    that are another labelled finding (with their label: a kernel's, or ``loose``, for files
    with no kernel) and those nobody labelled."""
    others: list[tuple[Finding, dict[str, str]]] = []
    unlabelled: list[Finding] = []
    for finding in findings:
        home = [k for k in kernels if k.holds(finding)]
        hit = next(
            (k for k in home if k.scope in ("in", "artifact") and k.rule == finding.rule), None
        )
        if hit is not None:
            hit.hits.append(finding)
            continue
        labels = [o for k in kernels if k.file == finding.path for o in k.others]
        labels += [o for o in loose or () if o["file"] == finding.path]
        label = next(
            (o for o in labels if o["rule"] == finding.rule and o["line"] == finding.text),
            None,
        )
        if label is None:
            unlabelled.append(finding)
        else:
            others.append((finding, label))
    return others, unlabelled


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def render(
    kernels: list[Kernel],
    others: list[tuple[Finding, dict[str, str]]],
    unlabelled: list[Finding],
) -> str:
    in_scope = [k for k in kernels if k.scope == "in"]
    found_in = [k for k in in_scope if k.found]
    artifacts = [k for k in kernels if k.scope == "artifact"]
    found_all = [k for k in kernels if k.found]
    false_positives = [f for f, o in others if o["verdict"] != "true"] + unlabelled
    out = [
        "| | result |",
        "|---|---|",
        f"| leaky kernels (all labelled leaks) | {len(kernels)} "
        f"({sum(k.file == 'commonpatterns.go' for k in kernels)} Uber patterns, "
        f"{sum(k.file.startswith('goker/') for k in kernels)} GoKer kernels) |",
        f"| in scope (real cause reachable with the package model) | {len(in_scope)} |",
        f"| **recall, in scope** | **{_percent(len(found_in), len(in_scope))}** "
        f"({len(found_in)} of {len(in_scope)}) |",
        f"| recall, all leaky kernels | {_percent(len(found_all), len(kernels))} "
        f"({len(found_all)} of {len(kernels)}, of them "
        f"{sum(k.found for k in artifacts)} found only as the kernel is written) |",
        f"| findings | {sum(len(k.hits) for k in kernels) + len(others) + len(unlabelled)} "
        f"({sum(len(k.hits) for k in kernels)} on labelled leaks, {len(others)} other, "
        f"{len(unlabelled)} unlabelled) |",
        f"| false positives | {len(false_positives)} |",
        "",
        "In-scope kernels:",
        "",
        "| kernel | file | expected rule | found | leak, or why it is missed |",
        "|---|---|---|---|---|",
    ]
    for k in in_scope:
        where = f"`{k.file}`" + (f" `{k.function}`" if k.function else "")
        status = "yes" if k.found else "**no**"
        rule = f"`{k.rule}`" if k.rule else "none has the shape"
        out.append(f"| {k.kernel} | {where} | {rule} | {status} | {k.reason} |")
    out += [
        "",
        "Out-of-scope kernels:",
        "",
        "| kernel | upstream | found | why out of scope |",
        "|---|---|---|---|",
    ]
    for k in kernels:
        if k.scope != "in":
            status = f"yes, as written (`{k.rule}`)" if k.found else "no"
            out.append(f"| {k.kernel} | {k.upstream} | {status} | {k.reason} |")
    if others or unlabelled:
        out += [
            "",
            "Findings that are not a labelled leak:",
            "",
            "| file | line | rule | verdict | why |",
            "|---|---|---|---|---|",
        ]
        for f, o in others:
            out.append(f"| `{f.path}` | `{f.text}` | `{f.rule}` | {o['verdict']} | {o['reason']} |")
        for f in unlabelled:
            out.append(f"| `{f.path}` | `{f.text}` | `{f.rule}` | UNLABELLED | {f.message} |")
    return "\n".join(out) + "\n"


def update_block(path: Path, markdown: str) -> None:
    text = path.read_text()
    start, end = text.index(START), text.index(END)
    path.write_text(text[: start + len(START)] + "\n" + markdown + text[end:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--corpus", type=Path, default=None)
    parser.add_argument("--update", type=Path, default=None)
    args = parser.parse_args(argv)
    corpus = args.corpus or default_corpus()
    if not corpus.is_dir():
        print(f"no corpus at {corpus} (needs Go >= 1.26)", file=sys.stderr)
        return 2
    kernels = load_kernels()
    others, unlabelled = classify(kernels, run_tool(corpus), load_other_findings())
    markdown = render(kernels, others, unlabelled)
    print(markdown, end="")
    if args.update is not None:
        update_block(args.update, markdown)
    for f in unlabelled:
        print(f"UNLABELLED: {f.path}:{f.line}: {f.rule}: {f.message}", file=sys.stderr)
    return 1 if unlabelled else 0


if __name__ == "__main__":
    raise SystemExit(main())
