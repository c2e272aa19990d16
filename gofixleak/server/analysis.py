"""The one door from the server to the analysis: every diagnostic and every fix goes through
:func:`analyse`.

Today the unit of analysis is one file, the editor's bytes of it checked by the same API as the
command line. When the package model (#11) lands, ``analyse`` reads the package's other files
from disk and the open ones from ``buffers``, and nothing else in the server changes.
"""

from __future__ import annotations

from collections.abc import Mapping

from gofixleak import api, config
from gofixleak.model import FileResult


def analyse(path: str, buffers: Mapping[str, bytes], options: api.Options) -> FileResult:
    """``path``'s findings (with ``options.fix``: fixed), reading open files from ``buffers``
    (path to the editor's bytes) and the others from disk; ``.gofixleak.toml`` applies when
    ``options.use_config``."""
    try:
        file_options = options.for_file(path)
    except config.ConfigError as error:
        return FileResult(path, error=str(error))
    if file_options is None:
        return FileResult(path)  # excluded by its .gofixleak.toml
    data = buffers.get(path)
    if data is None:
        return api.check_file(path, file_options)
    if len(data) > api.MAX_FILE_BYTES:
        return FileResult(
            path, error=f"{path}: not checked: more than {api.MAX_FILE_BYTES // 2**20} MiB"
        )
    return api.check_source(path, data, file_options)
