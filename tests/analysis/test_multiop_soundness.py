"""Soundness of the partition and affine layers on small multi-op graphs (issue 3, item 6).

The per-op harness (tests/transformers/soundness_harness.py) checks one transformer at a time. Here
hypothesis draws small programs (2 to 8 steps) over float32 placeholders that mix the ops that create and
move partitions (every layout transformer), affine ops (add, sub, neg, scaling by a constant, bias add,
identity, and differences that cancel, (x + y) - y) and non-linear elementwise ops; builds them with
tf.compat.v1; draws a range per placeholder; and, in every configuration of the abstraction (tensor mode x
relations x splitting, and a tiny block limit), checks against TensorFlow run on inputs inside the ranges
(their corners included) that for every tensor of the graph

- every element lies in the block of the partition that covers it (not only in the hull),
- every element lies in the concretisation of its block's affine form (the relation itself is checked,
  not only the interval it tightened),
- every op the report proves safe receives concrete inputs inside the range the proof used (so predicate
  splitting is checked too).

The op pools are derived from the registry: the layout ops are the transformers of layout.py (a test fails
when one has no builder here), the unary ops the one-argument transformers of elementwise.py, the binary
ones the (x, y) transformers of arithmetic.py. Ranges, concrete samples and the element check are the
per-op harness's.
"""
from __future__ import annotations

import inspect
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nanscope.analysis.api import CheckOptions, analyse_graph
from nanscope.analysis.checks import SPEC_BY_OP
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor, Block
from nanscope.analysis.graph import TensorRef, graph_from_bytes
from nanscope.analysis.interpreter import interpret
from nanscope.analysis.transformers import REGISTRY
from nanscope.analysis.transformers.registry import TENSOR_MODES, AnalysisOptions, Assumptions

pytestmark = pytest.mark.tensorflow
tf = pytest.importorskip("tensorflow")
raw = tf.raw_ops
v1 = tf.compat.v1

HARNESS_DIR = str(Path(__file__).resolve().parents[1] / "transformers")
if HARNESS_DIR not in sys.path:
    sys.path.insert(0, HARNESS_DIR)
from soundness_harness import Case, Harness, In, check_elements, interval_strategy, sample  # noqa: E402

CONFIGS = [AnalysisOptions(tensor=mode, relations=relations, split=split)
           for mode in TENSOR_MODES for relations in (True, False) for split in (True, False)]
CONFIGS.append(AnalysisOptions(block_limit=2))   # partitions beyond the block limit fall back to smashing
MAX_ELEMENTS = 48          # no step grows a tensor beyond this many elements
# Programs per layout op; NANSCOPE_MULTIOP_EXAMPLES=50 searches deeper than a test run.
EXAMPLES_PER_OP = int(os.environ.get("NANSCOPE_MULTIOP_EXAMPLES", "3"))


def _transformer_ops(module: str) -> list[str]:
    return sorted(op for op, fn in REGISTRY.items() if fn.__module__.rsplit(".", 1)[-1] == module)


def _arguments(op: str) -> list[str]:
    return [p for p in inspect.signature(getattr(raw, op)).parameters if p != "name"]


UNARY = [op for op in _transformer_ops("elementwise") if len(_arguments(op)) == 1]
BINARY = [op for op in _transformer_ops("arithmetic") if _arguments(op) == ["x", "y"]]
LAYOUT = _transformer_ops("layout")
# Layout ops drawn by no builder, and why.
NOT_DRAWN = {"ResourceGather": "reads a resource variable, not a placeholder (covered by the per-op harness)"}


# -- program state and helpers ----------------------------------------------------------------------------

