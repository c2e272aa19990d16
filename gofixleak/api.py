"""The library entry point: what the CLI, the bot and the tests call.

``run`` takes paths and options and yields one FileResult per Go file, in a deterministic order.
Nothing here prints or writes files.
"""

from __future__ import annotations

import collections
import dataclasses
import functools
import itertools
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from gofixleak import bites, config, discovery, engine, parallel, registry, suppression
from gofixleak.cache import ResultCache, describe, directory_files
from gofixleak.facts.package import Directory, GoPackage
from gofixleak.model import Applicability, Bite, FileResult
from gofixleak.reading import ReadError, read_go_file
from gofixleak.source import GoVersion, line_starts, module_go_version
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
    # The classes of findings reported (and fixed); the others are only counted (bites.py).
    show: frozenset[Bite] = bites.ALL_BITES

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


def check_source(
    path: str, data: bytes, options: Options, package: GoPackage | None = None
) -> FileResult:
    """Check (and, when ``options.fix`` is set, fix) one file's bytes.

    ``package`` is the Go package the file is read in: the package model sees its other files
    (a fix may edit them too: their results are dropped here, see :func:`check_files`). None:
    the file alone, with no other file read.
    """
    directory = package.directory if package is not None else _alone(path)
    directory.override(path, data)
    return check_files(directory, [(path, options)])[0]


def _alone(path: str) -> Directory:
    return Directory(os.path.dirname(path), listing=[])


def package_directory(path: str, overrides: Mapping[str, bytes] | None = None) -> Directory:
    """The directory of ``path`` on disk, its Go files read on demand (``overrides`` win)."""
    return Directory(os.path.dirname(path), overrides=overrides, reader=read_go_file)


def check_files(
    directory: Directory,
    targets: Sequence[tuple[str, Options]],
    editable: Sequence[str] | None = None,
) -> list[FileResult]:
    """Check (and fix, as each file's options say) files of one directory, each read in its
    Go package: one result per target, in order. ``editable``: the files a fix may edit,
    default the targets (a share of a run's files names the run's)."""
    results: dict[str, FileResult] = {}
    packages: dict[GoPackage, list[engine.Target]] = {}
    # Files a fix may edit: every file of the run (a fix found in one file may edit another that
    # no rule needed to read), unless nothing is fixed (check mode still shows such fixes).
    editable = [path for path, _ in targets] if editable is None else list(editable)
    for path, options in targets:
        try:
            data = directory.read(path)
        except ReadError as error:
            results[path] = FileResult(path, error=str(error))
            continue
        if b"\0" in data:  # never in Go source: the compiler and gofmt refuse it
            warning = f"{path}: not Go source (it holds NUL bytes); not checked"
            results[path] = FileResult(path, warning=warning)
            continue
        rules = options.rules()
        chosen = registry.applicable(rules, data)
        if not chosen and not suppression.has_directives(data):
            results[path] = FileResult(path)  # nothing an enabled rule looks for: not even parsed
            continue
        version = go_version(path, options)
        package = directory.package_of(path, version)
        if not registry.in_package(chosen, data, package) and not suppression.has_directives(data):
            results[path] = FileResult(path)  # nor in its package: not parsed either
            continue
        packages.setdefault(package, []).append(
            engine.Target(path, rules, options.fix, options.directives(), options.show)
        )
    for package, package_targets in packages.items():
        results.update(_check_package(package, package_targets, editable))
    return [results[path] for path, _ in targets]


def go_version(path: str, options: Options) -> GoVersion | None:
    """The Go version ``path`` is checked for: ``options``' (the command line's or its
    config's), else its module's."""
    return options.go_version or module_go_version(os.path.dirname(os.path.abspath(path)))


def _check_package(
    package: GoPackage, targets: list[engine.Target], editable: Sequence[str] = ()
) -> dict[str, FileResult]:
    originals = {t.path: package.directory.read(t.path) for t in targets}
    others = [p for p in editable if p in set(package.paths()) and p not in originals]
    originals.update((p, package.directory.read(p)) for p in others)
    try:
        outcomes = engine.fix_package(package, targets, others)
    except engine.FixError as error:
        if all(t.required is None for t in targets):
            raise
        # A fixer's bug: report it on the package's first file and check the files unfixed.
        fresh = package.directory.fresh(originals).package(package.name, package.go_version)
        plain = [dataclasses.replace(t, required=None) for t in targets]
        results = _check_package(fresh, plain, editable)
        first = targets[0].path
        results[first] = FileResult(first, error=f"{first}: internal error: {error}")
        return results
    linked = _linked(outcomes)
    return {
        path: _result(path, originals[path], outcome, linked.get(path, ()))
        for path, outcome in outcomes.items()
    }


