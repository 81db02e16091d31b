"""Profile of the analysis on a deep stack of about 10k ops: where the time goes.

Owns the profiling run. It builds a stack of `--ops` ops (benchmarks/models.py), then prints:

- the unprofiled analysis time, with the garbage collector on (as shipped) and off (its share);
- the phases of `analyse_graph` (interpretation, checks, predicate splitting), from the profile;
- how many ops the unsafe ops depend on at all (the rest, such as variable initializers, decide nothing);
- transformer time by op type (the transformers are wrapped with timers for one run, then restored);
- cProfile's functions with the most time of their own (`tottime`) and including callees (`cumtime`);
  with `--load`, the same for `graph_from_bytes` first. `--save FILE` keeps the raw pstats of the analysis
  for `python -m pstats FILE` or snakeviz.

Run from the repository root: `.venv/bin/python -m benchmarks.hotspots [--family dense] [--ops 10000]`.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Sequence

from benchmarks.common import markdown, timed
from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.checks import SPEC_BY_OP
from nanscope.analysis.graph import Graph, graph_from_bytes

# (file, function) of the phases of analyse_graph, as cProfile names them.
PHASES = (("interpreter.py", "run", "interpretation (first pass, loops)"),
          ("checks.py", "run_checks", "checks"),
          ("splitting.py", "split_and_recheck", "predicate splitting"))


def phases(profiler: cProfile.Profile, total: float) -> str:
    stats = pstats.Stats(profiler).stats
    rows = []
    for filename, function, label in PHASES:
        seconds = sum(entry[3] for (path, _, name), entry in stats.items()
                      if name == function and os.path.basename(path) == filename)
        rows.append([label, f"{seconds:.3f}", f"{seconds / total:.0%}"])
    return markdown(["phase (profiled)", "cumulative s", "share"], rows)


def relevant_ops(graph: Graph) -> int:
    """How many ops some checked (unsafe) op depends on, itself included."""
    seen: set[str] = set()
    stack = [node.name for node in graph if node.op in SPEC_BY_OP]
    while stack:
        name = stack.pop()
        if name in seen or name not in graph:
            continue
        seen.add(name)
        stack.extend(ref.node for ref in graph[name].inputs)
        stack.extend(graph[name].control_inputs)
    return len(seen)


def by_op_type(call, top: int) -> str:
    """Transformer time per op type during one call, with every registered transformer wrapped in a timer."""
    from nanscope.analysis.transformers import REGISTRY

    totals: dict[str, list] = defaultdict(lambda: [0, 0.0])
    original = dict(REGISTRY)

    def wrap(op_type, fn):
        def timer(node, inputs, ctx):
            started = time.perf_counter()
            try:
                return fn(node, inputs, ctx)
            finally:
                entry = totals[op_type]
                entry[0] += 1
                entry[1] += time.perf_counter() - started
        return timer

    try:
        for op_type, fn in original.items():
            REGISTRY[op_type] = wrap(op_type, fn)
        started = time.perf_counter()
        call()
        total = time.perf_counter() - started
    finally:
        REGISTRY.clear()
        REGISTRY.update(original)
    ranked = sorted(totals.items(), key=lambda item: -item[1][1])
    rows = [[op_type, str(count), f"{seconds * 1e3:.1f}", f"{seconds / count * 1e6:.1f}", f"{seconds / total:.0%}"]
            for op_type, (count, seconds) in ranked[:top]]
    transformers = sum(seconds for _, seconds in totals.values())
    rows.append(["all transformers", str(sum(c for c, _ in totals.values())), f"{transformers * 1e3:.1f}", "",
                 f"{transformers / total:.0%}"])
    return markdown(["op type", "calls", "ms", "us/call", "share of the run"], rows)


def profile(call, top: int, save: Path | None) -> tuple[str, cProfile.Profile, float]:
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    call()
    profiler.disable()
    elapsed = time.perf_counter() - started
    if save is not None:
        profiler.dump_stats(save)
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.strip_dirs()
    text.write(f"(profiled run: {elapsed:.3f} s including the profiler's overhead)\n")
    for order in ("tottime", "cumulative"):
        text.write(f"\n## top {top} by {order}\n")
        stats.sort_stats(order).print_stats(top)
    return text.getvalue(), profiler, elapsed


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks import models

    parser = argparse.ArgumentParser(prog="python -m benchmarks.hotspots", description=__doc__.split("\n\n")[0])
    parser.add_argument("--family", choices=models.FAMILIES, default="dense")
    parser.add_argument("--ops", type=int, default=10_000, help="target op count of the stack")
    parser.add_argument("--top", type=int, default=25, help="functions listed per ordering")
    parser.add_argument("--load", action="store_true", help="also profile graph_from_bytes (GraphDef -> IR)")
    parser.add_argument("--save", type=Path, help="write the analysis profile's raw pstats here")
    args = parser.parse_args(argv)

    data = models.stack_graph_def(args.family, args.ops)
    if args.load:
        print(f"# Profile of graph_from_bytes, {args.family} stack\n")
        print(f"unprofiled: {timed(lambda: graph_from_bytes(data)):.3f} s; with the garbage collector off: "
              f"{timed(lambda: graph_from_bytes(data), collect=False):.3f} s\n")
        print(profile(lambda: graph_from_bytes(data), args.top, None)[0])
    graph = graph_from_bytes(data)
    options = CheckOptions(ranges=dict(models.STACK_RANGES))

    def run() -> None:
        analyse_graph(graph, Path("stack.pb"), options, locations={})

    run()  # warm up (imports, caches)
    plain = min(timed(run) for _ in range(3))
    no_gc = min(timed(run, collect=False) for _ in range(3))
    print(f"# Profile of analyse_graph, {args.family} stack of {len(graph)} ops\n")
    print(f"unprofiled (best of 3): {plain:.3f} s; with the garbage collector off: {no_gc:.3f} s "
          f"(the collector takes {1 - no_gc / plain:.0%})")
    print(f"ops that some checked op depends on: {relevant_ops(graph)} of {len(graph)}\n")
    report, profiler, elapsed = profile(run, args.top, args.save)
    print(phases(profiler, elapsed) + "\n")
    print(by_op_type(run, args.top) + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
