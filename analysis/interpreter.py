"""The abstract interpreter: one pass over the graph in topological order, applying each op's transformer.

An op without a transformer, or whose transformer fails, gets unbounded outputs (anything its dtype can
hold) and is recorded, so the caller can name it in one note. The interpreter never raises for a graph.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.graph.ir import Graph, Node, TensorRef
from nanscope.analysis.transformers import REGISTRY, Context
from nanscope.analysis.transformers.registry import Assumptions

log = logging.getLogger(__name__)


@dataclass
class Environment:
    """Abstract values of every computed tensor, plus what could not be computed."""
    graph: Graph
    values: dict[TensorRef, AbstractTensor] = field(default_factory=dict)
    unsupported: dict[str, int] = field(default_factory=dict)        # op type -> count of nodes
    failed: dict[str, str] = field(default_factory=dict)             # node name -> error text

    def value(self, ref: TensorRef) -> AbstractTensor:
        """The abstract value of a tensor; unbounded when it was never computed (unknown op, back edge)."""
        found = self.values.get(ref)
        if found is not None:
            return found
        node = self.graph.get(ref.node)
        if node is None:
            return AbstractTensor.unbounded()
        return AbstractTensor.unbounded(node.output_dtype(ref.index), node.output_shape(ref.index))

    def inputs_of(self, node: Node) -> list[AbstractTensor]:
        return [self.value(ref) for ref in node.inputs]


def interpret(graph: Graph, assumptions: Assumptions | None = None) -> Environment:
    env = Environment(graph)
    context = Context(assumptions or Assumptions())
    for node in graph:
        fn = REGISTRY.get(node.op)
        if fn is None:
            env.unsupported[node.op] = env.unsupported.get(node.op, 0) + 1
            continue
        try:
            result = fn(node, env.inputs_of(node), context)
        except Exception as error:  # noqa: BLE001 - a transformer bug must cost precision, never the run
            log.debug("transformer for %s failed on %s", node.op, node.name, exc_info=True)
            env.failed[node.name] = f"{type(error).__name__}: {error}"
            continue
        outputs = (result,) if isinstance(result, AbstractTensor) else tuple(result)
        for index, value in enumerate(outputs):
            env.values[TensorRef(node.name, index)] = value
    return env
