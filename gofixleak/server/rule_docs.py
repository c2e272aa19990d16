"""The target of each diagnostic's ``codeDescription``: a file holding the rule's ``explain`` text.

An editor opens a diagnostic's link as it opens any URI, and no web page is known to hold this
version's documentation (the repository's address is not fixed), so the server writes each
rule's ``gofixleak explain`` text to a file of the user's cache directory and links to that:
``$XDG_CACHE_HOME/gofixleak/<version>/explain/<rule>.md`` (``~/.cache`` by default). The
files are written once per server, and again only when their text differs.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path

from gofixleak import __version__
from gofixleak.cache import user_cache_root
from gofixleak.explanations import explanation, rule_infos


def directory() -> Path:
    return user_cache_root() / __version__ / "explain"


@functools.cache
def links() -> dict[str, str]:
    """Each rule's ``file:`` URI; empty when the cache cannot be written (no links, no harm)."""
    folder = directory()
    out: dict[str, str] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for info in rule_infos():
            text = explanation(info.name)
            if text is None:
                continue
            path = folder / f"{info.name}.md"
            _write_if_changed(path, text.encode())
            out[info.name] = path.as_uri()
    except OSError:
        return {}
    return out


def _write_if_changed(path: Path, data: bytes) -> None:
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    # Through a temporary file and a rename: a second server starting at the same time never
    # links to a half-written file.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
