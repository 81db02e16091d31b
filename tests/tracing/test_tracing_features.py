"""What the tracer does for real-world model code, end to end (a TensorFlow subprocess per trace):

TF1 names on TF2 (tf.layers, tf.nn.rnn_cell, tf.contrib, tf.keras in graph mode, removed NumPy aliases,
the TF1 MNIST reader), where training stops (the first Session.run that is not an initializer, Keras fit,
a GradientTape's gradient), the sandbox (no writes into the project, a memory limit), observed and
annotated ranges, captured variables, function entry points and tf.functions.

The scripts are traced once per module, two at a time, by the `traced` fixture.
"""
from __future__ import annotations

import importlib.util
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nanscope.analysis.tracing import EntryPoint, TraceResult, trace_entry_point, trace_script

pytestmark = [pytest.mark.tensorflow,
              pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")]

# name -> {file name: source}; "main.py" is the entry point, the project root is its folder.
SCRIPTS: dict[str, dict[str, str]] = {
    # A trivial v1 script: the baseline for "import TensorFlow + build a graph".
    "baseline": {"main.py": """\
import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 3], name="x")
with tf.Session() as sess:
    sess.run(tf.log(x))
"""},
    # Trains forever after an initializer run; every training step would print.
    "forever": {"main.py": """\
import numpy as np
import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 784], name="x")
y_ = tf.placeholder(tf.float32, [None, 10], name="y_")
W = tf.Variable(tf.zeros([784, 10]))
y = tf.nn.softmax(tf.matmul(x, W))
loss = -tf.reduce_sum(y_ * tf.log(y))
train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
sess = tf.Session()
print("init returned", sess.run([tf.global_variables_initializer(), tf.local_variables_initializer()]))
step = 0
while True:
    sess.run(train, feed_dict={x: np.full((4, 784), 0.25), y_: np.eye(10)[[1, 2, 3, 4]]})
    step += 1
    print("trained step", step)
"""},
    # Every writer TensorFlow, Keras and Python offer, then the first Session.run.
    "writers_v1": {"keep.txt": "kept\n", "main.py": """\
import os, pathlib, shutil
import numpy as np
import tensorflow as tf
x = tf.placeholder(tf.float32, [None, 3], name="x")
v = tf.Variable(tf.ones([3]), name="v")
y = tf.reduce_sum(x * v)
saver = tf.train.Saver()
sess = tf.Session()
writer = tf.summary.FileWriter("logs", sess.graph)
writer.add_summary(tf.Summary(), 0)
writer.flush()
writer.close()
saver.save(sess, "checkpoints/model.ckpt")
tf.io.write_graph(sess.graph_def, "graphs", "graph.pbtxt")
tf.train.write_graph(sess.graph_def, ".", "graph2.pb", as_text=False)
tf.gfile.MakeDirs("gfile_dir")
with tf.gfile.GFile("gfile.txt", "w") as handle:
    handle.write("x")
os.makedirs("out/deep", exist_ok=True)
with open("out.txt", "w") as handle:
    handle.write("x")
np.save("array.npy", np.zeros(3))
pathlib.Path("path.txt").write_text("x")
os.remove("keep.txt")
shutil.rmtree("src_does_not_matter", ignore_errors=True)
os.rename("keep.txt", "moved.txt")
sess.run(y, feed_dict={x: [[1.0, 2.0, 3.0]]})
"""},
    "writers_v2": {"main.py": """\
import numpy as np
import tensorflow as tf
model = tf.keras.Sequential([tf.keras.Input((4,), name="features"), tf.keras.layers.Dense(2)])
model.compile(optimizer="sgd", loss="mse")
model.save("model.keras")
model.save_weights("model.weights.h5")
tf.saved_model.save(tf.Module(), "saved_model")
tf.train.Checkpoint(step=tf.Variable(1)).save("checkpoints/ckpt")
writer = tf.summary.create_file_writer("logs")
with writer.as_default():
    writer.flush()
tf.io.gfile.makedirs("gfile_dir")
model.fit(np.full((16, 4), 0.5, dtype="float32"), np.zeros((16, 2), dtype="float32"), epochs=3)
"""},
    # TF1 names that TF2 + Keras 3 do not have, NumPy aliases, tf.keras layers on placeholders.
    "tf1_names": {"main.py": """\
import numpy as np
import tensorflow as tf
import tensorflow.contrib.slim as slim
from tensorflow.contrib.layers import xavier_initializer
from tensorflow.keras.layers import Dense
images = tf.placeholder(tf.float32, [None, 28, 28, 1], name="images")
tokens = tf.placeholder(tf.float32, [None, 10, 8], name="tokens")
training = tf.placeholder(tf.bool, name="training")
h = tf.layers.conv2d(images, 8, 3, activation=tf.nn.relu, kernel_initializer=xavier_initializer())
h = tf.layers.max_pooling2d(h, 2, 2)
h = tf.layers.batch_normalization(h, training=training)
h = tf.layers.dropout(tf.layers.flatten(h), rate=0.5, training=training)
with slim.arg_scope([slim.fully_connected], activation_fn=tf.nn.tanh):
    h = slim.fully_connected(h, 16)
cell = tf.nn.rnn_cell.MultiRNNCell([tf.nn.rnn_cell.LSTMCell(8), tf.nn.rnn_cell.GRUCell(8)])
outputs, state = tf.nn.dynamic_rnn(cell, tokens, dtype=tf.float32)
k = Dense(4)(tf.concat([h, outputs[:, -1]], axis=1))
k = tf.keras.layers.LSTM(3)(tf.reshape(k, [-1, 2, 2]))
w = tf.Variable(tf.truncated_normal([3, 1], stddev=0.1)) + tf.random_normal([1])
out = tf.log(tf.matmul(k, w), name="final_log")
mask = np.zeros(3, dtype=np.bool)
scale = np.float(2) * np.int(3)
with tf.Session() as sess:
    sess.run(out)
"""},
    # Keras fit on a stand-in dataset; what the graph and its attribution look like.
    "keras_fit": {"main.py": """\
import tensorflow as tf
(x_train, y_train), _ = tf.keras.datasets.mnist.load_data()
x_train = x_train.reshape(-1, 784) / 255.0
inputs = tf.keras.Input(shape=(784,), name="pixels")  # nanscope: range=[0, 1]
hidden = tf.keras.layers.Dense(32, activation="relu")(inputs)
outputs = tf.keras.layers.Dense(10, activation="softmax")(hidden)
model = tf.keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
model.fit(x_train, y_train, batch_size=50, epochs=100)
print("fit returned")
"""},
    # train_on_batch on a subclassed model that was never built: it is built inside the traced step.
    "train_on_batch": {"main.py": """\
import numpy as np
import tensorflow as tf

class Regressor(tf.keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden = tf.keras.layers.Dense(8, activation="relu")
        self.out = tf.keras.layers.Dense(1)

    def call(self, x):
        return tf.math.exp(self.out(self.hidden(x)))

model = Regressor()
model.compile(optimizer="sgd", loss="mse")
for _ in range(1000):
    model.train_on_batch(np.full((8, 4), 2.0), np.zeros((8, 1)))
    print("batch trained")
"""},
    # An eager training step at module level: traced into a graph from the tape on.
    "eager_tape": {"main.py": """\
import numpy as np
import tensorflow as tf
w = tf.Variable(tf.ones([3, 1]), name="w")
scale = tf.constant(2.0)
data = tf.constant(np.linspace(0.0, 1.0, 3000, dtype="float32").reshape(1000, 3))
for step in range(100):
    with tf.GradientTape() as tape:
        prediction = tf.matmul(data, w) * scale
        loss = tf.reduce_mean(tf.math.log(prediction))
    grads = tape.gradient(loss, [w])
    print("stepped", step)
"""},
    # A script that ends without training, leaving a tf.function with an input signature.
    "tf_function": {"main.py": """\
import tensorflow as tf

@tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="probs")])
def entropy(p):
    return -tf.reduce_sum(p * tf.math.log(p), axis=1)

print("defined")
"""},
    # Range annotations in their several spellings.
    "annotated": {"main.py": """\
import tensorflow as tf
a = tf.placeholder(tf.float32, [None], name="a")  # nanscope: range=[0, 1]
b = tf.placeholder(tf.float32,
                   [None], name="b")  # NANSCOPE: range = (-inf, 2.5e3)
c = tf.placeholder(tf.float32, name="c")  # nanscope: range=[5, 1] is backwards: ignored
d = tf.placeholder_with_default("# nanscope: range=[0, 1]", [], name="d")
e = tf.placeholder_with_default(1.0, [], name="e")  # note; nanscope: range=[-1, 1]
with tf.Session() as sess:
    sess.run(a + b + c + e)
"""},
    # A function entry point building a TF1 graph into the default graph, with a relative import.
    "entry_function": {"pkg/__init__.py": "", "pkg/parts.py": """\
import tensorflow as tf

def log_layer(x):
    return tf.log(x, name="the_log")
""", "pkg/build.py": """\
import tensorflow as tf
from .parts import log_layer

def build():
    x = tf.placeholder(tf.float32, [None, 2], name="x")
    log_layer(x)
"""},
    # Memory: a script that allocates far more than the limit.
    "memory": {"main.py": """\
import numpy as np
import tensorflow as tf
x = tf.placeholder(tf.float32, name="x")
big = np.ones((4 * 1024 ** 3,), dtype=np.float64)
"""},
}
ENTRY_FUNCTIONS = {"entry_function": ("pkg/build.py", "build")}
MEMORY_LIMITS = {"memory": 2048}


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def traced(tmp_path_factory) -> dict[str, tuple[Path, TraceResult, dict, dict]]:
    root = tmp_path_factory.mktemp("features")
    jobs = {}
    for name, files in SCRIPTS.items():
        folder = root / name
        for filename, text in files.items():
            (folder / filename).parent.mkdir(parents=True, exist_ok=True)
            (folder / filename).write_text(text, encoding="utf-8")
        path, function = ENTRY_FUNCTIONS.get(name, ("main.py", None))
        jobs[name] = (folder, EntryPoint(folder / path, function))
    before = {name: _tree(folder) for name, (folder, _) in jobs.items()}

    def run(name):
        folder, entry = jobs[name]
        return trace_entry_point(entry, project_root=folder, timeout=120.0,
                                 memory_limit_mb=MEMORY_LIMITS.get(name, 4096))

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(run, name) for name in jobs}
        results = {name: future.result() for name, future in futures.items()}
    return {name: (jobs[name][0], results[name], before[name], _tree(jobs[name][0])) for name in jobs}


