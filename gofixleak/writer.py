"""Writing fixed files: all or nothing, only when changed, keeping the file's mode and owner."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from typing import BinaryIO

from gofixleak.reading import ReadError, read_go_file, reason


class _CannotWrite(Exception):
    """Why the new text could not be put in place, in words that name what failed."""


def write_fixed(path: str, original: bytes, fixed: bytes) -> str | None:
    """Replace ``path``'s bytes ``original`` with ``fixed``; an error line or None.

    Usually the new text goes to a temporary file beside the target, which is renamed over it,
    so a crash leaves either the old file or the new one; the file keeps its mode (a 0444 file
    that root fixes stays 0444) and its owner. A rename cannot keep a hard link, nor the owner
    of a file this user does not own: such a file is written in place, as ``gofmt -w`` writes,
    after a backup of its old text. A file this user may not write, or one that changed since
    it was read, is left alone; one that already holds the fixed text (another run fixed it)
    is a success.
    """
    target = os.path.realpath(path)  # write through a symlink, never replace the link itself
    try:
        problem = _problem(path, target, original, fixed)
        if problem is not None:
            return problem or None
        info = os.stat(target)
        if info.st_nlink > 1 or not _keeps_owner(info):
            _write_in_place(target, original, fixed, info)
        else:
            _replace(target, fixed, info)
    except ReadError as error:
        return f"{error}; fixes not written"
    except _CannotWrite as error:
        return f"{path}: cannot write: {error}"
    except OSError as error:
        return f"{path}: cannot write: {reason(error)}"
    return None


def can_write(path: str, original: bytes, fixed: bytes) -> str | None:
    """Why ``path`` could not be written now (read-only, changed since it was read, unreadable),
    or None: for files that a fix edits together, all of which must be writable first."""
    try:
        return _problem(path, os.path.realpath(path), original, fixed) or None
    except ReadError as error:
        return f"{error}; fixes not written"
    except OSError as error:
        return f"{path}: cannot write: {reason(error)}"


def _problem(path: str, target: str, original: bytes, fixed: bytes) -> str | None:
    """What stops the write: an error line; "" when the file already holds ``fixed`` (nothing
    to do, and nothing to say); None when it can be written."""
    current = read_go_file(path)
    if current == fixed:
        return ""
    # Read-only means what the system lets this user do, as for `gofmt -w`: the rename could
    # replace a file the user may not write, so ask first. (root may write any file.)
    if not os.access(target, os.W_OK):
        return f"{path}: read-only; fixes not written"
    if current != original:
        return f"{path}: changed while gofixleak ran; fixes not written"
    return None


def _keeps_owner(info: os.stat_result) -> bool:
    """Whether a new file of this user can be given ``info``'s owner and group."""
    if not hasattr(os, "geteuid") or os.geteuid() == 0:
        return True
    return info.st_uid == os.geteuid() and info.st_gid in {os.getegid(), *os.getgroups()}


def _temporary(target: str, data: bytes, info: os.stat_result) -> str:
    """A new file beside ``target`` that holds ``data``, flushed to disk, with target's mode."""
    folder, name = os.path.split(target)
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".gofixleak", dir=folder)
    except OSError as error:
        raise _CannotWrite(f"cannot create a file in {folder}: {reason(error)}") from error
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), stat.S_IMODE(info.st_mode))
            with contextlib.suppress(PermissionError):
                os.fchown(handle.fileno(), info.st_uid, info.st_gid)
    except BaseException:  # an interrupt too (SIGINT, SIGTERM, SIGHUP): leave no partial file
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return temporary


def _replace(target: str, data: bytes, info: os.stat_result) -> None:
    temporary = _temporary(target, data, info)
    try:
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _write_in_place(target: str, original: bytes, data: bytes, info: os.stat_result) -> None:
    """Overwrite ``target`` itself, keeping its inode (hard links, owner), as ``gofmt -w`` does.
    The old text is first saved beside it; an error or an interrupt while writing puts it back.
    Only a hard crash (power loss, SIGKILL) in the middle can leave the file half-written, and
    then the backup ``.NAME.*.gofixleak`` beside it holds the old text."""
    with open(target, "r+b") as handle:
        backup = _temporary(target, original, info)
        try:
            _overwrite(handle, data)
        except BaseException as error:
            try:
                _overwrite(handle, original)
            except OSError as failure:
                if not isinstance(error, Exception):
                    raise error from failure  # an interrupt: the backup stays, to be found
                raise _CannotWrite(
                    f"{reason(failure)} while putting the old text back; it is in {backup}"
                ) from failure
            os.unlink(backup)
            raise
    os.unlink(backup)


def _overwrite(handle: BinaryIO, data: bytes) -> None:
    handle.seek(0)
    handle.write(data)
    handle.truncate()
    handle.flush()
    os.fsync(handle.fileno())
