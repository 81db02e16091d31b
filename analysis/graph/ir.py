"""Our immutable graph IR: the only graph representation the analysis sees.

A `Graph` holds `Node`s in a topological order (back edges of v1 loops, which enter through
NextIteration, are ignored for the order). Attribute values are plain Python/numpy values: ints,
floats, strings, `DType`s, shapes (tuples with None for unknown dimensions, or None for unknown rank),
numpy arrays for tensors, `FunctionRef` for function attributes, tuples for lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping

from nanscope.analysis.domain.dtypes import BY_NAME, UNKNOWN, DType

Shape = tuple  # tuple[int | None, ...]; a whole shape of None means unknown rank


@dataclass(frozen=True)
class TensorRef:
    """Output `index` of the node called `node`."""
    node: str
    index: int = 0

    def __str__(self) -> str:
        return self.node if self.index == 0 else f"{self.node}:{self.index}"


@dataclass(frozen=True)
class FunctionRef:
    name: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


# Attributes that name the element type of a node's outputs, in the order they are consulted: attributes
# naming an output type explicitly come before `T`, which for ops like Shape names an input's type.
_DTYPE_ATTRS = ("out_type", "DstT", "Tout", "output_type", "dtype", "Tparams", "T", "Tidx")
# Ops whose output type is fixed whatever their attributes say (`T` names their inputs' type).
_FIXED_OUTPUT_DTYPE = {
    **dict.fromkeys(("Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "ApproximateEqual",
                     "LogicalAnd", "LogicalOr", "LogicalNot", "IsNan", "IsInf", "IsFinite", "All", "Any",
                     "VarIsInitializedOp", "IsVariableInitialized", "InTopK", "InTopKV2"), "bool"),
    "Rank": "int32",
}
# Ops whose output is a handle, whatever their `dtype` attribute says (it names the variable's type).
_RESOURCE_OPS = frozenset({"VarHandleOp", "HashTableV2", "MutableHashTableV2", "IteratorV2", "AnonymousIteratorV3"})


@dataclass(frozen=True)
class Node:
    name: str
    op: str
    inputs: tuple[TensorRef, ...] = ()
    control_inputs: tuple[str, ...] = ()
    attrs: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    device: str = ""

    def attr(self, key: str, default: Any = None) -> Any:
        return self.attrs.get(key, default)

    @property
    def output_shapes(self) -> tuple[Shape | None, ...]:
        """Static output shapes recorded by TensorFlow (`_output_shapes`), empty when not recorded."""
        return tuple(self.attrs.get("_output_shapes", ()))

    def output_shape(self, index: int = 0) -> Shape | None:
        shapes = self.output_shapes
        return shapes[index] if index < len(shapes) else None

    def output_dtype(self, index: int = 0) -> DType:
        """Best knowledge of an output's element type from the node's attributes (computed once)."""
        cache = self.__dict__.setdefault("_dtype_cache", {})   # frozen dataclass: write the dict directly
        found = cache.get(index)
        if found is None:
            found = cache[index] = self._resolve_output_dtype(index)
        return found

    def _resolve_output_dtype(self, index: int) -> DType:
        dtypes = self.attrs.get("_output_dtypes")
        if dtypes and index < len(dtypes):
            return dtypes[index]
        if self.op in _RESOURCE_OPS:
            return BY_NAME["resource"]
        if self.op in _FIXED_OUTPUT_DTYPE:
            return BY_NAME[_FIXED_OUTPUT_DTYPE[self.op]]
        for key in _DTYPE_ATTRS:
            value = self.attrs.get(key)
            if isinstance(value, DType):
                return value
            if isinstance(value, tuple) and value and isinstance(value[0], DType):
                return value[index] if index < len(value) else value[0]
        return UNKNOWN


class Graph:
    """An immutable computation graph: nodes by name, in topological order, with consumer lists."""

    def __init__(self, nodes: list[Node] | tuple[Node, ...], functions: Mapping[str, Any] | None = None):
        by_name: dict[str, Node] = {}
        for node in nodes:
            by_name[node.name] = node  # a duplicate name keeps the last definition, like TF's importer
        self._by_name = MappingProxyType(by_name)
        self._order = tuple(_topological_order(by_name))
        consumers: dict[str, list[str]] = {name: [] for name in by_name}
        for node in self._order:
            for ref in node.inputs:
                if ref.node in consumers:
                    consumers[ref.node].append(node.name)
        self._consumers = MappingProxyType({k: tuple(v) for k, v in consumers.items()})
        self.functions = MappingProxyType(dict(functions or {}))   # name -> FunctionDef message
        self._function_graphs: dict[str, Any] = {}

    def function(self, name: str):
        """The library function `name` as a `FunctionGraph` (built once), or None when absent."""
        if name not in self._function_graphs:
            from nanscope.analysis.graph.functions import function_graph
            definition = self.functions.get(name)
            self._function_graphs[name] = function_graph(definition) if definition is not None else None
        return self._function_graphs[name]

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[Node]:
        return iter(self._order)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Node:
        return self._by_name[name]

    def get(self, name: str) -> Node | None:
        return self._by_name.get(name)

    def consumers(self, name: str) -> tuple[str, ...]:
        return self._consumers.get(name, ())

    def descendants(self, names: Iterable[str]) -> set[str]:
        """Every node reached from `names` along data edges (not `names` themselves, unless a
        cycle leads back to them)."""
        seen: set[str] = set()
        stack = list(names)
        while stack:
            for consumer in self.consumers(stack.pop()):
                if consumer not in seen:
                    seen.add(consumer)
                    stack.append(consumer)
        return seen

    @property
    def op_types(self) -> frozenset[str]:
        return frozenset(node.op for node in self._order)


def _topological_order(by_name: Mapping[str, Node]) -> list[Node]:
    """Kahn's algorithm over data and control edges, ignoring edges out of NextIteration (loop back edges).

    Inputs naming nodes absent from the graph are ignored here (the interpreter treats them as unknown).
    Nodes left on a cycle that is not a v1 loop are appended in definition order, so every node appears once.
    """
    def deps(node: Node) -> set[str]:
        names = {ref.node for ref in node.inputs} | set(node.control_inputs)
        return {n for n in names if n in by_name and by_name[n].op not in ("NextIteration", "RefNextIteration")}

    pending = {name: deps(node) for name, node in by_name.items()}
    dependents: dict[str, list[str]] = {name: [] for name in by_name}
    for name, needed in pending.items():
        for dep in needed:
            dependents[dep].append(name)
    ready = [name for name, needed in pending.items() if not needed]
    ready.reverse()
    order: list[Node] = []
    seen: set[str] = set()
    while ready:
        name = ready.pop()
        order.append(by_name[name])
        seen.add(name)
        for dependent in dependents[name]:
            needed = pending[dependent]
            needed.discard(name)
            if not needed and dependent not in seen:
                ready.append(dependent)
    order.extend(node for name, node in by_name.items() if name not in seen)
    return order
