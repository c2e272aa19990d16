"""--verify-tests proves fixes with the leak profile: the goroutines leaked at each fix's site
before and after it. Planted fixes (stand-in rules registered here) that leave their leak, or
leak somewhere new, are dropped with that reason; the PR body shows the before -> after column.
"""

from __future__ import annotations

import re
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gofixleak import api, registry, syntax
from gofixleak.bot import plan
from gofixleak.cli import app
from gofixleak.model import Applicability, Edit, FileResult, Finding, Fix, RuleInfo, Span
from gofixleak.oracle import proof
from gofixleak.source import SourceFile, span_of
from gofixleak.verify import Unit, Verification

ROOT = Path(__file__).resolve().parent.parent
SAFE = api.Options(fix=Applicability.SAFE)

PLANTED = RuleInfo(
    "fake-buffer",
    """A stand-in: each goroutine literal, "fixed" by an unbuffered make(chan int, 0).

What it finds
-------------
x
""",
)
NEW_LEAK = RuleInfo(
    "fake-close",
    """A stand-in: each close(done), "fixed" by deleting it, which strands the goroutine.

What it finds
-------------
x
""",
)


def detect_goroutines(src: SourceFile) -> Iterator[Finding]:
    for go in syntax.descendants(src.root, "go_statement"):
        make = src.data.find(b"make(chan int)")
        if make >= 0:
            size = Span(make + len(b"make(chan int"), make + len(b"make(chan int"))
            yield Finding(PLANTED.name, src.path, span_of(go), "fake", {"size": size})


def same_behaviour(finding: Finding, src: SourceFile) -> Fix:
    return Fix("size it 0", (Edit(finding.captures["size"], b", 0"),), Applicability.SAFE)


def detect_closes(src: SourceFile) -> Iterator[Finding]:
    for call in syntax.descendants(src.root, "call_expression"):
        if syntax.call_name(src, call) == "close":
            yield Finding(NEW_LEAK.name, src.path, span_of(call), "fake")


def strand(finding: Finding, src: SourceFile) -> Fix:
    return Fix("drop the close", (Edit(finding.span, b"_ = done"),), Applicability.SAFE)


RULES = (
    registry.Rule(NEW_LEAK, detect_closes, strand),
    registry.Rule(PLANTED, detect_goroutines, same_behaviour),
)

STAYS = b"""package stays

// Wait leaks a receiver; the planted fix leaves it leaking.
func Wait() {
\tch := make(chan int)
\tgo func() {
\t\t<-ch
\t}()
}
"""
GROWS = b"""package grows

// Run starts a goroutine and releases it; the planted fix forgets the release.
func Run() {
\tdone := make(chan struct{})
\tgo func() {
\t\t<-done
\t}()
\tclose(done)
}
"""


def go_tests_of(path: str) -> bytes:
    name = path.split("/")[0]
    call = "Wait" if name == "stays" else "Run"
    test = f"func Test{call}(t *testing.T) {{ {call}() }}\n"
    return f'package {name}\n\nimport "testing"\n\n{test}'.encode()


PAIRED = RuleInfo(
    "fake-pair",
    """A stand-in: each goroutine literal; one fix per function and pass (isolation).

What it finds
-------------
x
""",
)


def detect_receives(src: SourceFile) -> Iterator[Finding]:
    for go in syntax.descendants(src.root, "go_statement"):
        for receive in syntax.descendants(go, "unary_expression"):
            statement = receive.parent
            unfixed = statement is not None and statement.type == "expression_statement"
            if src.text(receive) in (b"<-a", b"<-b") and unfixed:
                captures = {"receive": span_of(receive)}
                yield Finding(PAIRED.name, src.path, span_of(go), "fake", captures)


def poll_a_and_keep_b(finding: Finding, src: SourceFile) -> Fix:
    """`<-a` becomes a poll (three lines more, the leak gone); `<-b` stays a receive."""
    receive = finding.captures["receive"]
    node = src.node_at(finding.span)
    assert node is not None
    function = syntax.enclosing_function(node)
    assert function is not None
    if src.text(receive) == b"<-a":
        new = b"select {\n\t\tcase <-a:\n\t\tdefault:\n\t\t}"
    else:
        new = b"<-(b)"
    return Fix("poll", (Edit(receive, new),), Applicability.SAFE, isolation=span_of(function))


TWO_PASSES = b"""package twopasses

// Both leaks two receivers: the first fix is applied in a pass, the second in the next.
func Both() {
\ta := make(chan int)
\tgo func() {
\t\t<-a
\t}()
\tb := make(chan int)
\tgo func() {
\t\t<-b
\t}()
}
"""


@pytest.mark.skipif(shutil.which("go") is None, reason="needs go")
def test_a_fix_of_a_later_pass_is_proven_at_its_own_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        registry, "all_rules", lambda: (registry.Rule(PAIRED, detect_receives, poll_a_and_keep_b),)
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    (tmp_path / "twopasses").mkdir()
    (tmp_path / "twopasses" / "twopasses.go").write_bytes(TWO_PASSES)
    (tmp_path / "twopasses" / "twopasses_test.go").write_bytes(
        b'package twopasses\n\nimport "testing"\n\nfunc TestBoth(t *testing.T) { Both() }\n'
    )
    code, out, err = run("--diff", "--verify-tests", ".")
    lines = err.splitlines()
    assert lines[:2] == [
        "gofixleak: twopasses/twopasses.go:6: fake-pair: leaked goroutines at its site 1 -> 0 "
        "(fix dropped)",
        "gofixleak: twopasses/twopasses.go:10: fake-pair: leaked goroutines at its site 1 -> 1 "
        "(fix dropped)",
    ]
    assert (code, out) == (1, "")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [*args, "-j", "1"])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.skipif(shutil.which("go") is None, reason="needs go")
