"""Pieces of the tracing agent that work without TensorFlow: mode detection, the v1 proxy, frame filtering."""
from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest

from nanscope.analysis.tracing import agent


@pytest.mark.parametrize("source, mode", [
    ("import tensorflow as tf\nx = tf.placeholder(tf.float32)\n", "v1"),
    ("import tensorflow as tf\ny = tf.log(x)\n", "v1"),
    ("import tensorflow as tf\nopt = tf.train.GradientDescentOptimizer(0.5)\n", "v1"),
    ("import tensorflow as tf\nwith tf.variable_scope('a'):\n    pass\n", "v1"),
    ("import tensorflow as T\nh = T.layers.dense(x, 3)\n", "v1"),
    ("import tensorflow.compat.v1 as tf1\nsess = tf1.Session()\n", "v1"),
    ("import tensorflow as tf\ntf.compat.v1.disable_eager_execution()\n", "v1"),
    ("import tensorflow as tf\nx = tf.compat.v1.placeholder(tf.float32)\n", "v1"),
    ("import tensorflow as tf\ny = tf.math.log(x)\n", "v2"),
    ("import tensorflow as tf\ntf.get_logger().info('x')\nm = tf.keras.layers.Dense(3)\n", "v2"),
    ("import tensorflow as tf\nopt = tf.keras.optimizers.Adam()\n", "v2"),
    ("import numpy as np\ny = np.log(x)\n", "v2"),
])
def test_detect_mode(source, mode):
    assert agent.detect_mode(source) == mode


def test_compat_module_prefers_primary_and_falls_back():
    v2 = types.ModuleType("fake_tf")
    v2.math = types.ModuleType("fake_tf.math")
    v2.math.log = "v2 log"
    v2.train = types.ModuleType("fake_tf.train")
    v2.train.Checkpoint = "v2 checkpoint"
    v2.train.Optimizer = "v2 optimizer"
    v2.function = "v2 function"
    v2.__version__ = "9.9"
    v1 = types.ModuleType("fake_tf.compat.v1")
    v1.log = "v1 log"
    v1.function = "v1 function"
    v1.train = types.ModuleType("fake_tf.compat.v1.train")
    v1.train.Optimizer = "v1 optimizer"
    v1.train.GradientDescentOptimizer = "v1 sgd"

    proxy = agent._CompatModule("tensorflow", v1, v2)
    assert proxy.log == "v1 log"
    assert proxy.function == "v1 function"          # v1 first
    assert proxy.math is v2.math                    # only in v2: no proxy needed
    assert proxy.train.GradientDescentOptimizer == "v1 sgd"
    assert proxy.train.Optimizer == "v1 optimizer"
    assert proxy.train.Checkpoint == "v2 checkpoint"  # submodules fall back too
    assert proxy.__version__ == "9.9"
    assert "GradientDescentOptimizer" in dir(proxy.train)
    with pytest.raises(AttributeError):
        proxy.contrib  # noqa: B018 - the attribute access is the test


def test_frame_filter_keeps_only_user_code(tmp_path):
    user_file = tmp_path / "model.py"
    user_file.write_text("")
    frame_filter = agent.FrameFilter()
    assert frame_filter.user_path(str(user_file)) == os.path.realpath(user_file)
    assert frame_filter.user_path(os.__file__) is None                                  # stdlib
    assert frame_filter.user_path(pytest.__file__) is None                              # site-packages
    assert frame_filter.user_path("/x/dist-packages/tensorflow/ops.py") is None
    assert frame_filter.user_path(agent.__file__) is None                               # the agent
    assert frame_filter.user_path("<frozen runpy>") is None
    kept = frame_filter.frames([(os.__file__, 3, "f"), (str(user_file), 7, "<module>")])
    assert kept == [[os.path.realpath(user_file), 7, "<module>"]]


def test_fix_sys_path(tmp_path, monkeypatch):
    agent_dir = str(Path(agent.AGENT_PATH).parent)
    monkeypatch.setattr(sys, "path", [agent_dir, "/somewhere/else"])
    script = str(tmp_path / "sub" / "train.py")
    agent.fix_sys_path(script, str(tmp_path))
    assert sys.path == [str(tmp_path / "sub"), "/somewhere/else", str(tmp_path)]


# -- the compat proxy's overrides, NumPy aliases, value ranges -------------------------------------------

from nanscope.analysis.tracing.nanscope_agentlib import compat, datasets, imports, state  # noqa: E402


