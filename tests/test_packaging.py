"""The wheel ships every Python package of the source tree (setuptools is given an explicit list,
so a new package left out of it would work in an editable install and break a plain one)."""

from __future__ import annotations

import tomllib

from tests.fixture_cases import ROOT


def test_every_python_package_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    mapped = config["tool"]["setuptools"]["package-dir"]
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "gofixleak").rglob("__init__.py")
    }
    found |= {
        name
        for name, folder in mapped.items()
        for init in (ROOT / folder).rglob("__init__.py")
        if init.parent == ROOT / folder
    }
    assert found - listed == set(), "packages missing from [tool.setuptools] packages"
    assert listed - found == set(), "packages listed that do not exist"