def test_planted_fixes_that_leave_their_leak_or_leak_anew_are_dropped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: RULES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    (tmp_path / "go.mod").write_text("module example.com/m\n\ngo 1.22\n")
    for name, text in (("stays/stays.go", STAYS), ("grows/grows.go", GROWS)):
        (tmp_path / name).parent.mkdir()
        (tmp_path / name).write_bytes(text)
        (tmp_path / name.replace(".go", "_test.go")).write_bytes(go_tests_of(name))
    code, out, err = run("--diff", "--verify-tests", ".")
    assert code == 1 and out == ""  # every fix was dropped: no diff
    lines = err.splitlines()
    assert (
        "gofixleak: stays/stays.go:6: fake-buffer: leaked goroutines at its site 1 -> 1 "
        "(fix dropped)"
    ) in lines
    assert (
        "gofixleak: stays/stays.go: fake-buffer: fix not applied: its leak remains: 1 goroutine "
        "leaked at its site before the fix, 1 after, in the package's tests under the leak profile"
    ) in lines
    assert (
        "gofixleak: grows/grows.go:9: fake-close: leaked goroutines at its site 0 -> 0 "
        "(fix dropped)"
    ) in lines
    assert (
        "gofixleak: grows/grows.go: fake-close: fix not applied: with this fix the package's tests "
        "leak where they did not before: grows/grows.go:7 (chan receive)"
    ) in lines
    assert lines[-1] == "0 fixes in 0 files, 2 findings left."


@pytest.mark.skipif(shutil.which("go") is None, reason="needs go")
def test_the_readme_transcript_of_a_proven_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(
        r"```console\n(\$ gofixleak --diff --verify-tests examples/ > fixes.diff\n.*?)```",
        readme,
        re.DOTALL,
    )
    assert match, "README has no --verify-tests transcript"
    console = match.group(1).splitlines()
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("GOTOOLCHAIN", "local")
    code, out, err = run("--diff", "--verify-tests", "examples/")
    assert code == 1 and out.startswith("--- a/examples/leaky/leaky.go\n")
    assert err.splitlines() == console[1:]


def fake_go(folder: Path) -> str:
    go = folder / "go"
    go.write_text("#!/bin/sh\necho go1.25.9\n")
    go.chmod(go.stat().st_mode | stat.S_IEXEC)
    return str(go)


def test_without_the_profile_a_note_says_only_go_test_checked_the_fixes(tmp_path: Path) -> None:
    result = FileResult("p/a.go", original=b"package p\n", fixed=b"package p\n\n")
    outcome = proof.check(
        {str(tmp_path): [Unit("p/a.go", "fake-buffer")]},
        {"p/a.go": result},
        lambda folder, units: {},
        fake_go(tmp_path),
        SAFE,
    )
    (note,) = outcome.notes
    assert note.startswith("gofixleak test needs Go 1.26 or later (its goroutineleak profile)")
    assert note.endswith(": the fixes were checked by a plain go test only")
    assert outcome.proofs == () and outcome.drops == ()
    lines = Verification((result,), leaks=outcome).leak_lines()
    assert lines == [note]


def test_the_pull_request_table_shows_before_and_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(registry, "all_rules", lambda: RULES)
    monkeypatch.chdir(tmp_path)
    result = api.check_source("stays/stays.go", STAYS, SAFE)
    proven = proof.LeakCheck((proof.FixProof("stays/stays.go", 6, "fake-buffer", 2, 0),))
    proposal = plan.build(Verification((result,), leaks=proven), SAFE, ".")
    assert proposal is not None
    assert "| file | line | rule | fix | safety | leaked goroutines before → after |\n" in (
        proposal.body
    )
    assert "| `stays/stays.go` | 6 | `fake-buffer` | size it 0 | safe | 2 → 0 |\n" in proposal.body
    assert "1 fix confirmed by the package tests: the goroutines that leaked at the site" in (
        proposal.body
    )
    without = plan.build(Verification((result,)), SAFE, ".")
    assert without is not None and "before → after" not in without.body


def test_the_table_pairs_a_later_pass_fix_with_its_proof(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pair = (registry.Rule(PAIRED, detect_receives, poll_a_and_keep_b),)
    monkeypatch.setattr(registry, "all_rules", lambda: pair)
    monkeypatch.chdir(tmp_path)
    result = api.check_source("twopasses/twopasses.go", TWO_PASSES, SAFE)
    assert len(result.fixes_applied) == 2  # one per pass
    proofs = (
        proof.FixProof("twopasses/twopasses.go", 6, "fake-pair", 1, 0),
        proof.FixProof("twopasses/twopasses.go", 10, "fake-pair", 1, 1),
    )
    proposal = plan.build(Verification((result,), leaks=proof.LeakCheck(proofs)), SAFE, ".")
    assert proposal is not None
    rows = [line for line in proposal.body.splitlines() if line.startswith("| `twopasses/")]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == ["1 → 0", "1 → 1"]