def _line(folder: Path, needle: str, filename: str = "main.py") -> int:
    lines = (folder / filename).read_text(encoding="utf-8").split("\n")
    return next(number for number, text in enumerate(lines, 1) if needle in text)


def _lines(result: TraceResult, op_name: str) -> list[tuple[str, int]]:
    return [(Path(frame.filename).name, frame.lineno) for frame in result.frames[op_name]]


def test_tf1_script_that_trains_forever_stops_at_the_first_training_run(traced):
    folder, result, _, _ = traced["forever"]
    _, baseline, _, _ = traced["baseline"]
    assert result.status == "stopped-at-session-run", result.error
    assert result.stop_reason == "Session.run"
    assert [frame.lineno for frame in result.stop_frames][-1] == _line(folder, "sess.run(train")
    assert "init returned [None, None]" in result.output        # the initializer run was skipped, not run
    assert "trained step" not in result.output                  # training never started
    assert {"ApplyGradientDescent", "Log"} <= result.graph.op_types
    # About TensorFlow's import plus building the graph: comparable to the trivial script, nowhere near
    # the time limit.
    assert baseline.status == "stopped-at-session-run"
    assert result.seconds < baseline.seconds + 20.0 < 120.0
    assert result.observed_ranges == {"x": (0.25, 0.25), "y_": (0.0, 1.0)}
    assert result.observed_sources["x"] == "first Session.run feed"


