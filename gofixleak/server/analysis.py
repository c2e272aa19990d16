"""The one door from the server to the analysis: every diagnostic and every fix goes through
:func:`analyse`.

A file is checked as the command line checks it, in its Go package: the package's other files
are read from disk, or from the editor's ``buffers`` when they are open there (unsaved text
wins), so a leak whose sender is in another file of the package is seen in the editor too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from gofixleak import api, config
from gofixleak.model import FileResult
from gofixleak.reading import MAX_FILE_BYTES


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
    if data is not None and len(data) > MAX_FILE_BYTES:
        return FileResult(
            path, error=f"{path}: not checked: more than {MAX_FILE_BYTES // 2**20} MiB"
        )
    folder = os.path.dirname(path)
    open_here = {p: text for p, text in buffers.items() if os.path.dirname(p) == folder}
    directory = api.package_directory(path, overrides=open_here)
    return api.check_files(directory, [(path, file_options)])[0]