class Program:
    """The values built so far (all float32, statically shaped) and the placeholders feeding them."""

    def __init__(self, draw, rng: np.random.Generator):
        self.draw, self.rng = draw, rng
        self.values: list = []
        self.placeholders: list = []     # (tensor, In)

    def placeholder(self, spec: In):
        tensor = v1.placeholder(tf.as_dtype(spec.dtype), spec.shape, name=f"in{len(self.placeholders)}")
        self.placeholders.append((tensor, spec))
        return tensor

    def pick(self, ok=lambda t: True):
        """A value built so far (uniformly: hypothesis would favour the first ones), or None."""
        choices = [t for t in self.values if ok(t)]
        return choices[self.rng.integers(len(choices))] if choices else None

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def constant(self, shape):
        """A float32 constant of `shape` (small values, some exactly 0)."""
        values = self.rng.choice([-2.0, -0.5, 0.0, 0.25, 1.0, 3.0], size=shape).astype(np.float32)
        return tf.constant(values)

    def partner(self, t, axis: int | None = None, length: int | None = None):
        """A value shaped like t (its `axis` of any length when given), else a constant."""
        s = shape(t)

        def fits(u):
            us = shape(u)
            return len(us) == len(s) and all(a == b for k, (a, b) in enumerate(zip(us, s)) if k != axis)
        other = self.pick(fits) if self.integer(0, 3) else None
        if other is not None:
            return other
        wanted = list(s)
        if axis is not None:
            wanted[axis] = length if length is not None else self.integer(1, 2)
        return self.constant(wanted)


def shape(t) -> tuple:
    return tuple(t.shape.as_list())


def size(t) -> int:
    return int(np.prod(shape(t), dtype=np.int64))


def scalar_of(t):
    """One element of t, as a scalar (for one-hot's on and off values)."""
    rank = len(shape(t))
    if rank == 0:
        return t
    return raw.Reshape(tensor=raw.Slice(input=t, begin=[0] * rank, size=[1] * rank), shape=[])


# -- layout steps: each returns the new values, or None when it does not apply to the drawn value -----------------

def _concat(p: Program, t, v1_style: bool):
    if not shape(t) or size(t) > MAX_ELEMENTS // 2:
        return None
    axis = p.integer(0, len(shape(t)) - 1)
    parts = [t, p.partner(t, axis)]
    if p.draw(st.booleans()):
        parts.reverse()
    if v1_style:
        return [raw.Concat(concat_dim=axis, values=parts)]
    return [raw.ConcatV2(values=parts, axis=axis - len(shape(t)) if p.draw(st.booleans()) else axis)]


def _pack(p: Program, t):
    if size(t) > MAX_ELEMENTS // 2 or len(shape(t)) > 2:
        return None
    return [raw.Pack(values=[t, p.partner(t)], axis=p.integer(0, len(shape(t))))]


def _slice_bounds(p: Program, dim: int) -> tuple[int, int]:
    begin = p.integer(0, dim - 1)
    return begin, p.integer(begin + 1, dim)


def _strided_slice(p: Program, t):
    if not shape(t):
        return None
    index = []
    for dim in shape(t):
        kind = p.draw(st.sampled_from(["all", "range", "range", "int", "step", "reverse"]))
        if kind == "all":
            index.append(slice(None))
        elif kind == "range":
            index.append(slice(*_slice_bounds(p, dim)))
        elif kind == "int":
            index.append(p.integer(-dim, dim - 1))
        elif kind == "step":
            index.append(slice(p.integer(0, dim - 1), None, 2))
        else:
            index.append(slice(None, None, -1))
    if p.draw(st.booleans()):
        index.insert(p.integer(0, len(index)), None)     # a new axis
    return [t[tuple(index)]]


def _slice(p: Program, t):
    if not shape(t):
        return None
    begin, size_ = [], []
    for dim in shape(t):
        lo, hi = _slice_bounds(p, dim)
        begin.append(lo)
        size_.append(-1 if hi == dim and p.draw(st.booleans()) else hi - lo)
    return [raw.Slice(input=t, begin=begin, size=size_)]


def _split(p: Program, t):
    axes = [a for a, d in enumerate(shape(t)) if d > 1]
    if not axes:
        return None
    axis = p.draw(st.sampled_from(axes))
    dim = shape(t)[axis]
    count = p.draw(st.sampled_from([n for n in range(2, dim + 1) if dim % n == 0]))
    return list(raw.Split(axis=axis, value=t, num_split=count))


