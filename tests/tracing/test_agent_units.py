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
