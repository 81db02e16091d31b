"""Incremental re-analysis: what an `AnalysisMemo` saves when a graph is analysed again after a save.

Owns the measurement of `nanscope.analysis.memo` on the deep stacks of `benchmarks/models.py` (dense and
conv, ~1k and ~10k ops; input x in [0, 1]). For every graph, the best of `--repeat` runs of each of:

- fresh: `analyse_graph` without a memo (what every analysis cost before);
- fresh + fingerprints: with an empty memo, so every node is fingerprinted and recorded but nothing is
  reused (the memo's overhead on a first analysis);
- unchanged: the same graph loaded again from its bytes (new node objects, as a re-trace makes) and analysed
  with the memo of the previous analysis: every node is a memo hit;
- edited near the end: the fix a user would make to the final log, `log(softmax + 1e-7)` (a Const and an
  AddV2 inserted, the Log's input changed), analysed with the memo of the unedited graph.

Each is timed for the whole `analyse_graph` (interpretation, checks, predicate splitting, report) and for
the interpreter's pass alone (`Interpreter.run`, where the memo acts), in CPU seconds of the analysing thread
(`time.thread_time`, garbage collector paused as in `analyse_graph`), so that other processes' load does not
blur the ratios, which are to the fresh run. The
nodes evaluated afresh come from `AnalysisMemo.last`, and every memo run's report is checked against the
fresh report of the same graph (findings, proven-safe ops, per-op ranges, notes): the benchmark fails
(exit 1) if they differ.

Run from the repository root: `.venv/bin/python -m benchmarks.incremental [--sizes 1000 10000]`.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Callable, Sequence

import numpy as np

from benchmarks.common import markdown
from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.gcpause import gc_paused
from nanscope.analysis.graph import Graph, graph_from_bytes
from nanscope.analysis.graph.ir import Node, TensorRef
from nanscope.analysis.interpreter import Interpreter
from nanscope.analysis.memo import AnalysisMemo

DEFAULT_SIZES = (1_000, 10_000)
DEFAULT_FAMILIES = ("dense", "conv")


@dataclass
class Row:
    family: str
    target: int
    ops: int
    case: str
    analysis_s: float
    interpreter_s: float
    evaluated: int | None    # nodes evaluated afresh in the main pass (None: no memo)


def edited(graph: Graph) -> Graph:
    """The graph with the final Log's input guarded by an epsilon: log(x) -> log(x + 1e-7)."""
    log = [node for node in graph if node.op == "Log"][-1]
    source = log.inputs[0]
    dtype = graph[source.node].output_dtype(source.index)
    shape = graph[source.node].output_shape(source.index)
    eps = Node(f"{log.name}_eps", "Const", attrs=MappingProxyType({
        "dtype": dtype, "value": np.array(1e-7, dtype=np.float32), "_output_shapes": ((),)}))
    add = Node(f"{log.name}_add_eps", "AddV2", (source, TensorRef(eps.name)),
               attrs=MappingProxyType({"T": dtype, "_output_shapes": (shape,)}))
    nodes = [replace(node, inputs=(TensorRef(add.name),)) if node is log else node for node in graph]
    return Graph([*nodes, eps, add], functions=graph.functions)


def signature(report) -> tuple:
    """What a report says, for comparing a memo run with a fresh one."""
    return ([(f.code, f.op_name, f.input_range, f.message) for f in report.findings],
            [(p.op_name, p.input_range, p.split_on) for p in report.proven_safe],
            [(o.op_name, o.output_range, o.shape, o.verdict) for o in report.ops], report.notes, report.unsupported_ops, report.stats.unsafe_ops)


def _nothing() -> None:
    return None


def cpu_seconds(call: Callable[[], object]) -> float:
    """CPU seconds of one call in this thread, with the garbage collector paused as `analyse_graph` does:
    other processes' load does not count, so ratios stay stable on a busy machine."""
    gc.collect()
    with gc_paused():
        started = time.thread_time()
        call()
        return time.thread_time() - started


def best_of(repeat: int, prepare: Callable[[], object], call: Callable[[object], object]) -> float:
    best = float("inf")
    for _ in range(max(1, repeat)):
        state = prepare()
        best = min(best, cpu_seconds(lambda state=state: call(state)))
    return best


