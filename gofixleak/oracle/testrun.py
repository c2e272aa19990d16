"""What ``gofixleak test`` does (gofixleak/oracle/command.py is its command line): run the
tests under Go's leak profile, join what leaked with the static findings, and report both.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import typer

from gofixleak import api, config, discovery, registry
from gofixleak.detectors.runtime_leak import RULE
from gofixleak.model import Applicability
from gofixleak.options import rule_names
from gofixleak.oracle import gotest, report, sites, toolchain
from gofixleak.source import parse_go_version

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
_DURATION = re.compile(r"^(0|([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$")


def _say(message: str) -> None:
    typer.echo(f"gofixleak test: {message}", err=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"gofixleak: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


def run(
    flags: list[str],
    paths: list[str] | None,
    *,
    timeout: str,
    count: int,
    output_format: str,
    select: list[str] | None,
    ignore: list[str] | None,
    go_version: str | None,
    no_config: bool,
    quiet: bool,
) -> None:
    """Run the tests and report; ends by raising typer.Exit with the command's status."""
    try:
        options = _options(flags, timeout, select, ignore, go_version, no_config, paths)
        chain = toolchain.find()
    except (ValueError, registry.UnknownRuleError, toolchain.Unavailable) as error:
        raise _fail(str(error)) from error
    from gofixleak import cli  # the check command's helpers: both commands report alike

    targets, errors = gotest.targets(paths or ["."])
    static = [r for r in api.run(paths or ["."], options) if cli._is_worth_keeping(r)]
    for message in errors:
        if message not in {r.error for r in static}:  # a missing path: the check says it once
            typer.echo(f"gofixleak: {message}", err=True)
    runs = [
        gotest.run(chain, target, flags=flags, timeout=timeout, count=count) for target in targets
    ]
    found = sites.sites([[leak for m in runs for leak in m.leaks(n)] for n in range(count)])
    tested = {p.package.directory for m in runs for p in m.packages if p.collected}
    joined = report.join(static, found, tested, options)
    failed = bool(errors) | cli._report_errors(list(joined.results))
    failed |= _report_packages(runs, quiet=quiet, timeout=timeout)
    shown = cli.OutputFormat(output_format)
    cli._render(list(joined.results), shown, diff=False, unsafe_fixes=False)
    if output_format == "text" and not quiet:
        _summary(joined, runs)
    if failed:
        raise typer.Exit(EXIT_ERROR)
    remaining = any(r.findings for r in joined.results) or _tests_broke(runs)
    raise typer.Exit(EXIT_FINDINGS if remaining else EXIT_CLEAN)


def _options(
    flags: Sequence[str],
    timeout: str,
    select: list[str] | None,
    ignore: list[str] | None,
    go_version: str | None,
    no_config: bool,
    paths: list[str] | None,
) -> api.Options:
    """The static check's options, once the flags, the timeout and the configs are known good."""
    gotest.check_flags(flags)
    if not _DURATION.match(timeout):
        raise ValueError(f"--timeout {timeout!r} is not a Go duration such as 10m or 90s")
    options = api.Options(
        select=rule_names(select) or None,
        ignore=rule_names(ignore),
        go_version=parse_go_version(go_version) if go_version else None,
        use_config=not no_config,
    )
    options.rules()
    config.clear_cache()
    for root in [] if no_config else [discovery.strip_dots(p) for p in paths or ["."]]:
        config.find(root)  # a broken config fails here, before any test runs
    return options


def _tests_broke(runs: Sequence[gotest.ModuleRun]) -> bool:
    """Whether some package's tests failed, timed out or deadlocked."""
    hung = (gotest.FAILED, gotest.TIMED_OUT, gotest.DEADLOCKED)
    outcomes = [o for m in runs for p in m.packages for o in p.outcomes]
    return any(o.failed_tests or o.status in hung for o in outcomes)


def _report_packages(runs: Sequence[gotest.ModuleRun], *, quiet: bool, timeout: str) -> bool:
    """One line per package with something to say; True when one could not be tested."""
    failed = False
    for module_run in runs:
        for error in module_run.errors:
            typer.echo(f"gofixleak: {error}", err=True)
            failed = True
        for package in module_run.untested:
            if not quiet:
                _say(f"{package.shown}: not exercised: no test files")
        for package_run in module_run.packages:
            lines, broken = _package_lines(package_run, timeout)
            failed |= broken
            for line in lines if not quiet or broken else []:
                _say(line)
    return failed


def _package_lines(package_run: gotest.PackageRun, timeout: str) -> tuple[list[str], bool]:
    shown = package_run.package.shown
    outcomes = package_run.outcomes
    of = f" in {{}} of {len(outcomes)} runs" if len(outcomes) > 1 else ""
    lines: list[str] = []
    if package_run.problem:
        lines.append(f"{shown}: leaks not collected: {package_run.problem}")
    builds = [o for o in outcomes if o.status == gotest.BUILD_FAILED]
    if builds:
        body = "".join(f"\n    {line}" for line in builds[0].output.splitlines())
        return [f"{shown}: build failed{of.format(len(builds))}{body}"], True
    failing = [o for o in outcomes if o.failed_tests or o.status == gotest.FAILED]
    if failing:
        names = sorted({name for o in failing for name in o.failed_tests})
        listed = ": " + ", ".join(names) if names else ""
        lines.append(f"{shown}: tests failed{of.format(len(failing))}{listed}")
    for status in (gotest.TIMED_OUT, gotest.DEADLOCKED):
        hung = [o for o in outcomes if o.status == status]
        if hung:
            running = sorted({name for o in hung for name in o.running})
            during = f" (-timeout {timeout}) in {', '.join(running)}" if running else ""
            what = "timed out" if status == gotest.TIMED_OUT else "deadlocked"
            lines.append(
                f"{shown}: {what}{during}{of.format(len(hung))}; "
                "the goroutines blocked then are reported"
            )
    lost = [o for o in outcomes if o.status == gotest.NOT_COLLECTED]
    if lost and not package_run.problem:
        lines.append(
            f"{shown}: leaks not collected{of.format(len(lost))}: the test binary exited before "
            "m.Run returned"
        )
    return lines, False


def _summary(joined: report.Joined, runs: Sequence[gotest.ModuleRun]) -> None:
    """What was found, static and runtime, and which blocking operations no rule explains."""
    findings = [f for r in joined.results for f in r.findings]
    static = [f for f in findings if f.rule != RULE.name]
    safe = sum(1 for f in static if f.fix and f.fix.applicability >= Applicability.SAFE)
    unsafe = sum(1 for f in static if f.fix and f.fix.applicability == Applicability.UNSAFE)
    tested = sum(1 for m in runs for p in m.packages if p.collected)
    untested = sum(len(m.untested) for m in runs)
    line = (
        f"{_plural(len(findings), 'finding')}: {_plural(joined.runtime, 'runtime leak site')} in "
        f"{_plural(tested, 'tested package')}"
        + (f" ({untested} without tests)" if untested else "")
        + f", {_plural(len(static), 'static finding')} ({joined.confirmed} confirmed by the tests)"
    )
    if safe or unsafe:
        line += f"; {safe} fixable with gofixleak --diff or --apply"
        line += f", {unsafe} more with --unsafe-fixes" if unsafe else ""
    typer.echo(line + ".", err=True)
    if joined.unexplained:
        listed = ", ".join(
            f"{state} ({_plural(goroutines, 'goroutine')} at {_plural(count, 'site')})"
            for state, goroutines, count in joined.unexplained
        )
        typer.echo(f"No static rule explains: {listed}.", err=True)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
