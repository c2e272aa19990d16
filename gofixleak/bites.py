"""Where a leak bites: the class of every finding, a second axis beside its rule.

- ``leak``: on a path the program takes in normal use. The default: whatever is not surely one
  of the others is a leak, so that a class never hides a finding that can bite.
- ``test-failure``: the goroutine is stranded only once a test has already failed. The place
  where the function stops waiting for it (the rule's ``exit`` capture: an early return, a
  ``break``, the ``select`` case taken instead of the receive) fails the test itself
  (``t.Fatal...``, ``t.FailNow``, ``require.NoError(t, err)``), comes after a statement that
  does in its own statement list (``t.Errorf(...); return``), or is a ``select`` case whose
  statements fail the test (``case <-time.After(d): t.Fatal("timed out")``). ``t`` must be
  declared as a parameter of type ``*testing.T``, ``*testing.B``, ``*testing.F``,
  ``testing.TB``, testify's ``require.TestingT`` or ``assert.TestingT``, or an interface of the
  package that embeds one of them; ``require`` and ``assert`` are testify's packages.
  ``t.Skip`` is not a failure.
- ``process-lifetime``: what leaks is made once for the process (facts/lifetime.py: in
  ``main``, an ``init``, a cobra command's ``Run``, a package-level ``sync.Once``, or a function
  only they call), so it is bounded and lives as long as the process anyway. Judged at the
  rule's anchor: its ``go`` capture (the ``go`` statement), else its ``goroutine`` capture (the
  function a goroutine runs), else the finding's own span (the ``make``, the ticker's call).

The engine classifies every finding of every rule here; a rule only leaves these hints in its
captures. Directive problems (``unused-directive``...) have neither and stay ``leak``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from tree_sitter import Node

from gofixleak.facts.declarations import interface_type
from gofixleak.facts.lifetime import runs_once
from gofixleak.model import Bite, Finding, Span
from gofixleak.source import SourceFile, span_of
from gofixleak.syntax import (
    FUNCTIONS,
    TESTIFY_REQUIRE,
    ancestors,
    block_statements,
    declaring_identifiers,
    import_name,
    top_level_in,
)

ALL_BITES = frozenset(Bite)
# What fails the run (exit status 1) unless --fail-on or the config says otherwise.
DEFAULT_FAIL_ON = frozenset({Bite.LEAK})

# The captures a rule leaves for the classification.
EXIT = "exit"
GO = "go"
GOROUTINE = "goroutine"

TESTIFY_ASSERT = "github.com/stretchr/testify/assert"
# Methods of testing.T/B/F/TB that mark the test failed, whatever comes next.
FAILING_METHODS = frozenset({"Error", "Errorf", "Fatal", "Fatalf", "Fail", "FailNow"})
# testify functions that fail the test whatever their arguments.
FAILING_TESTIFY = frozenset({"Fail", "Failf", "FailNow", "FailNowf"})
_TESTING_TYPES = ("*{}.T", "*{}.B", "*{}.F", "{}.TB")
_MAX_EMBEDDING = 4  # how deep interfaces embedding interfaces are followed
_JUMPS = frozenset(
    {"return_statement", "break_statement", "continue_statement", "goto_statement"}
)


def parse(values: Iterable[str]) -> frozenset[Bite]:
    """The classes named in ``values`` (each comma-separated: ``leak``, ``test-failure``,
    ``process-lifetime``); ValueError for another name or none at all."""
    known = {bite.value: bite for bite in Bite}
    chosen = [n.strip() for v in values for n in v.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise ValueError(f"unknown class {unknown[0]!r}; known classes: {', '.join(known)}")
    if not chosen:
        raise ValueError("no class named; known classes: " + ", ".join(known))
    return frozenset(known[n] for n in chosen)


def classified(finding: Finding, src: SourceFile) -> Finding:
    """``finding`` with its class."""
    bite = classify(finding, src)
    return finding if bite is finding.bite else dataclasses.replace(finding, bite=bite)


def classify(finding: Finding, src: SourceFile) -> Bite:
    exit_span = finding.captures.get(EXIT)
    exit_ = _node_at(src, exit_span) if exit_span is not None else None
    if exit_ is not None and fails_test_at(src, exit_):
        return Bite.TEST_FAILURE
    anchor_span = next(
        (finding.captures[k] for k in (GO, GOROUTINE) if k in finding.captures), finding.span
    )
    anchor = _node_at(src, anchor_span)
    if anchor is not None and runs_once(src, anchor):
        return Bite.PROCESS_LIFETIME
    return Bite.LEAK


def _node_at(src: SourceFile, span: Span) -> Node | None:
    """The largest node spanning exactly ``span`` below the statement lists: the ``return``
    statement, not its keyword, nor the list of a block ``{ return }`` that holds only it."""
    node = src.node_at(span)
    while (
        node is not None
        and node.parent is not None
        and node.parent.type not in ("statement_list", "block", "source_file")
        and span_of(node.parent) == span
    ):
        node = node.parent
    return node


# --- test failures ----------------------------------------------------------------------------


def fails_test_at(src: SourceFile, exit_: Node) -> bool:
    """Reaching ``exit_`` means the test has failed (see the module's docstring)."""
    if exit_.type in ("communication_case", "default_case"):
        return _case_fails(src, exit_)
    if exit_.type == "expression_statement" and exit_.named_children:
        exit_ = exit_.named_children[0]
    if exit_.type == "call_expression":
        return fails_test(src, exit_, when_it_exits=True)
    if exit_.type in _JUMPS:
        return _after_failure(src, exit_)
    return False


def _case_fails(src: SourceFile, case: Node) -> bool:
    """The case's statements fail the test before anything can leave it."""
    for statement in block_statements(case):
        if statement.type in _JUMPS:
            return False
        if _is_failing_statement(src, statement):
            return True
    return False


def _after_failure(src: SourceFile, jump: Node) -> bool:
    """A statement before ``jump`` in its statement list fails the test."""
    holder = jump.parent
    if holder is None or holder.type != "statement_list":
        return False
    before = [s for s in holder.named_children if s.end_byte <= jump.start_byte]
    return any(_is_failing_statement(src, s) for s in before)


def _is_failing_statement(src: SourceFile, statement: Node) -> bool:
    return (
        statement.type == "expression_statement"
        and bool(statement.named_children)
        and fails_test(src, statement.named_children[0])
    )


def fails_test(src: SourceFile, call: Node, *, when_it_exits: bool = False) -> bool:
    """``call`` marks the test failed: ``t.Errorf(...)``, ``t.Fatal(...)``, ``require.Fail(t)``...
    With ``when_it_exits``, also any ``require.X(t, ...)``, which stops the test only when its
    check fails."""
    if call.type != "call_expression":
        return False
    function = call.child_by_field_name("function")
    if function is None or function.type != "selector_expression":
        return False
    operand = function.child_by_field_name("operand")
    field = function.child_by_field_name("field")
    if operand is None or field is None or operand.type != "identifier":
        return False
    name, method = src.show(operand), src.show(field)
    if name == import_name(src, TESTIFY_REQUIRE) and not _is_local(src, operand, name):
        return when_it_exits or method in FAILING_TESTIFY
    if name == import_name(src, TESTIFY_ASSERT) and not _is_local(src, operand, name):
        return method in FAILING_TESTIFY
    return method in FAILING_METHODS and is_testing_value(src, operand)


def is_testing_value(src: SourceFile, identifier: Node) -> bool:
    """``identifier`` is a parameter of a testing type (see :func:`is_testing_type`; every
    declaration of its name around it is one)."""
    name = src.show(identifier)
    outer = top_level_in(src.root, identifier)
    declared = [n for n in declaring_identifiers(outer) if src.show(n) == name]
    if not declared:
        return False
    for declaration in declared:
        holder = declaration.parent
        type_node = holder.child_by_field_name("type") if holder is not None else None
        if holder is None or holder.type != "parameter_declaration" or type_node is None:
            return False
        if not is_testing_type(src, type_node):
            return False
    return _is_in_scope(identifier, declared)


def is_testing_type(src: SourceFile, type_node: Node, depth: int = 0) -> bool:
    """``*testing.T``, ``*testing.B``, ``*testing.F``, ``testing.TB``, testify's
    ``require.TestingT`` and ``assert.TestingT``, or an interface of the package that embeds
    one of them (a test helper's ``type Fataler interface { require.TestingT; ... }``)."""
    spelled = src.show(type_node).replace(" ", "")
    testing = import_name(src, "testing")
    if testing is not None and spelled in {p.format(testing) for p in _TESTING_TYPES}:
        return True
    for path in (TESTIFY_REQUIRE, TESTIFY_ASSERT):
        testify = import_name(src, path)
        if testify is not None and spelled == f"{testify}.TestingT":
            return True
    if type_node.type != "type_identifier" or depth >= _MAX_EMBEDDING:
        return False
    interface = interface_type(src.pkg, spelled)
    return interface is not None and any(
        is_testing_type(interface.src, embedded, depth + 1) for embedded in interface.embedded()
    )


def _is_in_scope(identifier: Node, declared: list[Node]) -> bool:
    """One of the parameters belongs to a function around ``identifier``."""
    functions = [a for a in ancestors(identifier) if a.type in FUNCTIONS]
    return any(
        any(f.start_byte <= d.start_byte < f.end_byte for f in functions) for d in declared
    )


def _is_local(src: SourceFile, at: Node, name: str) -> bool:
    outer = top_level_in(src.root, at)
    return any(src.show(n) == name for n in declaring_identifiers(outer))
