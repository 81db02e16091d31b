"""The soundness harness: every transformer checked against TensorFlow itself.

A `Case` names the op type under test, its placeholder inputs (dtype, static shape, fed shape, which kind
of ranges to draw) and a function building the op from the placeholders. For each case the harness builds
one tf.compat.v1 graph and one session (cached for the whole test session), and loads the same graph into
our IR. Every hypothesis example then

1. draws an abstract range for each placeholder (small, huge, negative, zero-crossing, points, infinite),
2. interprets the graph under those ranges, in each tensor mode (partitioned, smashed, expanded),
3. feeds concrete tensors inside the ranges (their corners in every combination, 0 when inside, and random
   values), runs TensorFlow and asserts that every output element lies inside the abstract value: the
   tensor's hull and the block of the partition that holds the element.

Placeholder values are finite; an infinite bound means "unbounded", and is sampled with the most extreme
finite values of the type (so overflow to +-inf is exercised). A NaN output is allowed only where the
checks module says the op is unsafe for the abstract input (log of a negative, x / 0), or for
accumulating ops when the abstract output is unbounded (an overflowed partial sum or product meeting an
infinity of the other sign or a zero), or when an input of the op may be infinite (inf - inf, 0 * inf).
An infinite output must lie inside too: the bound on its side must be infinite.

Subnormals: TensorFlow runs CPU kernels with flush-to-zero and denormals-are-zero, so float32/float64
arithmetic treats a subnormal like a zero of its sign (x * 1.0 gives -0.0 for x = -1e-40), while ops that
only move or select bits pass it on (Relu(-1e-40) = -1e-40). The domain follows the hardware: `to_dtype`
flushes subnormal bounds to 0, and a subnormal float32/float64 output counts as inside an interval that
holds 0. (float16 has no such mode: its subnormals are ordinary values.)
"""
from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Callable

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanscope.analysis.checks import SPEC_BY_OP
from nanscope.analysis.domain.interval import INF, Interval
from nanscope.analysis.graph import TensorRef, graph_from_bytes
from nanscope.analysis.interpreter import interpret
from nanscope.analysis.transformers.registry import AnalysisOptions, Assumptions

# Every example is interpreted in each tensor mode: soundness must not depend on the abstraction's knobs.
MODES = {
    "partition": AnalysisOptions(),
    "smash": AnalysisOptions(tensor="smash", relations=False, split=False),
    "expand": AnalysisOptions(tensor="expand"),
}


@dataclass(frozen=True)
class In:
    """A placeholder input: dtype name, static shape (None dims allowed), fed shape, kind of ranges."""
    dtype: str = "float32"
    shape: tuple | None = (3, 4)
    kind: str = "any"   # any | positive | nonzero | small | smallint | divsafe (ints without INT_MIN)
    feed: tuple | None = None   # the concrete shape when `shape` has unknown dims

    @property
    def feed_shape(self) -> tuple:
        return self.feed if self.feed is not None else self.shape


@dataclass(frozen=True)
class Case:
    id: str
    op: str                                  # the op type under test (the graph must contain it)
    inputs: tuple[In, ...]
    build: Callable[..., Any]                # (*placeholders) -> tensor or list of tensors to check
    covers: tuple[str, ...] = ()             # further op types the graph contains (coverage bookkeeping)
    nan_on_overflow: bool = False            # accumulating op: NaN allowed when the output is unbounded
    examples: int = 30
    draw_intervals: Callable[[Any], list[Interval]] | None = None   # joint ranges, e.g. for Range


# Ops whose abstract dtype may differ from TensorFlow's (none today: graph/ir.py fixes the output type of
# comparisons, logical ops and Rank).
KNOWN_DTYPE_GAPS: frozenset[str] = frozenset()


# -- ranges ----------------------------------------------------------------------------------------------

def np_type(dtype: str):
    return np.dtype(dtype).type


