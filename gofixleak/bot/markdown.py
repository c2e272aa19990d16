"""Markdown for pull request bodies, as GitHub renders it (GFM): names that render as themselves,
and the rules' docstring text as Markdown paragraphs and lists.

A file name is in the repository, not in gofixleak's hands: it may hold backticks, ``|``,
``@mention``, ``[text](url)`` or HTML. It goes in a code span whose backtick fence is longer than
any run of backticks in it (CommonMark 6.1), where nothing is live: no mention, link, tag or
emphasis. In a table cell its ``|`` are escaped, which GFM requires even inside a code span.
"""

from __future__ import annotations

import re
import textwrap

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Punctuation that can start Markdown (emphasis, code, links, HTML, entities, table cells); a
# backslash before ASCII punctuation always renders it as itself (CommonMark 2.4).
_ACTIVE = re.compile(r"([\\`*_\[\]<>|&~])")
_RST_LITERAL = re.compile(r"``(.+?)``")


def visible(text: str) -> str:
    """``text`` on one line: control characters written as escapes (``\\n``, ``\\x1b``)."""
    return _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def code(text: str) -> str:
    """An inline code span that shows ``text`` exactly (control characters as escapes)."""
    shown = visible(text)
    fence = "`" * (_longest_run(shown) + 1)
    # One space each side is stripped by the renderer: added where the text itself starts or
    # ends with a backtick (it would join the fence) or with spaces on both sides.
    padded = shown.startswith("`") or shown.endswith("`")
    padded = padded or (shown.startswith(" ") and shown.endswith(" ") and bool(shown.strip()))
    pad = " " if padded else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def text(words: str) -> str:
    """Plain text (a fix's message, a reason) on one line, with no Markdown in it live."""
    return _ACTIVE.sub(r"\\\1", " ".join(visible(words).split()))


def cell(markdown: str) -> str:
    """Markdown fit for a GFM table cell: its pipes do not end the cell."""
    return markdown.replace("|", "\\|")


def fenced(body: str, indent: str = "", info: str = "") -> list[str]:
    """The lines of a fenced code block holding ``body``; its fence is longer than any run of
    backticks in it, so no line of ``body`` can close it."""
    fence = "`" * max(3, _longest_run(body) + 1)
    lines = (f"{indent}{line}" for line in body.splitlines())
    return [f"{indent}{fence}{info}", *lines, indent + fence]


def from_docstring(section: str) -> str:
    """A section of a rule's docstring as Markdown: hard-wrapped paragraphs joined, ``- `` list
    items with their indented continuation lines joined, indented blocks as Go code blocks, and
    reStructuredText's ``double backticks`` as code spans."""
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", textwrap.dedent(section).strip("\n")):
        lines = block.splitlines()
        if not block.strip():
            continue
        if all(line.startswith("    ") for line in lines):
            out.append("\n".join(fenced(textwrap.dedent(block), info="go")))
        elif re.match(r"[-*] ", lines[0]):
            out.append("\n".join(f"- {_inline(item)}" for item in _items(lines)))
        else:
            out.append(_inline(" ".join(line.strip() for line in lines)))
    return "\n\n".join(out)


def _longest_run(text: str) -> int:
    """The length of the longest run of backticks in ``text``."""
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _items(lines: list[str]) -> list[str]:
    items: list[list[str]] = []
    for line in lines:
        if re.match(r"[-*] ", line) or not items:
            items.append([line[2:].strip()])
        else:
            items[-1].append(line.strip())
    return [" ".join(words) for words in items]


def _inline(prose: str) -> str:
    return _RST_LITERAL.sub(lambda m: code(m.group(1)), prose)
