"""Quick fixes for findings, each re-checked by the analysis before it is called "proven safe".

A fix is a minimal text edit on the call the source mapping reported (an epsilon, a clip, a bound, or a
numerically stable API; for an op made inside a library call, a bound on the argument that feeds it),
spelled with the file's own names for TensorFlow. Before it is offered, the graph
is rewritten as the fix would change it (never re-running the user's code) and re-analysed; a fix is
proven when the op, and the gradient ops folded into its finding, are then proven safe.

Modules: `model` (Fix, TextEdit), `engine` (report -> fixes), `candidates` (the catalogue per op type),
`rewrite` (graph IR rewrites), `verify` (re-analysis), `source` (text and astroid spans), `aliases`
(how the file names TensorFlow), `numbers` (epsilons and limits per dtype), `edits` (applying fixes,
diffs, ignore comments).
"""
from nanscope.analysis.fixes.edits import EditConflict, apply_edits, ignore_edit, select_fixes, unified_diff
from nanscope.analysis.fixes.engine import fixes_for_report
from nanscope.analysis.fixes.model import Fix, TextEdit
from nanscope.analysis.fixes.numbers import DEFAULT_EPS
from nanscope.analysis.fixes.source import SourceFile

__all__ = ["DEFAULT_EPS", "EditConflict", "Fix", "SourceFile", "TextEdit", "apply_edits", "fixes_for_report",
           "ignore_edit", "select_fixes", "unified_diff"]
