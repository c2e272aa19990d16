"""``gofixleak server``: the fixes as an editor's quick fixes, over the Language Server Protocol.

Importing this package imports nothing of pygls: the command line's check stays as fast to
start as it was, and only ``gofixleak server`` loads the server (``gofixleak.server.lsp``).
"""
