"""How long after an edit the editor shows the new diagnostics: `gofixleak server` over stdio.

    python3 bench/lsp_latency.py [--file PATH] [--edits N] [--pause SECONDS]

Starts the server as an editor does and opens a Go file: by default two generated files of
2,000 lines, "typical" (the bundled example's three leaks among ordinary code with a goroutine
and a ticker every hundred lines) and "every function leaks" (the worst case). Then it makes
``--edits`` edits in the middle of the file, each ``--pause`` seconds after the previous one's
diagnostics arrived, as a typist would, and measures the time from sending each ``didChange``
to receiving its ``publishDiagnostics``: the client's send, the server's analysis and the
round trip (an edit after a quiet spell is not debounced). The analysis alone is timed in this
process too, through the function the server calls.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from gofixleak import api
from gofixleak.server.analysis import analyse
from gofixleak.server.lsp import DEBOUNCE_SECONDS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "leaky" / "leaky.go"
LINES = 2000

HEADER = """package bench

import (
\t"context"
\t"errors"
\t"fmt"
\t"sync"
\t"time"
)

var _ = errors.New
"""

# Ordinary code, with one goroutine (that ends) and one ticker (stopped) per hundred lines: every
# rule's prefilter passes and every detector runs over it, and none reports anything. (That is
# more concurrency than usual: Go's net/http has one go statement per 750 lines.)
ORDINARY = """
// Getter{n} fetches one value.
type Getter{n} func(context.Context, string) (int, error)

// Fetch{n} fetches every key on its own goroutine and waits for all of them.
func Fetch{n}(ctx context.Context, keys []string, get Getter{n}) (map[string]int, error) {
\tvar (
\t\tmu     sync.Mutex
\t\twg     sync.WaitGroup
\t\tvalues = make(map[string]int, len(keys))
\t\tfirst  error
\t)
\tfor _, key := range keys {
\t\twg.Add(1)
\t\tgo func(key string) {
\t\t\tdefer wg.Done()
\t\t\tv, err := get(ctx, key)
\t\t\tmu.Lock()
\t\t\tdefer mu.Unlock()
\t\t\tif err != nil && first == nil {
\t\t\t\tfirst = fmt.Errorf("fetch %s: %w", key, err)
\t\t\t}
\t\t\tvalues[key] = v
\t\t}(key)
\t}
\twg.Wait()
\treturn values, first
}

// Poll{n} calls check every interval until it succeeds or ctx ends.
func Poll{n}(ctx context.Context, interval time.Duration, check func() bool) bool {
\tticker := time.NewTicker(interval)
\tdefer ticker.Stop()
\tfor {
\t\tif check() {
\t\t\treturn true
\t\t}
\t\tselect {
\t\tcase <-ctx.Done():
\t\t\treturn false
\t\tcase <-ticker.C:
\t\t}
\t}
}

// Stack{n} is a stack of names.
type Stack{n} struct {
\titems []string
\tlimit int
}

// Push{n} adds a name unless the stack is full.
func (s *Stack{n}) Push(name string) error {
\tif s.limit > 0 && len(s.items) >= s.limit {
\t\treturn errors.New("stack full")
\t}
\ts.items = append(s.items, name)
\treturn nil
}

// Pop{n} takes the last name.
func (s *Stack{n}) Pop() (string, bool) {
\tif len(s.items) == 0 {
\t\treturn "", false
\t}
\tlast := s.items[len(s.items)-1]
\ts.items = s.items[:len(s.items)-1]
\treturn last, true
}

// Kind{n} classifies a token.
func Kind{n}(token string) string {
\tswitch {
\tcase token == "":
\t\treturn "empty"
\tcase token[0] >= '0' && token[0] <= '9':
\t\treturn "number"
\tcase token[0] == '"':
\t\treturn "string"
\tdefault:
\t\treturn "name"
\t}
}

// Sum{n} adds the squares of the even numbers.
func Sum{n}(values []int) int {
\ttotal := 0
\tfor i, v := range values {
\t\tswitch {
\t\tcase v%2 == 0:
\t\t\ttotal += v * v
\t\tcase i > 10:
\t\t\ttotal--
\t\tdefault:
\t\t\ttotal++
\t\t}
\t}
\treturn total
}
"""


def example_functions(n: int) -> str:
    """The bundled example's three leaks, renamed so that copies can live in one file."""
    body = EXAMPLE.read_text().split("\nfunc send", 1)[1]
    body = "\nfunc send" + body
    return re.sub(r"\b(send|Broadcast|Countdown|Wait)\b", lambda m: f"{m.group(1)}{n}", body)


