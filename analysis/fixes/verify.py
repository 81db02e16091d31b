"""Verification of a fix: the analysis re-run on the graph rewritten as the fix would change it.

Owns the verdict "proven safe": the ops a fix must make safe (the finding's op, the op whose call the
fix edits, and their unsafe gradient ops) and the nodes it inserts are re-checked on the rewritten graph,
with the assumptions, options and predicate splitting of the original analysis. A checked op that was
replaced by an op without a danger zone (LogSoftmax, DivNoNan) or removed is safe by construction.

Only what the rewrite can change is recomputed: the original analysis is run once per graph, and for each
fix the nodes downstream of the rewrite that feed a checked op are re-evaluated on top of its values.
A rewrite that reaches a loop (v1 control flow) re-runs the whole analysis, so the loop fixpoint is
solved again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from nanscope.analysis.checks import CheckResult, run_checks
from nanscope.analysis.fixes.rewrite import GraphEditor
from nanscope.analysis.graph.ir import Graph
from nanscope.analysis.interpreter import Environment, Interpreter
from nanscope.analysis.splitting import split_and_recheck
from nanscope.analysis.transformers.registry import AnalysisOptions, Assumptions

LOOP_OPS = frozenset({"Merge", "RefMerge", "NextIteration", "RefNextIteration", "Enter", "RefEnter", "Exit",
                      "RefExit", "Switch", "RefSwitch", "LoopCond"})


@dataclass(frozen=True)
class Verdict:
    proven: bool
    detail: str


class Verifier:
    """The original analysis of one graph, and re-checks of rewritten versions of it."""

    def __init__(self, graph: Graph, assumptions: Assumptions, options: AnalysisOptions):
        self.graph = graph
        self.assumptions, self.options = assumptions, options
        self.interpreter = Interpreter(graph, assumptions, options)
        self.env = self.interpreter.run()
        results = run_checks(graph, self.env)
        if options.split:
            results = split_and_recheck(self.interpreter, self.env, results)
        self.results: dict[str, CheckResult] = {r.node.name: r for r in results}

    def unsafe_gradients_of(self, forward: str) -> list[str]:
        return [name for name, r in self.results.items() if r.unsafe and r.gradient_of == forward]

    def verify(self, editor: GraphEditor, targets: Iterable[str], main: str) -> Verdict:
        """Re-check `targets` (and every node the editor added) on the rewritten graph; `main` is the op the
        verdict's detail describes (the finding's op)."""
        graph = editor.build()
        checked = [name for name in dict.fromkeys([*targets, *editor.added]) if name in graph]
        results = self._recheck(graph, editor, checked)
        unsafe = [r for r in results if r.unsafe]
        if unsafe:
            first = next((r for r in unsafe if r.node.name == main), unsafe[0])
            which = "it" if first.node.name == main else f"{first.node.op} {first.node.name}"
            return Verdict(False, f"not proven safe: with the fix, {which} may still get an input "
                                  f"{first.spec.zone}: {first.input_range} ({first.dtype.name})")
        by_name = {r.node.name: r for r in results}
        if main in by_name:
            r = by_name[main]
            return Verdict(True, f"proven safe: with the fix, the {r.node.op} input is in {r.input_range} "
                                 f"({r.dtype.name})")
        original = self.graph.get(main)
        now = graph.get(main)
        if now is not None and original is not None and now.op != original.op:
            return Verdict(True, f"proven safe: {original.op} is replaced by {now.op}, which has no danger zone")
        return Verdict(True, "proven safe: the unsafe op is replaced by a numerically stable operation")

    def _recheck(self, graph: Graph, editor: GraphEditor, checked: list[str]) -> list[CheckResult]:
        needed = _ancestors(graph, checked)
        # Nodes that read a removed node now read an unknown (unbounded) value: they change too.
        orphans = {node.name for node in graph if any(ref.node in editor.removed for ref in node.inputs)}
        seeds = editor.touched | orphans
        affected = graph.descendants(seeds) | seeds
        dirty = needed & affected
        interpreter = Interpreter(graph, self.assumptions, self.options)
        if any(graph[name].op in LOOP_OPS for name in dirty):
            env = interpreter.run()
        else:
            stale = dirty | editor.removed
            env = Environment(graph, values={ref: value for ref, value in self.env.values.items()
                                             if ref.node not in stale})
            interpreter.evaluate(env, [node for node in graph if node.name in dirty])
        wanted = set(checked)
        results = [r for r in run_checks(graph, env) if r.node.name in wanted]
        if self.options.split and any(r.unsafe for r in results):
            results = split_and_recheck(interpreter, env, results)
        return results


def _ancestors(graph: Graph, names: Iterable[str]) -> set[str]:
    seen = set(names)
    stack = list(seen)
    while stack:
        node = graph.get(stack.pop())
        if node is None:
            continue
        for ref in node.inputs:
            if ref.node not in seen and ref.node in graph:
                seen.add(ref.node)
                stack.append(ref.node)
    return seen