def dtype_max(dtype: str) -> float:
    if dtype == "bool":
        return 1.0
    return float(np.finfo(dtype).max) if np.dtype(dtype).kind == "f" else float(np.iinfo(dtype).max)


def dtype_lowest(dtype: str) -> float:
    if dtype == "bool":
        return 0.0
    return -dtype_max(dtype) if np.dtype(dtype).kind == "f" else float(np.iinfo(dtype).min)


def representable(value: float, dtype: str) -> float:
    """value rounded to the type, kept finite (bounds of an assumption are values of the type)."""
    m = dtype_max(dtype)
    if not math.isfinite(value):
        return value
    with np.errstate(over="ignore"):
        v = float(np_type(dtype)(min(max(value, -m), m)))
    return min(max(v, -m), m)


@st.composite
def float_interval(draw, dtype: str, kind: str) -> Interval:
    finfo = np.finfo(dtype)
    scale = draw(st.sampled_from([1.0, 10.0, 100.0, 1e4, float(finfo.tiny) * 8, math.sqrt(float(finfo.max)),
                                  float(finfo.max)]))
    if kind == "small":
        scale = min(scale, 10.0)
    if kind == "smallint":
        value = st.integers(-3, 3).map(float)
    else:
        big = float(finfo.max)
        extremes = [big, big / 2, math.sqrt(big) * 2, float(finfo.tiny), float(finfo.smallest_subnormal), 0.0]
        value = st.floats(-scale, scale, allow_nan=False)
        if kind != "small":
            value = st.one_of(value, st.sampled_from(extremes + [-v for v in extremes]))
        value = value.map(lambda v: representable(v, dtype))
    shape = draw(st.sampled_from(["pair", "pair", "pair", "point", "from_zero", "to_zero", "lo_inf", "hi_inf",
                                  "top"]))
    x, y = draw(value), draw(value)
    lo, hi = min(x, y), max(x, y)
    if shape == "point":
        hi = lo
    elif shape == "from_zero":
        lo, hi = 0.0, max(abs(x), abs(y))
    elif shape == "to_zero":
        lo, hi = -max(abs(x), abs(y)), 0.0
    elif shape == "lo_inf" and kind not in ("small", "smallint"):
        lo = -INF
    elif shape == "hi_inf" and kind not in ("small", "smallint"):
        hi = INF
    elif shape == "top" and kind not in ("small", "smallint"):
        lo, hi = -INF, INF
    return shape_kind(Interval(lo, hi), kind, dtype, draw)


def shape_kind(x: Interval, kind: str, dtype: str, draw) -> Interval:
    """Restrict a drawn interval to the kind of range an input needs."""
    if kind == "positive":
        if x.hi < 0:
            x = -x
        return Interval(max(x.lo, 0.0), x.hi)
    # floats: a subnormal divisor is a zero under denormals-are-zero, so "nonzero" excludes them too
    smallest = 1.0 if np.dtype(dtype).kind in "iu" else float(np.finfo(dtype).tiny)
    if kind == "nonzero" and (x.lo < smallest and x.hi > -smallest):
        hi = x.hi if x.hi > 0 else -x.lo
        hi = max(hi, smallest) if math.isfinite(hi) else hi
        lo = representable(draw(st.floats(smallest, min(hi, 1e6))), dtype) if hi > smallest else hi
        lo = max(lo, smallest)
        positive = Interval(min(lo, hi), hi)
        return positive if draw(st.booleans()) else -positive
    return x


