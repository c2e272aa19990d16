"""Renderers: pure functions from results to text. Machine formats go to stdout."""
