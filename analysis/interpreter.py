"""The abstract interpreter: a pass over the graph in topological order, then a fixpoint over loops.

Each op's transformer maps the abstract values of its inputs to those of its outputs. An op without a
transformer, or whose transformer fails, gets unbounded outputs (anything its dtype can hold) and is
recorded, so the caller can name it in one note. With relations on, every float block that no affine
transformer related to its inputs becomes an atom of its own, so later ops can relate to it.

Loops (v1 control flow: Enter/Merge/Switch/NextIteration/Exit) are solved by iteration: a Merge joins
the values reaching it, including those coming back through NextIteration; the loop body is re-run until
nothing grows, widening after a few rounds, and after a fixed number of rounds every loop value is set
to unbounded, so the analysis terminates on every graph. The interpreter never raises for a graph.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from nanscope.analysis.domain.affine import AffineForm, Atom
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor, Block
from nanscope.analysis.graph.ir import Graph, Node, TensorRef
from nanscope.analysis.transformers import REGISTRY, Context
from nanscope.analysis.transformers.registry import AnalysisOptions, Assumptions

log = logging.getLogger(__name__)

MERGE_OPS = frozenset({"Merge", "RefMerge"})
BACK_EDGE_OPS = frozenset({"NextIteration", "RefNextIteration"})
WIDEN_AFTER = 3        # loop rounds with plain joins before widening
MAX_LOOP_ROUNDS = 20   # after this many rounds every loop value becomes unbounded


@dataclass
class Environment:
    """Abstract values of every computed tensor, plus what could not be computed."""
    graph: Graph
    values: dict[TensorRef, AbstractTensor] = field(default_factory=dict)
    unsupported: dict[str, int] = field(default_factory=dict)        # op type -> count of nodes
    failed: dict[str, str] = field(default_factory=dict)             # node name -> error text
    loop_rounds: int = 0

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


class Interpreter:
    def __init__(self, graph: Graph, assumptions: Assumptions | None = None,
                 options: AnalysisOptions | None = None):
        self.graph = graph
        self.context = Context(assumptions or Assumptions(), options or AnalysisOptions())

    def run(self) -> Environment:
        env = Environment(self.graph)
        self.evaluate(env, self.graph)
        self._solve_loops(env)
        return env

    def evaluate(self, env: Environment, nodes: Iterable[Node], overrides: Mapping[TensorRef, AbstractTensor] = {}):
        """Evaluate `nodes` (in the given, topological order) into `env`; `overrides` pin tensor values."""
        for node in nodes:
            if node.op in MERGE_OPS:
                self._merge(env, node, round_=0)
            else:
                self._apply(env, node)
            for ref, value in overrides.items():
                if ref.node == node.name:
                    env.values[ref] = value

    def _apply(self, env: Environment, node: Node) -> None:
        fn = REGISTRY.get(node.op)
        if fn is None:
            env.unsupported[node.op] = env.unsupported.get(node.op, 0) + 1
            return
        try:
            result = fn(node, env.inputs_of(node), self.context)
        except Exception as error:  # noqa: BLE001 - a transformer bug must cost precision, never the run
            log.debug("transformer for %s failed on %s", node.op, node.name, exc_info=True)
            env.failed[node.name] = f"{type(error).__name__}: {error}"
            return
        outputs = (result,) if isinstance(result, AbstractTensor) else tuple(result)
        for index, value in enumerate(outputs):
            env.values[TensorRef(node.name, index)] = self._with_atoms(node.name, index, value)

    def _with_atoms(self, name: str, index: int, value: AbstractTensor, tag: tuple = ()) -> AbstractTensor:
        """Give every float block without a relation an atom of its own (relations on)."""
        if not self.context.relations or not value.dtype.is_float:
            return value
        if all(b.form is not None for b in value.blocks):
            return value
        blocks = [b if b.form is not None else
                  Block(b.interval, AffineForm.of_atom(Atom((name, index, i) + tag, b.interval)))
                  for i, b in enumerate(value.blocks)]
        return value.with_blocks(blocks)

    # -- loops ---------------------------------------------------------------------------------------
    def _merge(self, env: Environment, node: Node, round_: int) -> bool:
        """Join the values reaching a Merge; True when its value grew."""
        arrived = [env.values[ref] for ref in node.inputs if ref in env.values]
        dtype, shape = node.output_dtype(), node.output_shape()
        if arrived:
            joined = arrived[0].interval
            for value in arrived[1:]:
                joined = joined.join(value.interval)
        else:
            joined = AbstractTensor.unbounded(dtype, shape).interval
        ref = TensorRef(node.name, 0)
        old = env.values.get(ref)
        if old is not None:
            if joined.lo >= old.interval.lo and joined.hi <= old.interval.hi:
                return False
            joined = old.interval.join(joined)
            if round_ >= WIDEN_AFTER:
                joined = old.interval.widen(joined)
            if round_ >= MAX_LOOP_ROUNDS:
                joined = AbstractTensor.unbounded(dtype, shape).interval
        env.values[ref] = self._with_atoms(node.name, 0, AbstractTensor(joined, dtype, shape), tag=("round", round_))
        env.values[TensorRef(node.name, 1)] = AbstractTensor(Interval(0.0, max(len(node.inputs) - 1, 0)),
                                                             node.output_dtype(1), ())
        return True

    def _solve_loops(self, env: Environment) -> None:
        merges = [n for n in self.graph if n.op in MERGE_OPS and
                  any(self.graph.get(r.node) is not None and self.graph[r.node].op in BACK_EDGE_OPS
                      for r in n.inputs)]
        if not merges:
            return
        order = {node.name: i for i, node in enumerate(self.graph)}
        for round_ in range(1, MAX_LOOP_ROUNDS + 2):
            grown = [m for m in merges if self._merge(env, m, round_)]
            env.loop_rounds = round_
            if not grown:
                return
            dirty = self._downstream([m.name for m in grown])
            body = sorted((self.graph[n] for n in dirty if n not in {m.name for m in grown}),
                          key=lambda n: order[n.name])
            self.evaluate(env, body)

    def _downstream(self, names: list[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(names)
        while stack:
            name = stack.pop()
            for consumer in self.graph.consumers(name):
                if consumer not in seen:
                    seen.add(consumer)
                    stack.append(consumer)
        return seen


def interpret(graph: Graph, assumptions: Assumptions | None = None,
              options: AnalysisOptions | None = None) -> Environment:
    return Interpreter(graph, assumptions, options).run()
