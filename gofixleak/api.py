"""The library entry point: what the CLI, the bot and the tests call.

``run`` takes paths and options and yields one FileResult per Go file, in a deterministic order.
Nothing here prints or writes files.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from gofixleak import config, discovery, engine, parallel, registry, suppression
from gofixleak.model import Applicability, FileResult
from gofixleak.reading import ReadError, read_go_file
from gofixleak.source import GoVersion, SourceFile, line_starts, module_go_version
from gofixleak.suppression import DIRECTIVE_RULE_NAMES


@dataclass(frozen=True)
class Options:
    """What to run: rule selection, whether to fix (and how far), the Go version override."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    fix: Applicability | None = None
    go_version: GoVersion | None = None
    # Read the .gofixleak.toml that governs each file; the fields above (the command line) win.
    use_config: bool = False
    # --unsafe-fixes / --no-unsafe-fixes; None: the config's unsafe-fixes decides.
    unsafe_fixes: bool | None = None

    def for_file(self, path: str) -> Options | None:
        """The options for ``path`` once its config is applied; None when it is excluded."""
        if not self.use_config:
            return self
        found = config.find(path)
        if found is None:
            return self
        if found.is_excluded(path):
            return None
        fix = self.fix
        if fix is not None and self.unsafe_fixes is None and found.unsafe_fixes:
            fix = Applicability.UNSAFE
        return dataclasses.replace(
            self,
            select=found.enabled(path, config.Selection(self.select, self.ignore)),
            ignore=(),
            fix=fix,
            go_version=self.go_version or found.go_version_for(path),
            use_config=False,
        )

    def rules(self) -> tuple[registry.Rule, ...]:
        """The detectors to run (directive rules such as ``unused-directive`` are not detectors)."""
        selected = _without_directive_rules(self.select)
        if self.select is not None and not selected:
            return ()  # only directive rules were selected
        return registry.select(selected, _without_directive_rules(self.ignore) or ())

    def directives(self) -> frozenset[str]:
        """The directive rules (``invalid-directive``, ``unused-directive``) to report."""
        chosen = DIRECTIVE_RULE_NAMES if self.select is None else frozenset(self.select)
        return (chosen & DIRECTIVE_RULE_NAMES) - set(self.ignore)


def _without_directive_rules(names: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if names is None else tuple(n for n in names if n not in DIRECTIVE_RULE_NAMES)


def check_source(path: str, data: bytes, options: Options) -> FileResult:
    """Check (and, when ``options.fix`` is set, fix) one file's bytes."""
    rules = options.rules()
    if not registry.applicable(rules, data) and not suppression.has_directives(data):
        return FileResult(path)  # nothing an enabled rule looks for: not even parsed
    version = options.go_version or module_go_version(os.path.dirname(os.path.abspath(path)))
    src = SourceFile.parse(path, data, version)
    if options.fix is None:
        analysis = engine.examine(src, rules, options.directives())
        return FileResult(
            path,
            tuple(analysis.findings),
            # Kept only where something will be shown: a large clean tree keeps nothing.
            line_starts=line_starts(data) if analysis.findings or analysis.suppressed else (),
            suppressed=analysis.suppressed,
            data=data if analysis.findings or analysis.suppressed else None,
        )
    try:
        outcome = engine.fix_until_stable(src, rules, options.fix, options.directives())
    except engine.FixError as error:
        return FileResult(path, error=f"{path}: internal error: {error}")
    changed = outcome.source.data != data
    return FileResult(
        path,
        outcome.remaining,
        outcome.applied,
        original=data if changed else None,
        fixed=outcome.source.data if changed else None,
        line_starts=line_starts(outcome.source.data)
        if changed or outcome.remaining or outcome.suppressed
        else (),
        suppressed=outcome.suppressed,
        data=outcome.source.data if outcome.remaining or outcome.suppressed else None,
    )


def check_file(path: str, options: Options) -> FileResult:
    """Check one file on disk; a file that cannot be read gets an error, one that is not Go
    source (a NUL byte, as in a binary or an encrypted file) a warning."""
    try:
        data = read_go_file(path)
    except ReadError as error:
        return FileResult(path, error=str(error))
    if b"\0" in data:  # never in Go source: the compiler and gofmt refuse it
        return FileResult(path, warning=f"{path}: not Go source (it holds NUL bytes); not checked")
    return check_source(path, data, options)


def check_unwritten(result: FileResult, options: Options, error: str) -> FileResult:
    """The report of a file whose fixes were not written: the findings (with their fixes) and
    positions of the text as it was read, as a check reports them, and ``error``; no fix made."""
    if result.original is None:
        return dataclasses.replace(result, error=error)
    try:
        file_options = options.for_file(result.path) or options
    except config.ConfigError:
        file_options = dataclasses.replace(options, use_config=False)
    unfixed = dataclasses.replace(file_options, fix=None)
    return dataclasses.replace(check_source(result.path, result.original, unfixed), error=error)


def run(paths: Sequence[str], options: Options, jobs: int | None = None) -> Iterator[FileResult]:
    """One result per Go file under ``paths`` (and one with an error per bad path), in discovery
    order, as they come: on ``jobs`` processes (default: one per core; 1: in this process)."""
    options.rules()  # unknown rule names fail before any work
    check = functools.partial(check_item, options=options)
    return parallel.ordered_map(check, discovery.discover(paths), jobs)


def check_item(item: discovery.Item, options: Options) -> FileResult:
    """One discovered file's result (or the error discovery found for that path)."""
    try:
        file_options = options.for_file(item.path)
    except config.ConfigError as error:
        return FileResult(item.path, error=str(error))
    if file_options is None:
        return FileResult(item.path)  # excluded by its .gofixleak.toml (an unreadable one too)
    if item.error is not None:
        return FileResult(item.path, error=item.error)
    return check_file(item.path, file_options)
