"""Writing fixed files: all or nothing, only when changed, keeping the file's mode."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile


def write_fixed(path: str, original: bytes, fixed: bytes) -> str | None:
    """Replace ``path``'s bytes ``original`` with ``fixed`` atomically; an error line or None.

    The new text goes to a temporary file beside the target, which is renamed over it, so a
    crash leaves either the old file or the new one; the file keeps its mode (a 0444 file that
    root fixes stays 0444). A file this user may not write, or one that changed since it was
    read, is left alone.
    """
    target = os.path.realpath(path)  # write through a symlink, never replace the link itself
    try:
        info = os.stat(target)
        # Read-only means what the system lets this user do, as for `gofmt -w`: the rename below
        # could replace a file the user may not write, so ask first. (root may write any file.)
        if not os.access(target, os.W_OK):
            return f"{path}: read-only; fixes not written"
        with open(target, "rb") as handle:
            if handle.read() != original:
                return f"{path}: changed while gofixleak ran; fixes not written"
        _replace(target, fixed, info)
    except OSError as error:
        return f"{path}: cannot write: {error.strerror or error}"
    return None


def _replace(target: str, data: bytes, info: os.stat_result) -> None:
    folder, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".gofixleak", dir=folder or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            with contextlib.suppress(PermissionError):
                os.fchown(handle.fileno(), info.st_uid, info.st_gid)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
