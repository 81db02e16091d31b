"""The graphs the benchmarks analyse, and the one place that builds them.

Owns three groups of graphs, each returned as our IR (`nanscope.analysis.graph.Graph`) with the input
ranges it is meant to be analysed under:

- the issue's four precision graphs (affine cancellation, ReLU/exp predicate splitting, concat
  partitioning, layer norm), each written so that one feature of the abstraction decides a verdict, and a
  wide concat that goes past the partition mode's block limit (where expand mode differs);
- two small synthetic models with a log at the end: a dense MLP with a training step (so gradient ops are
  checked too) and a conv stack;
- the deep stacks of the scaling benchmark (`stack_graph_def`): dense or conv blocks, with a
  softmax and a log at the end (`dense_logs`: also an unsafe log in every block).

Every graph is built by TensorFlow (tf.compat.v1 in a `tf.Graph`, exported with `add_shapes=True`), as the
tracer would produce it. Deep stacks of 100k ops take TensorFlow most of a minute to build, so by default they
are *stamped*: TensorFlow builds the stack with two blocks, and the second block's NodeDefs are copied with
renamed scopes (`block1/` -> `blockK/`, its input `block0/out` -> `blockK-1/out`) using nanscope's own proto
module. `tests/benchmarks/test_smoke.py` checks that a stamped stack equals the one TensorFlow builds.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from nanscope.analysis.graph import Graph, graph_from_bytes, load_graph_file, proto
from nanscope.analysis.transformers.registry import AnalysisOptions

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = REPO_ROOT / "examples"

Ranges = Mapping[str, tuple[float, float]]


@dataclass(frozen=True)
class Case:
    """One graph of the ablation, with the ranges of its inputs."""
    name: str
    group: str                      # "example" | "precision" | "synthetic"
    graph: Graph
    ranges: Ranges = field(default_factory=dict)


def tensorflow():
    """TensorFlow, imported on first use with its C++ logging quietened."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    return tf


def graph_def_bytes(build: Callable[[], None]) -> bytes:
    """Run `build` inside a fresh tf.Graph and return the serialized GraphDef with static shapes."""
    tf = tensorflow()
    graph = tf.Graph()
    with graph.as_default():
        build()
    return graph.as_graph_def(add_shapes=True).SerializeToString()


def build_graph(build: Callable[[], None]) -> Graph:
    return graph_from_bytes(graph_def_bytes(build))


# -- the four precision graphs of the issue ---------------------------------------------------------------

def _affine() -> None:
    """x = a + b and y = a - b, so x + y = 2a in [0, 2]: log(x + y + 0.5) is safe only with relations."""
    tf = tensorflow()
    v1 = tf.compat.v1
    a = v1.placeholder(tf.float32, [], name="a")
    b = v1.placeholder(tf.float32, [], name="b")
    total = (a + b) + (a - b)
    tf.math.log(total + 0.5, name="log")


def _relu_split() -> None:
    """exp(-relu(x)) + exp(x - relu(x)) lies in [1, 2], found by splitting x at 0; [0, 2] without it."""
    tf = tensorflow()
    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, [], name="x")
    y = tf.exp(-tf.nn.relu(x)) + tf.exp(x - tf.nn.relu(x))
    tf.math.log(y - 0.5, name="log")


def _concat() -> None:
    """The ones concatenated beside p stay a block of their own: log of that column is safe unless smashed."""
    tf = tensorflow()
    v1 = tf.compat.v1
    p = v1.placeholder(tf.float32, [2, 1], name="p")
    q = tf.concat([p, tf.ones([2, 1])], axis=1)
    tf.math.log(q[:, 1], name="log")


def _layer_norm() -> None:
    """A variance is >= 0 but may be 0: rsqrt(var + eps) is safe, log(var) is not, in every configuration."""
    tf = tensorflow()
    v1 = tf.compat.v1
    h = v1.placeholder(tf.float32, [None, 16], name="h")
    mean = tf.reduce_mean(h, axis=-1, keepdims=True)
    var = tf.reduce_mean(tf.math.squared_difference(h, mean), axis=-1, keepdims=True)
    tf.math.rsqrt(var + 1e-5, name="rsqrt")
    tf.math.log(var, name="log")


