"""Docs are data: the README's rule table is generated from the rules' docstrings.

``python3 -m gofixleak.docs`` rewrites the table in README.md; a test keeps it current.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from gofixleak.registry import Rule, all_rules

START, END = "<!-- rules:start -->", "<!-- rules:end -->"


def fix_kind(rule: Rule) -> str:
    return "fixable" if rule.fixable else "report only"


def rule_table() -> str:
    rows = ["| rule | finds | fix |", "| --- | --- | --- |"]
    for rule in all_rules():
        rows.append(f"| `{rule.name}` | {rule.info.summary} | {fix_kind(rule)} |")
    return "\n".join(rows)


def with_table(readme: str) -> str:
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(readme):
        raise ValueError(f"README has no {START} ... {END} block")
    return pattern.sub(lambda _: f"{START}\n{rule_table()}\n{END}", readme)


def main() -> int:
    readme = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    text = readme.read_text(encoding="utf-8")
    updated = with_table(text)
    if updated != text:
        readme.write_text(updated, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