def generated(block: Callable[[int], str]) -> str:
    """A file of at least ``LINES`` lines: the header, the example once, then ``block``s."""
    parts = [HEADER, example_functions(0)]
    n = 1
    while sum(p.count("\n") for p in parts) < LINES:
        parts.append(block(n))
        n += 1
    return "".join(parts)


def edited(text: str, step: int) -> str:
    """The text after the ``step``-th keystroke-sized edit in the middle of the file: a comment
    line added, then taken away again (the server checks the whole file either way)."""
    if step % 2 == 0:
        return text
    middle = text.index("\n", len(text) // 2) + 1
    return text[:middle] + "// edited\n" + text[middle:]


@dataclass
class Run:
    """What the editor saw: seconds from each edit to its diagnostics, and of that the time the
    client took to encode and write the change (a Python client: slower than an editor's)."""

    total: list[float] = field(default_factory=list)
    send: list[float] = field(default_factory=list)
    diagnostics: int = 0


async def latencies(path: Path, text: str, edits: int, pause: float) -> Run:
    """Edit ``path`` ``edits`` times, each ``pause`` seconds after the previous one's
    diagnostics arrived (a typist's pace, so that each edit follows a quiet buffer)."""
    client = LanguageClient("lsp-latency", "1")
    arrived: dict[int, float] = {}
    counts: dict[int, int] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()
            counts[params.version] = len(params.diagnostics)

    await client.start_io(sys.executable, "-m", "gofixleak", "server")
    capabilities = types.ClientCapabilities(
        general=types.GeneralClientCapabilities(position_encodings=["utf-16"])
    )
    await client.initialize_async(types.InitializeParams(capabilities=capabilities))
    client.initialized(types.InitializedParams())
    uri = path.as_uri()
    item = types.TextDocumentItem(uri=uri, language_id="go", version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    await _until(lambda: 1 in arrived)
    run = Run(diagnostics=counts[1])
    for step in range(1, edits + 1):
        await asyncio.sleep(pause)
        version = step + 1
        change = types.TextDocumentContentChangeWholeDocument(text=edited(text, step))
        sent = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[change],
            )
        )
        run.send.append(time.perf_counter() - sent)
        await _until(lambda version=version: version in arrived)  # type: ignore[misc]
        run.total.append(arrived[version] - sent)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return run


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(120):
        while not condition():
            await asyncio.sleep(0.001)


def analysis_seconds(path: Path, text: str, runs: int) -> list[float]:
    data = text.encode()
    options = api.Options(use_config=True)
    analyse(str(path), {str(path): data}, options)  # warm: imports, compiled queries
    out = []
    for step in range(runs):
        edit = edited(text, step).encode()
        start = time.perf_counter()
        analyse(str(path), {str(path): edit}, options)
        out.append(time.perf_counter() - start)
    return out


def row(name: str, lines: int, run: Run, analysis: list[float]) -> str:
    def ms(value: float) -> str:
        return f"{value * 1000:.0f} ms"

    ordered = sorted(run.total)
    return (
        f"| {name} | {lines} | {run.diagnostics} | {ms(statistics.median(run.total))}"
        f" (fastest {ms(ordered[0])}, p90 {ms(ordered[int(0.9 * (len(ordered) - 1))])}) |"
        f" {ms(statistics.median(run.send))} | {ms(statistics.median(analysis))} |"
    )


def cases(folder: Path, file: Path | None) -> list[tuple[str, Path, str]]:
    if file is not None:
        return [(file.name, file.resolve(), file.read_text())]
    typical = generated(lambda n: ORDINARY.replace("{n}", str(n)))
    dense = generated(example_functions)
    out = []
    for name, text in (("typical", typical), ("every function leaks", dense)):
        path = folder / f"{name.split()[0]}.go"
        path.write_text(text)
        out.append((name, path, text))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, help="a Go file to edit instead of the generated ones")
    parser.add_argument("--edits", type=int, default=30, help="edits per file (default 30)")
    parser.add_argument(
        "--pause", type=float, default=0.2, help="seconds between edits (default 0.2)"
    )
    args = parser.parse_args()
    print(
        f"{args.edits} edits per file, {args.pause * 1000:.0f} ms apart; server debounce"
        f" {DEBOUNCE_SECONDS * 1000:.0f} ms (an edit after a quiet spell is checked at once);"
        f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n"
    )
    print(
        "| file | lines | diagnostics | edit to diagnostics, median |"
        " client's send, median | analysis alone, median |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as folder:
        for name, path, text in cases(Path(folder), args.file):
            run = asyncio.run(latencies(path, text, args.edits, args.pause))
            analysis = analysis_seconds(path, text, args.edits)
            print(row(name, text.count("\n"), run, analysis), flush=True)


if __name__ == "__main__":
    main()
