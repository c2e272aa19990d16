"""Unified diffs that ``git apply`` and ``patch -p1`` accept, byte for byte.

difflib has no notion of a missing final newline; the ``\\ No newline at end of file`` marker is
added here. Lines keep their own endings, so CRLF files diff as CRLF. File names are written as
git writes them: quoted with C escapes when they hold a control character, ``"``, ``\\`` or a byte
beyond ASCII (``--- "a/evil\\nname.go"``), and followed by a tab when they hold a space, so that
GNU patch (2.7 and later) reads them as git does, and a crafted name cannot pose as a header.
"""

from __future__ import annotations

import difflib
import os

from gofixleak.output.quoting import quote_c

NO_NEWLINE = b"\\ No newline at end of file\n"


def unified(path: str, before: bytes, after: bytes, context: int = 3) -> bytes:
    if before == after:
        return b""
    name = path.replace(os.sep, "/").encode("utf-8", "surrogateescape")
    lines = list(
        difflib.diff_bytes(
            difflib.unified_diff,
            before.splitlines(keepends=True),
            after.splitlines(keepends=True),
            n=context,
        )
    )
    # difflib writes the names raw; git's headers replace its first two lines.
    out = [header(b"---", b"a/" + name), header(b"+++", b"b/" + name)]
    for line in lines[2:]:
        out.append(line)
        if not line.endswith(b"\n"):
            out.append(b"\n" + NO_NEWLINE)
    return b"".join(out)


def header(marker: bytes, name: bytes) -> bytes:
    """``--- a/name``, as git's diff prints it."""
    label = quote_c(name, non_ascii=True)
    return marker + b" " + label + (b"\t" if b" " in label else b"") + b"\n"
