"""Test-wide settings."""

from __future__ import annotations

import os

from hypothesis import settings

# Under CI the property tests replay the same examples every run, so that a red build always
# means a change broke something; on a developer's machine they explore new examples each run.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