def _split_v(p: Program, t):
    axes = [a for a, d in enumerate(shape(t)) if d > 1]
    if not axes:
        return None
    axis = p.draw(st.sampled_from(axes))
    dim = shape(t)[axis]
    first = p.integer(1, dim - 1)
    sizes = [first, dim - first]
    if p.draw(st.booleans()):
        sizes[p.integer(0, 1)] = -1
    return list(raw.SplitV(value=t, size_splits=sizes, axis=axis, num_split=2))


def _unpack(p: Program, t):
    if not shape(t):
        return None
    axis = p.integer(0, len(shape(t)) - 1)
    return list(raw.Unpack(value=t, num=shape(t)[axis], axis=axis))


def _paddings(p: Program, t, most: int):
    return [[p.integer(0, most), p.integer(0, most)] for _ in shape(t)]


def _pad(p: Program, t):
    if not shape(t) or size(t) > MAX_ELEMENTS // 4:
        return None
    return [raw.Pad(input=t, paddings=_paddings(p, t, 1))]


def _pad_v2(p: Program, t):
    if not shape(t) or size(t) > MAX_ELEMENTS // 4:
        return None
    value = scalar_of(p.pick()) if p.draw(st.booleans()) else tf.constant(p.rng.choice([-1.0, 0.0, 2.5]), tf.float32)
    return [raw.PadV2(input=t, paddings=_paddings(p, t, 1), constant_values=value)]


def _mirror_pad(p: Program, t):
    if not shape(t) or min(shape(t)) < 2 or size(t) > MAX_ELEMENTS // 4:
        return None
    return [raw.MirrorPad(input=t, paddings=_paddings(p, t, 1), mode=p.draw(st.sampled_from(["REFLECT", "SYMMETRIC"])))]


def _gather_indices(p: Program, dim: int):
    if p.draw(st.booleans()):
        return p.integer(0, dim - 1)
    return p.draw(st.lists(st.integers(0, dim - 1), min_size=1, max_size=4))


def _gather_v2(p: Program, t):
    if not shape(t):
        return None
    axis = p.integer(0, len(shape(t)) - 1)
    return [raw.GatherV2(params=t, indices=_gather_indices(p, shape(t)[axis]), axis=axis)]


def _gather(p: Program, t):
    if not shape(t):
        return None
    return [raw.Gather(params=t, indices=_gather_indices(p, shape(t)[0]))]


def _one_hot(p: Program, t):
    """Indices: a constant (out-of-range ones included), or a constant concatenated with an int placeholder
    (a partition whose blocks are a point each or a range); on and off values are elements of t."""
    count, depth = p.integer(1, 3), p.integer(1, 4)
    known = p.draw(st.lists(st.integers(-1, depth), min_size=count, max_size=count))
    indices = tf.constant(known, tf.int32)
    if p.draw(st.booleans()):
        indices = raw.ConcatV2(values=[indices, p.placeholder(In("int32", (2,), "smallint"))], axis=0)
    axis = p.draw(st.sampled_from([-1, 0, 1]))
    return [raw.OneHot(indices=indices, depth=depth, on_value=scalar_of(t), off_value=scalar_of(p.pick()), axis=axis)]