def _result(
    path: str, data: bytes, outcome: engine.Outcome, linked: tuple[str, ...]
) -> FileResult:
    final = outcome.source.data
    changed = final != data
    skipped = outcome.source.broken_regions
    shown = bool(outcome.remaining or outcome.suppressed or skipped)
    return FileResult(
        path,
        outcome.remaining,
        outcome.applied,
        original=data if changed else None,
        fixed=final if changed else None,
        # Kept only where something will be shown: a large clean tree keeps nothing.
        line_starts=line_starts(final) if changed or shown else (),
        suppressed=outcome.suppressed,
        data=final if shown else None,
        linked=linked,
        skipped=skipped,
        hidden=outcome.hidden,
    )


def _linked(outcomes: Mapping[str, engine.Outcome]) -> dict[str, tuple[str, ...]]:
    """For each file, the other files that a fix applied in it, or to it, also edited: they are
    written together or not at all."""
    links: dict[str, set[str]] = {}
    for path, outcome in outcomes.items():
        for finding in outcome.applied:
            if finding.fix is None or not finding.fix.elsewhere:
                continue
            files = set(finding.fix.by_path(path))
            for file in files:
                links.setdefault(file, set()).update(files - {file})
    return {path: tuple(sorted(others)) for path, others in links.items()}


def check_in_package(path: str, data: bytes, options: Options) -> FileResult:
    """:func:`check_source` of ``data`` as the text of ``path``, read in its Go package on disk
    (the other files as they are there)."""
    return check_files(package_directory(path, {path: data}), [(path, options)])[0]


def check_file(path: str, options: Options) -> FileResult:
    """Check one file on disk, read in its Go package."""
    return check_files(package_directory(path), [(path, options)])[0]


def check_unwritten(result: FileResult, options: Options, error: str) -> FileResult:
    """The report of a file whose fixes were not written: the findings (with their fixes) and
    positions of the text as it was read, as a check reports them, and ``error``; no fix made."""
    if result.original is None:
        return dataclasses.replace(result, error=error)
    unfixed = dataclasses.replace(options_for(options, result.path), fix=None)
    report = check_in_package(result.path, result.original, unfixed)
    return dataclasses.replace(report, error=error)


def fix_subset(
    originals: Mapping[str, bytes], rules: Mapping[str, Collection[str]], options: Options
) -> dict[str, FileResult]:
    """The files of one directory (``originals``: path -> the text as read) fixed again with
    only some rules' fixes: ``rules[path]`` are the rules whose fixes may land for findings in
    that file (a fix that edits other files of the package lands in them too). ``options`` as
    for the first run (each file's config is folded in). Used to take fixes out again (verify,
    the pull-request bot) without losing what the package model saw."""
    paths = sorted(originals)
    targets = [(p, _selecting(options_for(options, p), rules.get(p, ()))) for p in paths]
    directory = package_directory(paths[0], overrides=originals)
    return {r.path: r for r in check_files(directory, targets)}


def _selecting(options: Options, rules: Collection[str]) -> Options:
    return dataclasses.replace(options, select=tuple(sorted(rules)))


def options_for(options: Options, path: str) -> Options:
    """``options`` as they applied to ``path`` (its .gofixleak.toml folded in), so that a re-run
    of the pipeline selects, fixes and assumes the Go version as the first run did."""
    try:
        return options.for_file(path) or options
    except config.ConfigError:
        return dataclasses.replace(options, use_config=False)


def run(
    paths: Sequence[str],
    options: Options,
    jobs: int | None = None,
    cache: ResultCache | None = None,
) -> Iterator[FileResult]:
    """One result per Go file under ``paths`` (and one with an error per bad path), in discovery
    order, as they come: on ``jobs`` processes (default: one per core; 1: in this process).

    The files of one directory are checked together, each in its Go package; when nothing is
    fixed, a directory of many bytes is checked in parts on several processes (see
    :class:`Part`). With a ``cache``, a directory whose files, options and code did not change
    is answered from it, in this process, and only the others go to workers (so an unchanged
    tree starts none), and the cache is pruned once the results have all been taken.
    """
    options.rules()  # unknown rule names fail before any work
    parts = min(parallel.workers_for(jobs), parallel.default_jobs(), MAX_PARTS)
    if options.fix is not None:
        parts = 1
    check = functools.partial(check_unit, options=options, cache=cache)
    directories = _by_directory(discovery.discover(paths))
    if cache is None:
        units = (unit for items in directories for unit in _split(items, parts))
        checked = parallel.ordered_map(check, units, jobs, heavy=_is_part)
        return itertools.chain.from_iterable(_joined(checked, None))
    groups = _cached_first(directories, options, cache, check, jobs, parts)
    return _then(itertools.chain.from_iterable(groups), cache.prune_if_full)


