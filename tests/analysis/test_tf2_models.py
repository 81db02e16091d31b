"""Graphs TensorFlow 2 exports analyse with no unsupported op: an MLP, a CNN with batch normalisation,
LSTM and GRU loops built with tf.compat.v1.nn.dynamic_rnn, a Keras model with layer normalisation and
attention, and training steps with the Adam optimizer (v1 and Keras). Function-library bodies count: every
op type of the graph and of its library must have a transformer (or be handled by the interpreter)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.graph import graph_from_bytes
from nanscope.analysis.ops_command import unsupported_ops

pytestmark = pytest.mark.tensorflow
tf = pytest.importorskip("tensorflow")
v1 = tf.compat.v1
def dense(x, units, name, activation=None):
    w = v1.get_variable(f"{name}/kernel", [x.shape[-1], units])
    b = v1.get_variable(f"{name}/bias", [units], initializer=v1.zeros_initializer())
    y = tf.nn.bias_add(tf.matmul(x, w), b)
    return activation(y) if activation else y


def mlp():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 20], name="x")
        y = v1.placeholder(tf.int64, [None], name="y")
        h = dense(x, 32, "d1", tf.nn.relu)
        h = tf.nn.dropout(h, rate=0.5)
        logits = dense(h, 10, "d2")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, 1), y), tf.float32), name="acc")
        v1.train.GradientDescentOptimizer(0.1).minimize(loss)
    return g.as_graph_def(add_shapes=True)


def cnn():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 28, 28, 1], name="x")
        y = v1.placeholder(tf.float32, [None, 10], name="y")
        w = v1.get_variable("conv/kernel", [3, 3, 1, 8])
        h = tf.nn.conv2d(x, w, strides=1, padding="SAME")
        scale = v1.get_variable("bn/gamma", [8], initializer=v1.ones_initializer())
        offset = v1.get_variable("bn/beta", [8], initializer=v1.zeros_initializer())
        h, mean, var = v1.nn.fused_batch_norm(h, scale, offset, is_training=True)
        h = tf.nn.relu(h)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
        h = tf.reshape(h, [-1, 14 * 14 * 8])
        logits = dense(h, 10, "d")
        loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits))
        v1.train.MomentumOptimizer(0.1, 0.9).minimize(loss)
    return g.as_graph_def(add_shapes=True)


class LSTM:
    def __init__(self, units):
        self.units = units
        self.state_size = (units, units)
        self.output_size = units

    def zero_state(self, batch, dtype):
        return (tf.zeros([batch, self.units], dtype), tf.zeros([batch, self.units], dtype))

    def get_initial_state(self, inputs=None, batch_size=None, dtype=None):
        return self.zero_state(batch_size, dtype)

    def __call__(self, x, state, scope=None):
        c, h = state
        with v1.variable_scope("lstm", reuse=v1.AUTO_REUSE):
            z = dense(tf.concat([x, h], 1), 4 * self.units, "gates")
        i, j, f, o = tf.split(z, 4, axis=1)
        c = tf.sigmoid(f + 1.0) * c + tf.sigmoid(i) * tf.tanh(j)
        h = tf.sigmoid(o) * tf.tanh(c)
        return h, (c, h)


class GRU(LSTM):
    def __init__(self, units):
        self.units = units
        self.state_size = units
        self.output_size = units

    def zero_state(self, batch, dtype):
        return tf.zeros([batch, self.units], dtype)

    def __call__(self, x, h, scope=None):
        with v1.variable_scope("gru", reuse=v1.AUTO_REUSE):
            rz = tf.sigmoid(dense(tf.concat([x, h], 1), 2 * self.units, "gates"))
            r, z = tf.split(rz, 2, axis=1)
            c = tf.tanh(dense(tf.concat([x, r * h], 1), self.units, "cand"))
        h = z * h + (1 - z) * c
        return h, h


def rnn(cell="lstm"):
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 12, 8], name="x")
        c = LSTM(16) if cell == "lstm" else GRU(16)
        out, state = v1.nn.dynamic_rnn(c, x, dtype=tf.float32)
        loss = tf.reduce_mean(tf.square(out[:, -1]))
        v1.train.AdamOptimizer(1e-3).minimize(loss)
    return g.as_graph_def(add_shapes=True)


def keras_attention():
    inp = tf.keras.Input((6, 16))
    h = tf.keras.layers.LayerNormalization()(inp)
    h = tf.keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(h, h)
    h = tf.keras.layers.Dense(16, activation="gelu")(h)
    h = tf.keras.layers.GlobalAveragePooling1D()(h)
    out = tf.keras.layers.Dense(3, activation="softmax")(h)
    model = tf.keras.Model(inp, out)
    f = tf.function(lambda x: model(x))
    return f.get_concrete_function(tf.TensorSpec([None, 6, 16], tf.float32)).graph.as_graph_def(add_shapes=True)


def adam_step():
    model = tf.keras.Sequential([tf.keras.layers.Dense(8, activation="relu"), tf.keras.layers.Dense(1)])
    model.build((None, 4))
    opt = tf.keras.optimizers.Adam(1e-3)

    @tf.function
    def step(x, y):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss
    return step.get_concrete_function(tf.TensorSpec([None, 4]), tf.TensorSpec([None, 1])).graph.as_graph_def(
        add_shapes=True)


def adam_v1():
    g = tf.Graph()
    with g.as_default():
        x = v1.placeholder(tf.float32, [None, 4], name="x")
        w = v1.get_variable("w", [4, 1])
        loss = tf.reduce_mean(tf.square(tf.matmul(x, w)))
        v1.train.AdamOptimizer(1e-3).minimize(loss)
    return g.as_graph_def(add_shapes=True)


def rnn_lstm():
    return rnn("lstm")


def rnn_gru():
    return rnn("gru")


def rnn_v1_control_flow():
    v1.disable_control_flow_v2()
    try:
        return rnn("gru")
    finally:
        v1.enable_control_flow_v2()


MODELS = [mlp, cnn, rnn_lstm, rnn_gru, rnn_v1_control_flow, keras_attention, adam_step, adam_v1]


@pytest.mark.parametrize("build", MODELS, ids=[m.__name__ for m in MODELS])
def test_model_has_no_unsupported_op(build):
    graph = graph_from_bytes(build().SerializeToString())
    assert unsupported_ops(graph) == []
    report = analyse_graph(graph, Path("g.pb"), CheckOptions(), locations={})
    assert report.unsupported_ops == []
    assert not any("no transformer" in note or "could not be analysed" in note for note in report.notes), \
        report.notes


def test_loops_are_analysed_with_bounded_states():
    graph = graph_from_bytes(rnn("lstm").SerializeToString())
    ops = {n.op for f in graph.functions.values() for n in f.node_def} | graph.op_types
    assert {"TensorListReserve", "TensorListSetItem"} <= ops and ops & {"While", "StatelessWhile"}, sorted(ops)
    report = analyse_graph(graph, Path("g.pb"), CheckOptions(ranges={"x": (-1.0, 1.0)}, weight_range=(-1.0, 1.0)),
                           locations={})
    assert report.unsupported_ops == []
    assert np.isfinite(report.stats.seconds)
