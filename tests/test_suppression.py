"""Suppression directives, with stand-in rules: every piece of the syntax, and its errors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gofixleak import api, engine, registry, suppression
from gofixleak.model import Applicability, Finding, RuleInfo, Span, position
from gofixleak.registry import Rule
from gofixleak.source import SourceFile, line_starts, span_of
from tests.fake_rule import INFO, detect, rename

OTHER = RuleInfo("fake-other", "Calls of other().\n")


def detect_other(src: SourceFile) -> Iterator[Finding]:
    index = src.data.find(b"other()")
    while index != -1:
        yield Finding(OTHER.name, src.path, Span(index, index + 7), "other() leaks")
        index = src.data.find(b"other()", index + 1)


RULES = [Rule(INFO, detect, rename), Rule(OTHER, detect_other, None)]


@pytest.fixture(autouse=True)
def fake_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: tuple(RULES))


def analyze(go: str, rules: list[Rule] = RULES) -> engine.Analysis:
    return engine.examine(SourceFile.parse("x.go", go.encode()), rules)


def lines(go: str, findings: list[Finding]) -> list[tuple[int, str]]:
    starts = line_starts(go.encode())
    return [(position(starts, f.span.start)[0], f.rule) for f in findings]


def go(body: str) -> str:
    return f"package p\n\nfunc f() {{\n{body}}}\n"


def test_a_trailing_directive_silences_its_own_line() -> None:
    src = go("\tleak() //gofixleak:ignore fake-leak lives as long as the process\n\tleak()\n")
    analysis = analyze(src)
    assert lines(src, analysis.findings) == [(5, "fake-leak")]
    (suppressed,) = analysis.suppressed
    assert suppressed.reason == "lives as long as the process"
    assert lines(src, [suppressed.finding]) == [(4, "fake-leak")]


def test_a_directive_alone_on_its_line_silences_the_next_line_only() -> None:
    src = go("\t//gofixleak:ignore fake-leak owned by main\n\tleak()\n\tleak()\n")
    analysis = analyze(src)
    assert lines(src, analysis.findings) == [(6, "fake-leak")]
    assert len(analysis.suppressed) == 1


def test_a_directive_two_lines_above_or_trailing_the_line_above_does_not_apply() -> None:
    src = go(
        "\t//gofixleak:ignore fake-leak too far\n\n\tleak()\n"
        "\t_ = 1 //gofixleak:ignore fake-leak x\n\tleak()\n"
    )
    analysis = analyze(src)
    assert lines(src, analysis.findings) == [
        (4, "unused-directive"),
        (6, "fake-leak"),
        (7, "unused-directive"),
        (8, "fake-leak"),
    ]
    assert analysis.suppressed == ()


def test_one_directive_names_several_rules() -> None:
    src = go("\tleak(); other() //gofixleak:ignore fake-leak,fake-other both fine here\n")
    analysis = analyze(src)
    assert analysis.findings == []
    assert sorted(s.finding.rule for s in analysis.suppressed) == ["fake-leak", "fake-other"]


def test_file_ignore_silences_a_rule_in_the_whole_file() -> None:
    src = (
        go("\tleak()\n\tother()\n\tleak()\n")
        + "\n//gofixleak:file-ignore fake-leak generated shim\n"
    )
    analysis = analyze(src)
    assert lines(src, analysis.findings) == [(5, "fake-other")]
    assert [s.reason for s in analysis.suppressed] == ["generated shim", "generated shim"]


@pytest.mark.parametrize(
    ("comment", "message"),
    [
        ("//gofixleak:ignore fake-leak", "//gofixleak:ignore needs a reason"),
        ("//gofixleak:ignore fake-leak   ", "//gofixleak:ignore needs a reason"),
        ("//gofixleak:ignore", "//gofixleak:ignore names no rule"),
        ("//gofixleak:ignore ,", "//gofixleak:ignore names no rule"),
        ("//gofixleak:ignore fake-lek typo", "unknown rule 'fake-lek' in //gofixleak:ignore"),
        ("//gofixleak:ignore fake-leak,nope x", "unknown rule 'nope'"),
        ("//gofixleak:ignore unused-directive x", "unused-directive cannot be suppressed"),
        ("//gofixleak:ignroe fake-leak x", "unknown directive //gofixleak:ignroe"),
        ("//gofixleak:ignorefake-leak x", "unknown directive //gofixleak:ignorefake-leak"),
        ("// gofixleak:ignore fake-leak x", "no space after //"),
        ("//gofixleak:file-ignore fake-leak", "//gofixleak:file-ignore needs a reason"),
    ],
)
def test_a_bad_directive_is_reported_and_suppresses_nothing(comment: str, message: str) -> None:
    src = go(f"\tleak() {comment}\n")
    analysis = analyze(src)
    assert lines(src, analysis.findings) == [(4, "fake-leak"), (4, "invalid-directive")]
    problem = analysis.findings[1]
    assert message in problem.message
    assert src.encode()[problem.span.start : problem.span.end] == comment.encode()
    assert analysis.suppressed == ()


def test_a_directive_that_suppresses_nothing_is_reported_per_rule() -> None:
    src = go("\tleak() //gofixleak:ignore fake-leak,fake-other only one fires\n")
    analysis = analyze(src)
    (unused,) = analysis.findings
    assert unused.rule == "unused-directive"
    assert unused.message == "//gofixleak:ignore fake-other suppresses nothing; remove it"
    file_wide = go("\tleak()\n") + "//gofixleak:file-ignore fake-other none here\n"
    (unused,) = [f for f in analyze(file_wide).findings if f.rule == "unused-directive"]
    assert unused.message == "//gofixleak:file-ignore fake-other suppresses nothing; remove it"


def test_a_rule_that_did_not_run_does_not_make_its_directive_unused() -> None:
    src = go("\t_ = 1 //gofixleak:ignore fake-other not selected in this run\n")
    assert analyze(src, RULES[:1]).findings == []
    assert [f.rule for f in analyze(src, RULES).findings] == ["unused-directive"]


def test_text_that_only_mentions_a_directive_is_not_one() -> None:
    src = go(
        '\ts := "//gofixleak:ignore fake-leak in a string"\n\t_ = s\n'
        "\tleak() // see //gofixleak:ignore fake-leak in the docs\n"
        "\tleak() /* //gofixleak:ignore fake-leak block */\n"
    )
    analysis = analyze(src)
    assert lines(src, analysis.findings) == [(6, "fake-leak"), (7, "fake-leak")]


def test_crlf_lines_keep_no_carriage_return_in_the_reason() -> None:
    src = "package p\r\n\r\nfunc f() {\r\n\tleak() //gofixleak:ignore fake-leak why\r\n}\r\n"
    analysis = analyze(src)
    assert analysis.findings == [] and analysis.suppressed[0].reason == "why"


def test_directives_next_to_a_syntax_error_are_not_judged_unused() -> None:
    src = "package p\n\nfunc f() {\n\t//gofixleak:ignore fake-leak broken below\n\tleak(\n}\n"
    assert analyze(src).findings == []


def test_suppressed_findings_are_never_fixed() -> None:
    src = go("\tleak() //gofixleak:ignore fake-leak on purpose\n\tleak()\n")
    outcome = engine.fix_until_stable(
        SourceFile.parse("x.go", src.encode()), RULES, Applicability.SAFE
    )
    assert outcome.source.data.decode() == src.replace("\tleak()\n}", "\tstop()\n}")
    assert len(outcome.applied) == 1 and outcome.remaining == ()
    assert [s.finding.rule for s in outcome.suppressed] == ["fake-leak"]


def test_directive_rules_are_selected_and_ignored_like_rules() -> None:
    src = go(
        "\tleak() //gofixleak:ignore fake-leak\n\t_ = 1 //gofixleak:ignore fake-leak nothing\n"
    )
    data = src.encode()

    def rules_of(options: api.Options) -> list[str]:
        return sorted({f.rule for f in api.check_source("x.go", data, options).findings})

    assert rules_of(api.Options()) == ["fake-leak", "invalid-directive", "unused-directive"]
    assert rules_of(api.Options(ignore=("unused-directive",))) == ["fake-leak", "invalid-directive"]
    assert rules_of(api.Options(select=("invalid-directive",))) == ["invalid-directive"]
    assert rules_of(api.Options(select=("fake-leak",))) == ["fake-leak"]
    assert api.Options(select=("unused-directive",)).rules() == ()
    with pytest.raises(registry.UnknownRuleError):
        api.Options(select=("no-such-rule",)).rules()


def test_directive_rules_are_well_formed_rules() -> None:
    for info in suppression.DIRECTIVE_RULES:
        assert info.summary.endswith(".") and info.section("What it finds")
        assert info.name not in registry.rule_names()


def test_spans_point_at_the_comment() -> None:
    src = go("\tleak() //gofixleak:ignore nope x\n")
    (_, problem) = analyze(src).findings
    node = SourceFile.parse("x.go", src.encode()).node_at(problem.span)
    assert node is not None and node.type == "comment" and span_of(node) == problem.span
