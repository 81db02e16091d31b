"""Resource hygiene (issue 6): repeated traces leave no processes, no temporary folders and no memory growth."""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest
from robust_helpers import children_of

from nanscope.analysis.tracing.runner import trace_script


def rss_kib() -> int:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.tensorflow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ten_traces_leave_nothing_behind_and_do_not_grow_memory(tmp_path: Path):
    script = tmp_path / "model.py"
    script.write_text("import tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n"
                      "x = tf.compat.v1.placeholder(tf.float32, [None, 4], name='x')\n"
                      "y = tf.math.log(tf.nn.softmax(x))\nprint('x' * 200_000)\n", encoding="utf-8")
    before = set(os.listdir(tempfile.gettempdir()))
    first = trace_script(script, timeout=60)       # warm up: imports, caches
    assert first.graph is not None, first.error
    baseline = rss_kib()
    for _ in range(9):
        result = trace_script(script, timeout=60)
        assert result.graph is not None and len(result.graph) == len(first.graph)
        assert not children_of(os.getpid()), "a trace process was left behind"
    growth = rss_kib() - baseline
    assert growth < 8 * 1024, f"RSS grew by {growth} KiB over 9 traces"
    assert not [name for name in set(os.listdir(tempfile.gettempdir())) - before if name.startswith("nanscope-trace-")]
