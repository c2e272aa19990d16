"""What a Go package declares at top level: functions, methods by receiver type, struct types
with their fields, and package-level variables, found by syntax.

Each question is answered from the files that mention the name asked about (see
:meth:`GoPackage.mentioning`), and remembered until a file of the package changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from tree_sitter import Node

from gofixleak.facts.package import GoPackage
from gofixleak.source import SourceFile


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
            for t in _struct_types_in(src)
            if t.name == name
        ]
        package.derived[key] = found[0] if len(found) == 1 else None
    answer: StructType | None = package.derived[key]  # type: ignore[assignment]
    return answer


def declares(package: GoPackage, name: str) -> bool:
    """Some file of the package declares ``name`` at top level (function, type, var, const)."""
    kinds = ("func", "type", "const")
    return any(
        _top_level_names(src, name) for kind in kinds for src in package.mentioning(name, kind)
    ) or any(_top_level_names(src, name) for src in _var_candidates(package, name))


def _var_candidates(package: GoPackage, name: str) -> list[SourceFile]:
    """Files that may declare ``var name`` (a top-level var, alone or in a group)."""
    return package.mentioning(name, "var")


def package_var_types(package: GoPackage, name: str) -> list[Node]:
    """The declared types of package-level ``var name T`` declarations (one per file that
    declares it; none for ``var name = value``)."""
    out = []
    for src in _var_candidates(package, name):
        for spec in _top_level_var_specs(src):
            names = [src.show(n) for n in spec.children_by_field_name("name")]
            type_node = spec.child_by_field_name("type")
            if name in names and type_node is not None:
                out.append(type_node)
    return out


def _declared(package: GoPackage, name: str) -> list[Function]:
    key = ("functions", name)
    if key not in package.derived:
        package.derived[key] = [
            f
            for src in package.mentioning(name, "func")
            for f in functions_in(src)
            if f.name == name
        ]
    functions: list[Function] = package.derived[key]  # type: ignore[assignment]
    return functions


def functions_in(src: SourceFile) -> Iterator[Function]:
    """The file's top-level functions and methods (those with a syntax error left out)."""
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
