"""Test-wide settings."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

# Under CI the property tests replay the same examples every run, so that a red build always
# means a change broke something; on a developer's machine they explore new examples each run.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def own_result_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each test gets an empty result cache in the default place (``$XDG_CACHE_HOME``): no test
    sees entries another one left, or the user's own cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.delenv("GOFIXLEAK_CACHE_DIR", raising=False)