def test_compat_module_overrides_win_and_reach_submodules():
    v1 = types.ModuleType("v1")
    v1.nn = types.ModuleType("v1.nn")
    v1.nn.relu = "v1 relu"
    v1.layers = "broken lazy loader"
    calls = []

    def factory():
        calls.append(1)
        return "stand-in layers"

    proxy = agent._CompatModule("tensorflow", v1, None, {"layers": compat.Lazy(factory),
                                                          "nn.rnn_cell": "stand-in cells",
                                                          "contrib.layers": "contrib layers"})
    assert proxy.layers == "stand-in layers" and proxy.layers == "stand-in layers"
    assert calls == [1]                                  # lazy, and resolved once
    assert proxy.nn.relu == "v1 relu"                    # the submodule is proxied because of its override
    assert proxy.nn.rnn_cell == "stand-in cells"
    assert proxy.contrib.layers == "contrib layers"      # a module neither side has, made of overrides
    assert "layers" in dir(proxy) and "rnn_cell" in dir(proxy.nn)


def test_numpy_aliases_come_back():
    np = pytest.importorskip("numpy")
    compat.numpy_aliases()
    assert np.float is float and np.int is int and np.bool in (bool, np.bool_) and np.object is object


@pytest.mark.parametrize("value, expected", [
    ([[0.5, 2.0], [-1.0, 3.0]], (-1.0, 3.0)),
    ([True, False], (0.0, 1.0)),
    ([1, 7, 3], (1.0, 7.0)),
    ([float("nan"), 2.0], (2.0, 2.0)),
    ([], None),
    (["a", "b"], None),
    ("text", None),
])
def test_value_range(value, expected):
    pytest.importorskip("numpy")
    assert state.value_range(value) == expected


def test_trace_state_keeps_the_first_observation():
    trace_state = state.TraceState()
    trace_state.observe("x", (0.0, 1.0), "first feed")
    trace_state.observe("x", (5.0, 9.0), "later")
    trace_state.observe("y", None, "nothing numeric")
    assert trace_state.observed == {"x": {"range": [0.0, 1.0], "source": "first feed"}}


# -- dataset stand-ins ------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, x_shape, x_range, y_shape, y_range", [
    ("mnist", (60000, 28, 28), (0, 255), (60000,), (0, 9)),
    ("fashion_mnist", (60000, 28, 28), (0, 255), (60000,), (0, 9)),
    ("cifar10", (50000, 32, 32, 3), (0, 255), (50000, 1), (0, 9)),
    ("cifar100", (50000, 32, 32, 3), (0, 255), (50000, 1), (0, 99)),
    ("boston_housing", (404, 13), None, (404,), None),
])
def test_keras_dataset_stand_ins_have_the_real_shapes_and_ranges(name, x_shape, x_range, y_shape, y_range):
    pytest.importorskip("numpy")
    trace_state = state.TraceState()
    (x_train, y_train), (x_test, y_test) = datasets.keras_stand_in(name, trace_state)
    assert x_train.shape == x_shape and y_train.shape == y_shape
    assert x_test.shape[1:] == x_shape[1:] and len(x_test) == len(y_test)
    if x_range is not None:
        assert x_train.dtype.name == "uint8" and (x_train.min(), x_train.max()) == x_range
        assert (y_train.min(), y_train.max()) == y_range
    assert datasets.stand_in_source(x_train) == f"keras.datasets.{name}"
    assert f"keras.datasets.{name}" in trace_state.stand_ins


def test_imdb_stand_in_is_sequences_of_word_ids():
    pytest.importorskip("numpy")
    (x_train, y_train), _ = datasets.keras_stand_in("imdb", num_words=1000)
    assert x_train.dtype == object and len(x_train) == 25000
    assert all(isinstance(seq, list) and 1 <= min(seq) and max(seq) < 1000 for seq in x_train[:50])
    assert set(y_train[:1000].tolist()) <= {0, 1}


def test_stand_in_marks_survive_numpy_arithmetic_and_slicing():
    pytest.importorskip("numpy")
    (x_train, _), _ = datasets.keras_stand_in("mnist")
    scaled = x_train.reshape(-1, 784).astype("float32")[:64] / 255.0
    assert datasets.stand_in_source(scaled) == "keras.datasets.mnist"
    assert datasets.stand_in_source([1, scaled]) == "keras.datasets.mnist"
    assert datasets.stand_in_source(scaled.view(type(scaled).__mro__[1])) is None   # a plain ndarray view


