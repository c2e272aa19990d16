"""The bot's plan without git, Go or GitHub: per-rule commits, a fingerprint that ignores
unrelated edits, a body that stays under GitHub's size limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gofixleak import api
from gofixleak.bot import plan
from gofixleak.model import Applicability
from gofixleak.verify import Verification
from tests.verify_rules import use_rules

SAFE = api.Options(fix=Applicability.SAFE)
CALLS = b"package p\n\nfunc f() {\n\tleak()\n\tother()\n}\n"


@pytest.fixture(autouse=True)
def rules(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_rules(monkeypatch)
    monkeypatch.chdir(tmp_path)


def build(files: dict[str, bytes]) -> plan.Plan:
    results = tuple(api.check_source(path, data, SAFE) for path, data in files.items())
    proposal = plan.build(Verification(results), SAFE, ".")
    assert proposal is not None
    return proposal


def test_one_commit_per_rule_each_on_top_of_the_last() -> None:
    proposal = build({"p/a.go": CALLS})
    first, second = proposal.commits
    assert first.rule == "fake-leak"
    assert first.files == (("p/a.go", b"package p\n\nfunc f() {\n\tstop()\n\tother()\n}\n"),)
    assert second.rule == "fake-other"
    assert second.files == (("p/a.go", b"package p\n\nfunc f() {\n\tstop()\n\tfine()\n}\n"),)
    assert first.message.startswith("Fix 1 goroutine leak found by fake-leak\n\nCalls of leak().")
    assert "Fixed (1 place in 1 file):\n- p/a.go:4: call stop() (safe)\n" in first.message
    assert proposal.branch == "gofixleak/" + proposal.fingerprint[:12]
    assert plan.fingerprint_of(proposal.body) == proposal.fingerprint


def test_the_fingerprint_ignores_unrelated_edits_but_not_new_fixes() -> None:
    before = build({"p/a.go": CALLS}).fingerprint
    moved = CALLS.replace(b"package p\n", b"package p\n\n// Package p does things.\nvar x = 1\n")
    assert build({"p/a.go": moved}).fingerprint == before
    assert build({"p/a.go": CALLS + b"\nfunc g() { leak() }\n"}).fingerprint != before
    assert build({"p/b.go": CALLS}).fingerprint != before


def test_nothing_to_propose() -> None:
    result = api.check_source("p/a.go", b"package p\n", SAFE)
    assert plan.build(Verification((result,)), SAFE, ".") is None


def test_a_long_table_is_cut_to_fit_githubs_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = "".join(f"func f{i}() {{ leak() }}\n" for i in range(40))
    monkeypatch.setattr(plan, "MAX_BODY_CHARS", 2500)
    body = build({"p/a.go": f"package p\n\n{calls}".encode()}).body
    assert len(body) <= 2500
    more = re.search(r"^\| \.\.\. \| \| \| and (\d+) more \(see the commits\) \| \|$", body, re.M)
    assert more is not None
    rows = body.count("| call stop() | safe |")
    assert 0 < rows < 40 and rows + int(more.group(1)) == 40
