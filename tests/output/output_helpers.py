"""Helpers of the output-format tests (imported as `output_helpers`; conftest.py puts this folder on
sys.path): paths of the corpus, and a hand-made report whose findings point into a real source file."""
from __future__ import annotations

from pathlib import Path

from nanscope.analysis.output import Run
from nanscope.analysis.report import Assumption, Finding, Location, ProvenSafe, Report, Span, Stats

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
EXAMPLES = ROOT / "examples"
GRAPHS = {"mnist_softmax.pbtxt": {"NS101"}, "mnist_softmax_fixed.pbtxt": set(),
          "unsafe_ops.pbtxt": {"NS103", "NS105", "NS107"}, "clean.pbtxt": set()}
MODEL = '''import tensorflow as tf

x = tf.placeholder(tf.float32, [None, 4], name="x")
d = tf.placeholder(tf.float32, [None, 4], name="d")
\tratio = tf.reduce_sum(x / d)
loss = tf.reduce_mean(
    tf.math.log(ratio))
'''


def located_report(folder: Path) -> Report:
    """A report on `folder/model.py` (written here) with two findings: a one-line span after a tab, a
    span over two lines; plus a proven-safe op."""
    path = folder / "model.py"
    path.write_text(MODEL, encoding="utf-8")
    x = Assumption("x", "input", (float("-inf"), float("inf")), "any float32 value",
                   Location(path, Span(3, 4, 3, 50)))
    division = Finding("NS105", "warning", "RealDiv input may be = 0, 100% sure: a, b", "truediv", "RealDiv",
                       (float("-inf"), float("inf")), Location(path, Span(5, 23, 5, 28)), None, (x,))
    log = Finding("NS101", "warning", "Log input may be <= 0\nsecond line", "Log", "Log", (0.0, float("inf")),
                  Location(path, Span(6, 22, 7, 22)), "Log", ())
    return Report(source=path, findings=[division, log], stats=Stats(12, 3, 0.5),
                  proven_safe=[ProvenSafe("Sqrt", "Sqrt", Location(path, Span(3, 4, 3, 10)))],
                  notes=["1 op types have no transformer"])


def run_of(*reports: Report, root: Path) -> Run:
    return Run(list(reports), root=root, seconds=1.25, jobs=2)