def measure(family: str, target: int, repeat: int) -> tuple[list[Row], bool]:
    from benchmarks import models

    data = models.stack_graph_def(family, target)
    graph, again = graph_from_bytes(data), graph_from_bytes(data)
    changed = edited(graph)
    options = CheckOptions(ranges=dict(models.STACK_RANGES))
    assumptions = options.assumptions()

    def analyse(g: Graph, memo: AnalysisMemo | None):
        return analyse_graph(g, Path("stack.pb"), options, locations={}, memo=memo)

    def interpret(g: Graph, memo: AnalysisMemo | None):
        return Interpreter(g, assumptions, options.analysis, memo=memo).run()

    def primed(run: Callable) -> Callable[[], AnalysisMemo]:
        def prepare() -> AnalysisMemo:
            memo = AnalysisMemo()
            run(graph, memo)
            return memo
        return prepare

    ok = True
    expected = {id(g): signature(analyse(g, None)) for g in (graph, changed)}
    rows = []
    cases = [("fresh", graph, None), ("fresh + fingerprints", graph, "empty"), ("unchanged", again, "primed"),
             ("edited near the end", changed, "primed")]
    for case, g, memo_kind in cases:
        evaluated = None
        timings = []
        for run in (analyse, interpret):
            if memo_kind is None:
                prepare: Callable[[], object] = _nothing
            elif memo_kind == "empty":
                prepare = AnalysisMemo
            else:
                prepare = primed(run)
            timings.append(best_of(repeat, prepare, lambda memo, run=run, g=g: run(g, memo)))
        if memo_kind is not None:
            memo = AnalysisMemo() if memo_kind == "empty" else primed(analyse)()
            report = analyse(g, memo)
            evaluated = len(memo.last.evaluated)
            if signature(report) != expected[id(graph if g is again else g)]:
                print(f"MISMATCH: {family} {len(g)} ops, {case}: the memo run's report differs from a fresh one",
                      file=sys.stderr)
                ok = False
        rows.append(Row(family, target, len(g), case, timings[0], timings[1], evaluated))
    return rows, ok


def table(rows: Sequence[Row]) -> str:
    fresh = {(r.family, r.target): r for r in rows if r.case == "fresh"}
    out = []
    for r in rows:
        base = fresh[r.family, r.target]
        out.append([r.family, str(r.ops), r.case, "-" if r.evaluated is None else str(r.evaluated),
                    f"{r.analysis_s * 1e3:.1f}", f"{r.analysis_s / base.analysis_s:.2f}x",
                    f"{r.interpreter_s * 1e3:.1f}", f"{r.interpreter_s / base.interpreter_s:.2f}x"])
    return markdown(["family", "ops", "case", "evaluated", "analysis ms", "vs fresh", "interpreter ms", "vs fresh"],
                    out)


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks import models

    parser = argparse.ArgumentParser(prog="python -m benchmarks.incremental", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="target op counts")
    parser.add_argument("--families", nargs="+", choices=models.FAMILIES, default=DEFAULT_FAMILIES)
    parser.add_argument("--repeat", type=int, default=5, help="runs per case; the best counts")
    args = parser.parse_args(argv)
    rows, ok = [], True
    started = time.perf_counter()
    for family in args.families:
        for target in sorted(args.sizes):
            measured, fine = measure(family, target, args.repeat)
            rows.extend(measured)
            ok = ok and fine
            print(f"measured {family} stack of {measured[0].ops} ops", file=sys.stderr, flush=True)
    print(f"# Incremental re-analysis with an AnalysisMemo (CPU ms, best of {args.repeat}; {os.cpu_count()} cores; "
          f"{time.perf_counter() - started:.0f} s)\n")
    print(table(rows))
    print("\nevaluated: nodes the interpreter's main pass evaluated afresh (the rest came from the memo). "
          "'fresh + fingerprints' is a first analysis with an empty memo: its ratio is the fingerprinting "
          "overhead.")
    if not ok:
        print("\nA memo run's report differed from the fresh report: see stderr.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
