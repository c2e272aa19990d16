"""Static and runtime findings, joined: the ``runtime-leak`` findings and the confirmed marks.

A static finding *explains* a runtime site when the site's line, or the line of the ``go``
statement that started its goroutines, lies within the lines of the finding or of one of its
related places (the blocking send, the goroutine that waits, the loop): those are the rules'
own statement of where the goroutine is started and gets stuck. The static finding
is then marked confirmed, and the runtime finding names the rule and offers its fix. A static
finding in a package whose tests ran and collected a profile, and whose goroutine was not seen,
is marked not confirmed; elsewhere the mark is left unset. Runtime findings go through the same
suppression directives as static ones (``//gofixleak:ignore runtime-leak reason`` at the
blocking line); none is ever reported as an unused directive, as a leak need not show on every
run.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gofixleak import api, registry, suppression
from gofixleak.detectors.runtime_leak import RULE
from gofixleak.discovery import display_path
from gofixleak.model import FileResult, Finding, Related, Span, Suppressed, position
from gofixleak.oracle.sites import LEAKED, TIMEOUT, Site
from gofixleak.oracle.stacks import Frame, name_of_test
from gofixleak.source import SourceFile, line_starts

MAX_RELATED = 3


@dataclass(frozen=True, slots=True)
class Joined:
    """The joined results, and what the summary says about them."""

    results: tuple[FileResult, ...]
    runtime: int = 0  # runtime-leak findings reported
    confirmed: int = 0  # static findings the tests confirmed
    unexplained: tuple[tuple[str, int, int], ...] = ()  # (blocking operation, goroutines, sites)


def join(
    static: Sequence[FileResult],
    found: Sequence[Site],
    tested: Collection[str],
    options: api.Options,
) -> Joined:
    """``static`` results with runtime-leak findings for ``found`` added and confirmed marks set.

    ``tested`` are the package directories (absolute) whose tests ran and were collected.
    """
    joining = _Join(static, found, options)
    order = {p: i for i, p in enumerate(joining.by_file)}
    # Static results keep their (discovery) order; files only the runtime names come after.
    paths = set(joining.by_file) | set(joining.sites_by_file)
    results = [
        joining.file(path, os.path.dirname(path) in tested)
        for path in sorted(paths, key=lambda p: (order.get(p, len(order)), p))
    ]
    return Joined(
        tuple(results),
        sum(1 for r in results for f in r.findings if f.rule == RULE.name),
        len(joining.confirmed),
        _unexplained(found, joining.explaining, options),
    )


class _Join:
    """Which static findings explain which sites, and each file's results with both."""

    def __init__(
        self, static: Sequence[FileResult], found: Sequence[Site], options: api.Options
    ) -> None:
        self.options = options
        self.by_file = {os.path.abspath(r.path): r for r in static}
        self.texts = _Texts(self.by_file)
        self.explaining = {site.key: _explaining(site, self.by_file, self.texts) for site in found}
        self.confirmed = {where for matches in self.explaining.values() for where in matches}
        self.sites_by_file: dict[str, list[Site]] = {}
        for site in found:
            self.sites_by_file.setdefault(site.file, []).append(site)

    def file(self, path: str, tested: bool) -> FileResult:
        """The file's result: static findings marked, runtime-leak findings added."""
        result = self.by_file.get(path) or FileResult(display_path(path))
        here = self.sites_by_file.get(path, [])
        data = self.texts.get(path) if here else result.data
        if data is None or not (tested or here):
            return result
        marked = [
            dataclasses.replace(f, confirmed=(path, i) in self.confirmed)
            if tested or (path, i) in self.confirmed
            else f
            for i, f in enumerate(result.findings)
        ]
        runtime = [self.finding(result, path, data, site) for site in here]
        return _with_findings(result, data, marked, runtime if _enabled(self.options, path) else [])

    def finding(self, result: FileResult, path: str, data: bytes, site: Site) -> Finding:
        matches = self.explaining[site.key]
        same_file = [result.findings[i] for p, i in matches if p == path]
        rules = sorted({self.by_file[p].findings[i].rule for p, i in matches})
        return _finding(result.path, path, data, site, rules, same_file)


