"""Maps graph ops to the exact expression in the user's source that created them.

For one op: take the innermost frame inside the project root, parse its file with astroid (cached per
path, modification time and size), and among the op-creating expressions that cover the frame's line
(calls, and the binary/unary/comparison operators and subscripts that create ops on tensors) pick the
one that created the op:

1. By name: a call whose callee's last name creates the op type (`optable.OP_FUNCTIONS`), or an
   operator that creates it (`optable.BINARY_OPERATORS`, ...). When several such expressions share a
   line, they are taken in evaluation order (a post-order walk, assignment values before targets) and
   given to the ops of that type located on that line in creation order (the order of the `frames`
   mapping, which the tracer records in creation order); with more ops than expressions (a loop or a
   comprehension) the assignment wraps around.
2. Fallback, when nothing matches by name (the op was made inside a library call, or is a constant that
   a call or an operator converted): the call covering the line if there is exactly one (most unmatched
   ops come from inside a library helper, and that call is it); else the single outermost op-creating
   expression covering the line (it contains whatever made the op); else the line itself (first
   non-blank character to the end of the line). The single-call rule is a guess: in `tf.log(x) + 1.0`
   the constant made for `1.0` lands on `tf.log(x)`. Checks look at ops the table covers, so their
   locations come from step 1.

A file that does not parse (or decode) is mapped line by line. Frames on multi-line calls work: an
expression covers every line from its first to its last. Gradient ops carry the frame of `minimize()`;
the caller maps them to their forward op.
"""
from __future__ import annotations

import os
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from astroid import nodes
from astroid.builder import AstroidBuilder
from astroid.const import Context
from astroid.exceptions import AstroidBuildingError
from astroid.manager import AstroidManager

from nanscope.analysis.graph import Graph
from nanscope.analysis.report import Location, Span
from nanscope.analysis.sourcemap.columns import codepoint_column
from nanscope.analysis.sourcemap.optable import (
    BINARY_OPERATORS,
    COMPARE_OPERATORS,
    OP_FUNCTIONS,
    SUBSCRIPT_OPS,
    UNARY_OPERATORS,
)
from nanscope.analysis.tracing.result import Frame

_EXPRESSION_TYPES = (nodes.Call, nodes.BinOp, nodes.UnaryOp, nodes.Compare, nodes.Subscript, nodes.AugAssign)


@dataclass
class _Source:
    """One parsed file: its lines (without newlines), its tree (None if it does not parse) and the
    expressions that can create ops, in evaluation order."""
    lines: tuple[str, ...]
    module: nodes.Module | None
    expressions: tuple[nodes.NodeNG, ...]
    _covering: dict[int, tuple[nodes.NodeNG, ...]] = field(default_factory=dict)

    def covering(self, line: int) -> tuple[nodes.NodeNG, ...]:
        """The op-creating expressions whose first..last line includes `line`, in evaluation order."""
        if line not in self._covering:
            self._covering[line] = tuple(node for node in self.expressions
                                         if node.lineno <= line <= (node.end_lineno or node.lineno))
        return self._covering[line]

    def node_span(self, node: nodes.NodeNG) -> Span:
        end_line = node.end_lineno or node.lineno
        end_offset = node.end_col_offset if node.end_col_offset is not None else len(self.line(end_line))
        return Span(node.lineno, codepoint_column(self.line(node.lineno), node.col_offset),
                    end_line, codepoint_column(self.line(end_line), end_offset))

    def line_span(self, line: int) -> Span:
        """First non-blank character to the end of the line (trailing blanks excluded)."""
        text = self.line(line)
        content = text.strip()
        if not content:
            return Span(line, 0, line, 0)
        start = len(text) - len(text.lstrip())
        return Span(line, start, line, start + len(content))

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 1 <= number <= len(self.lines) else ""


