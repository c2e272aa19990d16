"""gofixleak: find goroutine leaks in Go source and fix them."""

__version__ = "0.1.0"
