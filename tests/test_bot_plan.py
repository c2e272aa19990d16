"""The bot's plan without git, Go or GitHub: per-rule commits, a fingerprint that ignores
unrelated edits, a body that stays under GitHub's size limit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from gofixleak import api, registry
from gofixleak.bot import markdown, plan
from gofixleak.model import Applicability
from gofixleak.verify import Verification
from tests.verify_rules import use_rules

SAFE = api.Options(fix=Applicability.SAFE)
REAL_RULES = registry.all_rules
LEAKY = Path(__file__).parent.parent / "examples" / "leaky" / "leaky.go"
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


HOSTILE_NAMES = [
    "p/a` @octocat [click](http:evil.example) `b.go",
    "p/x|y.go",
    "p/@mention.go",
    "p/[x](y).go",
    "p/``double``.go",
    "p/`start.go",
    "p/end`.go",
    "p/<img src=x onerror=alert(1)>.go",
    "p/*star*_under_~strike~.go",
    "p/back\\slash\\|pipe.go",
    "p/new\nline.go",
    "p/tab\tname.go",
]


def table_rows(body: str) -> list[list[Token]]:
    """The body's table as GitHub parses it (GFM): the inline tokens of each row's cells."""
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    rows: list[list[Token]] = []
    inside_body = False
    for token in tokens:
        inside_body = {"tbody_open": True, "tbody_close": False}.get(token.type, inside_body)
        if inside_body and token.type == "tr_open":
            rows.append([])
        elif inside_body and token.type == "inline":
            rows[-1].append(token)
    return rows


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_a_file_name_renders_as_itself_in_the_table(name: str) -> None:
    body = build({name: CALLS}).body
    rows = table_rows(body)
    assert len(rows) == 2  # one row per fix: the name did not end the row or the table
    for cells in rows:
        assert len(cells) == 5
        path = cells[0].children or []
        shown = name.replace("\n", "\\n").replace("\t", "\\t")
        assert [(t.type, t.content) for t in path] == [("code_inline", shown)]
        assert [t.content for t in cells[2].children or []] == [cells[2].content.strip("`")]
    # Nothing in the body became a link, an image, HTML (but the body's own) or a mention.
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    every = [*tokens, *(c for t in tokens for c in t.children or [])]
    assert not [t for t in every if t.type in ("link_open", "image")]
    html = {t.content.strip() for t in every if t.type in ("html_inline", "html_block")}
    assert {h for h in html if not re.fullmatch(OWN_HTML, h, re.S)} == set()
    assert not [t for t in every if t.type == "text" and "@" in t.content]


OWN_HTML = r"<!-- gofixleak:[^>]*-->|<details><summary>Fix safety</summary>|</details>|</?sub>"


def test_a_backtick_in_a_fix_message_is_not_markdown() -> None:
    assert markdown.text("size `x` to *n* | [a](b) <b>") == (
        "size \\`x\\` to \\*n\\* \\| \\[a\\](b) \\<b\\>"
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`a", "`` `a ``"),
        ("a``b`c", "```a``b`c```"),
        (" both ", "`  both  `"),
        (" left", "` left`"),
        ("new\nline", "`new\\nline`"),
    ],
)
def test_a_code_span_shows_its_text_exactly(text: str, span: str) -> None:
    assert markdown.code(text) == span
    (paragraph,) = [t for t in MarkdownIt("commonmark").parse(span) if t.type == "inline"]
    assert [(c.type, c.content) for c in paragraph.children or []] == [
        ("code_inline", text.replace("\n", "\\n"))
    ]


DOCSTRING_SECTION = """
    A hard-wrapped paragraph that uses ``ticker.Stop()`` and goes on
    to a second line.

    - a list item that is wrapped
      onto a second line, with ``a``
    - a second item

        for range time.Tick(d) {
        }
"""


def test_docstring_text_becomes_markdown() -> None:
    assert markdown.from_docstring(DOCSTRING_SECTION) == (
        "A hard-wrapped paragraph that uses `ticker.Stop()` and goes on to a second line.\n\n"
        "- a list item that is wrapped onto a second line, with `a`\n"
        "- a second item\n\n"
        "```go\nfor range time.Tick(d) {\n}\n```"
    )


def test_the_body_has_no_hard_wraps_or_rst_backticks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", REAL_RULES)
    body = build({"leaky/leaky.go": LEAKY.read_bytes()}).body
    docs = body[body.index("\n### ") : body.index("### Verification")]
    assert "``" not in docs
    for paragraph in docs.split("\n\n"):
        lines = paragraph.strip().splitlines()
        is_list = all(line.startswith("- ") for line in lines)
        assert len(lines) == 1 or is_list or paragraph.startswith("```"), paragraph
    assert "`make(chan T)`" in docs or "`len(xs)`" in docs


def test_fixes_of_findings_that_are_no_leaks_are_labelled_hygiene() -> None:
    # A leak() in init runs once for the process: its fix is proposed, as hygiene.
    boot = b"package p\n\nfunc init() {\n\tleak()\n}\n"
    proposal = build({"p/a.go": CALLS, "p/boot.go": boot})
    rows = [line for line in proposal.body.splitlines() if line.startswith("| `p/")]
    assert rows == [
        "| `p/a.go` | 4 | `fake-leak` | call stop() | safe |",
        "| `p/a.go` | 5 | `fake-other` | call fine() | safe |",
        "| `p/boot.go` | 4 | `fake-leak` (hygiene: once for the life of the process) | call stop()"
        " | safe |",
    ]
    assert "Of these, 1 is hygiene: the goroutine is stranded only once a test" in proposal.body
    assert "hygiene" not in build({"p/a.go": CALLS}).body
