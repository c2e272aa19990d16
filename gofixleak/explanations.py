"""What ``gofixleak explain RULE`` prints, for the command line and the language server."""

from __future__ import annotations

from gofixleak import registry, suppression
from gofixleak.model import RuleInfo


def rule_infos() -> list[RuleInfo]:
    """Every rule that can be reported: the detectors, then the directive rules."""
    return [rule.info for rule in registry.all_rules()] + list(suppression.DIRECTIVE_RULES)


def explanation(rule: str) -> str | None:
    """The rule's name, kind and documentation; None for an unknown rule."""
    infos = {info.name: info for info in rule_infos()}
    if rule not in infos:
        return None
    fixable = any(r.name == rule and r.fixable for r in registry.all_rules())
    kind = "fixable" if fixable else "report only"
    if rule in suppression.DIRECTIVE_RULE_NAMES:
        kind = "directive rule, report only"
    return f"{rule} ({kind})\n\n{infos[rule].doc.strip()}\n"
