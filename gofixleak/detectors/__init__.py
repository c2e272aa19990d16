"""Detectors, one module per rule; the module docstring is the rule's documentation."""
