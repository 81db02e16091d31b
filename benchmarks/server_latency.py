"""Editor latency of the language server: cold first diagnostics, warm save-to-diagnostics, unrelated saves.

For each model (the bundled examples and a generated ~1k-op TensorFlow 1 MLP with a training step) a fresh
project is made: the model as its entry point (`[tool.nanscope] entry-points` in pyproject.toml) and an
unrelated module, `notes.py`, that the model does not import. A fresh `python -m nanscope.server` is
started for each model and driven over stdio like an editor would:

- cold: from `initialize` to the first diagnostics of the opened model (TensorFlow's import in the trace
  worker, the first trace, the analysis);
- warm edit: the model is edited on disk and saved; time from didSave to its diagnostics (median of N);
  each save must trace exactly once;
- unrelated save: notes.py is edited and saved; time from didSave to its (empty) diagnostics (median of N).
  No entry point reaches notes.py, so it runs as a script of its own (a trivial trace); the model must not
  be traced again;
- save after an unrelated edit: notes.py is edited and saved, then the unchanged model is saved; time from
  the model's didSave to its diagnostics (median of N); the model must not be traced again (its cached
  result is keyed by the content of the files its trace imported, and notes.py is not one of them).
The baseline column is one `check_file` of the model through the plain runner (a fresh interpreter that
imports TensorFlow per trace, as the CLI and the walking-skeleton server did on every save).

Run from the repository root: `.venv/bin/python -m benchmarks.server_latency [--saves N] [--only NAME ...]`.
Prints a Markdown table; the target is a warm edit of about 1 s or less for the ~1k-op model.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from benchmarks.common import markdown

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
# The server driver is the tests' (tests/server/lsp_helpers.py: RawServer), imported by module name.
if str(REPO / "tests" / "server") not in sys.path:
    sys.path.insert(0, str(REPO / "tests" / "server"))

from lsp_helpers import RawServer, is_publication  # noqa: E402 - needs the sys.path entry above

MLP_1K = '''"""A ~1k-op TensorFlow 1 model: a deep MLP, a softmax cross entropy with the classic log, a training step."""
import numpy as np
import tensorflow as tf

LAYERS, WIDTH = 28, 64

x = tf.placeholder(tf.float32, [None, 784], name="x")
labels = tf.placeholder(tf.float32, [None, 10], name="labels")
h, width = x, 784
for i in range(LAYERS):
    W = tf.Variable(tf.random_normal([width, WIDTH], stddev=0.05), name=f"W{i}")
    b = tf.Variable(tf.zeros([WIDTH]), name=f"b{i}")
    h, width = tf.nn.relu(tf.matmul(h, W) + b), WIDTH
W_out = tf.Variable(tf.random_normal([width, 10], stddev=0.05), name="W_out")
y = tf.nn.softmax(tf.matmul(h, W_out))
loss = tf.reduce_mean(-tf.reduce_sum(labels * tf.log(y), axis=1))
train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

with tf.Session() as sess:
    sess.run(tf.global_variables_initializer())
    for _ in range(1000):
        sess.run(train, {x: np.random.rand(32, 784), labels: np.eye(10)[np.random.randint(0, 10, 32)]})
'''


def models() -> dict[str, str]:
    found = {path.stem: path.read_text(encoding="utf-8") for path in sorted(EXAMPLES.glob("*.py"))}
    found["mlp_1k"] = MLP_1K
    return found


def start_server(cwd: Path) -> RawServer:
    """`python -m nanscope.server` on pipes (the tests' `RawServer`)."""
    return RawServer([sys.executable, "-m", "nanscope.server"], cwd)


def traces(server: RawServer, name: str) -> int:
    """How many times the server traced the file `name` (it logs each trace at level info)."""
    return sum(1 for line in server.log if line.startswith((f"nanscope: traced {name}:",
                                                             f"nanscope: output of {name} ")))


def ops(server: RawServer, name: str) -> int | None:
    """The op count of the last analysis of `name` (logged at level debug)."""
    counts = [int(m.group(1)) for line in server.log
              if (m := re.match(rf"nanscope: {re.escape(name)}: analysed (\d+) ops", line))]
    return counts[-1] if counts else None


def measure(name: str, source: str, saves: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="nanscope-latency-") as folder:
        root = Path(folder)
        model, notes = root / f"{name}.py", root / "notes.py"
        model.write_text(source, encoding="utf-8")
        notes.write_text("NOTE = 0\n", encoding="utf-8")
        (root / "pyproject.toml").write_text(f'[tool.nanscope]\nentry-points = ["{model.name}"]\n',
                                             encoding="utf-8")
        baseline = _baseline(model, root)

        server = start_server(root)
        try:
            started = time.perf_counter()
            server.initialize(root, {"logLevel": "debug"})
            for path in (model, notes):
                server.open(path)
            cold = server.arrival(is_publication(model.as_uri()), 300.0)[0] - started
            time.sleep(0.5)

            def save(path: Path, text: str | None) -> float:
                if text is not None:
                    path.write_text(text, encoding="utf-8")
                server.forget()                 # only a publication after this save counts
                sent = time.perf_counter()
                server.save(path)
                return server.arrival(is_publication(path.as_uri()), 300.0)[0] - sent

            warm, unrelated, after_unrelated = [], [], []
            before = traces(server, model.name)
            for i in range(saves):
                warm.append(save(model, f"{source}\n# edit {i}\n"))
                time.sleep(0.2)
            edit_traces = traces(server, model.name) - before
            before = traces(server, model.name)
            for i in range(saves):
                unrelated.append(save(notes, f"NOTE = {i + 1}\n"))
                time.sleep(0.2)
                after_unrelated.append(save(model, None))
                time.sleep(0.2)
            unrelated_traces = traces(server, model.name) - before
            op_count = ops(server, model.name)
        finally:
            server.close()
    return {"model": name, "ops": op_count, "baseline": baseline, "cold": cold, "warm": statistics.median(warm),
            "warm_max": max(warm), "edit_traces": edit_traces, "unrelated": statistics.median(unrelated),
            "after_unrelated": statistics.median(after_unrelated), "unrelated_traces": unrelated_traces,
            "saves": saves}


def _baseline(model: Path, root: Path) -> float:
    """One check of the model through the plain runner (a fresh interpreter per trace)."""
    from nanscope.analysis.api import CheckOptions, check_file

    started = time.perf_counter()
    check_file(model, CheckOptions(project_root=root))
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=10, help="saves per warm measurement (the median is shown)")
    parser.add_argument("--only", nargs="*", default=(), help="model names (examples' stems, mlp_1k)")
    parser.add_argument("--json", type=Path, help="also write the measurements as JSON here")
    args = parser.parse_args(argv)
    chosen = {name: source for name, source in models().items() if not args.only or name in args.only}
    results = [measure(name, source, args.saves) for name, source in chosen.items()]
    rows = [[r["model"], str(r["ops"]), f"{r['baseline']:.2f}", f"{r['cold']:.2f}",
             f"{r['warm']:.2f} (max {r['warm_max']:.2f})", f"{r['edit_traces']}/{r['saves']}",
             f"{r['unrelated']:.3f}", f"{r['after_unrelated']:.3f}", str(r["unrelated_traces"])]
            for r in results]
    print(markdown(["model", "ops", "runner check (s)", "cold (s)", "warm edit, median (s)", "model traces",
                    "unrelated save (s)", "model save after it (s)", "model traces"], rows))
    print(f"\n{args.saves} saves per warm column; seconds from didSave (cold: from initialize) to the "
          "publishDiagnostics of the saved file. Target: warm edit of the ~1k-op model about 1 s or less; "
          "unrelated edits never trace the model again.")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    ok = all(r["unrelated_traces"] == 0 and r["edit_traces"] == r["saves"] for r in results)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
