"""`nanscope ops`: the op types nanscope has transformers for, or the op types of one graph it lacks.

Without a path it prints every supported op type (the transformer registry), one per line, sorted, or a
JSON list with `--format json`. With a .pb/.pbtxt graph or a Python script (traced first), it prints the
op types of that graph, function-library bodies included, that have no transformer; exit code 0 when
there are none, 1 otherwise, 2 when the graph cannot be loaded or traced.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO

from nanscope.analysis.graph.ir import Graph
from nanscope.analysis.transformers import REGISTRY

EXIT_CLEAN, EXIT_UNSUPPORTED, EXIT_ERROR = 0, 1, 2


def supported_ops() -> list[str]:
    return sorted(REGISTRY)


def graph_op_types(graph: Graph) -> set[str]:
    """Op types of the graph and of every function in its library."""
    ops = set(graph.op_types)
    for definition in graph.functions.values():
        ops.update(node_def.op for node_def in definition.node_def)
    return ops


def unsupported_ops(graph: Graph) -> list[str]:
    return sorted(graph_op_types(graph) - set(REGISTRY))


def load_graph(path: Path, timeout: float = 120.0, interpreter: str | None = None) -> Graph:
    """The graph of a .pb/.pbtxt file, or of a script traced with the agent (ValueError when neither)."""
    from nanscope.analysis.api import GRAPH_SUFFIXES
    if path.suffix in GRAPH_SUFFIXES:
        from nanscope.analysis.graph import GraphLoadError, load_graph_file
        try:
            return load_graph_file(path)
        except GraphLoadError as error:
            raise ValueError(str(error)) from error
    from nanscope.analysis.tracing.runner import trace_script
    trace = trace_script(path, interpreter=interpreter, timeout=timeout)
    if trace.graph is None:
        raise ValueError(f"{path}: could not trace a graph ({trace.status}: {trace.error})")
    return trace.graph


def run_ops(path: Path | None, fmt: str = "text", stream: TextIO | None = None, timeout: float = 120.0,
            interpreter: str | None = None) -> int:
    stream = stream or sys.stdout
    if path is None:
        ops, code = supported_ops(), EXIT_CLEAN
    else:
        try:
            graph = load_graph(Path(path), timeout, interpreter)
        except (OSError, ValueError) as error:
            print(f"nanscope: error: {error}", file=sys.stderr)
            return EXIT_ERROR
        ops = unsupported_ops(graph)
        code = EXIT_UNSUPPORTED if ops else EXIT_CLEAN
    if fmt == "json":
        stream.write(json.dumps(ops) + "\n")
    else:
        stream.write("".join(f"{op}\n" for op in ops))
    return code