class _Texts:
    """The bytes of the files sites name: the static result's when it kept them, else read."""

    def __init__(self, by_file: Mapping[str, FileResult]) -> None:
        self.by_file = by_file
        self.cache: dict[str, bytes | None] = {}

    def get(self, path: str) -> bytes | None:
        if path not in self.cache:
            kept = self.by_file[path].data if path in self.by_file else None
            self.cache[path] = kept if kept is not None else _read(path)
        return self.cache[path]

    def starts(self, path: str) -> tuple[int, ...]:
        data = self.get(path)
        return line_starts(data) if data is not None else ()


def _explaining(
    site: Site, by_file: Mapping[str, FileResult], texts: _Texts
) -> list[tuple[str, int]]:
    """The static findings (file, index) that explain ``site``: at its blocking line, or at the
    go statement that started its goroutines."""
    places = {(site.file, site.line), *((f.file, f.line) for f in site.created_at)}
    out = []
    for path in sorted({p for p, _ in places if p in by_file}):
        starts = texts.starts(path)
        lines = {line for p, line in places if p == path}
        for index, finding in enumerate(by_file[path].findings):
            if finding.rule != RULE.name and any(covers(finding, n, starts) for n in lines):
                out.append((path, index))
    return out


def explains(finding: Finding, path: str, site: Site, starts: tuple[int, ...]) -> bool:
    """Whether ``finding`` (in the file ``path``, whose line offsets are ``starts``) explains
    ``site``: its blocking line, or the go statement that started it, is among its lines."""
    places = [(site.file, site.line), *((f.file, f.line) for f in site.created_at)]
    return any(p == path and covers(finding, line, starts) for p, line in places)


def covers(finding: Finding, line: int, starts: tuple[int, ...]) -> bool:
    """Whether ``line`` lies in the lines of ``finding`` or of one of its places in its file."""
    spans = [finding.span, *(r.span for r in finding.related if r.path is None)]
    for span in spans:
        first = position(starts, span.start)[0]
        last = position(starts, max(span.start, span.end - 1))[0]
        if first <= line <= last:
            return True
    return False


def _with_findings(
    result: FileResult, data: bytes, static: Sequence[Finding], runtime: Sequence[Finding]
) -> FileResult:
    kept, suppressed = _screen(result.path, data, runtime)
    return dataclasses.replace(
        result,
        findings=tuple(sorted([*static, *kept], key=lambda f: (f.span, f.rule))),
        suppressed=(*result.suppressed, *suppressed),
        line_starts=result.line_starts or line_starts(data),
        data=data,
    )


def _unexplained(
    found: Sequence[Site],
    explaining: Mapping[tuple[str, int], list[tuple[str, int]]],
    options: api.Options,
) -> tuple[tuple[str, int, int], ...]:
    """(blocking operation, goroutines, sites) of the reported sites no static rule explains."""
    goroutines: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for site in found:
        if not explaining[site.key] and _enabled(options, site.file):
            goroutines[site.state] += site.most
            count[site.state] += 1
    return tuple((state, n, count[state]) for state, n in goroutines.most_common())


def _finding(
    shown: str,
    path: str,
    data: bytes,
    site: Site,
    rules: Sequence[str],
    explaining: Sequence[Finding],
) -> Finding:
    """The runtime-leak finding of ``site``, offering the best fix of the static findings of its
    file that explain it."""
    starts = line_starts(data)
    fixes = [f.fix for f in explaining if f.fix is not None]
    fix = max(fixes, key=lambda fix: fix.applicability, default=None)
    return Finding(
        RULE.name,
        shown,
        line_span(data, starts, min(site.line, len(starts))),
        message(site, rules, path),
        related=tuple(_related(site, path, data, starts)),
        fix=fix,
    )


def line_span(data: bytes, starts: tuple[int, ...], line: int) -> Span:
    """The code of a line: from its first non-blank byte to its end, a trailing // comment and
    blanks left out."""
    begin = starts[line - 1]
    end = starts[line] - 1 if line < len(starts) else len(data)
    text = data[begin:end]
    code = _without_comment(text).rstrip()
    indent = len(text) - len(text.lstrip())
    return Span(begin + min(indent, len(code)), begin + len(code))


