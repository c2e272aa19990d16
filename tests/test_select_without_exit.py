"""select-without-exit stays silent where a goroutine is meant to live as long as the process."""

from __future__ import annotations

import pytest

from gofixleak import api

GENERATOR = """package {package}

func ensure(c chan int) {{
	go func() {{
		for {{
			c <- 1
		}}
	}}()
}}
"""


@pytest.mark.parametrize(("package", "reported"), [("worker", True), ("runtime", False)])
def test_runtime_background_goroutines_are_not_reported(package: str, reported: bool) -> None:
    data = GENERATOR.format(package=package).encode()
    result = api.check_source("x.go", data, api.Options(select=("select-without-exit",)))
    assert bool(result.findings) is reported
