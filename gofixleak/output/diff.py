"""Unified diffs that ``git apply`` and ``patch -p1`` accept, byte for byte.

difflib has no notion of a missing final newline; the ``\\ No newline at end of file`` marker is
added here. Lines keep their own endings, so CRLF files diff as CRLF.
"""

from __future__ import annotations

import difflib

NO_NEWLINE = b"\\ No newline at end of file\n"


def unified(path: str, before: bytes, after: bytes, context: int = 3) -> bytes:
    if before == after:
        return b""
    name = path.replace("\\", "/").encode("utf-8", "surrogateescape")
    lines = difflib.diff_bytes(
        difflib.unified_diff,
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=b"a/" + name,
        tofile=b"b/" + name,
        n=context,
    )
    out = []
    for line in lines:
        out.append(line)
        if not line.endswith(b"\n"):
            out.append(b"\n" + NO_NEWLINE)
    return b"".join(out)