def test_tensorflow_and_python_writers_leave_the_project_unchanged(traced):
    for name in ("writers_v1", "writers_v2"):
        folder, result, before, after = traced[name]
        assert result.status in ("stopped-at-session-run", "stopped-at-training"), (name, result.error)
        assert after == before, name
    _, v1, _, _ = traced["writers_v1"]
    redirected = {operation for operation, _ in v1.redirected_writes}
    assert {"open", "os.makedirs", "os.remove", "os.rename"} <= redirected
    assert v1.graph is not None and "v" in v1.graph


def test_tf1_names_resolve_on_tf2(traced):
    folder, result, _, _ = traced["tf1_names"]
    assert result.status == "stopped-at-session-run", result.error + result.output[-3000:]
    assert result.mode == "v1"
    ops = result.graph.op_types
    assert {"Conv2D", "MaxPool", "Tanh", "Enter", "Exit", "Log"} <= ops
    assert result.frames["final_log"][-1].lineno == _line(folder, "final_log")
    assert "tf.contrib" in result.stand_ins and "tf.layers" in result.stand_ins


def test_keras_fit_stops_and_traces_forward_pass_and_loss(traced):
    folder, result, _, _ = traced["keras_fit"]
    assert result.status == "stopped-at-training", result.error
    assert result.stop_reason == "Model.fit" and "fit returned" not in result.output
    assert result.mode == "v2"
    assert {"MatMul", "Relu", "Softmax"} <= result.graph.op_types
    assert "keras.datasets.mnist" in result.stand_ins
    assert result.observed_ranges["pixels"] == (0.0, 1.0)
    assert "keras.datasets.mnist stand-in" in result.observed_sources["pixels"]
    assert result.annotated_ranges == {"pixels": (0.0, 1.0)}
    assert result.range_annotations["pixels"].line == _line(folder, "tf.keras.Input")
    # Keras' own ops map to the layer that made them; the input to its Input.
    softmax = next(node.name for node in result.graph if node.op == "Softmax")
    assert _lines(result, softmax)[-1] == ("main.py", _line(folder, 'activation="softmax"'))
    assert _lines(result, "pixels")[-1] == ("main.py", _line(folder, "tf.keras.Input"))
    # Captured variables became VarHandleOps that name their variable.
    kernels = {info.name: info for info in result.variables.values()}
    kernel = next(info for name, info in kernels.items() if name.endswith("kernel") and info.shape == (784, 32))
    assert kernel.trainable and kernel.dtype == "float32"
    for node_name in result.variables:
        node = result.graph[node_name]
        assert node.op == "VarHandleOp" and node.attr("_nanscope_variable") in kernels


