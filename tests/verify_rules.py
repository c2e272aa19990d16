"""Stand-in rules for the --verify and bot tests: fake-leak (tests/fake_rule.py: leak() -> stop())
and fake-other (other() -> fine()), so that one file can hold the fixes of two rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gofixleak import registry, syntax
from gofixleak.model import Applicability, Edit, Finding, Fix, RuleInfo
from gofixleak.source import SourceFile, span_of
from tests.fake_rule import INFO, detect, rename

OTHER = RuleInfo(
    "fake-other",
    """Calls of other().

Why it leaks
------------
other() never returns.

Fix safety
----------
Safe: fine() is other() without the leak.
""",
)

LEAK = RuleInfo(
    INFO.name,
    """Calls of leak().

Why it leaks
------------
leak() blocks forever on a channel nobody reads.

Fix safety
----------
Safe: stop() does the same work and returns.
""",
)


def detect_other(src: SourceFile) -> Iterator[Finding]:
    for call in syntax.descendants(src.root, "call_expression"):
        if syntax.call_name(src, call) == "other":
            function = call.child_by_field_name("function")
            assert function is not None
            yield Finding(
                OTHER.name, src.path, span_of(call), "other() leaks", {"name": span_of(function)}
            )


def fine(finding: Finding, src: SourceFile) -> Fix:
    return Fix("call fine()", (Edit(finding.captures["name"], b"fine"),), Applicability.SAFE)


RULES = (registry.Rule(LEAK, detect, rename), registry.Rule(OTHER, detect_other, fine))


def use_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: RULES)


GO_MOD = b"module example.com/m\n\ngo 1.21\n"
