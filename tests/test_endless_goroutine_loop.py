"""endless-goroutine-loop cases that a fixture package cannot hold (package main)."""

from __future__ import annotations

from gofixleak.detectors import endless_goroutine_loop
from gofixleak.source import SourceFile


def findings(code: bytes) -> list[int]:
    src = SourceFile.parse("main.go", code)
    return [src.data[: f.span.start].count(b"\n") + 1 for f in endless_goroutine_loop.detect(src)]


def test_silent_in_main_main_and_its_goroutines() -> None:
    code = b"""package main

import "time"

func worker() {
	for {
		time.Sleep(time.Second)
	}
}

func main() {
	go worker()
	go func() {
		go func() {
			for {
				time.Sleep(time.Second)
			}
		}()
	}()
	select {}
}
"""
    assert findings(code) == []


def test_main_of_another_package_is_an_ordinary_function() -> None:
    code = b"""package lib

import "time"

func main() {
	go func() {
		for {
			time.Sleep(time.Second)
		}
	}()
}
"""
    assert findings(code) == [7]


def test_worker_also_started_outside_main_is_still_silent() -> None:
    # Started from main too: the loop is meant to live as long as the program.
    code = b"""package main

import "time"

func worker() {
	for {
		time.Sleep(time.Second)
	}
}

func Start() { go worker() }

func main() { go worker() }
"""
    assert findings(code) == []


def test_silent_in_a_helper_that_only_main_calls() -> None:
    code = b"""package main

import "time"

func startPoller() {
	go func() {
		for {
			time.Sleep(time.Second)
		}
	}()
}

func startOther() {
	go func() {
		for {
			time.Sleep(time.Second)
		}
	}()
}

func Restart() { startOther() }

func main() {
	startPoller()
	startOther()
}
"""
    assert findings(code) == [15]


def test_silent_in_package_runtime() -> None:
    # The runtime's own workers (bgsweep, runFinalizers, gcBgMarkWorker) live with the process.
    code = b"""package runtime

func runFinalizers() {
	for {
		gopark()
	}
}

func createfing() {
	go runFinalizers()
}
"""
    assert findings(code) == []


def example_findings(path: str, code: bytes) -> list[int]:
    src = SourceFile.parse(path, code)
    return [src.data[: f.span.start].count(b"\n") + 1 for f in endless_goroutine_loop.detect(src)]


EXAMPLE = b"""package atomic_test

import "time"

func ExampleValue_config() {
	go func() {
		for {
			time.Sleep(10 * time.Second)
		}
	}()
}

func TestReload() {
	go func() {
		for {
			time.Sleep(10 * time.Second)
		}
	}()
}
"""


def test_silent_in_testable_examples_only() -> None:
    # sync/atomic's ExampleValue_config: an example stands for a program's main.
    assert example_findings("example_test.go", EXAMPLE) == [15]


def test_example_named_function_outside_tests_is_reported() -> None:
    assert example_findings("example.go", EXAMPLE) == [7, 15]
