"""Docs are data: the README's rule table and every rule's documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from gofixleak import docs, registry

README = Path(__file__).resolve().parent.parent / "README.md"
SECTIONS = [
    "What it finds",
    "Why it leaks",
    "Example",
    "Fixed",
    "Fix safety",
    "Limitations",
    "References",
]


def test_readme_rule_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert docs.with_table(text) == text, "run: python3 -m gofixleak.docs"


@pytest.mark.parametrize("rule", registry.all_rules(), ids=lambda r: r.name)
def test_every_rule_is_documented_in_the_template(rule: registry.Rule) -> None:
    assert rule.info.summary and rule.info.summary.endswith(".")
    for title in SECTIONS:
        assert rule.info.section(title), f"{rule.name}: docstring lacks a '{title}' section"


@pytest.mark.parametrize("rule", registry.all_rules(), ids=lambda r: r.name)
def test_every_rule_has_a_fixture_folder(rule: registry.Rule) -> None:
    folder = README.parent / "fixtures" / rule.name
    assert folder.is_dir() and list(folder.glob("*.go")), f"no fixtures/{rule.name}/*.go"
    if rule.fixable:
        assert list(folder.rglob("*.go.golden")), f"fixable {rule.name} has no golden"


def test_every_fixer_has_a_detector() -> None:
    # A module named _like_this is a helper of the fixers, not a rule's fixer.
    fixers = {p.stem for p in (README.parent / "fixers").glob("*.py") if p.stem[0] != "_"}
    stems = {registry.module_stem(r.name) for r in registry.all_rules()}
    assert fixers <= stems, f"fixers without a detector: {fixers - stems}"
