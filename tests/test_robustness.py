"""Crash-proofing: mutated fixtures go through detection and fixing without a crash.

The inputs are the fixtures (real, compiling Go with findings of every rule), damaged the way
files in the wild are: truncated, bytes flipped, CRLF line ends, a byte order mark, invalid
UTF-8, and deeply nested code. For each input, with every rule and every fix (UNSAFE included):

- no exception escapes ``check_source``; a file that cannot be handled gets a one-line error
  message, never a traceback;
- no fix touches a syntax-error region (the engine's contract: the tree there is a guess), and a
  broken declaration's text survives fixing untouched;
- fixing does not add syntax errors, and is idempotent: fixing the fixed text changes nothing.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gofixleak import api, engine
from gofixleak.model import Applicability, FileResult
from gofixleak.source import SourceFile, error_count
from tests.fixture_cases import FIXTURES

OPTIONS = api.Options(fix=Applicability.UNSAFE)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def fixture_files() -> tuple[tuple[str, bytes], ...]:
    """(path, bytes) of every fixture and golden, smallest first (Hypothesis shrinks toward
    the start of a sampled list)."""
    paths = [*FIXTURES.rglob("*.go"), *FIXTURES.rglob("*.go.golden")]
    files = [
        (str(p.with_suffix(".go") if p.suffix == ".golden" else p), p.read_bytes()) for p in paths
    ]
    return tuple(sorted(files, key=lambda f: (len(f[1]), f[0])))


# --- mutations --------------------------------------------------------------------------------


@st.composite
def truncated(draw: st.DrawFn, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


@st.composite
def flipped(draw: st.DrawFn, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if not out:
            break
        out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
    return bytes(out)


@st.composite
def invalid_utf8(draw: st.DrawFn, data: bytes) -> bytes:
    junk = draw(st.sampled_from([b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\x80\x80"]))
    at = draw(st.integers(0, len(data)))
    return data[:at] + junk + data[at:]


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    path, data = draw(st.sampled_from(fixture_files()))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["truncate", "flip", "utf8", "crlf", "bom", "none"]))
        if kind == "truncate":
            data = draw(truncated(data))
        elif kind == "flip":
            data = draw(flipped(data))
        elif kind == "utf8":
            data = draw(invalid_utf8(data))
        elif kind == "crlf":
            data = crlf(data)
        elif kind == "bom":
            data = bom(data)
    return path, data


@st.composite
def deeply_nested(draw: st.DrawFn) -> tuple[str, bytes]:
    """A leaky goroutine buried under many blocks, nested literals or parentheses."""
    depth = draw(st.integers(1, 500))
    leak = (
        "errc := make(chan error)\ngo func() { errc <- nil }()\n"
        "select {\ncase <-errc:\ndefault:\n}\n"
    )
    shape = draw(st.sampled_from(["blocks", "literals", "parens", "ifs"]))
    if shape == "blocks":
        body = "{\n" * depth + leak + "}\n" * depth
    elif shape == "literals":
        body = "go func() {\n" * depth + leak + "}()\n" * depth
    elif shape == "ifs":
        body = "if true {\n" * depth + leak + "}\n" * depth
    else:
        body = "x := " + "(" * depth + "1" + ")" * depth + "\n_ = x\n" + leak
    if draw(st.booleans()):  # and, sometimes, left unfinished
        body = body[: draw(st.integers(0, len(body)))]
    return "nested.go", f"package nested\n\nfunc F() {{\n{body}}}\n".encode()


# --- properties -------------------------------------------------------------------------------


def assert_robust(path: str, data: bytes) -> None:
    result = api.check_source(path, data, OPTIONS)  # an exception here fails the test
    assert_no_traceback(result)
    src = SourceFile.parse(path, data)
    assert_no_fix_in_broken_regions(src)
    if not result.changed:
        return
    assert result.fixed is not None
    fixed = SourceFile.parse(path, result.fixed)
    assert error_count(fixed.tree) <= error_count(src.tree)
    for region in src.broken_regions:
        assert src.text(region) in result.fixed, "a fix touched a syntax-error region"
    again = api.check_source(path, result.fixed, OPTIONS)
    assert_no_traceback(again)
    assert not again.changed, "fixing the fixed text changed it again"


def assert_no_traceback(result: FileResult) -> None:
    if result.error is not None:
        assert "Traceback" not in result.error
        assert "\n" not in result.error.strip()


def assert_no_fix_in_broken_regions(src: SourceFile) -> None:
    rules = OPTIONS.rules()
    for finding in engine.analyze(src, rules):
        assert not src.is_broken(finding.span), f"{finding.rule} reported in a broken region"
        if finding.fix is not None:
            for edit in finding.fix.edits:
                assert not src.is_broken(edit.span), f"{finding.rule} fixes a broken region"


@SETTINGS
@given(mutated())
def test_mutated_fixtures_do_not_crash(case: tuple[str, bytes]) -> None:
    assert_robust(*case)


@settings(SETTINGS, max_examples=40)
@given(deeply_nested())
def test_deeply_nested_code_does_not_crash(case: tuple[str, bytes]) -> None:
    assert_robust(*case)


def test_every_fixture_survives_crlf_and_bom() -> None:
    """The undamaged inputs with findings and fixes, in the two encodings Hypothesis may miss."""
    for path, data in fixture_files():
        assert_robust(path, crlf(data))
        assert_robust(path, bom(data))


def test_fixture_inputs_exist() -> None:
    assert len(fixture_files()) > 20
    assert all(Path(p).suffix == ".go" for p, _ in fixture_files())


def test_a_long_left_nested_expression_in_a_goroutine_is_checked_and_fixed() -> None:
    """``ch <- 1+1+...+1`` (50,000 terms, a 100 KB file): every walk below the expression used
    to cost time in proportion to its depth (a quadratic check: minutes); now it is one pass."""
    terms = "+".join(["1"] * 50_000)
    data = (
        "package p\n\nfunc G(ok bool) int {\n\tch := make(chan int)\n"
        f"\tgo func() {{ ch <- {terms} }}()\n\tif !ok {{\n\t\treturn 0\n\t}}\n\treturn <-ch\n}}\n"
    ).encode()
    result = api.check_source("long.go", data, api.Options(fix=Applicability.SAFE))
    assert [f.rule for f in result.fixes_applied] == ["abandoned-sender"]
    assert result.fixed is not None and b"ch := make(chan int, 1)\n" in result.fixed