@st.composite
def int_interval(draw, dtype: str, kind: str) -> Interval:
    info = np.iinfo(dtype)
    # bounds are floats: keep them where float64 holds integers of the type (int64's max would round up)
    lowest, highest = max(int(info.min), -(2 ** 62)), min(int(info.max), 2 ** 62)
    if kind == "divsafe":
        lowest += 1  # INT_MIN / -1 traps (SIGFPE) in integer division
    if kind in ("small", "smallint"):
        value = st.integers(-3 if kind == "smallint" else -100, 3 if kind == "smallint" else 100)
    else:
        value = st.one_of(st.integers(-100, 100), st.integers(lowest, highest),
                          st.sampled_from([lowest, highest, 0, 1, -1]))
    x, y = draw(value), draw(value)
    lo, hi = float(min(x, y)), float(max(x, y))
    shape = draw(st.sampled_from(["pair", "pair", "point", "lo_inf", "hi_inf"]))
    if shape == "point":
        hi = lo
    elif shape == "lo_inf" and kind not in ("small", "smallint", "divsafe"):
        lo = -INF
    elif shape == "hi_inf" and kind not in ("small", "smallint", "divsafe"):
        hi = INF
    return shape_kind(Interval(lo, hi), kind, dtype, draw)


def interval_strategy(spec: In):
    if spec.dtype == "bool":
        return st.sampled_from([Interval(0.0, 0.0), Interval(1.0, 1.0), Interval(0.0, 1.0)])
    if np.dtype(spec.dtype).kind == "f":
        return float_interval(spec.dtype, spec.kind)
    return int_interval(spec.dtype, spec.kind)


# -- concrete values inside a range -------------------------------------------------------------------------

def sample(rng: np.random.Generator, spec: In, x: Interval, position: int, count: int) -> np.ndarray:
    """A tensor of the fed shape inside x: the corners in a pattern that, across `count` inputs, meets every
    combination of corners at the first 2**count elements; then 0 when inside; then random values."""
    shape = spec.feed_shape
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if spec.dtype != "bool" and np.dtype(spec.dtype).kind in "iu":
        return _sample_integers(rng, spec, x, position, count, size)
    lo = max(x.lo, dtype_lowest(spec.dtype))
    hi = min(x.hi, dtype_max(spec.dtype))
    corners = [lo if (i >> position) & 1 == 0 else hi for i in range(2 ** count)]
    if lo <= 0 <= hi:
        corners.append(0.0)
    extra = max(size - len(corners), 0)
    values = np.concatenate([np.asarray(corners, dtype=np.float64), random_values(rng, spec.dtype, lo, hi, extra)])
    values = values[:size]
    if spec.dtype == "bool":
        return (values.reshape(shape) >= 0.5) if shape else np.bool_(values[0] >= 0.5)
    with np.errstate(over="ignore"):
        array = np.clip(values.astype(spec.dtype), np_type(spec.dtype)(lo), np_type(spec.dtype)(hi))
    return array.reshape(shape) if shape else array.reshape(())[()]


def _sample_integers(rng, spec: In, x: Interval, position: int, count: int, size: int) -> np.ndarray:
    info = np.iinfo(spec.dtype)   # exact Python ints: float(int64 max) would be 2**63
    lo = max(math.ceil(x.lo), info.min) if math.isfinite(x.lo) else info.min
    hi = min(math.floor(x.hi), info.max) if math.isfinite(x.hi) else info.max
    corners = [lo if (i >> position) & 1 == 0 else hi for i in range(2 ** count)]
    if lo <= 0 <= hi:
        corners.append(0)
    extra = max(size - len(corners), 0)
    random = rng.integers(lo, hi, extra, dtype=spec.dtype, endpoint=True)
    array = np.concatenate([np.asarray(corners, dtype=spec.dtype), random])[:size]
    return array.reshape(spec.feed_shape) if spec.feed_shape else array.reshape(())[()]


def random_values(rng: np.random.Generator, dtype: str, lo: float, hi: float, n: int) -> np.ndarray:
    if n == 0:
        return np.zeros(0)
    if dtype == "bool":
        return rng.integers(int(lo), int(hi) + 1, n).astype(np.float64)
    u = rng.uniform(0.0, 1.0, n)
    uniform = lo * (1 - u) + hi * u   # no hi - lo: it may overflow
    # log-uniform magnitudes (from subnormal to the type's max), clipped: exercises tiny and huge values
    finfo = np.finfo(dtype)
    exponent = rng.uniform(math.log10(float(finfo.smallest_subnormal)), math.log10(float(finfo.max)), n)
    signs = rng.choice([-1.0, 1.0], n)
    spread = np.clip(signs * 10.0 ** exponent, lo, hi)
    return np.where(rng.uniform(0.0, 1.0, n) < 0.5, uniform, spread)


