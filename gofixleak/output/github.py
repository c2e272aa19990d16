"""GitHub Actions workflow commands: one ``::warning`` annotation per finding that fails the run
(a leak, by default), a ``::notice`` for the others, titled with their class.

``::warning file=F,line=L,col=C,endLine=L2,endColumn=C2,title=RULE::message``; columns count
UTF-16 code units and are left out when the finding spans several lines (GitHub accepts columns
only on a single line). Values are escaped as GitHub's toolkit escapes them: ``%``, CR and LF in
the message; those and ``:`` and ``,`` in properties. The ``file`` property keeps the exact path
(GitHub undoes the escapes to find the file); in messages, which people read, every other control
character is written as its C escape (``\\t``), so that one command is one line.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from gofixleak.bites import DEFAULT_FAIL_ON
from gofixleak.model import Bite, FileResult, Finding
from gofixleak.output import skipped
from gofixleak.output.positions import utf16_position
from gofixleak.output.quoting import escape_controls


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, message: str, properties: Iterable[tuple[str, str | int]] = ()) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{name}{' ' + props if props else ''}::{escape_data(escape_controls(message))}"


def annotation(
    result: FileResult, finding: Finding, fail_on: Collection[Bite] = DEFAULT_FAIL_ON
) -> str:
    line, column = utf16_position(result, finding.span.start)
    end_line, end_column = utf16_position(result, finding.span.end)
    properties: list[tuple[str, str | int]] = [("file", result.path), ("line", line)]
    if line == end_line:
        properties += [("col", column), ("endLine", end_line), ("endColumn", end_column)]
    else:
        properties.append(("endLine", end_line))
    if finding.bite is Bite.LEAK:
        properties.append(("title", finding.rule))
    else:
        properties.append(("title", f"{finding.rule} ({finding.bite})"))
    level = "warning" if finding.bite in fail_on else "notice"
    return command(level, finding.message, properties)


def render(results: Iterable[FileResult], fail_on: Collection[Bite] = DEFAULT_FAIL_ON) -> str:
    results = list(results)
    lines: list[str] = []
    for result in results:
        lines.extend(annotation(result, finding, fail_on) for finding in result.findings)
        if result.error is not None:
            lines.append(
                command("error", result.error, [("file", result.path), ("title", "gofixleak")])
            )
        if result.warning is not None:
            lines.append(
                command("warning", result.warning, [("file", result.path), ("title", "gofixleak")])
            )
    lines.extend(skipped_annotation(region) for region in skipped.regions(results))
    return "".join(line + "\n" for line in lines)


def skipped_annotation(region: skipped.Region) -> str:
    """A region that was not analysed, as a warning on its lines."""
    properties: list[tuple[str, str | int]] = [
        ("file", region.result.path),
        ("line", region.line),
        ("endLine", region.end_line),
        ("title", "gofixleak"),
    ]
    return command("warning", region.message, properties)