def _cached_first(
    directories: Iterator[list[discovery.Item]],
    options: Options,
    cache: ResultCache,
    check: Callable[[list[discovery.Item] | Part], list[FileResult] | PartResult],
    jobs: int | None,
    parts: int,
) -> Iterator[list[FileResult]]:
    """Each group's results in order: from the cache when it has them, else from ``check`` on
    ``jobs`` processes (a large group in up to ``parts`` parts). A group sent to ``check`` is
    looked up again there (its files read and hashed twice: little beside parsing them), so
    that what is stored is keyed by the bytes checked."""
    answers: collections.deque[list[FileResult] | None] = collections.deque()  # None: checked

    def misses() -> Iterator[list[discovery.Item] | Part]:
        for items in directories:
            found = _cached_group(items, options, cache)
            answers.append(found)
            if found is None:
                yield from _split(items, parts)

    units = parallel.ordered_map(check, misses(), jobs, heavy=_is_part)
    checked = _joined(units, cache)
    done: collections.deque[list[FileResult]] = collections.deque()
    exhausted = False
    while answers or not exhausted:
        if answers and (answers[0] is not None or done):
            found = answers.popleft()
            yield found if found is not None else done.popleft()
        elif exhausted:
            raise AssertionError("a directory was checked but no result came back")
        else:
            try:  # runs misses() on, which adds to answers
                done.append(next(checked))
            except StopIteration:
                exhausted = True


# A directory whose files hold more bytes than this is checked in parts when nothing is fixed,
# one part per worker, each of about PART_BYTES or more: a large package (nats-server's server/,
# go-redis's root) would otherwise keep one core busy while the others wait.
SPLIT_BYTES = 1 << 20
PART_BYTES = 1 << 19
# Each part holds the whole package in memory and works out its facts: more parts than cores
# only add that work, and past a few the package-wide questions, not the files, take the time.
MAX_PARTS = 4


@dataclass(frozen=True)
class Part:
    """A share (``mine``, paths of ``items``) of one directory's files, checked on a worker of
    its own. Each part reads the whole package, as the directory's check would: the package
    model sees every file, and the files a fix may edit are all the directory's targets, so a
    file's results are those of the whole directory's check (the package's facts are worked out
    in each part: parts cost CPU time, and save wall time on several cores)."""

    items: tuple[discovery.Item, ...]
    mine: frozenset[str]
    count: int


@dataclass(frozen=True)
class PartResult:
    part: Part
    results: tuple[FileResult, ...]  # of the part's items, in order
    targets: tuple[str, ...]  # the part's files that were checked (not excluded, no error)
    key: bytes | None  # the cache key of the directory's bytes as this part read them


def _is_part(unit: object) -> bool:
    return isinstance(unit, Part)


