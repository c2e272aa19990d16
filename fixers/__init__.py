"""Fixers, one module per fixable rule, named like the rule's detector module.

Ships inside the wheel as ``gofixleak.fixers``.
"""
