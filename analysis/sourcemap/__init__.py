"""Source mapping: from an op's creation frames to the exact expression (path and span) in the user's code.

`SourceMapper` owns the matching (see `mapper`), `optable` the op type -> Python API table, `columns`
the conversion of astroid's UTF-8 byte columns to code point columns, `annotations` the
`# nanscope: range=[lo, hi]` comments on the lines that create inputs.
"""
from nanscope.analysis.sourcemap.annotations import parse_range_comment, range_annotations
from nanscope.analysis.sourcemap.columns import codepoint_column
from nanscope.analysis.sourcemap.mapper import SourceMapper, callee_name, creates

__all__ = ["SourceMapper", "callee_name", "codepoint_column", "creates", "parse_range_comment",
           "range_annotations"]
