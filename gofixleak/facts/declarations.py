"""What a Go package declares at top level: functions, methods by receiver type, struct types
with their fields, and package-level variables, found by syntax.

Each question is answered from the files that mention the name asked about (see
:meth:`GoPackage.mentioning`), and remembered until a file of the package changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from tree_sitter import Node

from gofixleak.facts.package import GoPackage
from gofixleak.source import SourceFile

_T = TypeVar("_T")


@dataclass(frozen=True, eq=False)
class Function:
    """A function or method declared at the top level of a file of the package."""

    src: SourceFile
    node: Node  # function_declaration or method_declaration
    name: str
    receiver_type: str | None = None  # "Server" for func (s *Server) ... and (s Server[T])
    receiver_name: str | None = None  # "s"; None for an unnamed or blank receiver

    @property
    def body(self) -> Node | None:
        return self.node.child_by_field_name("body")

    @property
    def is_method(self) -> bool:
        return self.receiver_type is not None


# What a field's declared type says it is, for the rules that care.
FIELD_KINDS = {
    "context.Context": "context",
    "context.CancelFunc": "cancel",
    "sync.WaitGroup": "waitgroup",
    "*sync.WaitGroup": "waitgroup",
    "sync.Mutex": "mutex",
    "*sync.Mutex": "mutex",
    "sync.RWMutex": "rwmutex",
    "*sync.RWMutex": "rwmutex",
    "*time.Ticker": "ticker",
    "*time.Timer": "timer",
}


@dataclass(frozen=True, eq=False)
class Field:
    """A field of a struct type: its name (the type's name for an embedded field), its declared
    type, and what that type is (``chan``, ``context``, ``cancel``, ``waitgroup``, ``mutex``,
    ``rwmutex``, ``ticker``, ``timer``, or ``other``)."""

    name: str
    type_node: Node
    kind: str
    embedded: bool
    src: SourceFile

    @property
    def exported(self) -> bool:
        return self.name[:1].isupper()


@dataclass(frozen=True, eq=False)
class StructType:
    src: SourceFile
    node: Node  # the type_spec
    name: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def functions_named(package: GoPackage, name: str) -> list[Function]:
    """Top-level functions (not methods) called ``name``."""
    return [f for f in _declared(package, name) if not f.is_method]


def methods_named(package: GoPackage, type_name: str, name: str) -> list[Function]:
    """Methods ``name`` of ``type_name`` (pointer or value receiver)."""
    return [f for f in _declared(package, name) if f.receiver_type == type_name]


def methods_of(package: GoPackage, type_name: str) -> list[Function]:
    """Every method of ``type_name`` declared in the package."""
    key = ("methods", type_name)
    if key not in package.derived:
        found = [
            function
            for src in package.mentioning(type_name, "method")
            for function in functions_in(src)
            if function.receiver_type == type_name
        ]
        package.derived[key] = found
    methods: list[Function] = package.derived[key]  # type: ignore[assignment]
    return methods


def struct_type(package: GoPackage, name: str) -> StructType | None:
    """The struct type ``name`` declared in the package, or None (not found, not a struct,
    or declared more than once, as in files for different platforms)."""
    key = ("struct", name)
    if key not in package.derived:
        found = [
            t
            for src in package.mentioning(name, "type")
            for t in _per_file(src, "struct-types", _struct_types_in)
            if t.name == name
        ]
        package.derived[key] = found[0] if len(found) == 1 else None
    answer: StructType | None = package.derived[key]  # type: ignore[assignment]
    return answer


def struct_types_declaring(package: GoPackage, field_name: str) -> list[StructType]:
    """The package's struct types that declare a field ``field_name`` (embedded ones by their
    type's name), in every file."""
    key = ("declaring", field_name)
    if key not in package.derived:
        package.derived[key] = [
            t
            for src in package.mentioning(field_name)
            for t in _struct_types_in(src)
            if t.field(field_name) is not None
        ]
    found: list[StructType] = package.derived[key]  # type: ignore[assignment]
    return found


def declares_function(package: GoPackage, name: str) -> bool:
    """Some file of the package declares a function or a method called ``name``."""
    return bool(_declared(package, name))


def declares(package: GoPackage, name: str) -> bool:
    """Some file of the package declares ``name`` at top level (function, type, var, const)."""
    key = ("declares", name)
    if key not in package.derived:
        # The narrowest index first, the files parsed already first: a file is parsed only
        # when none before it declares the name.
        package.derived[key] = any(
            package.any_mentioning(name, kind, lambda src: bool(_top_level_names(src, name)))
            for kind in ("type", "const", "func", "var")
        )
    return bool(package.derived[key])


def _var_candidates(package: GoPackage, name: str) -> list[SourceFile]:
    """Files that may declare ``var name`` (a top-level var, alone or in a group)."""
    return package.mentioning(name, "var")


def package_var_types(package: GoPackage, name: str) -> list[Node]:
    """The declared types of package-level ``var name T`` declarations (one per file that
    declares it; none for ``var name = value``)."""
    return [
        type_node
        for src in _var_candidates(package, name)
        for type_node in _var_types(src).get(name, [])
    ]


def _var_types(src: SourceFile) -> dict[str, list[Node]]:
    """The declared types of the file's package-level ``var`` specs, by name."""
    key = ("var-types", src.path)
    if key not in src.pkg.derived:
        found: dict[str, list[Node]] = {}
        for spec in _top_level_var_specs(src):
            type_node = spec.child_by_field_name("type")
            if type_node is None:
                continue
            for name in {src.show(n) for n in spec.children_by_field_name("name")}:
                found.setdefault(name, []).append(type_node)
        src.pkg.derived[key] = found
    types: dict[str, list[Node]] = src.pkg.derived[key]  # type: ignore[assignment]
    return types


def _declared(package: GoPackage, name: str) -> list[Function]:
    key = ("functions", name)
    if key not in package.derived:
        package.derived[key] = [
            f
            for src in package.mentioning(name, "func")
            for f in _file_functions(src).named(name)
        ]
    functions: list[Function] = package.derived[key]  # type: ignore[assignment]
    return functions


def function_at(src: SourceFile, node: Node) -> Function | None:
    """The top-level function or method whose declaration is ``node``."""
    return _file_functions(src).by_span.get((node.start_byte, node.end_byte))


@dataclass(frozen=True, eq=False)
class _FileFunctions:
    """A file's :func:`functions_in`, found once, by name and by position."""

    src: SourceFile
    by_name: dict[str, list[Function]]
    by_span: dict[tuple[int, int], Function]

    def named(self, name: str) -> list[Function]:
        return self.by_name.get(name, [])


def _file_functions(src: SourceFile) -> _FileFunctions:
    key = ("file-functions", src.path)
    cached = src.pkg.derived.get(key)
    if isinstance(cached, _FileFunctions) and cached.src is src:
        return cached
    by_name: dict[str, list[Function]] = {}
    by_span = {}
    for function in functions_in(src):
        by_name.setdefault(function.name, []).append(function)
        by_span[(function.node.start_byte, function.node.end_byte)] = function
    found = _FileFunctions(src, by_name, by_span)
    src.pkg.derived[key] = found
    return found


# A top-level function's header, as gofmt lays it out: `func name`, `func (r *T[K]) name`; the
# name is captured.
_NAME = rb"[A-Za-z_\x80-\xff][A-Za-z0-9_\x80-\xff]*"
_FUNCTION_HEADER = re.compile(
    rb"^func[ \t]*(?:\([^)\n]*?\b" + _NAME + rb"[ \t]*(?:\[[^\]\n]*\])?[ \t]*\)[ \t]*)?"
    rb"(" + _NAME + rb")",
    re.M,
)


def _function_chunks(package: GoPackage, path: str) -> dict[bytes, list[slice]]:
    """The name of each function header of the file (a method's or a function's), and the text
    from each header of that name to the next header."""
    key = ("function-chunks", path)
    if key not in package.derived:
        data = package.data(path)
        starts = list(_FUNCTION_HEADER.finditer(data))
        found: dict[bytes, list[slice]] = {}
        for index, match in enumerate(starts):
            end = starts[index + 1].start() if index + 1 < len(starts) else len(data)
            found.setdefault(match.group(1), []).append(slice(match.start(), end))
        package.derived[key] = found
    chunks: dict[bytes, list[slice]] = package.derived[key]  # type: ignore[assignment]
    return chunks


def _holds(data: bytes, chunk: slice, word: bytes) -> bool:
    return data.find(word, chunk.start, chunk.stop) != -1


def declaring_with(package: GoPackage, name: str, word: str) -> list[str]:
    """The files (in order) that mention ``word`` and where some function or method ``name``
    may spell it in its own text, by their bytes (between its header and the next one, in
    gofmt's layout): a cheap test before parsing a file to ask about it."""
    spelled, needle = name.encode(), word.encode()
    found = []
    for path in package.paths_mentioning(word):
        data = package.data(path)
        chunks = _function_chunks(package, path).get(spelled, ())
        if any(_holds(data, chunk, needle) for chunk in chunks):
            found.append(path)
    return found


def may_receive(package: GoPackage, name: str) -> bool:
    """Some function or method ``name`` of the package may receive from a channel in its own
    body, by its bytes (``<-`` or ``range`` between its header and the next): a cheap test
    before resolving a call to it. False only when none can."""
    key = ("receiving-functions",)
    if key not in package.derived:
        receiving = set()
        for path in package.paths():
            data = package.data(path)
            for function, chunks in _function_chunks(package, path).items():
                if any(_holds(data, c, b"<-") or _holds(data, c, b"range") for c in chunks):
                    receiving.add(function.decode("utf-8", "replace"))
        package.derived[key] = frozenset(receiving)
    names: frozenset[str] = package.derived[key]  # type: ignore[assignment]
    return name in names


def functions_in(src: SourceFile) -> list[Function]:
    """The file's top-level functions and methods (those with a syntax error left out)."""
    return _per_file(src, "functions-in", _functions_in)


def _per_file(src: SourceFile, what: str, find: Callable[[SourceFile], Iterator[_T]]) -> list[_T]:
    """What ``find`` finds in ``src``, found once while the package's files stay as they are:
    rules ask about many names, and each question reads the files that mention it."""
    key = (what, src.path)
    derived = src.pkg.derived
    if key not in derived:
        derived[key] = list(find(src))
    found: list[_T] = derived[key]  # type: ignore[assignment]
    return found


def _functions_in(src: SourceFile) -> Iterator[Function]:
    for node in src.root.named_children:
        if node.type not in ("function_declaration", "method_declaration"):
            continue
        name = node.child_by_field_name("name")
        if name is None or node.has_error:
            continue
        receiver_type, receiver_name = _receiver(node, src)
        if node.type == "method_declaration" and receiver_type is None:
            continue
        yield Function(src, node, src.show(name), receiver_type, receiver_name)


def _receiver(method: Node, src: SourceFile) -> tuple[str | None, str | None]:
    receiver = method.child_by_field_name("receiver")
    if receiver is None:
        return None, None
    declaration = next(
        (c for c in receiver.named_children if c.type == "parameter_declaration"), None
    )
    type_node = declaration.child_by_field_name("type") if declaration is not None else None
    if declaration is None or type_node is None:
        return None, None
    name = declaration.child_by_field_name("name")
    spelled = src.show(name) if name is not None else None
    return base_type_name(type_node, src), spelled if spelled != "_" else None


def base_type_name(type_node: Node, src: SourceFile) -> str | None:
    """``T`` for ``T``, ``*T``, ``T[A]`` and ``*T[A]``; None for any other type."""
    node = type_node
    if node.type == "pointer_type" and node.named_children:
        node = node.named_children[0]
    if node.type == "generic_type":
        inner = node.child_by_field_name("type")
        if inner is None:
            return None
        node = inner
    return src.show(node) if node.type == "type_identifier" else None


def _struct_types_in(src: SourceFile) -> Iterator[StructType]:
    for declaration in src.root.named_children:
        if declaration.type != "type_declaration":
            continue
        for spec in declaration.named_children:
            body = spec.child_by_field_name("type")
            name = spec.child_by_field_name("name")
            if (
                spec.type == "type_spec"
                and body is not None
                and body.type == "struct_type"
                and name is not None
                and not spec.has_error
            ):
                yield StructType(src, spec, src.show(name), tuple(_fields(body, src)))


def _fields(struct: Node, src: SourceFile) -> Iterator[Field]:
    body = next((c for c in struct.named_children if c.type == "field_declaration_list"), None)
    for declaration in body.named_children if body is not None else ():
        if declaration.type != "field_declaration":
            continue
        type_node = declaration.child_by_field_name("type")
        if type_node is None:
            continue
        names = declaration.children_by_field_name("name")
        kind = field_kind(type_node, src)
        if not names:  # embedded: T, *T, pkg.T
            spelled = src.show(type_node).lstrip("*").rsplit(".", 1)[-1]
            yield Field(spelled, type_node, kind, True, src)
        for name in names:
            yield Field(src.show(name), type_node, kind, False, src)


def field_kind(type_node: Node, src: SourceFile) -> str:
    """What a declared type is, for the rules (see :class:`Field`)."""
    if type_node.type == "channel_type":
        return "chan"
    return FIELD_KINDS.get(src.show(type_node).replace(" ", ""), "other")


def _top_level_var_specs(src: SourceFile) -> Iterator[Node]:
    for declaration in src.root.named_children:
        if declaration.type != "var_declaration":
            continue
        for child in declaration.named_children:
            if child.type == "var_spec":
                yield child
            elif child.type == "var_spec_list":
                yield from (c for c in child.named_children if c.type == "var_spec")


def _top_level_names(src: SourceFile, name: str) -> bool:
    for declaration in src.root.named_children:
        if declaration.type == "function_declaration":
            node = declaration.child_by_field_name("name")
            if node is not None and src.show(node) == name:
                return True
        elif declaration.type in (
            "type_declaration",
            "var_declaration",
            "const_declaration",
        ) and any(src.show(n) == name for n in _declared_identifiers(declaration)):
            return True
    return False


def _declared_identifiers(declaration: Node) -> Iterator[Node]:
    for child in declaration.named_children:
        if child.type in ("var_spec_list", "const_spec_list"):
            yield from _declared_identifiers(child)
        elif child.type in ("var_spec", "const_spec", "type_spec", "type_alias"):
            yield from child.children_by_field_name("name")


@dataclass(frozen=True, eq=False)
class InterfaceType:
    src: SourceFile
    node: Node  # the interface_type
    name: str

    def embedded(self) -> list[Node]:
        """The types it embeds (``io.Reader``, ``testing.TB``), not its methods."""
        return [
            element.named_children[0]
            for element in self.node.named_children
            if element.type == "type_elem" and len(element.named_children) == 1
        ]


def interface_type(package: GoPackage, name: str) -> InterfaceType | None:
    """The interface type ``name`` declared at the package's top level, or None (not found, not
    an interface, or declared more than once)."""
    key = ("interface", name)
    if key not in package.derived:
        found = [
            InterfaceType(src, body, name)
            for src in package.mentioning(name)
            for declaration in src.root.named_children
            if declaration.type == "type_declaration"
            for spec in declaration.named_children
            if spec.type == "type_spec"
            and (spelled := spec.child_by_field_name("name")) is not None
            and src.show(spelled) == name
            and (body := spec.child_by_field_name("type")) is not None
            and body.type == "interface_type"
            and not spec.has_error
        ]
        package.derived[key] = found[0] if len(found) == 1 else None
    answer: InterfaceType | None = package.derived[key]  # type: ignore[assignment]
    return answer
