"""Predicate splitting: re-check an op the first pass could not prove safe, case by case.

When an unsafe op's input depends, through a non-linear op with a kink at 0 (ReLU and friends), on a
value whose range crosses 0, the value's range is split into [lo, 0] and [0, hi]; for each half only the
affected nodes (downstream of the value and upstream of the op) are re-evaluated, and the op's input
range is the join of the two results. Both cases together cover every run, so a verdict of safe on the
join is a proof. At most a few candidate values are tried per op, nearest first.
"""
from __future__ import annotations

from collections import ChainMap, deque
from dataclasses import replace

from nanscope.analysis.checks import CheckResult
from nanscope.analysis.domain.affine import AffineForm, Atom
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor, Block
from nanscope.analysis.graph.ir import Graph, TensorRef
from nanscope.analysis.interpreter import Environment, Interpreter

# Ops whose output bends at input 0: splitting their input there makes each half linear.
KINK_OPS = frozenset({"Relu", "Relu6", "LeakyRelu", "Elu", "Selu", "Abs"})
MAX_CANDIDATES = 4
MAX_ANCESTORS = 5000


def split_and_recheck(interpreter: Interpreter, env: Environment, results: list[CheckResult]) -> list[CheckResult]:
    graph = interpreter.graph
    order = {node.name: i for i, node in enumerate(graph)}
    refined = []
    for result in results:
        if result.unsafe and not result.prefix:   # function bodies are not re-evaluated case by case
            result = _try_splits(interpreter, env, graph, order, result)
        refined.append(result)
    return refined


def _try_splits(interpreter, env, graph: Graph, order, result: CheckResult) -> CheckResult:
    target = result.node.inputs[result.spec.input_index]
    for ref in _candidates(graph, env, target.node):
        joined = _split_value(interpreter, env, graph, order, ref, target)
        if joined is not None and not result.spec.danger(joined, result.dtype):
            return replace(result, input_range=joined, unsafe=False, split_on=ref.node)
    return result


def _candidates(graph: Graph, env: Environment, start: str) -> list[TensorRef]:
    """Inputs of kink ops upstream of `start` whose range crosses 0, nearest first (breadth-first)."""
    found: list[TensorRef] = []
    seen = {start}
    queue = deque([start])
    visited = 0
    while queue and len(found) < MAX_CANDIDATES and visited < MAX_ANCESTORS:
        node = graph.get(queue.popleft())
        visited += 1
        if node is None:
            continue
        if node.op in KINK_OPS and node.inputs:
            value = env.value(node.inputs[0])
            if value.interval.lo < 0 < value.interval.hi and node.inputs[0] not in found:
                found.append(node.inputs[0])
        for ref in node.inputs:
            if ref.node not in seen and ref.node in graph:
                seen.add(ref.node)
                queue.append(ref.node)
    return found


def _affected(graph: Graph, order, source: str, target: str) -> list:
    """Nodes on some path from `source` to `target` (target included), in topological order.

    Every such node comes after `source` in the order, so the backward walk from the target stops there;
    the cost is the size of the region between the two, not of the graph."""
    floor = order[source]
    backward = {target}
    stack = [target]
    while stack:
        node = graph.get(stack.pop())
        if node is None:
            continue
        for ref in node.inputs:
            if ref.node not in backward and order.get(ref.node, -1) > floor:
                backward.add(ref.node)
                stack.append(ref.node)
    reached = set()
    stack = [source]
    while stack:
        for consumer in graph.consumers(stack.pop()):
            if consumer in backward and consumer not in reached:
                reached.add(consumer)
                stack.append(consumer)
    return sorted((graph[n] for n in reached), key=lambda n: order[n.name])


def _split_value(interpreter, env, graph, order, ref: TensorRef, target: TensorRef) -> Interval | None:
    value = env.value(ref)
    nodes = _affected(graph, order, ref.node, target.node)
    joined = None
    for half_index, half in enumerate((Interval(value.interval.lo, 0.0), Interval(0.0, value.interval.hi))):
        restricted = _restrict(value, half, ref, half_index)
        if restricted is None:
            continue  # this half is empty
        # Copy on write: a case only stores the values it recomputes.
        case = Environment(graph, values=ChainMap({}, env.values), prefix=env.prefix)
        case.values[ref] = restricted
        recording, interpreter.record = interpreter.record, False   # case runs add no function bodies
        try:
            interpreter.evaluate(case, nodes, overrides={ref: restricted})
        finally:
            interpreter.record = recording
        reached = case.value(target).interval
        joined = reached if joined is None else joined.join(reached)
    return joined


def _restrict(value: AbstractTensor, half: Interval, ref: TensorRef, half_index: int) -> AbstractTensor | None:
    blocks = []
    for i, block in enumerate(value.blocks):
        met = block.interval.meet(half)
        if met is None:
            met = half  # this block cannot take the half's values; any sound value will do, it is unreachable
        form = AffineForm.of_atom(Atom(("split", ref.node, ref.index, half_index, i), met)) \
            if block.form is not None else None
        blocks.append(Block(met, form))
    if all(block.interval.meet(half) is None for block in value.blocks):
        return None
    return value.with_blocks(blocks)