def _without_comment(line: bytes) -> bytes:
    """``line`` up to a ``//`` comment outside strings and runes (good enough for one line)."""
    quote: int | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if quote is not None:
            if char == ord("\\") and quote != ord("`"):
                index += 1
            elif char == quote:
                quote = None
        elif char in b"\"'`":
            quote = char
        elif line.startswith(b"//", index):
            return line[:index]
        index += 1
    return line


def message(site: Site, rules: Sequence[str], path: str) -> str:
    """What a runtime-leak finding says: how many goroutines, blocked in what, since when."""
    count = f"{site.most} goroutine{'s' if site.most != 1 else ''}"
    if LEAKED in site.hows:
        text = f"{count} leaked, blocked in {site.state}"
    elif TIMEOUT in site.hows:
        text = f"{count} still blocked in {site.state} when the tests timed out"
    else:
        text = f"{count} blocked in {site.state} when every goroutine was asleep (deadlock)"
    if site.outside:
        text += f" (in {site.function}, outside the module)"
    if site.runs > 1:
        text += f", in {site.runs_seen} of {site.runs} runs"
    tests = ", ".join(name_of_test(t) for t in site.tests)
    if site.created_at:
        text += f": started at {_where(site.created_at[0], path)}"
        text += f" by {tests}" if tests else ""
    elif tests:
        text += f": in {tests}"  # the test's own goroutine
    if rules:
        return text + f"; {', '.join(rules)} explain{'s' if len(rules) == 1 else ''} it"
    return text + "; no static rule explains it"


def _where(frame: Frame, path: str) -> str:
    if frame.file == path:
        return f"{os.path.basename(path)}:{frame.line}"
    return f"{display_path(frame.file)}:{frame.line}"


def _related(site: Site, path: str, data: bytes, starts: tuple[int, ...]) -> Iterable[Related]:
    for frame in site.created_at[:MAX_RELATED]:
        yield _place(frame.file, frame.line, "the goroutine is started here", path, data, starts)
    for frame in site.tests[:MAX_RELATED]:
        line = test_line(frame)
        yield _place(frame.file, line, f"by {name_of_test(frame)}", path, data, starts)


def _place(
    file: str, line: int, text: str, path: str, data: bytes, starts: tuple[int, ...]
) -> Related:
    if file == path and 0 < line <= len(starts):
        return Related(line_span(data, starts, line), text)
    other = _read(file) if os.path.isabs(file) else None
    other_starts = line_starts(other) if other is not None else ()
    span = line_span(other, other_starts, line) if other and 0 < line <= len(other_starts) else None
    return Related(span or Span(0, 0), text, display_path(file), line)


def test_line(frame: Frame) -> int:
    """The line of the test's declaration (``func TestX(``) when its file says, else the frame's:
    an ancestor's recorded line is only roughly the call."""
    data = _read(frame.file) if os.path.isabs(frame.file) else None
    if data is None:
        return frame.line
    name = re.escape(name_of_test(frame).encode())
    pattern = re.compile(rb"^func " + name + rb"\(", re.MULTILINE)
    match = pattern.search(data)
    return position(line_starts(data), match.start())[0] if match else frame.line


def _screen(
    shown: str, data: bytes, findings: Sequence[Finding]
) -> tuple[list[Finding], tuple[Suppressed, ...]]:
    if not findings or not suppression.has_directives(data):
        return list(findings), ()
    src = SourceFile.parse(shown, data)
    screened = suppression.screen(src, findings, registry.rule_names(), ran=(), report=())
    return list(screened.kept), screened.suppressed


def _enabled(options: api.Options, path: str) -> bool:
    """Whether runtime-leak is selected for ``path`` (command line and .gofixleak.toml)."""
    try:
        chosen = options.for_file(path)
    except ValueError:
        return True
    if chosen is None:
        return False
    selected = chosen.select is None or RULE.name in chosen.select
    return selected and RULE.name not in chosen.ignore


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None
