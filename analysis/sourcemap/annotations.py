"""Range annotations: `# nanscope: range=[lo, hi]` in a comment of the statement that creates an input.

    x = tf.placeholder(tf.float32, [None, 784])   # nanscope: range=[0, 1]
    pixels = keras.Input(shape=(784,), name="pixels")  # nanscope: range=[0, 255]

`parse_range_comment` reads one comment (bounds are numbers, `inf`, `-inf`; brackets or parentheses);
`range_annotations` finds, for every input op of a traced graph (placeholders and variables), the
innermost frame inside the project, the statement covering that frame's line (a multi-line call counts
as a whole), and a range comment on any line of it. Comments are found with `tokenize`, so a `#` inside a
string is not one.
"""
from __future__ import annotations

import ast
import io
import math
import re
import tokenize
from pathlib import Path
from typing import Mapping, Sequence

from nanscope.analysis.graph import Graph
from nanscope.analysis.tracing.result import Frame, RangeAnnotation

INPUT_OPS = frozenset({"Placeholder", "PlaceholderWithDefault", "PlaceholderV2", "VariableV2", "Variable",
                       "VarHandleOp"})
_NUMBER = r"[-+]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)"
_RANGE = re.compile(r"nanscope\s*:\s*range\s*=\s*[\[(]\s*(%s)\s*,\s*(%s)\s*[\])]" % (_NUMBER, _NUMBER),
                    re.IGNORECASE)


def parse_range_comment(comment: str) -> tuple[float, float] | None:
    """(lo, hi) from a comment holding `nanscope: range=[lo, hi]`, else None (also for lo > hi or NaN)."""
    match = _RANGE.search(comment)
    if match is None:
        return None
    lo, hi = float(match.group(1)), float(match.group(2))
    if math.isnan(lo) or math.isnan(hi) or lo > hi:
        return None
    return lo, hi


class _FileComments:
    """The range comments of one file and the line spans of its statements."""

    def __init__(self, text: str):
        self.ranges: dict[int, tuple[float, float]] = {}
        try:
            for token in tokenize.generate_tokens(io.StringIO(text).readline):
                if token.type == tokenize.COMMENT:
                    parsed = parse_range_comment(token.string)
                    if parsed is not None:
                        self.ranges[token.start[0]] = parsed
        except (tokenize.TokenError, SyntaxError, IndentationError):
            pass
        self.statements: list[tuple[int, int]] = []
        if self.ranges:
            try:
                tree = ast.parse(text)
            except (SyntaxError, ValueError):
                tree = None
            if tree is not None:
                self.statements = [(node.lineno, node.end_lineno or node.lineno) for node in ast.walk(tree)
                                   if isinstance(node, ast.stmt)]

    def range_at(self, line: int) -> tuple[tuple[float, float], int] | None:
        """The range comment on the innermost statement covering `line` (or on `line` itself)."""
        if line in self.ranges:
            return self.ranges[line], line
        covering = [(end - start, start, end) for start, end in self.statements if start <= line <= end]
        if not covering:
            return None
        _, start, end = min(covering)
        for number in range(start, end + 1):
            if number in self.ranges:
                return self.ranges[number], number
        return None


def range_annotations(graph: Graph, frames: Mapping[str, Sequence[Frame]], project_root: Path
                      ) -> dict[str, RangeAnnotation]:
    """Input op name -> its range annotation, for the inputs of `graph` whose creating statement has one."""
    root = Path(project_root).resolve()
    files: dict[Path, _FileComments | None] = {}
    found: dict[str, RangeAnnotation] = {}
    for name, op_frames in frames.items():
        node = graph.get(name)
        if node is None or node.op not in INPUT_OPS:
            continue
        for frame in reversed(op_frames):
            path = _project_path(frame.filename, root)
            if path is None:
                continue
            if path not in files:
                files[path] = _read(path)
            comments = files[path]
            hit = comments.range_at(frame.lineno) if comments is not None else None
            if hit is not None:
                (lo, hi), line = hit
                found[name] = RangeAnnotation(lo, hi, path, line)
            break
    return found


def _project_path(filename: str, root: Path) -> Path | None:
    if not filename or filename.startswith("<"):
        return None
    try:
        path = Path(filename).resolve()
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(root) else None


def _read(path: Path) -> _FileComments | None:
    try:
        with tokenize.open(path) as handle:
            return _FileComments(handle.read())
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
