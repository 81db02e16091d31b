"""The records a fix is made of: text edits on the user's source and the fix itself.

Positions follow the report's convention (`nanscope.analysis.report.Span`): 1-based lines, 0-based
columns counted in Unicode code points, end exclusive. Front ends convert (the server to UTF-16 units).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from nanscope.analysis.report import Span


@dataclass(frozen=True)
class TextEdit:
    """Replace the text in `span` by `new_text` (an empty span inserts)."""
    span: Span
    new_text: str


@dataclass(frozen=True)
class Fix:
    """One way to remove one finding, as edits of one file.

    `proven` says that the analysis re-checked the graph with the fix applied and proved the op (and its
    folded gradient ops) safe; `preferred` marks the best proven fix of its finding (at most one).
    """
    title: str                     # for a menu: "Clip the log input: tf.clip_by_value(y, 1e-07, 1.0)"
    code: str                      # rule code of the finding it fixes, e.g. "NS101"
    kind: str                      # what the fix does: "clip", "maximum", "add-eps", "log-softmax", ...
    path: Path                     # the file the edits apply to
    edits: tuple[TextEdit, ...]
    proven: bool
    preferred: bool = False
    detail: str = ""               # what the re-analysis found, for a tooltip or the CLI
    op_name: str = ""              # the finding's op

    def as_preferred(self) -> Fix:
        return replace(self, preferred=True)
