"""The rules: each detector module in gofixleak.detectors, paired with its fixer by module stem."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gofixleak import detectors
from gofixleak.model import Finding, Fix, RuleInfo
from gofixleak.prefilter import Prefilter
from gofixleak.source import SourceFile

if TYPE_CHECKING:
    from gofixleak.facts.package import GoPackage

Detector = Callable[[SourceFile], Iterable[Finding]]
PackagePrefilter = Callable[[bytes, "GoPackage"], bool]
Fixer = Callable[[Finding, SourceFile], Fix | None]


@dataclass(frozen=True)
class Rule:
    info: RuleInfo
    detect: Detector
    fix: Fixer | None
    # The detector module's optional PREFILTER: a file whose bytes do not match it cannot hold a
    # finding of this rule, so the rule is not run on it (None: always run).
    prefilter: Prefilter | None = None
    # False for a rule found by running the tests (the detector module's STATIC = False,
    # runtime-leak): known to directives, the config and --select, never run by a check.
    static: bool = True
    # The detector module's optional PACKAGE_PREFILTER: asked after the prefilter matched, with
    # the file's package (its other files' bytes, never parsed for it); False only when the file
    # provably holds no finding of this rule in that package.
    package_prefilter: PackagePrefilter | None = None

    @property
    def name(self) -> str:
        return self.info.name

    def may_match(self, data: bytes) -> bool:
        """False only when ``data`` provably holds no finding of this rule."""
        return self.prefilter is None or self.prefilter.search(data) is not None

    @property
    def fixable(self) -> bool:
        return self.fix is not None


def module_stem(rule_name: str) -> str:
    return rule_name.replace("-", "_")


@functools.cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule, sorted by name."""
    rules = []
    for module_info in pkgutil.iter_modules(detectors.__path__):
        if module_info.name.startswith("_"):
            continue  # a helper module shared by detectors, not a rule
        detector = importlib.import_module(f"gofixleak.detectors.{module_info.name}")
        info: RuleInfo = detector.RULE
        if module_stem(info.name) != module_info.name:
            raise RuntimeError(f"detector module {module_info.name} declares rule {info.name}")
        try:
            fixer = importlib.import_module(f"gofixleak.fixers.{module_info.name}")
        except ModuleNotFoundError as error:
            if error.name != f"gofixleak.fixers.{module_info.name}":
                raise
            fix = None
        else:
            fix = fixer.fix
        prefilter = getattr(detector, "PREFILTER", None)
        static = getattr(detector, "STATIC", True)
        in_package = getattr(detector, "PACKAGE_PREFILTER", None)
        rules.append(Rule(info, detector.detect, fix, prefilter, static, in_package))
    return tuple(sorted(rules, key=lambda r: r.name))


def applicable(
    rules: Sequence[Rule], data: bytes, package: GoPackage | None = None
) -> tuple[Rule, ...]:
    """The rules that may report something in ``data``: those whose prefilter matches it, and,
    given the file's ``package``, whose package prefilter admits it there.

    Rules often share a prefilter (every goroutine rule needs a ``go`` statement): each distinct
    one is run once.
    """
    verdicts: dict[int, bool] = {}
    chosen = []
    for rule in rules:
        if rule.prefilter is not None:
            key = id(rule.prefilter)
            if key not in verdicts:
                verdicts[key] = rule.may_match(data)
            if not verdicts[key]:
                continue
        chosen.append(rule)
    return in_package(chosen, data, package) if package is not None else tuple(chosen)


def in_package(rules: Sequence[Rule], data: bytes, package: GoPackage) -> tuple[Rule, ...]:
    """``rules`` less those whose package prefilter says the file, in ``package``, holds no
    finding of theirs."""
    return tuple(
        rule
        for rule in rules
        if rule.package_prefilter is None or rule.package_prefilter(data, package)
    )


def rule_names() -> list[str]:
    return [r.name for r in all_rules()]


class UnknownRuleError(ValueError):
    pass


def get(name: str) -> Rule:
    for rule in all_rules():
        if rule.name == name:
            return rule
    raise UnknownRuleError(f"unknown rule {name!r}; known rules: {', '.join(rule_names())}")


def select(selected: Sequence[str] | None, ignored: Sequence[str] = ()) -> tuple[Rule, ...]:
    """The enabled rules a check runs: ``selected`` (all when None) minus ``ignored``, static rules
    only; unknown names raise."""
    for name in [*(selected or ()), *ignored]:
        get(name)
    chosen = set(selected) if selected else set(rule_names())
    return tuple(
        r for r in all_rules() if r.name in chosen and r.name not in set(ignored) and r.static
    )
