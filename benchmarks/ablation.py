"""The paper's ablation: the same graphs analysed under four configurations of the abstraction.

Owns the comparison of configurations. Configurations (DEBAR, ESEC/FSE 2020, section on ablations):

- `partition+affine` (the default): tensor partitioning and affine equality relations;
- `smash+affine`: every tensor one block (`tensor="smash"`);
- `partition+intervals`: no affine relations (`relations=False`);
- `expand+affine`: every element its own block, up to the expand limit (`tensor="expand"`).

Predicate splitting stays on in all four (they vary the tensor abstraction and the relations);
`--no-split-too` adds a fifth configuration without it. Graphs: the saved examples (`examples/*.pbtxt`), the
issue's four precision graphs, a concat wider than the block limit, and two small synthetic models
(benchmarks/models.py).
For every graph and configuration the table gives the verdicts (number of findings, number of ops proven
safe, which ops got a different verdict than under the default configuration) and the analysis time (the
best of `--repeat` runs of `analyse_graph`), as a ratio to the default configuration's time in the same run;
the last rows add the graphs up per configuration.

Run from the repository root:
`.venv/bin/python -m benchmarks.ablation [--repeat N] [--only GRAPH ...] [--no-split-too]`.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from benchmarks.common import markdown
from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.report import Report
from nanscope.analysis.transformers.registry import AnalysisOptions

CONFIGURATIONS: dict[str, AnalysisOptions] = {
    "partition+affine": AnalysisOptions(),
    "smash+affine": AnalysisOptions(tensor="smash"),
    "partition+intervals": AnalysisOptions(relations=False),
    "expand+affine": AnalysisOptions(tensor="expand"),
}
DEFAULT = "partition+affine"
# Not one of the paper's four; `--no-split-too` adds it to show what predicate splitting contributes.
NO_SPLIT = ("partition+affine, no split", AnalysisOptions(split=False))


@dataclass
class Run:
    graph: str
    ops: int
    configuration: str
    verdicts: dict[str, str]        # op name -> "safe" | "unsafe"
    findings: int
    proven_safe: int
    seconds: float                  # best of the repeats

    def differences(self, default: Run) -> list[str]:
        """'op: default verdict->this verdict' for every op whose verdict differs from the default run."""
        names = sorted(set(self.verdicts) | set(default.verdicts))
        return [f"{name}: {default.verdicts.get(name, '-')}->{self.verdicts.get(name, '-')}"
                for name in names if self.verdicts.get(name) != default.verdicts.get(name)]


def verdicts(report: Report) -> dict[str, str]:
    """Every checked op's verdict. A gradient op folded into its forward op's finding counts as unsafe too."""
    result = {s.op_name: "safe" for s in report.proven_safe}
    result.update({f.op_name: "unsafe" for f in report.findings})
    return result


def measure(case, configuration: str, analysis: AnalysisOptions, repeat: int) -> Run:
    options = CheckOptions(ranges=dict(case.ranges), analysis=analysis)
    best = float("inf")
    report = None
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        report = analyse_graph(case.graph, Path(f"{case.name}.pb"), options, locations={})
        best = min(best, time.perf_counter() - started)
    return Run(case.name, len(case.graph), configuration, verdicts(report), len(report.findings),
               len(report.proven_safe), best)


def ratio(value: float, reference: float) -> str:
    return f"{value / reference:.2f}x" if reference > 0 else "-"


def table(runs: Sequence[Run], configurations: Sequence[str]) -> str:
    """One Markdown table: a row per graph and configuration, then a total row per configuration."""
    header = ["graph", "ops", "configuration", "findings", "proven safe", "time ms", "vs default",
              "verdicts that differ from the default"]
    rows: list[list[str]] = []
    defaults = {r.graph: r for r in runs if r.configuration == DEFAULT}
    for run in runs:
        default = defaults[run.graph]
        differences = run.differences(default)
        rows.append([run.graph, str(run.ops), run.configuration, str(run.findings), str(run.proven_safe),
                     f"{run.seconds * 1e3:.1f}", ratio(run.seconds, default.seconds),
                     "; ".join(differences) if differences else "none"])
    total_default = sum(r.seconds for r in runs if r.configuration == DEFAULT)
    for configuration in configurations:
        chosen = [r for r in runs if r.configuration == configuration]
        if not chosen:
            continue
        seconds = sum(r.seconds for r in chosen)
        changed = sum(len(r.differences(defaults[r.graph])) for r in chosen)
        rows.append(["all graphs", str(sum(r.ops for r in chosen)), configuration,
                     str(sum(r.findings for r in chosen)), str(sum(r.proven_safe for r in chosen)),
                     f"{seconds * 1e3:.1f}", ratio(seconds, total_default),
                     f"ops that differ: {changed}" if configuration != DEFAULT else "(reference)"])
    return markdown(header, rows)


def cases(only: Sequence[str] = ()):
    from benchmarks import models

    selected = models.example_cases() + models.precision_cases() + models.synthetic_cases()
    if only:
        unknown = set(only) - {c.name for c in selected}
        if unknown:
            raise SystemExit(f"unknown graph(s): {', '.join(sorted(unknown))}; "
                             f"known: {', '.join(c.name for c in selected)}")
        selected = [c for c in selected if c.name in only]
    return selected


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ablation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per graph and configuration; the best counts")
    parser.add_argument("--only", nargs="*", default=(), metavar="GRAPH", help="analyse only these graphs")
    parser.add_argument("--no-split-too", action="store_true",
                        help=f"add a fifth configuration: {NO_SPLIT[0]} (predicate splitting off)")
    args = parser.parse_args(argv)
    configurations = dict(CONFIGURATIONS)
    if args.no_split_too:
        configurations[NO_SPLIT[0]] = NO_SPLIT[1]

    started = time.perf_counter()
    selected = cases(args.only)
    built = time.perf_counter() - started
    runs = [measure(case, name, analysis, args.repeat) for case in selected for name, analysis in configurations.items()]
    print(f"# Ablation: {len(selected)} graphs x {len(configurations)} configurations "
          f"(best of {args.repeat} runs; graphs built in {built:.1f} s)\n")
    print(table(runs, list(configurations)))
    ranges = [f"{c.name}: " + ", ".join(f"{k} in [{lo:g}, {hi:g}]" for k, (lo, hi) in c.ranges.items())
              for c in selected if c.ranges]
    if ranges:
        print("\nInput ranges: " + "; ".join(ranges) + "; everything else under the default assumptions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