def test_train_on_batch_traces_an_unbuilt_subclassed_model(traced):
    folder, result, _, _ = traced["train_on_batch"]
    assert result.status == "stopped-at-training", result.error
    assert result.stop_reason == "Model.train_on_batch" and "batch trained" not in result.output
    exp = next(node for node in result.graph if node.op == "Exp")
    assert result.frames[exp.name][-1].lineno == _line(folder, "tf.math.exp")
    assert result.observed_ranges == {"x": (2.0, 2.0), "y": (0.0, 0.0)}
    assert sorted(info.name for info in result.variables.values() if info.trainable) == [
        "regressor/dense/bias", "regressor/dense/kernel", "regressor/dense_1/bias", "regressor/dense_1/kernel"]


def test_eager_training_step_is_traced_from_its_tape(traced):
    folder, result, _, _ = traced["eager_tape"]
    assert result.status == "stopped-at-training", result.error
    assert result.stop_reason == "GradientTape.gradient" and "stepped" not in result.output
    log = next(node for node in result.graph if node.op == "Log")
    assert result.frames[log.name][-1].lineno == _line(folder, "tf.math.log")
    assert [info.name for info in result.variables.values()] == ["w"]
    consts = [node for node in result.graph if node.op == "Const" and node.name.startswith("scale")]
    placeholders = [node.name for node in result.graph if node.op == "Placeholder"]
    # The small captured constant is a Const again; the large captured data stays an input, observed.
    assert len(placeholders) == 1 and result.observed_ranges[placeholders[0]] == (0.0, 1.0)
    assert result.observed_sources[placeholders[0]] == "captured value"
    assert any(node.attr("value") is not None for node in result.graph if node.op == "Const") or consts