# -- building and running ------------------------------------------------------------------------------

@dataclass
class Built:
    tf_graph: Any
    session: Any
    placeholders: list
    outputs: list
    ir: Any
    refs: list[TensorRef]
    op_types: frozenset[str] = field(default_factory=frozenset)


class Harness:
    def __init__(self):
        import tensorflow as tf
        self.tf = tf
        self.cache: dict[str, Built] = {}

    def build(self, case: Case) -> Built:
        if case.id in self.cache:
            return self.cache[case.id]
        tf = self.tf
        graph = tf.Graph()
        with graph.as_default():
            placeholders = [tf.compat.v1.placeholder(tf.as_dtype(spec.dtype), spec.shape, name=f"in{i}")
                            for i, spec in enumerate(case.inputs)]
            result = case.build(*placeholders)
            outputs = list(result) if isinstance(result, (list, tuple)) else [result]
        ir = graph_from_bytes(graph.as_graph_def(add_shapes=True).SerializeToString())
        refs = [TensorRef(t.op.name, t.value_index) for t in outputs]
        config = tf.compat.v1.ConfigProto(intra_op_parallelism_threads=2, inter_op_parallelism_threads=1)
        built = Built(graph, tf.compat.v1.Session(graph=graph, config=config), placeholders, outputs, ir, refs,
                      ir.op_types)
        missing = {case.op, *case.covers} - built.op_types
        assert not missing, f"{case.id}: the graph has no {sorted(missing)} node (ops: {sorted(built.op_types)})"
        self.cache[case.id] = built
        return built

    def close(self) -> None:
        for built in self.cache.values():
            built.session.close()
        self.cache.clear()

    def check(self, case: Case, data) -> None:
        built = self.build(case)
        if case.draw_intervals is not None:
            ranges = case.draw_intervals(data.draw)
        else:
            ranges = [data.draw(interval_strategy(spec), label=f"range of in{i}") for i, spec in enumerate(case.inputs)]
        assumptions = Assumptions(ranges={f"in{i}": r for i, r in enumerate(ranges)})
        envs = {}
        for mode, options in MODES.items():
            env = interpret(built.ir, assumptions, options)
            assert not env.failed, f"{case.id} ({mode}): transformers failed: {env.failed}"
            assert not env.unsupported, f"{case.id} ({mode}): no transformer for {env.unsupported}"
            envs[mode] = env

        rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
        feeds = {ph: sample(rng, spec, r, i, len(case.inputs))
                 for i, (ph, spec, r) in enumerate(zip(built.placeholders, case.inputs, ranges))}
        results = built.session.run(built.outputs, feeds)

        for mode, env in envs.items():
            for ref, tensor, result in zip(built.refs, built.outputs, results):
                abstract = env.value(ref)
                context = (f"{case.id} [{mode}] output {ref}: ranges {[str(r) for r in ranges]}, "
                           f"abstract {abstract!r}\nfeeds {list(feeds.values())}\nresult {result!r}")
                if built.ir[ref.node].op not in KNOWN_DTYPE_GAPS:
                    assert abstract.dtype.name == tensor.dtype.name, f"wrong dtype: {context}"
                nan_ok = self.nan_allowed(case, built, env, ref, abstract)
                check_elements(np.asarray(result), abstract, nan_ok, context)

    @staticmethod
    def nan_allowed(case: Case, built: Built, env, ref: TensorRef, abstract) -> bool:
        node = built.ir[ref.node]
        spec = SPEC_BY_OP.get(node.op)
        if spec is not None and spec.input_index < len(node.inputs):
            checked = env.value(node.inputs[spec.input_index])
            dtype = checked.dtype if checked.dtype.is_numeric else node.output_dtype()
            unsafe = spec.danger(checked.interval, dtype)
            joint, other = getattr(spec, "joint", None), getattr(spec, "other_index", len(node.inputs))
            if unsafe and joint is not None and other < len(node.inputs):   # as checks.run_checks decides
                unsafe = joint(checked.interval, env.value(node.inputs[other]).interval, dtype)
            if unsafe:
                return True
        if any(not env.value(r).interval.is_bounded for r in node.inputs if env.value(r).dtype.is_float):
            return True   # inf - inf, 0 * inf: the infinity came from an earlier overflow
        return case.nan_on_overflow and not abstract.interval.is_bounded


