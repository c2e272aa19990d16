"""``path:line:col: rule: message``, with `` [*]`` where a fix is available.

Leaks come first; the findings of the other classes follow, class by class, each marked after
its rule (``abandoned-sender [test-failure]: ...``), so that the lines a maintainer acts on
lead and no line is lost.

A path with a control character, ``"`` or ``\\`` is quoted as git quotes it
(``"evil\\nname.go":3:2: ...``), so that each finding stays on its own line.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable

from gofixleak.bites import DEFAULT_FAIL_ON
from gofixleak.model import Applicability, Bite, FileResult
from gofixleak.output import skipped
from gofixleak.output.quoting import escape_controls, quote_path


def render(results: Iterable[FileResult], unsafe_fixes: bool = False) -> str:
    lines = []
    required = Applicability.UNSAFE if unsafe_fixes else Applicability.SAFE
    for result in results:
        for finding in result.findings:
            line, column = result.position(finding.span.start)
            fixable = finding.fix is not None and finding.fix.applicability >= required
            marker = (" [confirmed]" if finding.confirmed else "") + (" [*]" if fixable else "")
            path, message = quote_path(result.path), escape_controls(finding.message)
            rule = finding.rule if finding.bite is Bite.LEAK else f"{finding.rule} [{finding.bite}]"
            lines.append((finding.bite.rank, f"{path}:{line}:{column}: {rule}: {message}{marker}"))
    lines.sort(key=lambda entry: entry[0])  # stable: file order within each class
    return "".join(text + "\n" for _, text in lines)


def summary(
    results: Iterable[FileResult],
    *,
    fixing: bool,
    unsafe_fixes: bool,
    fail_on: Collection[Bite] = DEFAULT_FAIL_ON,
) -> str:
    """One line for stderr: what was found (by class, when not all are leaks), fixed, what does
    not fail the run, what a flag would add."""
    results = list(results)
    remaining = safe = unsafe = applied = files = suppressed = errors = warnings = 0
    for result in results:
        errors += result.error is not None
        warnings += result.warning is not None
        remaining += len(result.findings)
        suppressed += len(result.suppressed)
        applied += len(result.fixes_applied)
        files += result.changed
        for finding in result.findings:
            if finding.fix is None:
                continue
            if finding.fix.applicability >= Applicability.SAFE:
                safe += 1
            elif finding.fix.applicability >= Applicability.UNSAFE:
                unsafe += 1
    bites = Counter(f.bite for r in results for f in r.findings)
    classes = ""
    if set(bites) - {Bite.LEAK}:
        classes = " (" + ", ".join(f"{bites[b]} {b}" for b in Bite if bites[b]) + ")"
    parts = []
    if fixing:
        parts.append(f"{plural(applied, 'fix', 'fixes')} in {plural(files, 'file')}")
        parts.append(f"{plural(remaining, 'finding')} left{classes}")
        if unsafe and not unsafe_fixes:
            parts.append(f"{unsafe} with an unsafe fix (--unsafe-fixes)")
    else:
        parts.append(plural(remaining, "finding") + classes)
        if safe or unsafe:
            parts.append(f"{safe + (unsafe if unsafe_fixes else 0)} fixable with --diff or --apply")
        if unsafe and not unsafe_fixes:
            parts.append(f"{unsafe} more with --unsafe-fixes")
    passing = sum(count for bite, count in bites.items() if bite not in fail_on)
    if passing:
        parts.append(f"{passing} not failing the run (--fail-on)")
    hidden = Counter(f.bite for r in results for f in r.hidden)
    if hidden:
        names = ", ".join(str(b) for b in Bite if hidden[b])
        parts.append(f"{sum(hidden.values())} not shown ({names}: --show)")
    if suppressed:
        parts.append(f"{suppressed} suppressed by //gofixleak: directives")
    if errors:  # "0 findings." alone, after an error, would read as clean
        parts.append(plural(errors, "error"))
    if warnings:
        parts.append(plural(warnings, "warning"))
    partly = skipped.partly_skipped(results)
    if partly:
        parts.append(f"{plural(partly, 'file')} partly skipped: syntax errors")
    return ", ".join(parts) + "."


def plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"