def test_tf_function_with_input_signature_is_traced_when_the_script_ends(traced):
    folder, result, _, _ = traced["tf_function"]
    assert result.status == "completed", result.error
    assert "probs" in result.graph and result.graph["probs"].op == "Placeholder"
    log = next(node for node in result.graph if node.op == "Log")
    assert result.frames[log.name][-1].lineno == _line(folder, "tf.math.log")


def test_range_annotations(traced):
    folder, result, _, _ = traced["annotated"]
    assert result.status == "stopped-at-session-run", result.error
    assert result.annotated_ranges == {"a": (0.0, 1.0), "b": (float("-inf"), 2500.0), "e": (-1.0, 1.0)}
    assert result.range_annotations["b"].line == _line(folder, '[None], name="b")')
    assert result.range_annotations["a"].path == (folder / "main.py").resolve()


def test_function_entry_point_builds_the_default_graph(traced):
    folder, result, _, _ = traced["entry_function"]
    assert result.status == "completed", (result.error, result.output[-2000:])
    assert result.entry == EntryPoint((folder / "pkg" / "build.py").absolute(), "build")
    assert [(Path(f.filename).name, f.function) for f in result.frames["the_log"]] == [
        ("build.py", "build"), ("parts.py", "log_layer")]
    assert {path.name for path in result.imported_files} == {"__init__.py", "parts.py"}


def test_memory_limit_turns_a_huge_allocation_into_a_failure(traced):
    folder, result, _, _ = traced["memory"]
    assert result.status == "failed"
    assert "MemoryError" in result.error and "2048 MiB" in result.error
    assert result.error_frames[-1].lineno == _line(folder, "np.ones")
    assert "MemoryError" in result.failure_message
    assert result.graph is not None and "x" in result.graph


def test_failure_message_and_location(tmp_path):
    from nanscope.analysis.sourcemap import SourceMapper

    script = tmp_path / "model.py"
    script.write_text("import numpy as np\nimport tensorflow as tf\nx = tf.placeholder(tf.float32)\n"
                      "data = np.load('missing.npy')\n", encoding="utf-8")
    result = trace_script(script)
    assert result.status == "failed"
    assert result.failure_message.startswith("FileNotFoundError")
    location = SourceMapper(tmp_path).locate_failure(result.error_frames)
    assert location is not None and location.span.line == 4
    assert (location.span.column, location.span.end_column) == (7, len("data = np.load('missing.npy')"))
    assert result.graph is not None and "Placeholder" in result.graph.op_types


def test_timeout_is_configurable_and_defaults_to_a_minute(tmp_path):
    import inspect

    from nanscope.analysis.tracing import DEFAULT_TIMEOUT

    assert DEFAULT_TIMEOUT == 60.0
    assert inspect.signature(trace_script).parameters["timeout"].default == DEFAULT_TIMEOUT
    script = tmp_path / "model.py"
    script.write_text("import time\ntime.sleep(600)\n", encoding="utf-8")
    started = time.monotonic()
    result = trace_script(script, timeout=1.0)
    assert result.status == "timeout" and time.monotonic() - started < 30


def test_gpu_is_hidden_and_stdin_is_closed(tmp_path):
    script = tmp_path / "model.py"
    script.write_text("import os, sys\nprint('cuda', repr(os.environ.get('CUDA_VISIBLE_DEVICES')))\n"
                      "print('stdin', repr(sys.stdin.read()))\n", encoding="utf-8")
    result = trace_script(script)
    assert "cuda ''" in result.output and "stdin ''" in result.output
    assert os.environ.get("NANSCOPE_NEVER_SET") is None
