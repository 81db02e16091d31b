"""Property-based fuzzing (issue 6): the graph loader only ever raises GraphLoadError; the analysis of random
small graphs of registered op types terminates, never raises and reports only known rule codes; and on
random elementwise graphs built with TensorFlow, the inferred ranges contain the values at sampled points."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from google.protobuf import text_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.checks import SPECS
from nanscope.analysis.graph import GraphLoadError, graph_from_bytes, graph_from_text, proto
from nanscope.analysis.graph.loader import graph_from_proto
from nanscope.analysis.transformers import REGISTRY

KNOWN_CODES = {spec.code for spec in SPECS}
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def seed_graph() -> proto.GraphDef:
    g = proto.GraphDef()
    x = g.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = 1
    x.attr["shape"].shape.dim.add(size=-1)
    c = g.node.add(name="c", op="Const")
    c.attr["dtype"].type = 1
    c.attr["value"].tensor.dtype = 1
    c.attr["value"].tensor.tensor_shape.dim.add(size=2)
    c.attr["value"].tensor.float_val.extend([0.5, float("nan")])
    for name, op, inputs in (("a", "AddV2", ["x", "c"]), ("l", "Log", ["a"]), ("d", "RealDiv", ["l", "x:0"])):
        n = g.node.add(name=name, op=op)
        n.input.extend(inputs)
        n.attr["T"].type = 1
    g.library.function.add().signature.name = "f"
    return g


SEED_BINARY = seed_graph().SerializeToString()
SEED_TEXT = text_format.MessageToString(seed_graph()).encode()


def load_never_raises_else(load, data: bytes) -> None:
    try:
        load(data)
    except GraphLoadError:
        pass


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes(data: bytes):
    load_never_raises_else(graph_from_bytes, data)
    load_never_raises_else(graph_from_text, data)


@st.composite
def mutated(draw, seed: bytes):
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif data:
            del data[at:at + draw(st.integers(1, 8))]
    return bytes(data)


@FUZZ
@given(mutated(SEED_BINARY))
def test_mutated_binary_graphs(data: bytes):
    try:
        graph = graph_from_bytes(data)
    except GraphLoadError:
        return
    analyse_graph(graph, Path("fuzz.pb"), CheckOptions(), locations={})     # what loads, analyses


@FUZZ
@given(mutated(SEED_TEXT))
def test_mutated_text_graphs(data: bytes):
    try:
        graph = graph_from_text(data)
    except GraphLoadError:
        return
    analyse_graph(graph, Path("fuzz.pbtxt"), CheckOptions(), locations={})


OP_TYPES = sorted(REGISTRY)
DTYPES = [1, 2, 3, 9, 10, 19, 14]      # float32, float64, int32, int64, bool, float16, bfloat16


@st.composite
def random_graphs(draw):
    g = proto.GraphDef()
    for i in range(draw(st.integers(1, 3))):
        n = g.node.add(name=f"in{i}", op=draw(st.sampled_from(["Placeholder", "Const", "VariableV2"])))
        dtype = draw(st.sampled_from(DTYPES))
        n.attr["dtype"].type = dtype
        dims = draw(st.lists(st.integers(-1, 4), max_size=3))
        for d in dims:
            n.attr["shape"].shape.dim.add(size=d)
        if n.op == "Const":
            t = n.attr["value"].tensor
            t.dtype = 1
            t.float_val.extend(draw(st.lists(st.floats(allow_nan=True, width=32), min_size=1, max_size=4)))
    names = [n.name for n in g.node]
    for i in range(draw(st.integers(1, 12))):
        n = g.node.add(name=f"op{i}", op=draw(st.sampled_from(OP_TYPES)))
        for _ in range(draw(st.integers(0, 4))):
            n.input.append(draw(st.sampled_from(names)) + draw(st.sampled_from(["", ":0", ":1"])))
        n.attr["T"].type = draw(st.sampled_from(DTYPES))
        for key in draw(st.lists(st.sampled_from(["axis", "keep_dims", "transpose_a", "N", "alpha", "Tidx"]),
                                 max_size=2)):
            value = n.attr[key]
            choice = draw(st.integers(0, 2))
            if choice == 0:
                value.i = draw(st.integers(-3, 3))
            elif choice == 1:
                value.b = draw(st.booleans())
            else:
                value.f = draw(st.floats(allow_nan=True))
        names.append(n.name)
    return g


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs(), st.sampled_from(["affine", "none"]))
def test_analysis_of_random_graphs_terminates_without_raising(graph_def, relations):
    from nanscope.analysis.transformers.registry import AnalysisOptions
    graph = graph_from_proto(graph_def)
    options = CheckOptions(analysis=AnalysisOptions(relations=relations == "affine"))
    report = analyse_graph(graph, Path("random.pb"), options, locations={})
    assert {f.code for f in report.findings} <= KNOWN_CODES


# -- soundness against TensorFlow on sampled points -------------------------------------------------------

UNARY = ["Exp", "Log", "Sqrt", "Tanh", "Sigmoid", "Relu", "Neg", "Square", "Abs", "Softplus"]
BINARY = ["AddV2", "Sub", "Mul", "Maximum", "Minimum"]


@st.composite
def elementwise_programs(draw):
    """A list of (op, input indices) over the value list [x, y]."""
    program = []
    for i in range(draw(st.integers(1, 6))):
        available = 2 + i
        if draw(st.booleans()):
            program.append((draw(st.sampled_from(UNARY)), (draw(st.integers(0, available - 1)),)))
        else:
            program.append((draw(st.sampled_from(BINARY)),
                            (draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1)))))
    return program


@pytest.mark.tensorflow
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(elementwise_programs(), st.floats(-3, 3, width=32), st.floats(-3, 3, width=32))
def test_inferred_ranges_contain_tensorflow_values(program, a, b):
    tf = pytest.importorskip("tensorflow")
    lo, hi = sorted((a + 0.0, b + 0.0))   # float32 values the placeholders can hold (+ 0.0 turns -0.0 into 0.0)
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [5], name="x")
        y = tf.compat.v1.placeholder(tf.float32, [5], name="y")
        values = [x, y]
        for op, args in program:
            fn = getattr(tf.raw_ops, op)
            tensors = [values[a] for a in args]
            key = "features" if op in ("Relu", "Softplus") else "x"
            values.append(fn(**{key: tensors[0]}) if len(tensors) == 1 else fn(x=tensors[0], y=tensors[1]))
    graph_def = graph.as_graph_def().SerializeToString()
    ours = graph_from_bytes(graph_def)
    from nanscope.analysis.interpreter import Interpreter
    options = CheckOptions(ranges={"x": (lo, hi), "y": (lo, hi)})
    env = Interpreter(ours, options.assumptions(), options.analysis).run()
    from nanscope.analysis.graph.ir import TensorRef
    rng = np.random.default_rng(0)
    samples = [np.full(5, lo, np.float32), np.full(5, hi, np.float32),
               rng.uniform(lo, hi, 5).astype(np.float32)]
    with tf.compat.v1.Session(graph=graph) as session:
        for xs in samples:
            ys = rng.uniform(lo, hi, 5).astype(np.float32)
            computed = session.run(values[2:], {x: xs, y: ys})
            for tensor, value in zip(values[2:], computed):
                interval = env.value(TensorRef(tensor.op.name, 0)).interval
                for v in np.asarray(value, dtype=np.float64).ravel():
                    if math.isnan(v):
                        continue      # NaN is what the checks report; ranges bound the non-NaN values
                    assert interval.lo <= v <= interval.hi, (tensor.op.name, v, interval, program)
