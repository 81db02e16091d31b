"""Scaling: analysis time and peak memory on deep dense and conv stacks of about 1k, 10k and 100k ops.

Owns the scaling measurement and its plot. For every family (benchmarks/models.py: blocks of a ReLU layer
and a tanh layer, then softmax and a log; `dense_logs`, not run by default, adds an unsafe log to every
block) and size it measures, separately:

- build: making the GraphDef (stamped from a two-block TensorFlow build by default, `--builder tf` to let
  TensorFlow build every op), not part of the analysis;
- load: `graph_from_bytes`, GraphDef bytes to our IR (what `nanscope check model.pb` also pays);
- analysis: `analyse_graph` (interpretation, checks, predicate splitting, report), the best of `--repeat`
  runs, and the time per op, whose ratio to the family's smallest size shows how far growth is from linear;
  also the best of as many runs with the garbage collector off (its share grows with the heap);
- peak memory: the peak of Python allocations during one more analysis run, under tracemalloc (a separate
  run, because tracing slows the analysis down several times).

It prints one table and writes a PNG plot (matplotlib, Agg backend) to `--out`.

Run from the repository root: `.venv/bin/python -m benchmarks.scaling [--sizes 1000 10000 100000]`.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from benchmarks.common import markdown, timed
from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.graph import graph_from_bytes

DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "scaling.png"
DEFAULT_SIZES = (1_000, 10_000, 100_000)
DEFAULT_FAMILIES = ("dense", "conv")


@dataclass
class Measurement:
    family: str
    target: int
    ops: int
    blocks: int
    build_s: float
    load_s: float
    analysis_s: float
    no_gc_s: float        # the same with the garbage collector off
    peak_bytes: int
    checked: int          # unsafe ops the checks looked at
    findings: int

    @property
    def us_per_op(self) -> float:
        return self.analysis_s / self.ops * 1e6


def analyse(graph, options: CheckOptions):
    return analyse_graph(graph, Path("stack.pb"), options, locations={})


def measure(family: str, target: int, *, builder: str, repeat: int, template=None) -> Measurement:
    from benchmarks import models

    template = template or models.StackTemplate(family)
    started = time.perf_counter()
    data = models.stack_graph_def(family, target, builder=builder, template=template)
    build_s = time.perf_counter() - started

    started = time.perf_counter()
    graph = graph_from_bytes(data, source=f"{family} stack")
    load_s = time.perf_counter() - started
    del data

    options = CheckOptions(ranges=dict(models.STACK_RANGES))
    best = best_no_gc = float("inf")
    for _ in range(max(1, repeat)):
        best = min(best, timed(lambda: analyse(graph, options)))
        best_no_gc = min(best_no_gc, timed(lambda: analyse(graph, options), collect=False))

    gc.collect()
    tracemalloc.start()
    try:
        report = analyse(graph, options)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Measurement(family, target, len(graph), template.blocks_for(target), build_s, load_s, best, best_no_gc,
                       peak, report.stats.unsafe_ops, len(report.findings))


def table(measurements: Sequence[Measurement]) -> str:
    header = ["family", "ops", "blocks", "build s", "load s", "analysis s", "us/op", "us/op vs smallest",
              "gc off s", "peak MiB", "KiB/op", "findings/checked"]
    smallest: dict[str, Measurement] = {}
    for m in measurements:
        if m.family not in smallest or m.ops < smallest[m.family].ops:
            smallest[m.family] = m
    rows = [[m.family, str(m.ops), str(m.blocks), f"{m.build_s:.2f}", f"{m.load_s:.2f}", f"{m.analysis_s:.3f}",
             f"{m.us_per_op:.1f}", f"{m.us_per_op / smallest[m.family].us_per_op:.2f}x", f"{m.no_gc_s:.3f}",
             f"{m.peak_bytes / 2**20:.1f}", f"{m.peak_bytes / m.ops / 1024:.2f}", f"{m.findings}/{m.checked}"]
            for m in measurements]
    return markdown(header, rows)


def plot(measurements: Sequence[Measurement], out: Path) -> bool:
    """Write the plot; False (and a message) when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed: no plot written (pip install matplotlib)", file=sys.stderr)
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (time_axes, per_op_axes, memory_axes) = plt.subplots(1, 3, figsize=(15, 4.5))
    for family in dict.fromkeys(m.family for m in measurements):
        chosen = sorted((m for m in measurements if m.family == family), key=lambda m: m.ops)
        ops = [m.ops for m in chosen]
        (line,) = time_axes.plot(ops, [m.analysis_s for m in chosen], "o-", label=family)
        first = chosen[0]
        time_axes.plot(ops, [first.analysis_s * n / first.ops for n in ops], ":", color=line.get_color(),
                       label=f"{family}, linear from {first.ops} ops")
        per_op_axes.plot(ops, [m.us_per_op for m in chosen], "o-", color=line.get_color(), label=family)
        per_op_axes.plot(ops, [m.no_gc_s / m.ops * 1e6 for m in chosen], "x--", color=line.get_color(),
                         label=f"{family}, garbage collector off")
        memory_axes.plot(ops, [m.peak_bytes / 2**20 for m in chosen], "o-", color=line.get_color(), label=family)
    time_axes.set(xscale="log", yscale="log", xlabel="ops", ylabel="analysis time (s)", title="analysis time")
    per_op_axes.set(xscale="log", xlabel="ops", ylabel="µs per op", title="analysis time per op")
    per_op_axes.set_ylim(bottom=0)
    memory_axes.set(xscale="log", yscale="log", xlabel="ops", ylabel="peak MiB (tracemalloc)",
                    title="peak memory of the analysis")
    for axes in (time_axes, per_op_axes, memory_axes):
        axes.grid(True, which="both", alpha=0.3)
        axes.legend(fontsize="small")
    figure.suptitle(f"nanscope analysis scaling ({os.cpu_count()} cores, default configuration)")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100)
    plt.close(figure)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    from benchmarks import models

    parser = argparse.ArgumentParser(prog="python -m benchmarks.scaling", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=DEFAULT_SIZES, help="target op counts")
    parser.add_argument("--families", nargs="+", choices=models.FAMILIES, default=DEFAULT_FAMILIES,
                        help="dense_logs (an unsafe log per block) grows quadratically today: try it up to 10k ops")
    parser.add_argument("--repeat", type=int, default=3, help="analysis runs per graph; the best counts")
    parser.add_argument("--builder", choices=("stamp", "tf"), default="stamp",
                        help="stamp blocks from a two-block TensorFlow build (fast), or let TensorFlow build all")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the PNG plot")
    args = parser.parse_args(argv)

    measurements = []
    for family in args.families:
        template = models.StackTemplate(family)
        for target in sorted(args.sizes):
            measurements.append(measure(family, target, builder=args.builder, repeat=args.repeat,
                                        template=template))
            print(f"measured {family} stack of {measurements[-1].ops} ops", file=sys.stderr, flush=True)
    print(f"# Scaling: analysis time (best of {args.repeat}) and peak memory, default configuration, "
          f"{os.cpu_count()} cores\n")
    print(table(measurements))
    if plot(measurements, args.out):
        print(f"\nPlot written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
