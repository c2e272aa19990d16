"""``path:line:col: rule: message``, with `` [*]`` where a fix is available."""

from __future__ import annotations

from collections.abc import Iterable

from gofixleak.model import Applicability, FileResult


def render(results: Iterable[FileResult], unsafe_fixes: bool = False) -> str:
    lines = []
    required = Applicability.UNSAFE if unsafe_fixes else Applicability.SAFE
    for result in results:
        for finding in result.findings:
            line, column = result.position(finding.span.start)
            fixable = finding.fix is not None and finding.fix.applicability >= required
            marker = (" [confirmed]" if finding.confirmed else "") + (" [*]" if fixable else "")
            lines.append(
                f"{result.path}:{line}:{column}: {finding.rule}: {finding.message}{marker}"
            )
    return "".join(line + "\n" for line in lines)


def summary(results: Iterable[FileResult], *, fixing: bool, unsafe_fixes: bool) -> str:
    """One line for stderr: what was found, fixed, and what a flag would add."""
    remaining = safe = unsafe = applied = files = suppressed = 0
    for result in results:
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
    parts = []
    if fixing:
        parts.append(f"{_plural(applied, 'fix', 'fixes')} in {_plural(files, 'file')}")
        parts.append(f"{_plural(remaining, 'finding')} left")
        if unsafe and not unsafe_fixes:
            parts.append(f"{unsafe} with an unsafe fix (--unsafe-fixes)")
    else:
        parts.append(_plural(remaining, "finding"))
        if safe or unsafe:
            parts.append(f"{safe + (unsafe if unsafe_fixes else 0)} fixable with --diff or --apply")
        if unsafe and not unsafe_fixes:
            parts.append(f"{unsafe} more with --unsafe-fixes")
    if suppressed:
        parts.append(f"{suppressed} suppressed by //gofixleak: directives")
    return ", ".join(parts) + "."


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"