class SourceMapper:
    """Locates ops of a traced graph in the source files of one project (caches parsed files)."""

    def __init__(self, project_root: Path):
        self.project_root = Path(project_root).resolve()
        self._sources: dict[Path, tuple[tuple[int, int], _Source | None]] = {}
        self._paths: dict[str, Path | None] = {}

    def project_path(self, filename: str) -> Path | None:
        """The resolved path of `filename` when it lies inside the project root, else None."""
        if filename not in self._paths:
            path: Path | None = None
            if filename and not filename.startswith("<"):
                try:
                    resolved = Path(filename).resolve()
                except (OSError, RuntimeError):  # unresolvable (e.g. a symlink loop)
                    resolved = None
                if resolved is not None and resolved.is_relative_to(self.project_root):
                    path = resolved
            self._paths[filename] = path
        return self._paths[filename]

    def project_frame(self, frames: Sequence[Frame]) -> Frame | None:
        """The innermost (last) frame whose file lies inside the project root."""
        for frame in reversed(frames):
            if self.project_path(frame.filename) is not None:
                return frame
        return None

    def locate_frame(self, frame: Frame, op_type: str | None = None) -> Location | None:
        """Where one op of type `op_type` made at `frame` was created (the fallback when no type is given)."""
        path = self.project_path(frame.filename)
        if path is None:
            return None
        spans = self._locate_line(path, frame.lineno, {op_type or "": [""]})
        return Location(path, spans[""]) if "" in spans else None

    def locate_failure(self, error_frames: Sequence[Frame]) -> Location | None:
        """Where a traced script failed: the innermost of `error_frames` (a TraceResult's) inside the
        project, as the expression covering that line (the call, when exactly one covers it)."""
        frame = self.project_frame(error_frames)
        return self.locate_frame(frame) if frame is not None else None

    def locate_ops(self, graph: Graph, frames: Mapping[str, Sequence[Frame]]) -> dict[str, Location]:
        """Op name -> location, for every op of `frames` with a frame inside the project.

        `frames` must list ops in creation order (the tracer's does); ops absent from `graph` are
        located by the fallback alone.
        """
        groups: dict[tuple[Path, int], dict[str, list[str]]] = {}
        for op_name, op_frames in frames.items():
            frame = self.project_frame(op_frames)
            if frame is None:
                continue
            path = self.project_path(frame.filename)
            assert path is not None
            node = graph.get(op_name)
            op_type = node.op if node is not None else ""
            groups.setdefault((path, frame.lineno), {}).setdefault(op_type, []).append(op_name)
        located: dict[str, Location] = {}
        for (path, line), ops_by_type in groups.items():
            for op_name, span in self._locate_line(path, line, ops_by_type).items():
                located[op_name] = Location(path, span)
        return located

    def expression_at(self, location: Location) -> nodes.NodeNG | None:
        """The op-creating expression whose span is exactly `location.span` (for fixes), if any."""
        source = self._source(Path(location.path))
        if source is None:
            return None
        for node in source.covering(location.span.line):
            if source.node_span(node) == location.span:
                return node
        return None

    def _locate_line(self, path: Path, line: int, ops_by_type: Mapping[str, list[str]]) -> dict[str, Span]:
        source = self._source(path)
        if source is None or not 1 <= line <= len(source.lines):
            return {}
        covering = source.covering(line)
        spans: dict[str, Span] = {}
        fallback: Span | None = None
        for op_type, names in ops_by_type.items():
            matching = [node for node in covering if creates(node, op_type)]
            if matching:
                for index, name in enumerate(names):
                    spans[name] = source.node_span(matching[index % len(matching)])
                continue
            if fallback is None:
                fallback = _fallback_span(source, line, covering)
            spans.update(dict.fromkeys(names, fallback))
        return spans

    def _source(self, path: Path) -> _Source | None:
        try:
            stat = path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        cached = self._sources.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        source = _read_source(path)
        self._sources[path] = (stamp, source)
        return source


