"""The abstract interpreter: a pass over the graph in topological order, then a fixpoint over loops.

Each op's transformer maps the abstract values of its inputs to those of its outputs. An op without a
transformer, or whose transformer fails, gets unbounded outputs (anything its dtype can hold) and is
recorded, so the caller can name it in one note. With relations on, every float block that no affine
transformer related to its inputs becomes an atom of its own, so later ops can relate to it.

Loops (v1 control flow: Enter/Merge/Switch/NextIteration/Exit) are solved by iteration: a Merge joins
the values reaching it, including those coming back through NextIteration; the loop body is re-run until
nothing grows, widening after a few rounds, and after a fixed number of rounds every loop value is set
to unbounded, so the analysis terminates on every graph.

Function-library ops (PartitionedCall, functional While and If) interpret the function bodies with their
own environment; a While iterates its body to a fixpoint the same way. Affine relations do not cross a
function boundary (arguments and results get fresh atoms), which keeps atom names unambiguous. The body
environments of the final evaluation are kept so their unsafe ops are checked too. The interpreter never
raises for a graph.

With an `AnalysisMemo` (nanscope.analysis.memo), the main pass over the top-level graph takes the outputs
of every node whose fingerprint (its upstream subgraph and the assumptions naming it) is in the memo
instead of evaluating it, and records the same unsupported/failed bookkeeping as an evaluation would; the
loop fixpoint, function bodies and predicate splitting's re-evaluations never consult it.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable, Mapping

from nanscope.analysis.domain.affine import AffineForm, Atom
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor, Block
from nanscope.analysis.graph.ir import FunctionRef, Graph, Node, TensorRef
from nanscope.analysis.memo import AnalysisMemo, MemoEntry
from nanscope.analysis.transformers import REGISTRY, Context
from nanscope.analysis.transformers.registry import AnalysisOptions, Assumptions

log = logging.getLogger(__name__)

MERGE_OPS = frozenset({"Merge", "RefMerge"})
CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})
WHILE_OPS = frozenset({"While", "StatelessWhile"})
IF_OPS = frozenset({"If", "StatelessIf"})
FUNCTION_OPS = CALL_OPS | WHILE_OPS | IF_OPS
MAX_CALL_DEPTH = 16
BACK_EDGE_OPS = frozenset({"NextIteration", "RefNextIteration"})
WIDEN_AFTER = 3        # loop rounds with plain joins before widening
WIDEN_TO_INFINITY_AFTER = 6   # loop rounds before widening jumps straight to infinity
MAX_LOOP_ROUNDS = 20   # after this many rounds every loop value becomes unbounded


@dataclass
class Environment:
    """Abstract values of every computed tensor, plus what could not be computed."""
    graph: Graph
    values: dict[TensorRef, AbstractTensor] = field(default_factory=dict)
    unsupported: dict[str, int] = field(default_factory=dict)        # op type -> count of nodes
    failed: dict[str, str] = field(default_factory=dict)             # node name -> error text
    loop_rounds: int = 0
    prefix: str = ""    # "" for the main graph; "call/function/" for a function body
    bodies: list[BodyEvaluation] = field(default_factory=list)   # function bodies evaluated (main env only)

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


@dataclass(frozen=True)
class BodyEvaluation:
    """A function body as evaluated at its (final) call site, for the checks."""
    prefix: str
    env: Environment


class Interpreter:
    def __init__(self, graph: Graph, assumptions: Assumptions | None = None,
                 options: AnalysisOptions | None = None, *, library: Graph | None = None, depth: int = 0,
                 prefix: str = "", bodies: list[BodyEvaluation] | None = None, record: bool = True,
                 memo: AnalysisMemo | None = None):
        self.graph = graph
        self.context = Context(assumptions or Assumptions(), options or AnalysisOptions(), graph=graph)
        self.library = library or graph      # the graph whose function library calls refer to
        self.depth = depth
        self.prefix = prefix                 # qualifies atoms and op names inside function bodies
        self.bodies = bodies if bodies is not None else []
        self.record = record
        self.memo = memo if depth == 0 and not prefix else None   # the top-level graph only

    def run(self) -> Environment:
        env = Environment(self.graph, prefix=self.prefix, bodies=self.bodies)
        if self.memo is None:
            self.evaluate(env, self.graph)
        else:
            self._evaluate_with_memo(env, self.memo)
        self._solve_loops(env)
        return env

    def _evaluate_with_memo(self, env: Environment, memo: AnalysisMemo) -> None:
        """The main pass, reusing the memo's outputs for nodes whose fingerprint it holds (module docstring)."""
        run = memo.begin(self.graph, self.context.assumptions, self.context.options)
        loop_merges = {m.name for m in self._loop_merges()}
        fingerprints, previous, current, evaluated = run.fingerprints, run.previous, run.current, run.stats.evaluated
        fingerprint_of, values, unsupported = run.fingerprint, env.values, env.unsupported
        for node in self.graph:
            name, kind = node.name, node.op
            fingerprint = None if name in loop_merges else fingerprint_of(node)
            function_op = kind in FUNCTION_OPS
            if fingerprint is not None and not function_op:
                entry = previous.get(fingerprint)
                if entry is not None:         # replay: exactly what `_apply` or `_merge` put into env
                    current[fingerprint] = entry
                    fingerprints[name] = fingerprint
                    for index, value in enumerate(entry.outputs):
                        values[TensorRef(name, index)] = value
                    if entry.unsupported:
                        unsupported[kind] = unsupported.get(kind, 0) + 1
                    if entry.failed is not None:
                        env.failed[name] = entry.failed
                    continue
            unsupported_before = unsupported.get(kind, 0)
            if kind in MERGE_OPS:
                self._merge(env, node, round_=0)
                outputs = self._outputs_in(env, node)
            else:
                outputs = self._apply(env, node)
            evaluated.append(name)
            if fingerprint is None:
                run.stats.uncacheable += 1
                continue       # no fingerprint: nothing downstream of it is memoised either
            entry = MemoEntry(outputs or (), unsupported.get(kind, 0) > unsupported_before, env.failed.get(name))
            if function_op:
                run.stats.uncacheable += 1
                by_value = run.value_fingerprint(node, fingerprint, entry)
                if by_value is not None:
                    fingerprints[name] = by_value
            else:
                current[fingerprint] = entry
                fingerprints[name] = fingerprint
        run.stats.hits = len(current) - (len(evaluated) - run.stats.uncacheable)
        run.finish()

    @staticmethod
    def _outputs_in(env: Environment, node: Node) -> tuple[AbstractTensor, ...]:
        """The outputs of `node` in `env` (numbered from 0 on)."""
        outputs = []
        while (value := env.values.get(TensorRef(node.name, len(outputs)))) is not None:
            outputs.append(value)
        return tuple(outputs)

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

    def _apply(self, env: Environment, node: Node) -> tuple[AbstractTensor, ...] | None:
        """Evaluate one node into `env`; its outputs as stored, or None when it has none (unsupported, failed)."""
        if node.op in FUNCTION_OPS:
            return self._apply_function_op(env, node)
        fn = REGISTRY.get(node.op)
        if fn is None:
            env.unsupported[node.op] = env.unsupported.get(node.op, 0) + 1
            return None
        try:
            result = fn(node, env.inputs_of(node), self.context)
        except Exception as error:  # noqa: BLE001 - a transformer bug must cost precision, never the run
            log.debug("transformer for %s failed on %s", node.op, node.name, exc_info=True)
            env.failed[node.name] = f"{type(error).__name__}: {error}"
            return None
        outputs = (result,) if isinstance(result, AbstractTensor) else tuple(result)
        stored = tuple(self._with_atoms(node.name, index, value) for index, value in enumerate(outputs))
        for index, value in enumerate(stored):
            env.values[TensorRef(node.name, index)] = value
        return stored

    def _with_atoms(self, name: str, index: int, value: AbstractTensor, tag: tuple = ()) -> AbstractTensor:
        """Give every float block without a relation an atom of its own (relations on)."""
        if not self.context.relations or not value.dtype.is_float:
            return value
        if all(b.form is not None for b in value.blocks):
            return value
        blocks = [b if b.form is not None else
                  Block(b.interval, AffineForm.of_atom(Atom((self.prefix + name, index, i) + tag, b.interval)))
                  for i, b in enumerate(value.blocks)]
        return value.with_blocks(blocks)

    # -- function-library ops ------------------------------------------------------------------------
    def _apply_function_op(self, env: Environment, node: Node) -> tuple[AbstractTensor, ...] | None:
        inputs = env.inputs_of(node)
        try:
            if node.op in CALL_OPS:
                outputs = self._call(node, node.attr("f"), inputs, self.record)
            elif node.op in WHILE_OPS:
                outputs = self._while(node, inputs)
            else:
                outputs = self._if(node, inputs)
        except (RecursionError, ValueError, KeyError, IndexError, TypeError) as error:
            env.failed[node.name] = f"{type(error).__name__}: {error}"
            return None
        if outputs is None:
            env.unsupported[node.op] = env.unsupported.get(node.op, 0) + 1
            return None
        stored = tuple(self._with_atoms(node.name, index, value) for index, value in enumerate(outputs))
        for index, value in enumerate(stored):
            env.values[TensorRef(node.name, index)] = value
        return stored

    def _call(self, node: Node, function, args, record: bool, tag: str = "") -> list[AbstractTensor] | None:
        """Evaluate a library function on abstract arguments; None when it cannot be found."""
        name = function.name if isinstance(function, FunctionRef) else None
        body = self.library.function(name) if name else None
        if body is None or self.depth >= MAX_CALL_DEPTH:
            return None
        prefix = f"{self.prefix}{node.name}/{tag}{name}/"
        inner = Interpreter(body.graph, self.context.assumptions, self.context.options, library=self.library,
                            depth=self.depth + 1, prefix=prefix, bodies=self.bodies, record=record)
        env = Environment(body.graph, prefix=prefix)
        for arg, value in zip(body.args, args):
            env.values[TensorRef(arg, 0)] = inner._with_atoms(arg, 0, _without_forms(value))
        inner.evaluate(env, [n for n in body.graph if n.op != "_Arg"])
        inner._solve_loops(env)
        if record:
            self.bodies.append(BodyEvaluation(prefix, env))
        return [_without_forms(env.value(ref)) for ref in body.returns]

    def _while(self, node: Node, inputs: list[AbstractTensor]) -> list[AbstractTensor] | None:
        """Loop variables: join of every iterate, found by iterating the body with widening."""
        state = [_without_forms(x).smashed() for x in inputs]
        for round_ in range(MAX_LOOP_ROUNDS + 1):
            outputs = self._call(node, node.attr("body"), state, record=False)
            if outputs is None:
                return None
            grown = False
            new_state = []
            for old, new in zip(state, outputs):
                joined = old.interval.join(new.interval)
                if round_ >= WIDEN_AFTER:
                    joined = old.interval.widen(joined, to_infinity=round_ >= WIDEN_TO_INFINITY_AFTER)
                if round_ >= MAX_LOOP_ROUNDS:
                    joined = AbstractTensor.unbounded(old.dtype).interval
                grown = grown or joined != old.interval
                new_state.append(AbstractTensor(joined, old.dtype, old.shape if old.shape == new.shape else None))
            state = new_state
            if not grown:
                break
        if self.record:  # evaluate once more at the fixpoint, keeping the bodies for the checks
            self._call(node, node.attr("cond"), state, record=True, tag="cond:")
            self._call(node, node.attr("body"), state, record=True)
        return state

    def _if(self, node: Node, inputs: list[AbstractTensor]) -> list[AbstractTensor] | None:
        """The taken branch's results, or the join of both when the condition is not decided."""
        condition, args = inputs[0].interval, inputs[1:]
        branches = []
        if condition.hi > 0 or condition.lo < 0:
            branches.append(node.attr("then_branch"))
        if condition.lo <= 0 <= condition.hi:
            branches.append(node.attr("else_branch"))
        results = [self._call(node, branch, args, self.record) for branch in branches]
        if any(r is None for r in results):
            return None
        joined = []
        for values in zip(*results):
            hull = values[0].interval
            for value in values[1:]:
                hull = hull.join(value.interval)
            joined.append(AbstractTensor(hull, values[0].dtype, values[0].shape) if len(values) > 1 else values[0])
        return joined

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
                joined = old.interval.widen(joined, to_infinity=round_ >= WIDEN_TO_INFINITY_AFTER)
            if round_ >= MAX_LOOP_ROUNDS:
                joined = AbstractTensor.unbounded(dtype, shape).interval
        env.values[ref] = self._with_atoms(node.name, 0, AbstractTensor(joined, dtype, shape), tag=("round", round_))
        env.values[TensorRef(node.name, 1)] = AbstractTensor(Interval(0.0, max(len(node.inputs) - 1, 0)),
                                                             node.output_dtype(1), ())
        return True

    def _loop_merges(self) -> list[Node]:
        """The Merges of v1 loops: those with an input over a back edge (NextIteration)."""
        return [n for n in self.graph if n.op in MERGE_OPS and
                any(self.graph.get(r.node) is not None and self.graph[r.node].op in BACK_EDGE_OPS
                    for r in n.inputs)]

    def _solve_loops(self, env: Environment) -> None:
        merges = self._loop_merges()
        if not merges:
            return
        order = {node.name: i for i, node in enumerate(self.graph)}
        for round_ in range(1, MAX_LOOP_ROUNDS + 2):
            grown = [m for m in merges if self._merge(env, m, round_)]
            env.loop_rounds = round_
            if not grown:
                return
            dirty = self.graph.descendants(m.name for m in grown)
            body = sorted((self.graph[n] for n in dirty if n not in {m.name for m in grown}),
                          key=lambda n: order[n.name])
            self.evaluate(env, body)


def _without_forms(value: AbstractTensor) -> AbstractTensor:
    if all(b.form is None for b in value.blocks):
        return value
    return value.with_blocks([Block(b.interval) for b in value.blocks])


def interpret(graph: Graph, assumptions: Assumptions | None = None,
              options: AnalysisOptions | None = None, memo: AnalysisMemo | None = None) -> Environment:
    return Interpreter(graph, assumptions, options, memo=memo).run()