def test_tf1_mnist_reader_stand_in(tmp_path):
    np = pytest.importorskip("numpy")
    trace_state = state.TraceState()
    reader = datasets.mnist_reader_module(trace_state)
    mnist = reader.read_data_sets(str(tmp_path / "MNIST_data"), one_hot=True)
    assert mnist.train.images.shape == (55000, 784) and mnist.validation.num_examples == 5000
    assert mnist.train.images.dtype == np.float32
    assert (mnist.train.images.min(), mnist.train.images.max()) == (0.0, 1.0)
    assert mnist.test.labels.shape == (10000, 10) and set(np.unique(mnist.test.labels)) == {0.0, 1.0}
    xs, ys = mnist.train.next_batch(100)
    assert xs.shape == (100, 784) and ys.shape == (100, 10)
    assert datasets.stand_in_source(xs) == "tensorflow.examples.tutorials.mnist"
    shaped = reader.read_data_sets(str(tmp_path), reshape=False).train.images
    assert shaped.shape == (55000, 28, 28, 1)
    assert not (tmp_path / "MNIST_data").exists()            # the stand-in downloads and writes nothing


def test_tf1_mnist_reader_reads_real_files_when_present(tmp_path):
    np = pytest.importorskip("numpy")
    import gzip

    def idx(path, array):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
        with gzip.open(path, "wb") as handle:
            handle.write(header + array.astype(np.uint8).tobytes())

    images = np.full((12, 28, 28), 51, dtype=np.uint8)
    labels = np.arange(12) % 10
    for prefix in ("train", "t10k"):
        idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", images)
        idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", labels)
    trace_state = state.TraceState()
    mnist = datasets.read_data_sets(str(tmp_path), validation_size=2, state=trace_state)
    assert mnist.train.images.shape == (10, 784) and np.allclose(mnist.train.images, 0.2)
    assert list(mnist.train.labels) == list(labels[2:])
    assert trace_state.stand_ins == {} and datasets.stand_in_source(mnist.train.images) is None


# -- the static import graph ------------------------------------------------------------------------------

def test_import_closure_follows_absolute_relative_and_package_imports(tmp_path):
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("from . import leaf\n")
    (tmp_path / "pkg" / "sub" / "leaf.py").write_text("import numpy\n")
    (tmp_path / "pkg" / "model.py").write_text("from .layers import Block\nfrom ..outside import x\n")
    (tmp_path / "pkg" / "layers.py").write_text("def f():\n    import pkg.sub.leaf\n")
    (tmp_path / "helpers.py").write_text("")
    (tmp_path / "unused.py").write_text("")
    (tmp_path / "train.py").write_text("import helpers\nfrom pkg.model import build\ntry:\n    import missing\n"
                                       "except ImportError:\n    pass\n")
    roots = imports.script_roots(str(tmp_path / "train.py"), str(tmp_path))
    closure = {os.path.relpath(path, tmp_path) for path in
               imports.import_closure(str(tmp_path / "train.py"), roots, str(tmp_path))}
    assert closure == {"train.py", "helpers.py", "pkg/__init__.py", "pkg/model.py", "pkg/layers.py",
                       "pkg/sub/__init__.py", "pkg/sub/leaf.py"}


def test_project_mode_is_v1_when_an_imported_module_is(tmp_path):
    (tmp_path / "net.py").write_text("import tensorflow as tf\ndef build(x):\n    return tf.layers.dense(x, 3)\n")
    (tmp_path / "main.py").write_text("import tensorflow as tf\nimport net\nprint(net.build)\n")
    (tmp_path / "plain.py").write_text("import tensorflow as tf\ny = tf.math.log(2.0)\n")
    roots = [str(tmp_path)]
    assert agent.detect_project_mode(str(tmp_path / "main.py"), str(tmp_path), roots) == "v1"
    assert agent.detect_project_mode(str(tmp_path / "plain.py"), str(tmp_path), roots) == "v2"


@pytest.mark.parametrize("source, mode", [
    ("from tensorflow.examples.tutorials.mnist import input_data\n", "v1"),
    ("import tensorflow.contrib.slim as slim\n", "v1"),
    ("import tensorflow as tf\nm = tf.keras.layers.Dense(3)\n", "v2"),
])
def test_detect_mode_tf1_only_modules(source, mode):
    assert agent.detect_mode(source) == mode


def test_module_name_for(tmp_path):
    assert agent.module_name_for(str(tmp_path / "pkg" / "model.py"), str(tmp_path)) == "pkg.model"
    assert agent.module_name_for(str(tmp_path / "pkg" / "__init__.py"), str(tmp_path)) == "pkg"
    assert agent.module_name_for(str(tmp_path / "my-dir" / "model.py"), str(tmp_path)) is None
    assert agent.module_name_for("/elsewhere/model.py", str(tmp_path)) is None
