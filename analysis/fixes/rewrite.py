"""Rewrites of our immutable graph IR that mirror a fix, for the re-analysis that verifies it.

A `GraphEditor` starts from the traced graph and records changes: new nodes (constants, guards such as
AddV2 / Maximum / ClipByValue / Minimum), rewired inputs, nodes replaced under the same name by another op
(Log -> LogSoftmax, RealDiv -> DivNoNan) and removed nodes; `build()` gives a new `Graph` and leaves the
original untouched. The user's code is never run again: the graph is what the fixed code would build for
the values that matter.

Gradients follow the fix as TensorFlow would rebuild them: a guard inserted before an op's input is also
what the op's gradient ops (`gradients/<op>_grad/...`) read instead of that input (the gradient of
log(x + eps) divides by x + eps), and an op that is replaced or removed loses its gradient ops (the stable
op brings its own gradient, which has no unsafe op of ours).
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Iterable

from nanscope.analysis.checks import forward_op_of
from nanscope.analysis.domain.dtypes import DType
from nanscope.analysis.fixes.numbers import stored_value
from nanscope.analysis.graph.ir import Graph, Node, TensorRef

PREFIX = "nanscope_fix"


class GraphEditor:
    def __init__(self, graph: Graph):
        self.graph = graph
        self.nodes: dict[str, Node] = {node.name: node for node in graph}
        self.added: list[str] = []
        self.changed: set[str] = set()      # nodes whose inputs or op changed (their values must be recomputed)
        self.removed: set[str] = set()
        self._gradients: dict[str, list[str]] | None = None

    # -- new nodes -----------------------------------------------------------------------------------
    def fresh_name(self, base: str) -> str:
        name = f"{PREFIX}/{base}"
        index = 0
        while name in self.nodes:
            index += 1
            name = f"{PREFIX}/{base}_{index}"
        return name

    def const(self, value: float, dtype: DType, base: str = "eps") -> TensorRef:
        """A scalar constant holding what TensorFlow stores for the Python float `value` in `dtype`."""
        name = self.fresh_name(base)
        self._add(Node(name, "Const", attrs=MappingProxyType({
            "dtype": dtype, "value": stored_value(value, dtype), "_output_shapes": ((),)})))
        return TensorRef(name)

    def op(self, op: str, inputs: Iterable[TensorRef], dtype: DType, shape: Any = None, base: str | None = None,
           **attrs: Any) -> TensorRef:
        name = self.fresh_name(base or op)
        self._add(Node(name, op, tuple(inputs), attrs=_attrs(dtype, shape, attrs)))
        return TensorRef(name)

    def _add(self, node: Node) -> None:
        self.nodes[node.name] = node
        self.added.append(node.name)

    # -- changes -------------------------------------------------------------------------------------
    def set_input(self, name: str, index: int, ref: TensorRef) -> None:
        node = self.nodes[name]
        inputs = list(node.inputs)
        inputs[index] = ref
        self.nodes[name] = Node(node.name, node.op, tuple(inputs), node.control_inputs, node.attrs, node.device)
        self.changed.add(name)

    def guard_input(self, name: str, index: int, guarded: TensorRef) -> None:
        """Make input `index` of `name` read `guarded`, and so every gradient op of `name` that read the
        same tensor."""
        original = self.nodes[name].inputs[index]
        self.set_input(name, index, guarded)
        for gradient in self.gradient_ops(name):
            node = self.nodes[gradient]
            for i, ref in enumerate(node.inputs):
                if ref == original:
                    self.set_input(gradient, i, guarded)

    def replace(self, name: str, op: str, inputs: Iterable[TensorRef], dtype: DType, shape: Any = None,
                **attrs: Any) -> None:
        """Replace node `name` by a node of type `op` under the same name; its gradient ops go away."""
        old = self.nodes[name]
        self.nodes[name] = Node(name, op, tuple(inputs), old.control_inputs, _attrs(dtype, shape, attrs), old.device)
        self.changed.add(name)
        self.remove_gradients(name)

    def remove(self, name: str) -> None:
        self.nodes.pop(name, None)
        self.removed.add(name)
        self.changed.discard(name)
        self.remove_gradients(name)

    def remove_gradients(self, forward: str) -> None:
        for gradient in self.gradient_ops(forward):
            self.nodes.pop(gradient, None)
            self.removed.add(gradient)
            self.changed.discard(gradient)

    def gradient_ops(self, forward: str) -> list[str]:
        """Names of the ops of the original graph that compute the gradient of `forward` (still present)."""
        if self._gradients is None:
            self._gradients = {}
            for node in self.graph:
                origin = forward_op_of(node.name, self.graph)
                if origin is not None:
                    self._gradients.setdefault(origin, []).append(node.name)
        return [name for name in self._gradients.get(forward, ()) if name in self.nodes]

    def build(self) -> Graph:
        return Graph(list(self.nodes.values()), self.graph.functions)

    @property
    def touched(self) -> set[str]:
        """Names whose value differs from the original graph's: added and changed nodes."""
        return set(self.added) | self.changed


def _attrs(dtype: DType, shape: Any, extra: dict[str, Any]) -> MappingProxyType:
    attrs: dict[str, Any] = {"T": dtype}
    if shape is not None:
        attrs["_output_shapes"] = (tuple(shape),)
    attrs.update(extra)
    return MappingProxyType(attrs)
