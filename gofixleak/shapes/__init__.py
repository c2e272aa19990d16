"""Leak shapes that span functions, methods and files of a package, each in its own module, found
with the package model (:mod:`gofixleak.facts`) and reported by the rules whose docstrings
describe them (a detector's hook calls its shape).
"""
