"""The command line: parse options, call the API, render, exit 0 / 1 / 2.

``gofixleak [PATHS] [OPTIONS]`` runs the ``check`` command; other commands are named first
(``gofixleak rules``). Human messages go to stderr, findings and machine formats to stdout.
"""

from __future__ import annotations

import dataclasses
import enum
import sys
from typing import Annotated

import typer
from typer.core import TyperGroup

from gofixleak import (
    __version__,
    api,
    bites,
    config,
    discovery,
    interrupts,
    parallel,
    progress,
    registry,
    suppression,
)
from gofixleak.bot import command as bot_command
from gofixleak.cache import ResultCache, user_cache_root
from gofixleak.explanations import explanation, rule_infos
from gofixleak.model import Applicability, Bite, FileResult, RuleInfo
from gofixleak.options import IgnoreOption, SelectOption, rule_names, selected_rules
from gofixleak.oracle import command as oracle_command
from gofixleak.output import diff as diff_output
from gofixleak.output import skipped, text
from gofixleak.output.quoting import escape_controls
from gofixleak.reading import ReadError, read_go_file, reason
from gofixleak.server import command as server_command
from gofixleak.source import parse_go_version
from gofixleak.writer import can_write, write_fixed

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class _DefaultToCheck(TyperGroup):
    """Route ``gofixleak PATH --diff`` (no command named) to the ``check`` command."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:  # type: ignore[override]
        if not args or (args[0] not in self.commands and args[0] != "--version"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_DefaultToCheck,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    github = "github"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gofixleak {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Find goroutine leaks in Go source and fix them."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"gofixleak: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


@app.command()
def check(
    paths: Annotated[
        list[str] | None,
        typer.Argument(help="Go files or directories (recursive; ./... accepted). Default: ."),
    ] = None,
    diff: Annotated[
        bool, typer.Option("--diff", help="Print the fixes as a diff; write nothing.")
    ] = False,
    apply: Annotated[bool, typer.Option("--apply", help="Write the fixes into the files.")] = False,
    unsafe_fixes: Annotated[
        bool | None,
        typer.Option(
            "--unsafe-fixes/--no-unsafe-fixes",
            help="Include fixes that need review (default: the config's unsafe-fixes, else no).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        OutputFormat, typer.Option("--format", help="Output format of the findings.")
    ] = OutputFormat.text,
    select: SelectOption = None,
    ignore: IgnoreOption = None,
    go_version: Annotated[
        str | None,
        typer.Option("--go-version", help="Go version to assume, e.g. 1.22 (default: go.mod)."),
    ] = None,
    no_config: Annotated[
        bool, typer.Option("--no-config", help="Ignore .gofixleak.toml files.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No summary lines and no progress bars.")
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            help="Files checked in parallel (default: one per CPU core; 1: in one process).",
        ),
    ] = None,
    verify_fixes: Annotated[
        bool,
        typer.Option(
            "--verify",
            help="Build and vet the fixed packages first (go -overlay; the checkout is untouched);"
            " drop the fixes that break them.",
        ),
    ] = False,
    verify_tests: Annotated[
        bool,
        typer.Option("--verify-tests", help="--verify, and also drop fixes whose go test fails."),
    ] = False,
    strict: Annotated[
        bool | None,
        typer.Option(
            "--strict/--no-strict",
            help="Exit 2 when part of a file was not analysed (a syntax error; default: the"
            " config's strict, else no).",
            show_default=False,
        ),
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Neither read nor write the result cache.")
    ] = False,
    cache_dir: Annotated[
        str | None,
        typer.Option(
            "--cache-dir",
            envvar="GOFIXLEAK_CACHE_DIR",
            help="Where the result cache lives (default: $XDG_CACHE_HOME/gofixleak, else"
            " ~/.cache/gofixleak).",
            show_default=False,
        ),
    ] = None,
    fail_on: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-on",
            help="Classes of findings that make the exit status 1 (comma-separated: leak,"
            " test-failure, process-lifetime; default: the config's fail-on, else leak).",
        ),
    ] = None,
    show: Annotated[
        list[str] | None,
        typer.Option(
            "--show",
            help="Classes of findings reported and fixed (default: the config's show, else all;"
            " the --fail-on classes always).",
        ),
    ] = None,
) -> None:
    """Report goroutine leaks; with --diff or --apply, fix them.

    Other commands: `gofixleak rules` lists the rules, `gofixleak explain RULE` documents one.
    """
    if diff and apply:
        raise _fail("--diff and --apply do not go together: --diff writes nothing")
    if (verify_fixes or verify_tests) and not (diff or apply):
        raise _fail("--verify checks fixes: use it with --diff or --apply")
    try:
        options = api.Options(
            select=selected_rules(select),
            ignore=rule_names(ignore),
            fix=(Applicability.UNSAFE if unsafe_fixes else Applicability.SAFE)
            if diff or apply
            else None,
            go_version=parse_go_version(go_version) if go_version else None,
            use_config=not no_config,
            unsafe_fixes=unsafe_fixes,
        )
        options.rules()
        failing = _bites_option("--fail-on", fail_on)
        shown = _bites_option("--show", show)
        config.clear_cache()
        # A broken config fails here, before any work; one found deeper fails its files.
        roots = [] if no_config else [discovery.strip_dots(p) for p in paths or ["."]]
        configs = [config.find(root) for root in roots]
    except (ValueError, registry.UnknownRuleError) as error:
        raise _fail(str(error)) from error
    if unsafe_fixes is None:  # what "fixable" means in the output follows the first config
        unsafe_fixes = bool(configs and configs[0] is not None and configs[0].unsafe_fixes)
    if strict is None:
        strict = bool(configs and configs[0] is not None and configs[0].strict)
    failing, shown = _classes(failing, shown, configs[0] if configs else None)
    options = dataclasses.replace(options, show=shown)
    if jobs is not None and jobs > parallel.max_jobs():
        typer.echo(
            f"gofixleak: --jobs {jobs} is more than {parallel.MAX_JOBS_PER_CORE} per CPU core;"
            f" using {parallel.max_jobs()}",
            err=True,
        )
    # Results arrive one file at a time; a clean, unchanged file is dropped at once, so memory
    # follows what is reported, not the size of the tree.
    cache = None if no_cache else _open_cache(cache_dir)
    scan = progress.track(
        api.run(paths or ["."], options, jobs, cache), enabled=not quiet and sys.stderr.isatty()
    )
    results = [r for r in scan if _is_worth_keeping(r)]
    if verify_fixes or verify_tests:
        results = _verified(results, options, tests=verify_tests, quiet=quiet)
    failed = _report_errors(results)
    if apply:
        results, unwritten = _write(results, options)
        failed |= unwritten
    _render(results, output_format, diff=diff, unsafe_fixes=unsafe_fixes, fail_on=failing)
    if output_format is OutputFormat.text:  # the other formats carry the regions themselves
        for note in skipped.text_notes(results):
            typer.echo(f"gofixleak: {note}", err=True)
    if output_format is OutputFormat.text and not quiet:
        fixing = diff or apply
        summary = text.summary(results, fixing=fixing, unsafe_fixes=unsafe_fixes, fail_on=failing)
        typer.echo(summary, err=True)
    if failed:
        raise typer.Exit(EXIT_ERROR)
    if strict and skipped.partly_skipped(results):
        raise _fail(f"--strict: {_partly_skipped(results)}")
    remaining = any(f.bite in failing for r in results for f in r.findings)
    remaining |= diff and any(r.changed for r in results)
    raise typer.Exit(EXIT_FINDINGS if remaining else EXIT_CLEAN)


def _open_cache(directory: str | None) -> ResultCache | None:
    """The result cache, or None when its directory cannot be made: with a warning when it was
    chosen (--cache-dir, GOFIXLEAK_CACHE_DIR), silently for the default (a user without a
    writable home still gets every result, only not cached)."""
    try:
        return ResultCache.open(directory or user_cache_root())
    except OSError as error:
        if directory is not None:
            shown = escape_controls(directory)
            typer.echo(f"gofixleak: warning: {shown}: cache not used: {reason(error)}", err=True)
        return None


def _bites_option(name: str, values: list[str] | None) -> frozenset[Bite] | None:
    try:
        return bites.parse(values) if values is not None else None
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from error


def _classes(
    failing: frozenset[Bite] | None, shown: frozenset[Bite] | None, found: config.Config | None
) -> tuple[frozenset[Bite], frozenset[Bite]]:
    """The classes that fail the run and those shown: the command line's, else the config's
    (the one that governs the first path, as for strict), else leak and all. A class that fails
    the run is always shown."""
    if failing is None:
        failing = (found.fail_on if found is not None else None) or bites.DEFAULT_FAIL_ON
    if shown is None:
        shown = (found.show if found is not None else None) or bites.ALL_BITES
    return failing, shown | failing


def _is_worth_keeping(result: FileResult) -> bool:
    return bool(
        result.findings
        or result.hidden
        or result.suppressed
        or result.error is not None
        or result.warning is not None
        or result.fixes_applied
        or result.changed
        or result.skipped
    )


def _partly_skipped(results: list[FileResult]) -> str:
    count = skipped.partly_skipped(results)
    files = "1 file was" if count == 1 else f"{count} files were"
    return f"{files} not analysed in full (syntax errors)"


def _verified(
    results: list[FileResult], options: api.Options, *, tests: bool, quiet: bool = False
) -> list[FileResult]:
    """Only the fixes whose packages still build and vet (and test); the others are reported,
    then one line of what was verified (unless ``quiet``)."""
    from gofixleak import verify as verifier  # only --verify runs go: a check does not load it

    try:
        shown = not quiet and sys.stderr.isatty()
        with progress.verification(enabled=shown) as report:
            outcome = verifier.verify(results, options, tests=tests, progress=report)
    except verifier.VerifyError as error:
        raise _fail(str(error)) from error
    for line in outcome.leak_lines():
        typer.echo(f"gofixleak: {line}", err=True)
    for dropped in outcome.dropped:
        typer.echo(f"gofixleak: {dropped.describe()}", err=True)
    if not quiet:
        typer.echo(f"gofixleak: --verify: {outcome.summary()}.", err=True)
    return list(outcome.results)


def _report_errors(results: list[FileResult]) -> bool:
    for result in results:
        if result.error is not None:
            typer.echo(f"gofixleak: {escape_controls(result.error)}", err=True)
        if result.warning is not None:
            typer.echo(f"gofixleak: warning: {escape_controls(result.warning)}", err=True)
    return any(r.error is not None for r in results)


def _write(results: list[FileResult], options: api.Options) -> tuple[list[FileResult], bool]:
    """Write the changed files. A file that could not be written is reported as it was read:
    its findings in that text, its write error among the errors."""
    written: list[FileResult] = []
    total = sum(1 for r in results if r.changed)
    done = 0
    failed = False
    current: FileResult | None = None
    blocked = _blocked_groups(results)
    try:
        for result in results:
            if result.changed and result.original is not None and result.fixed is not None:
                current = result
                error = blocked.get(result.path) or write_fixed(
                    result.path, result.original, result.fixed
                )
                current = None
                if error is None:
                    done += 1
                else:
                    typer.echo(f"gofixleak: {escape_controls(error)}", err=True)
                    result = api.check_unwritten(result, options, error)
                    failed = True
            written.append(result)
    except (KeyboardInterrupt, interrupts.Terminated):
        done += current is not None and _holds_fixed_text(current)
        typer.echo(
            f"gofixleak: interrupted: {done} of {text.plural(total, 'file')} written;"
            " the others are as they were",
            err=True,
        )
        raise
    return written, failed


def _blocked_groups(results: list[FileResult]) -> dict[str, str]:
    """Files that a fix edits together are written all or none: for each file of a group in
    which some file cannot be written, the reason it is not written."""
    by_path = {r.path: r for r in results}
    blocked: dict[str, str] = {}
    for result in results:
        if not result.linked or result.path in blocked:
            continue
        group = _group(result.path, by_path)
        problems = {
            path: problem
            for path in group
            if (r := by_path.get(path)) is not None
            and r.original is not None
            and r.fixed is not None
            and (problem := can_write(path, r.original, r.fixed)) is not None
        }
        missing = [path for path in group if path not in by_path]
        if not problems and not missing:
            continue
        first = min([*problems, *missing])
        reason = problems.get(first) or f"{first}: not among the files fixed"
        for path in group:
            blocked[path] = problems.get(path) or (
                f"{path}: fixes not written: a fix edits it together with {first}, "
                f"which cannot be written ({reason})"
            )
    return blocked


def _group(path: str, by_path: dict[str, FileResult]) -> set[str]:
    """``path`` and every file linked to it, directly or through others."""
    group, pending = {path}, [path]
    while pending:
        result = by_path.get(pending.pop())
        for other in result.linked if result is not None else ():
            if other not in group:
                group.add(other)
                pending.append(other)
    return group


def _holds_fixed_text(result: FileResult) -> bool:
    """Whether the file whose write was interrupted got its new text after all."""
    try:
        return read_go_file(result.path) == result.fixed
    except ReadError:
        return False


def _render(
    results: list[FileResult],
    output_format: OutputFormat,
    *,
    diff: bool,
    unsafe_fixes: bool,
    fail_on: frozenset[Bite] = bites.DEFAULT_FAIL_ON,
) -> None:
    # The machine formats are imported when asked for: a plain check starts without them.
    out = sys.stdout.buffer
    if diff:
        for result in results:
            if result.changed and result.original is not None and result.fixed is not None:
                out.write(diff_output.unified(result.path, result.original, result.fixed))
    elif output_format is OutputFormat.json:
        from gofixleak.output import json_report

        out.write(json_report.render(results).encode())
    elif output_format is OutputFormat.sarif:
        from gofixleak.output import sarif

        log = sarif.render(results, _all_rule_infos(), fail_on)
        out.write(log.encode("utf-8", "replace"))
    elif output_format is OutputFormat.github:
        from gofixleak.output import github

        out.write(github.render(results, fail_on).encode("utf-8", "replace"))
    else:
        out.write(text.render(results, unsafe_fixes).encode("utf-8", "replace"))
    out.flush()


@app.command("rules")
def list_rules() -> None:
    """List the rules: name, fix, whether on by default, summary."""
    rows = [("rule", "fix", "default", "summary")]
    rows += [
        (r.name, "fixable" if r.fixable else "report-only", "on", r.info.summary)
        for r in registry.all_rules()
    ]
    rows += [(i.name, "report-only", "on", i.summary) for i in suppression.DIRECTIVE_RULES]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        typer.echo("  ".join([*cells, row[3]]))


@app.command()
def explain(
    rule: Annotated[str, typer.Argument(help="A rule name, as `gofixleak rules` lists them.")],
) -> None:
    """Print a rule's documentation: what it finds, why it leaks, its fix and its limits."""
    doc = explanation(rule)
    if doc is None:
        known = ", ".join(info.name for info in _all_rule_infos())
        raise _fail(f"unknown rule {rule!r}; known rules: {known}")
    typer.echo(doc, nl=False)


def _all_rule_infos() -> list[RuleInfo]:
    """Every rule that can be reported: the detectors, then the directive rules."""
    return rule_infos()


bot_command.register(app)  # `gofixleak pr`: the fix pull-request bot (gofixleak/bot)
server_command.register(app)  # `gofixleak server`: the language server (gofixleak/server)
oracle_command.register(app)  # `gofixleak test`: tests under Go's leak profile (gofixleak/oracle)


def main() -> None:
    with interrupts.raised_as_exceptions():
        try:
            app(prog_name="gofixleak")
        except interrupts.Terminated as stop:  # typer turns Ctrl-C into exit status 130 itself
            sys.exit(stop.exit_status)
