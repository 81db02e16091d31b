"""Smoke tests of benchmarks/: every benchmark runs end to end at a tiny size, so none of them rots.

They run the real commands (`python -m benchmarks.<name>` from the repository root) and check what they
produce (tables, the PNG plot, verdicts that do not depend on the machine), never how long anything took:
timings belong in benchmarks/README.md, not in assertions. One test checks that a stamped deep stack is the
GraphDef TensorFlow itself builds, since the scaling numbers rest on that.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.tensorflow
pytest.importorskip("tensorflow")

ROOT = Path(__file__).resolve().parents[2]
CONFIGURATIONS = ("partition+affine", "smash+affine", "partition+intervals", "expand+affine")


def run_benchmark(module: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, "-m", f"benchmarks.{module}", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return result


def table_rows(text: str) -> list[list[str]]:
    return [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in text.splitlines() if line.startswith("| ") and not line.startswith("| graph ")]


def test_ablation_prints_one_table_of_every_graph_and_configuration():
    out = run_benchmark("ablation", "--repeat", "1", "--no-split-too").stdout
    rows = table_rows(out)
    configurations = CONFIGURATIONS + ("partition+affine, no split",)
    assert {row[2] for row in rows} == set(configurations)
    graphs = {row[0] for row in rows}
    assert {"mnist_softmax", "affine", "relu_split", "concat", "layer_norm", "concat_wide", "mlp_train",
            "conv_stack", "all graphs"} <= graphs
    assert len(rows) == len(configurations) * len(graphs)
    verdict = {(row[0], row[2]): row[7] for row in rows}
    # Each precision feature decides one verdict; the default configuration is the reference.
    assert verdict["affine", "partition+intervals"] == "log: safe->unsafe"
    assert verdict["relu_split", "partition+affine, no split"] == "log: safe->unsafe"
    assert verdict["concat", "smash+affine"] == "log: safe->unsafe"
    assert verdict["concat_wide", "expand+affine"] == "log: unsafe->safe"
    assert verdict["layer_norm", "smash+affine"] == "none"
    assert all(verdict[graph, "partition+affine"] == "none" for graph in graphs - {"all graphs"})
    assert all(re.fullmatch(r"\d+\.\d\dx", row[6]) for row in rows)


def test_scaling_prints_its_table_and_writes_the_plot(tmp_path):
    out = tmp_path / "plots" / "scaling.png"
    result = run_benchmark("scaling", "--sizes", "200", "400", "--repeat", "1", "--families", "dense", "conv",
                           "dense_logs", "--out", str(out))
    rows = [row for row in table_rows(result.stdout) if row[0] != "family"]
    assert [(row[0], len(row)) for row in rows] == [(family, 12) for family in ("dense", "conv", "dense_logs")
                                                    for _ in range(2)]
    for row in rows:
        assert 100 < int(row[1]) < 600 and float(row[9]) > 0      # ops, peak MiB
        findings, checked = map(int, row[11].split("/"))
        assert findings >= 1 and checked >= findings                # the log at the end may be 0
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        assert "matplotlib is not installed" in result.stderr
    else:
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_hotspots_prints_phases_op_types_and_the_profile():
    out = run_benchmark("hotspots", "--ops", "300", "--top", "5").stdout
    for heading in ("interpretation (first pass, loops)", "predicate splitting", "all transformers",
                    "top 5 by tottime", "top 5 by cumulative", "with the garbage collector off"):
        assert heading in out


def test_a_stamped_stack_is_the_graph_tensorflow_builds(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT))
    from benchmarks import models
    from nanscope.analysis.graph import proto

    for family in models.FAMILIES:
        template = models.StackTemplate(family)
        stamped, built = proto.GraphDef(), proto.GraphDef()
        stamped.ParseFromString(template.stamp(4))
        built.ParseFromString(models.tf_stack_graph_def(family, 4))
        assert [n.name for n in stamped.node] == [n.name for n in built.node]
        assert all(a == b for a, b in zip(stamped.node, built.node))
        assert len(stamped.node) == template.ops_for(4)


def test_incremental_reanalysis_reuses_the_memo_and_matches_a_fresh_run():
    # the benchmark itself exits 1 when a memo run's report differs from the fresh one
    out = run_benchmark("incremental", "--sizes", "200", "--repeat", "1", "--families", "dense").stdout
    rows = {row[2]: row for row in table_rows(out) if len(row) == 8 and row[0] == "dense"}
    assert set(rows) == {"fresh", "fresh + fingerprints", "unchanged", "edited near the end"}
    assert rows["fresh + fingerprints"][3] == rows["fresh"][1]      # every node evaluated on a first run
    assert rows["unchanged"][3] == "0"
    assert 0 < int(rows["edited near the end"][3]) < 10