def _inside(values: np.ndarray, x: Interval, daz: float) -> np.ndarray:
    """Elementwise: inside x, or a subnormal (|v| < daz) while x holds 0."""
    inside = (values >= x.lo) & (values <= x.hi)
    if daz and x.contains(0.0):
        inside |= np.abs(values) < daz
    return inside


def check_elements(result: np.ndarray, abstract, nan_ok: bool, context: str) -> None:
    values = result.astype(np.float64)
    daz = float(np.finfo(result.dtype).tiny) if result.dtype in (np.float32, np.float64) else 0.0
    nan = np.isnan(values)
    assert nan_ok or not nan.any(), f"NaN where the op is safe: {context}"
    hull = abstract.interval
    inside = nan | _inside(values, hull, daz)
    assert inside.all(), f"outside the hull {hull}: {values[~inside][:8]}: {context}"
    partition = getattr(abstract, "partition", None)
    if partition is None or abstract.shape is None or len(partition.splits) != values.ndim:
        return
    for index in product(*(range(d) for d in values.shape)):
        if nan[index]:
            continue
        coords = [bisect_right(partition.splits[axis], i) for axis, i in enumerate(index)]
        block = abstract.blocks[partition.index(coords)]
        assert _inside(values[index], block.interval, daz), \
            f"element {index} = {values[index]} outside its block {block.interval}: {context}"


# -- coverage of the special tests --------------------------------------------------------------------------

def covers(*ops: str):
    """Marks a special test (one whose graph is not built from independent placeholders) as the soundness
    test of `ops`; the test asserts its graph holds them (`holds`). The coverage test collects the marks of
    the tests that exist (`covered_by_special_tests`), so deleting a test uncovers its ops."""
    def mark(test):
        test.covers = getattr(test, "covers", ()) + ops
        return test
    return mark


def holds(ir, ops) -> None:
    missing = set(ops) - ir.op_types
    assert not missing, f"the graph has no {sorted(missing)} node (ops: {sorted(ir.op_types)})"


def covered_by_special_tests(*modules) -> set[str]:
    """The op types the test functions of `modules` are marked as covering."""
    return {op for module in modules for name, test in vars(module).items() if name.startswith("test_")
            for op in getattr(test, "covers", ())}


# -- graphs whose inputs are not independent placeholders (variables, queues, random ops, ...) ------------------

def build(fn):
    """Run `fn` in a fresh TensorFlow graph: (the graph, its nanscope IR, what `fn` returned)."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        result = fn()
    return graph, graph_from_bytes(graph.as_graph_def(add_shapes=True).SerializeToString()), result


def ref(tensor) -> TensorRef:
    return TensorRef(tensor.op.name, tensor.value_index)


def assert_inside(env, tensors, values, context=""):
    """Every element of each concrete value lies inside its tensor's abstract value in `env`."""
    for t, value in zip(tensors, values):
        abstract = env.value(ref(t))
        check_elements(np.asarray(value), abstract, False, f"{context} {t.name}: {abstract!r} vs {value!r}")


def check_case(harness, case: Case, examples: int) -> None:
    """Run `harness.check` on `case` for `examples` hypothesis examples (TensorFlow is slow: no deadline)."""
    @settings(max_examples=max(1, examples), deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def run(data):
        harness.check(case, data)
    run()