def _reshape(p: Program, t):
    s = shape(t)
    n = size(t)
    options = [[n], [1, n], [n, 1]] + [[d, n // d] for d in range(2, n) if n % d == 0] + [list(reversed(s)) or [1]]
    target = p.draw(st.sampled_from(options))
    if p.draw(st.booleans()) and len(target) > 1:
        target = [-1] + target[1:]
    return [raw.Reshape(tensor=t, shape=target)]


def _transpose(p: Program, t):
    if len(shape(t)) < 2:
        return None
    return [raw.Transpose(x=t, perm=p.draw(st.permutations(range(len(shape(t))))))]


def _expand_dims(p: Program, t):
    if len(shape(t)) > 3:
        return None
    rank = len(shape(t))
    return [raw.ExpandDims(input=t, axis=p.integer(-rank - 1, rank))]


def _squeeze(p: Program, t):
    units = [a for a, d in enumerate(shape(t)) if d == 1]
    if not units:      # make a unit axis to squeeze
        if len(shape(t)) > 3:
            return None
        t = raw.ExpandDims(input=t, axis=p.integer(0, len(shape(t))))
        units = [a for a, d in enumerate(shape(t)) if d == 1]
    return [raw.Squeeze(input=t, axis=[p.draw(st.sampled_from(units))] if p.draw(st.booleans()) else [])]


def _tile(p: Program, t):
    if not shape(t) or size(t) > MAX_ELEMENTS // 2:
        return None
    multiples = [1] * len(shape(t))
    multiples[p.integer(0, len(shape(t)) - 1)] = 2
    return [raw.Tile(input=t, multiples=multiples)]


def _broadcast_to(p: Program, t):
    if size(t) > MAX_ELEMENTS // 2 or len(shape(t)) > 2:
        return None
    target = [2] + [d if d != 1 or not p.draw(st.booleans()) else 2 for d in shape(t)]
    return [raw.BroadcastTo(input=t, shape=target)]


def _reverse(p: Program, t):
    if not shape(t):
        return None
    return [raw.ReverseV2(tensor=t, axis=[p.integer(0, len(shape(t)) - 1)])]


LAYOUT_STEPS = {
    "ConcatV2": lambda p, t: _concat(p, t, v1_style=False),
    "Concat": lambda p, t: _concat(p, t, v1_style=True),
    "Pack": _pack, "StridedSlice": _strided_slice, "Slice": _slice, "Split": _split, "SplitV": _split_v,
    "Unpack": _unpack, "Pad": _pad, "PadV2": _pad_v2, "MirrorPad": _mirror_pad, "GatherV2": _gather_v2,
    "Gather": _gather, "OneHot": _one_hot, "Reshape": _reshape, "Transpose": _transpose,
    "ExpandDims": _expand_dims, "Squeeze": _squeeze, "Tile": _tile, "BroadcastTo": _broadcast_to,
    "ReverseV2": _reverse,
}


# -- affine and non-linear steps ----------------------------------------------------------------------------

def _operand(p: Program, t):
    """A second operand broadcasting to t's shape: another value, a constant of t's shape or a scalar."""
    s = shape(t)

    def broadcasts(u):
        try:
            return np.broadcast_shapes(shape(u), s) == s
        except ValueError:
            return False
    choice = p.integer(0, 3)
    other = p.pick(broadcasts) if choice < 2 else None
    if other is not None:
        return other
    return p.constant(s if choice == 2 else [])


def _cancel(p: Program, t):
    """(t + y) - y: the relation keeps t's range; intervals alone widen it."""
    y = _operand(p, t)
    return [raw.Sub(x=raw.AddV2(x=t, y=y), y=y)]


def _scale(p: Program, t):
    factor = tf.constant(p.draw(st.sampled_from([-2.0, -1.0, 0.5, 3.0, 0.0])), tf.float32)
    return [raw.Mul(x=t, y=factor) if p.draw(st.booleans()) else raw.Mul(x=factor, y=t)]


def _bias_add(p: Program, t):
    if len(shape(t)) < 2:
        return None
    channels = shape(t)[-1]
    bias = p.pick(lambda u: shape(u) == (channels,)) if p.draw(st.booleans()) else None
    return [raw.BiasAdd(value=t, bias=bias if bias is not None else p.constant([channels]))]


def _relu_split(p: Program, t):
    """y = exp(-relu(t)) + exp(t - relu(t)) in [1, 2]; log(y - c) is safe for c < 1 only by splitting t at 0."""
    relu = raw.Relu(features=t)
    y = raw.AddV2(x=raw.Exp(x=raw.Neg(x=relu)), y=raw.Exp(x=raw.Sub(x=t, y=relu)))
    c = tf.constant(p.draw(st.sampled_from([0.5, 0.9, 1.0])), tf.float32)
    return [y, raw.Log(x=raw.Sub(x=y, y=c))]


def _unary(op):
    argument = _arguments(op)[0]
    return lambda p, t: [getattr(raw, op)(**{argument: t})]


def _binary(op):
    return lambda p, t: [getattr(raw, op)(x=t, y=_operand(p, t))]


AFFINE_STEPS = {
    "cancel": _cancel, "scale": _scale, "BiasAdd": _bias_add,
    "AddV2": _binary("AddV2"), "Add": _binary("Add"), "Sub": _binary("Sub"),
    "Neg": _unary("Neg"), "Identity": _unary("Identity"),
}
NONLINEAR_STEPS = {f"unary {op}": _unary(op) for op in UNARY} | {f"binary {op}": _binary(op) for op in BINARY}
# How often each kind of step is drawn: layout twice as often as the others.
POOLS = [LAYOUT_STEPS, LAYOUT_STEPS, AFFINE_STEPS, NONLINEAR_STEPS, {"relu split": _relu_split}]


# -- drawing and building a program ----------------------------------------------------------------------------

SHAPES = [(2, 3), (3, 2), (4,), (2, 2, 2), (1, 3), (3, 1)]


def build_program(data, focus: str):
    """A tf.Graph of 2 to 8 steps over 1 to 3 float32 placeholders, one of them the layout op `focus`;
    returns (graph, Program)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="program seed"))
    graph = tf.Graph()
    with graph.as_default():
        p = Program(data.draw, rng)
        for _ in range(data.draw(st.integers(1, 3), label="placeholders")):
            spec = In("float32", data.draw(st.sampled_from(SHAPES)), data.draw(st.sampled_from(["small", "small", "any"])))
            p.values.append(p.placeholder(spec))
        steps = data.draw(st.integers(2, 8), label="steps")
        focus_at = data.draw(st.integers(0, steps - 1), label="focus step")
        for step in range(steps):
            if step == focus_at:
                p.values.extend(_focus_step(p, graph, focus))
                continue
            for _ in range(10):       # a drawn step may not apply to the drawn value: draw again
                # steps and operands come from the seeded generator, uniformly (hypothesis's own choices
                # favour the first entries of a list)
                pool = POOLS[rng.integers(len(POOLS))]
                new = pool[sorted(pool)[rng.integers(len(pool))]](p, p.pick())
                if new is not None:
                    p.values.extend(new)
                    break
        p.values.extend(_cancel(p, p.pick()))    # every program relates two tensors built from one input
    return graph, p


def _focus_step(p: Program, graph, op: str) -> list:
    """`op` applied to some value it applies to (a fresh (2, 3) placeholder if there is none), often
    after concatenating it with another value, so that the op meets blocks of different ranges."""
    candidates = list(p.values)
    p.rng.shuffle(candidates)
    candidates.append(None)
    for t in candidates:
        if t is None:
            t = p.placeholder(In("float32", (2, 3), "small"))
        if p.draw(st.booleans(), label="concatenate first"):
            t = (_concat(p, t, v1_style=False) or [t])[0]
        before = len(graph.get_operations())
        new = LAYOUT_STEPS[op](p, t)
        if new is not None:
            assert op in {o.type for o in graph.get_operations()[before:]}, f"the {op} step built no {op}"
            return new
    raise AssertionError(f"the {op} step applies to no (2, 3) tensor")


# -- checking --------------------------------------------------------------------------------------------

def concretised(abstract: AbstractTensor) -> AbstractTensor:
    """The same partition with each block's interval replaced by what its affine form proves."""
    blocks = [Block(b.form.bounds() if b.form is not None else b.interval) for b in abstract.blocks]
    return AbstractTensor(dtype=abstract.dtype, shape=abstract.shape, partition=abstract.partition, blocks=blocks)


def nan_allowed(ir, env, ref: TensorRef, concrete: dict) -> bool:
    """NaN may appear where the per-op harness allows it (an unsafe op, an unbounded input) or where an
    input of the op already held a NaN or an infinity (inf - inf, 0 * inf)."""
    node = ir[ref.node]
    for r in node.inputs:
        value = concrete.get(r)
        if value is not None and value.dtype.kind == "f" and not np.isfinite(value).all():
            return True
    case = Case(id="multiop", op=node.op, inputs=(), build=None)
    return Harness.nan_allowed(case, SimpleNamespace(ir=ir), env, ref, env.value(ref))


def check_program(graph, program: Program, ranges: list[Interval], rng: np.random.Generator) -> None:
    ir = graph_from_bytes(graph.as_graph_def(add_shapes=True).SerializeToString())
    tensors = [out for op in graph.get_operations() for out in op.outputs]
    feeds = {ph: sample(rng, spec, r, i, len(ranges))
             for i, ((ph, spec), r) in enumerate(zip(program.placeholders, ranges))}
    config = v1.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
    with v1.Session(graph=graph, config=config) as session:
        results = session.run(tensors, feeds)
    concrete = {TensorRef(t.op.name, t.value_index): np.asarray(v) for t, v in zip(tensors, results)}
    named = {f"in{i}": r for i, r in enumerate(ranges)}
    for options in CONFIGS:
        env = interpret(ir, Assumptions(ranges=named), options)
        assert not env.failed and not env.unsupported, (options, env.failed, env.unsupported)
        for ref, value in concrete.items():
            abstract = env.value(ref)
            try:
                assert abstract.dtype.name == value.dtype.name, "wrong dtype"
                nan_ok = nan_allowed(ir, env, ref, concrete)
                check_elements(value, abstract, nan_ok, "")
                if any(b.form is not None for b in abstract.blocks):
                    check_elements(value, concretised(abstract), nan_ok, "affine form")
            except AssertionError as error:   # the context is costly: build it only for a failure
                raise AssertionError(f"{error}\n{options} {ref} ({ir[ref.node].op}): ranges {named}\n"
                                     f"abstract {abstract!r}: {[b.interval for b in abstract.blocks]}\n"
                                     f"value {value!r}\nfeeds {list(feeds.values())}") from None
        check_options = CheckOptions(ranges={name: (r.lo, r.hi) for name, r in named.items()}, analysis=options)
        report = analyse_graph(ir, Path("multiop.pb"), check_options, locations={})
        for safe in report.proven_safe:
            node = ir[safe.op_name]
            checked = concrete[node.inputs[SPEC_BY_OP[node.op].input_index]]
            proof = AbstractTensor(Interval(*safe.input_range), shape=checked.shape)
            check_elements(checked, proof, True, f"{options}: {safe} proven safe")


# Each layout transformer is the focus of a few programs (derived from the registry: a new one without a
# step above fails test_every_layout_transformer_is_drawn); the rest of each program is drawn.
FOCUS = sorted(set(LAYOUT) - set(NOT_DRAWN))


@pytest.mark.parametrize("focus", FOCUS)
def test_partitions_and_relations_hold_on_random_programs(focus):
    @settings(max_examples=EXAMPLES_PER_OP, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def run(data):
        graph, program = build_program(data, focus)
        ranges = [data.draw(interval_strategy(spec), label=f"range of in{i}")
                  for i, (_, spec) in enumerate(program.placeholders)]
        rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="samples seed"))
        check_program(graph, program, ranges, rng)
    run()


def test_every_layout_transformer_is_drawn():
    assert set(LAYOUT) - set(LAYOUT_STEPS) <= set(NOT_DRAWN), sorted(set(LAYOUT) - set(LAYOUT_STEPS))
    assert set(LAYOUT_STEPS) <= set(LAYOUT), "a builder for an op that is not a layout transformer"
    assert {"Relu", "Exp", "Neg", "Identity"} <= set(UNARY) and {"AddV2", "Sub", "Mul"} <= set(BINARY)