def _split(items: list[discovery.Item], parts: int) -> Iterator[list[discovery.Item] | Part]:
    """``items`` (one directory's), or up to ``parts`` shares of them balanced by size."""
    if parts < 2 or len(items) < 2:
        yield items
        return
    sizes = {item.path: _size(item) for item in items}
    total = sum(sizes.values())
    if total < SPLIT_BYTES:
        yield items
        return
    count = min(parts, len(items), max(2, total // PART_BYTES))
    shares: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for path in sorted(sizes, key=lambda p: (-sizes[p], p)):  # the largest to the lightest
        lightest = loads.index(min(loads))
        shares[lightest].append(path)
        loads[lightest] += sizes[path]
    for share in shares:
        yield Part(tuple(items), frozenset(share), count)


def _size(item: discovery.Item) -> int:
    if item.error is not None:
        return 0
    try:
        return os.path.getsize(item.path)
    except OSError:
        return 0


def check_unit(
    unit: list[discovery.Item] | Part, options: Options, cache: ResultCache | None = None
) -> list[FileResult] | PartResult:
    """:func:`check_group` of a directory's items, or the results of one :class:`Part`."""
    if not isinstance(unit, Part):
        return check_group(unit, options, cache)
    out, targets = _targets(unit.items, options)
    mine = [(path, opts) for path, opts in targets if path in unit.mine]
    key = None
    if targets:
        directory = package_directory(targets[0][0])
        every = [path for path, _ in targets]
        if cache is not None:
            files = directory_files(directory, every)
            key = cache.key(files, _descriptions(targets)) if files is not None else None
        if mine:
            out.update((r.path, r) for r in check_files(directory, mine, editable=every))
    results = tuple(out[item.path] for item in unit.items if item.path in unit.mine)
    return PartResult(unit, results, tuple(path for path, _ in mine), key)


def _joined(
    units: Iterator[list[FileResult] | PartResult], cache: ResultCache | None
) -> Iterator[list[FileResult]]:
    """Each directory's results, its parts' put back together (and stored in ``cache`` when
    every part read the same bytes)."""
    pending: list[PartResult] = []
    for unit in units:
        if not isinstance(unit, PartResult):
            yield unit
            continue
        pending.append(unit)
        if len(pending) < unit.part.count:
            continue
        by_path = {r.path: r for part in pending for r in part.results}
        merged = [by_path[item.path] for item in unit.part.items]
        keys = {part.key for part in pending}
        if cache is not None and len(keys) == 1 and (key := keys.pop()) is not None:
            checked = {path for part in pending for path in part.targets}
            stored = [r for r in merged if r.path in checked]
            if all(r.error is None for r in stored):
                cache.store(key, stored)
        pending = []
        yield merged


def _then(results: Iterator[FileResult], done: Callable[[], None]) -> Iterator[FileResult]:
    yield from results
    done()


def _by_directory(items: Iterable[discovery.Item]) -> Iterator[list[discovery.Item]]:
    """Runs of consecutive items in one directory (discovery lists a directory's files
    together)."""
    for _, group in itertools.groupby(items, key=lambda item: os.path.dirname(item.path)):
        yield list(group)


def check_group(
    items: Sequence[discovery.Item], options: Options, cache: ResultCache | None = None
) -> list[FileResult]:
    """The results of discovered files of one directory (or the errors discovery found)."""
    out, targets = _targets(items, options)
    if targets:
        directory = package_directory(targets[0][0])
        if cache is None:
            checked = check_files(directory, targets)
        else:
            checked = _check_cached(cache, directory, targets)
        out.update((r.path, r) for r in checked)
    return [out[item.path] for item in items]


def _cached_group(
    items: Sequence[discovery.Item], options: Options, cache: ResultCache
) -> list[FileResult] | None:
    """:func:`check_group`'s results when nothing needs checking (all from ``cache``, or no
    file to read), else None."""
    out, targets = _targets(items, options)
    if targets:
        files = directory_files(package_directory(targets[0][0]), [path for path, _ in targets])
        if files is None:
            return None
        found = cache.lookup(files, _descriptions(targets))
        if found is None:
            return None
        out.update((r.path, r) for r in found)
    return [out[item.path] for item in items]


def _targets(
    items: Sequence[discovery.Item], options: Options
) -> tuple[dict[str, FileResult], list[tuple[str, Options]]]:
    """The results known without reading (errors, excluded files), and the files to check
    with their options."""
    out: dict[str, FileResult] = {}
    targets: list[tuple[str, Options]] = []
    for item in items:
        try:
            file_options = options.for_file(item.path)
        except config.ConfigError as error:
            out[item.path] = FileResult(item.path, error=str(error))
            continue
        if file_options is None:  # excluded by its .gofixleak.toml (an unreadable one too)
            out[item.path] = FileResult(item.path)
            continue
        if item.error is not None:
            out[item.path] = FileResult(item.path, error=item.error)
            continue
        targets.append((item.path, file_options))
    return out, targets


def _check_cached(
    cache: ResultCache, directory: Directory, targets: Sequence[tuple[str, Options]]
) -> list[FileResult]:
    """:func:`check_files`, answered from ``cache`` when everything it reads is unchanged: the
    bytes of every file of the directory, each target's options and Go version."""
    files = directory_files(directory, [path for path, _ in targets])
    if files is None:
        return check_files(directory, targets)
    return cache.check(files, _descriptions(targets), lambda: check_files(directory, targets))


def _descriptions(targets: Sequence[tuple[str, Options]]) -> list[tuple[str, str]]:
    return [(path, _described(opts, go_version(path, opts))) for path, opts in targets]


@functools.lru_cache(maxsize=1024)
def _described(options: Options, version: GoVersion | None) -> str:
    """What decides a file's results besides the bytes: its options and Go version (the files
    of a tree share a few: each is spelled out once)."""
    return describe((options, version))