# More parts than the partition mode's block limit (64 by default), far fewer than the expand limit (4096).
WIDE_PARTS = 2 * (AnalysisOptions().block_limit // 2 + 8)


def _concat_wide() -> None:
    """Like `_concat` with WIDE_PARTS (80) parts (placeholder columns alternating with ones): past the partition mode's block
    limit the tensor is smashed and the log of a ones column is reported; expand mode keeps every part."""
    tf = tensorflow()
    v1 = tf.compat.v1
    p = v1.placeholder(tf.float32, [2, WIDE_PARTS // 2], name="p")
    parts = []
    for i in range(WIDE_PARTS // 2):
        parts += [p[:, i:i + 1], tf.ones([2, 1])]
    q = tf.concat(parts, axis=1)
    tf.math.log(q[:, 1], name="log")


def precision_cases() -> list[Case]:
    return [
        Case("affine", "precision", build_graph(_affine), {"a": (0.0, 1.0), "b": (1.0, 2.0)}),
        Case("relu_split", "precision", build_graph(_relu_split), {"x": (-50.0, 40.0)}),
        Case("concat", "precision", build_graph(_concat), {"p": (-1.0, 0.0)}),
        Case("layer_norm", "precision", build_graph(_layer_norm), {}),
        Case("concat_wide", "precision", build_graph(_concat_wide), {"p": (-1.0, 0.0)}),
    ]


# -- small synthetic models ---------------------------------------------------------------------------------

def _dense(h, units: int, name: str, activation=None):
    tf = tensorflow()
    v1 = tf.compat.v1
    with v1.variable_scope(name):
        w = v1.get_variable("w", [int(h.shape[-1]), units], initializer=v1.glorot_uniform_initializer())
        b = v1.get_variable("b", [units], initializer=v1.zeros_initializer())
        h = tf.nn.bias_add(tf.matmul(h, w), b)
        return activation(h) if activation is not None else h


def _conv(h, channels: int, name: str, activation=None):
    tf = tensorflow()
    v1 = tf.compat.v1
    with v1.variable_scope(name):
        w = v1.get_variable("w", [3, 3, int(h.shape[-1]), channels], initializer=v1.glorot_uniform_initializer())
        b = v1.get_variable("b", [channels], initializer=v1.zeros_initializer())
        h = tf.nn.bias_add(tf.nn.conv2d(h, w, strides=1, padding="SAME"), b)
        return activation(h) if activation is not None else h


def _mlp(batch: int = 8) -> None:
    """784 -> 64 -> 32 -> 10 with ReLUs, softmax cross entropy written with a bare log, one SGD step."""
    tf = tensorflow()
    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, [batch, 784], name="x")
    labels = v1.placeholder(tf.float32, [batch, 10], name="labels")
    h = _dense(x, 64, "dense1", tf.nn.relu)
    h = _dense(h, 32, "dense2", tf.nn.relu)
    p = tf.nn.softmax(_dense(h, 10, "logits"))
    loss = tf.reduce_mean(-tf.reduce_sum(labels * tf.math.log(p, name="log"), axis=1))
    v1.train.GradientDescentOptimizer(0.1).minimize(loss)


def _conv_stack(batch: int = 4) -> None:
    """Two 3x3 conv layers with ReLU and a max pool, global average pool, dense, softmax; log with and without
    an epsilon."""
    tf = tensorflow()
    v1 = tf.compat.v1
    x = v1.placeholder(tf.float32, [batch, 12, 12, 3], name="x")
    h = _conv(x, 8, "conv1", tf.nn.relu)
    h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = _conv(h, 8, "conv2", tf.nn.relu)
    h = tf.reduce_mean(h, axis=[1, 2])
    p = tf.nn.softmax(_dense(h, 10, "logits"))
    tf.math.log(p, name="log")
    tf.math.log(p + 1e-6, name="log_eps")


def synthetic_cases() -> list[Case]:
    return [
        Case("mlp_train", "synthetic", build_graph(_mlp), {"x": (0.0, 1.0), "labels": (0.0, 1.0)}),
        Case("conv_stack", "synthetic", build_graph(_conv_stack), {"x": (0.0, 1.0)}),
    ]


def example_cases(folder: Path = EXAMPLES) -> list[Case]:
    """The project's saved example graphs, analysed under the default assumptions (as `nanscope check`)."""
    return [Case(path.stem, "example", load_graph_file(path)) for path in sorted(folder.glob("*.pbtxt"))]


# -- deep stacks for the scaling benchmark -------------------------------------------------------------------

FAMILIES = ("dense", "conv", "dense_logs")  # dense_logs: a dense stack with an unsafe log in every block
STACK_RANGES: Ranges = {"x": (0.0, 1.0)}
DENSE_WIDTH = 64
CONV_SIDE, CONV_CHANNELS = 16, 8


def _stack(family: str, blocks: int) -> Callable[[], None]:
    """A stack of `blocks` blocks (scopes block0/, block1/, ...; each a ReLU layer then a tanh layer, ending in
    an Identity `blockK/out`), then a head: global average pool (conv), dense to 10, softmax, log.

    In `dense_logs` every block also takes the log of its ReLU layer's output, which may be 0: one finding per
    block, each of which predicate splitting tries to refute (the stress case for checks and splitting)."""
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")

    def build() -> None:
        tf = tensorflow()
        v1 = tf.compat.v1
        if family in ("dense", "dense_logs"):
            h = v1.placeholder(tf.float32, [None, DENSE_WIDTH], name="x")
            layer = lambda h, name, act: _dense(h, DENSE_WIDTH, name, act)  # noqa: E731
        else:
            h = v1.placeholder(tf.float32, [None, CONV_SIDE, CONV_SIDE, CONV_CHANNELS], name="x")
            layer = lambda h, name, act: _conv(h, CONV_CHANNELS, name, act)  # noqa: E731
        for k in range(blocks):
            with v1.variable_scope(f"block{k}"):
                h = layer(h, "relu_layer", tf.nn.relu)
                if family == "dense_logs":
                    tf.math.log(h, name="log")
                h = layer(h, "tanh_layer", tf.nn.tanh)
                h = tf.identity(h, name="out")
        with v1.variable_scope("head"):
            if family == "conv":
                h = tf.reduce_mean(h, axis=[1, 2])
            p = tf.nn.softmax(_dense(h, 10, "logits"))
            tf.math.log(p, name="log")

    return build


def tf_stack_graph_def(family: str, blocks: int) -> bytes:
    """The deep stack as TensorFlow builds it (slow for many blocks: about 0.4 ms per op)."""
    return graph_def_bytes(_stack(family, blocks))


class StackTemplate:
    """A two-block stack built once by TensorFlow, stamped to any number of blocks."""

    def __init__(self, family: str):
        self.family = family
        self.source = proto.GraphDef()
        self.source.ParseFromString(tf_stack_graph_def(family, 2))
        self.block = [node for node in self.source.node if node.name.startswith("block1/")]
        self.ops_per_block = len(self.block)
        self.fixed_ops = len(self.source.node) - 2 * self.ops_per_block

    def blocks_for(self, target_ops: int) -> int:
        """The number of blocks (at least 2) whose stack has about `target_ops` ops."""
        return max(2, round((target_ops - self.fixed_ops) / self.ops_per_block))

    def ops_for(self, blocks: int) -> int:
        return self.fixed_ops + blocks * self.ops_per_block

    def stamp(self, blocks: int) -> bytes:
        """Serialized GraphDef of the stack with `blocks` blocks, equal to what TensorFlow would build."""
        if blocks < 2:
            raise ValueError("a stamped stack has at least 2 blocks")
        result = proto.GraphDef()
        result.versions.CopyFrom(self.source.versions)
        last = _Renamer(blocks - 1, previous=False)
        stamped = False
        for node in self.source.node:
            if node.name.startswith("block1/"):
                if not stamped:
                    for k in range(1, blocks):
                        renamer = _Renamer(k)
                        for template in self.block:
                            renamer.copy(template, result.node.add())
                    stamped = True
            else:
                last.copy(node, result.node.add())
        return result.SerializeToString()


class _Renamer:
    """Copies a NodeDef of block 1 into block k: names in `block1/` move to `blockK/` and references to
    `block0/` (the previous block) to `blockK-1/`, in the name, the inputs and string attributes (shared_name,
    debug_name, `_class` colocation). With `previous=False` only `block1/` moves (for nodes outside the block
    that refer to it, such as the head)."""

    def __init__(self, k: int, previous: bool = True):
        self.mapping = (("block1/", f"block{k}/"),) + ((("block0/", f"block{k - 1}/"),) if previous else ())

    def rename(self, text: str) -> str:
        for marker in ("^", "loc:@"):  # control inputs, colocation constraints
            if text.startswith(marker):
                return marker + self.rename(text[len(marker):])
        for old, new in self.mapping:
            if text.startswith(old):
                return new + text[len(old):]
        return text

    def copy(self, source, target) -> None:
        target.CopyFrom(source)
        target.name = self.rename(source.name)
        del target.input[:]
        target.input.extend(self.rename(text) for text in source.input)
        for key, value in source.attr.items():
            kind = value.WhichOneof("value")
            if kind == "s":
                target.attr[key].s = self.rename(value.s.decode()).encode()
            elif kind == "list" and value.list.s:
                del target.attr[key].list.s[:]
                target.attr[key].list.s.extend(self.rename(s.decode()).encode() for s in value.list.s)


def stack_graph_def(family: str, target_ops: int, *, builder: str = "stamp",
                    template: StackTemplate | None = None) -> bytes:
    """A deep stack of about `target_ops` ops; `builder` "stamp" (fast) or "tf" (TensorFlow builds every op)."""
    template = template or StackTemplate(family)
    blocks = template.blocks_for(target_ops)
    if builder == "tf":
        return tf_stack_graph_def(family, blocks)
    if builder != "stamp":
        raise ValueError(f"builder must be 'stamp' or 'tf', not {builder!r}")
    return template.stamp(blocks)
