"""The README's editor setups: each starts `gofixleak server` for Go files."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path


def readme_example(name: str) -> str:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- example: {name} -->\n```\w*\n(.*?)```", readme, re.DOTALL)
    assert match, f"README has no example {name!r}"
    return match.group(1)


def test_the_readme_starts_the_server_the_same_way_in_each_editor() -> None:
    helix = tomllib.loads(readme_example("helix"))
    server = helix["language-server"]["gofixleak"]
    assert [server["command"], *server["args"]] == ["gofixleak", "server"]
    [go] = helix["language"]
    assert go["name"] == "go" and go["language-servers"] == ["gopls", "gofixleak"]
    vscode = json.loads(readme_example("vscode"))
    command = [vscode["glspc.server.command"], *vscode["glspc.server.commandArguments"]]
    assert command == ["gofixleak", "server"]
    assert vscode["glspc.server.languageId"] == ["go"]
    neovim = readme_example("neovim")
    assert "cmd = { 'gofixleak', 'server' }," in neovim
    assert "filetypes = { 'go' }," in neovim and "vim.lsp.enable('gofixleak')" in neovim


def test_the_readme_states_the_debounce_the_server_uses() -> None:
    from gofixleak.server.lsp import DEBOUNCE_SECONDS

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    ms = round(DEBOUNCE_SECONDS * 1000)
    assert len(re.findall(rf"quiet for\s+{ms} ms", readme)) == 2