def creates(node: nodes.NodeNG, op_type: str) -> bool:
    """Whether the expression `node` is one that creates ops of type `op_type` (per `optable`)."""
    if isinstance(node, nodes.Call):
        name = callee_name(node)
        return name is not None and name in OP_FUNCTIONS.get(op_type, ())
    if isinstance(node, nodes.BinOp):
        return op_type in BINARY_OPERATORS.get(node.op, ())
    if isinstance(node, nodes.AugAssign):
        return op_type in BINARY_OPERATORS.get(node.op.rstrip("="), ())
    if isinstance(node, nodes.UnaryOp):
        return op_type in UNARY_OPERATORS.get(node.op, ())
    if isinstance(node, nodes.Compare):
        return any(op_type in COMPARE_OPERATORS.get(operator, ()) for operator, _ in node.ops)
    if isinstance(node, nodes.Subscript):
        return op_type in SUBSCRIPT_OPS
    return False


def callee_name(call: nodes.Call) -> str | None:
    """The last name of a call's callee: `tf.math.log(x)` -> "log", `log(x)` -> "log", `f()(x)` -> None."""
    if isinstance(call.func, nodes.Attribute):
        return call.func.attrname
    if isinstance(call.func, nodes.Name):
        return call.func.name
    return None


def _fallback_span(source: _Source, line: int, covering: Sequence[nodes.NodeNG]) -> Span:
    calls = [node for node in covering if isinstance(node, nodes.Call)]
    if len(calls) == 1:
        return source.node_span(calls[0])
    members = {id(node) for node in covering}
    outermost = [node for node in covering if not any(id(parent) in members for parent in _ancestors(node))]
    if len(outermost) == 1:
        return source.node_span(outermost[0])
    return source.line_span(line)


def _ancestors(node: nodes.NodeNG) -> Iterator[nodes.NodeNG]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent


def _read_source(path: Path) -> _Source | None:
    """Read and parse a file. Undecodable or unparsable files keep their lines, without a tree."""
    parse = True
    try:
        with tokenize.open(path) as handle:     # honours the coding cookie and a BOM; newlines -> "\n"
            text = handle.read()
    except (SyntaxError, UnicodeDecodeError):
        parse = False
        try:
            text = path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            return None
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    except OSError:
        return None
    lines = tuple(text.split("\n"))
    module = _parse(text, path) if parse else None
    if module is None:
        return _Source(lines, None, ())
    expressions = tuple(node for node in _evaluation_order(module) if _creates_ops(node))
    return _Source(lines, module, expressions)


def _parse(text: str, path: Path) -> nodes.Module | None:
    try:
        # No transforms: we want the tree as written. The empty module name keeps these trees out of the
        # way of modules astroid caches by name.
        return AstroidBuilder(AstroidManager(), apply_transforms=False).string_build(text, "", os.fspath(path))
    except (AstroidBuildingError, RecursionError):
        return None


def _creates_ops(node: nodes.NodeNG) -> bool:
    if not isinstance(node, _EXPRESSION_TYPES):
        return False
    if isinstance(node, nodes.Subscript) and node.ctx != Context.Load:
        return False            # `a[i] = v` stores into a Python container, it makes no slice op
    return node.lineno is not None and node.col_offset is not None


def _evaluation_order(root: nodes.NodeNG) -> list[nodes.NodeNG]:
    """All nodes below `root` in the order Python finishes evaluating them (children before parents).

    Iterative, so deeply nested expressions cannot exhaust the recursion limit.
    """
    order: list[nodes.NodeNG] = []
    stack: list[tuple[nodes.NodeNG, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(_children(node)))
    return order


def _children(node: nodes.NodeNG) -> list[nodes.NodeNG]:
    children = list(node.get_children())
    if isinstance(node, (nodes.Assign, nodes.AnnAssign, nodes.AugAssign)) and node.value is not None:
        children = [node.value] + [child for child in children if child is not node.value]
    return children
