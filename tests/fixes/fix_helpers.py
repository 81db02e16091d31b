"""Helpers for the fix tests: a model snippet written to a folder plus a hand-built graph (no TensorFlow).

`analyse_snippet(folder, source, ops, **ranges)` writes `source` to model.py, builds the graph from `ops`
(in creation order, each made by `op`: name, op type, inputs, line, attributes), locates every op that has a
line through the real `SourceMapper` (as a trace's frames would), analyses the graph and returns the report
with its fixes.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.domain.dtypes import BY_NAME
from nanscope.analysis.fixes import Fix, apply_edits, fixes_for_report
from nanscope.analysis.graph.ir import Graph, Node, TensorRef
from nanscope.analysis.report import Finding, Report
from nanscope.analysis.sourcemap import SourceMapper
from nanscope.analysis.tracing import Frame


def op(name: str, op_type: str, *inputs: str, line: int | None = None, dtype: str = "float32",
       shape: tuple | None = None, value: Any = None, **attrs: Any) -> tuple[Node, int | None]:
    """One node: `inputs` are node names (`name:1` for another output); Const/Placeholder take `dtype`."""
    refs = tuple(_ref(text) for text in inputs)
    values: dict[str, Any] = {}
    kind = BY_NAME[dtype]
    values["dtype" if op_type in ("Const", "Placeholder") else "T"] = kind
    if shape is not None:
        values["_output_shapes"] = (tuple(shape),)
    if value is not None:
        numpy_type = {"bfloat16": np.float32}.get(dtype, dtype)
        values["value"] = np.asarray(value, dtype=numpy_type)
        values.setdefault("_output_shapes", (np.asarray(value).shape,))
    values.update(attrs)
    return Node(name, op_type, refs, attrs=MappingProxyType(values)), line


def _ref(text: str) -> TensorRef:
    name, _, index = text.partition(":")
    return TensorRef(name, int(index) if index else 0)


@dataclass
class Result:
    path: Path
    report: Report
    fixes: dict[Finding, list[Fix]]

    @property
    def finding(self) -> Finding:
        [finding] = self.report.findings
        return finding

    @property
    def only_fixes(self) -> list[Fix]:
        return self.fixes[self.finding]

    def by_kind(self, kind: str) -> Fix:
        [fix] = [f for f in self.only_fixes if f.kind == kind]
        return fix

    def applied(self, fix: Fix) -> str:
        return apply_edits(self.path.read_text(encoding="utf-8"), fix.edits)

    def line_after(self, fix: Fix, line: int | None = None) -> str:
        line = fix.edits[0].span.line if line is None else line
        return self.applied(fix).split("\n")[line - 1]


def analyse_snippet(tmp_path: Path, source: str, ops: list[tuple[Node, int | None]], eps=None,
                    **ranges: tuple[float, float]) -> Result:
    path = tmp_path / "model.py"
    path.write_text(source, encoding="utf-8")
    graph = Graph([node for node, _ in ops])
    frames = {node.name: (Frame(str(path), line, "<module>"),) for node, line in ops if line is not None}
    locations = SourceMapper(tmp_path).locate_ops(graph, frames)
    options = CheckOptions(ranges=ranges, eps=eps)
    report = analyse_graph(graph, path.resolve(), options, locations=locations)
    return Result(path, report, fixes_for_report(report))
