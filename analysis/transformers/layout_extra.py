"""More ops that move, select, scatter or describe elements, and more reductions.

Ops that only move or select elements keep the input's hull; ops that also write a constant (padding,
zeros off a band or diagonal, default values) join it in; scatters that add duplicates sum up to as many
updates as there are. Shape and index outputs are bounded by the (static) dimensions when known.
"""
from __future__ import annotations

import math

import numpy as np

from nanscope.analysis.domain.dtypes import BY_NAME
from nanscope.analysis.domain.interval import INF, Interval
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.transformers.accumulate import dims_product, sum_of_terms
from nanscope.analysis.transformers.math_extra import widen
from nanscope.analysis.transformers.reductions import reduced_count
from nanscope.analysis.transformers.registry import out, transformer, unbounded

ZERO = Interval(0.0, 0.0)
INT64 = BY_NAME["int64"]
INT32 = BY_NAME["int32"]
BOOL = BY_NAME["bool"]


def _join(*xs: Interval) -> Interval:
    result = xs[0]
    for x in xs[1:]:
        result = result.join(x)
    return result


def _typed(interval: Interval, dtype, shape, value=None) -> AbstractTensor:
    return AbstractTensor(interval.to_dtype(dtype, 0), dtype, shape, value)


def _attr_dtype(node, key: str, default):
    value = node.attr(key)
    return value if value is not None and hasattr(value, "is_float") else default


# -- pure moves -------------------------------------------------------------------------------------------

@transformer("Reverse", "Roll", "SpaceToDepth", "DepthToSpace", "ReverseSequence", "GatherNd",
             "MatrixDiagPart", "DiagPart", "RandomShuffle", "BatchToSpaceND", "BatchToSpace")
def moved(node, inputs, ctx):
    """Exact: every output element is an input element."""
    return out(node, inputs[0].interval)


@transformer("SpaceToBatchND", "SpaceToBatch")
def space_to_batch(node, inputs, ctx):
    """Input elements and zero padding."""
    return out(node, inputs[0].interval.join(ZERO))


@transformer("MatrixBandPart", "MatrixDiag", "Diag")
def band_or_diag(node, inputs, ctx):
    """Input elements on the band or diagonal, zeros elsewhere."""
    return out(node, inputs[0].interval.join(ZERO))


@transformer("MatrixDiagV2", "MatrixDiagV3", "MatrixDiagPartV2", "MatrixDiagPartV3")
def matrix_diag_padded(node, inputs, ctx):
    """Diagonal elements and the padding value (the last input)."""
    return out(node, inputs[0].interval.join(inputs[-1].interval))


@transformer("MatrixSetDiag", "MatrixSetDiagV2", "MatrixSetDiagV3")
def matrix_set_diag(node, inputs, ctx):
    """Elements of the input and of the new diagonal."""
    return out(node, inputs[0].interval.join(inputs[1].interval))


@transformer("IdentityN")
def identity_n(node, inputs, ctx):
    """Exact: output i is input i."""
    return tuple(inputs)


@transformer("Print")
def print_(node, inputs, ctx):
    """Exact: the first input passes through (the rest are only printed)."""
    return inputs[0]


@transformer("PrintV2", "Assert")
def no_outputs(node, inputs, ctx):
    """No outputs."""
    return ()


@transformer("StringFormat", "StringJoin", "ShardedFilename", "Bitcast", "Empty")
def anything(node, inputs, ctx):
    """Unbounded: strings, reinterpreted bits and uninitialised memory can be any value of the type."""
    dtype = _attr_dtype(node, "type", None) if node.op == "Bitcast" else None
    if dtype is not None:
        return AbstractTensor.unbounded(dtype, node.output_shape())
    return unbounded(node)


@transformer("SparseToDense")
def sparse_to_dense(node, inputs, ctx):
    """The sparse values and the default value."""
    return out(node, inputs[2].interval.join(inputs[3].interval))


@transformer("TensorScatterUpdate", "TensorScatterMax", "TensorScatterMin")
def tensor_scatter_update(node, inputs, ctx):
    """Elements of the tensor or of the updates (max/min also pick one of them)."""
    return out(node, inputs[0].interval.join(inputs[2].interval))


def _update_count(indices: AbstractTensor) -> int | None:
    """How many update slices there are (the leading dimensions of the indices)."""
    shape = indices.shape
    return dims_product(shape, range(len(shape) - 1)) if shape is not None and len(shape) >= 1 else None


@transformer("TensorScatterAdd", "TensorScatterSub")
def tensor_scatter_add(node, inputs, ctx):
    """The tensor plus (minus) the sum of the updates aimed at an element: up to all of them, or none."""
    updates = inputs[2].interval
    if node.op == "TensorScatterSub":
        updates = -updates
    dtype = node.output_dtype()
    added = sum_of_terms(updates.join(ZERO), _update_count(inputs[1]), dtype)
    return out(node, inputs[0].interval + added, ulps=1)


@transformer("ScatterUpdate", "ScatterMax", "ScatterMin")
def ref_scatter_update(node, inputs, ctx):
    """A ref variable after the update: each element is its old value or an update (max/min pick one)."""
    return out(node, inputs[0].interval.join(inputs[2].interval))


@transformer("ScatterAdd", "ScatterSub")
def ref_scatter_add(node, inputs, ctx):
    """A ref variable after the update: each element plus (minus) the updates aimed at it; duplicate
    indices add up, so up to as many updates as there are indices, or none."""
    updates = inputs[2].interval if node.op == "ScatterAdd" else -inputs[2].interval
    added = sum_of_terms(updates.join(ZERO), inputs[1].num_elements(), node.output_dtype())
    return out(node, inputs[0].interval + added, ulps=1)


@transformer("ScatterNd")
def scatter_nd(node, inputs, ctx):
    """Zeros, or the sum of the updates aimed at an element (duplicates add)."""
    dtype = node.output_dtype()
    return out(node, sum_of_terms(inputs[1].interval.join(ZERO), _update_count(inputs[0]), dtype))


@transformer("UnsortedSegmentSum", "SegmentSum")
def segment_sum(node, inputs, ctx):
    """Each output sums the data elements of its segment (up to all rows of data), or is 0."""
    data, ids = inputs[0], inputs[1]
    return out(node, sum_of_terms(data.interval.join(ZERO), ids.num_elements(), node.output_dtype()))


@transformer("UnsortedSegmentMax", "UnsortedSegmentMin", "SegmentMax", "SegmentMin")
def segment_extreme(node, inputs, ctx):
    """A data element, or for an empty segment 0 (sorted segments) or the lowest (max) / highest (min)
    value of the type (unsorted segments)."""
    dtype = node.output_dtype()
    if node.op.startswith("Segment"):
        empty = ZERO
    elif node.op.endswith("Max"):
        empty = Interval.point(dtype.lowest) if dtype.is_numeric else Interval.top()
    else:
        empty = Interval.point(dtype.max) if dtype.is_numeric else Interval.top()
    return out(node, inputs[0].interval.join(empty))


# -- shapes and indices -----------------------------------------------------------------------------------

def _dims_interval(x: AbstractTensor, dtype) -> tuple[Interval, np.ndarray | None]:
    if x.shape is not None and all(d is not None for d in x.shape):
        value = np.asarray(x.shape, dtype=np.int64)
        return (Interval(float(value.min()), float(value.max())) if value.size else ZERO), value
    known = [d for d in (x.shape or ()) if d is not None]
    return Interval(float(min(known + [1])), dtype.max), None


@transformer("ShapeN")
def shape_n(node, inputs, ctx):
    """Output i is the shape of input i: exact when static, else each unknown dimension at least 1."""
    outputs = []
    for i, x in enumerate(inputs):
        dtype = node.output_dtype(i)
        interval, value = _dims_interval(x, dtype)
        outputs.append(out(node, interval, index=i, value=value))
    return tuple(outputs)


@transformer("VariableShape")
def variable_shape(node, inputs, ctx):
    """The variable's dimensions: its handle's static shape when known."""
    interval, value = _dims_interval(inputs[0], node.output_dtype())
    return out(node, interval, value=value)


@transformer("BroadcastArgs")
def broadcast_args(node, inputs, ctx):
    """Each output dimension is a dimension of one of the shapes (exact for known shapes)."""
    a, b = inputs[0], inputs[1]
    if a.value is not None and b.value is not None:
        try:
            value = np.asarray(np.broadcast_shapes(tuple(a.value.tolist()), tuple(b.value.tolist())),
                               dtype=a.value.dtype)
            interval = Interval(float(value.min()), float(value.max())) if value.size else ZERO
            return out(node, interval, value=value)
        except ValueError:
            pass
    return out(node, a.interval.join(b.interval))


@transformer("ConcatOffset")
def concat_offset(node, inputs, ctx):
    """Offsets of each part: 0 off the axis, the sum of the preceding parts' sizes on it."""
    shapes = inputs[1:]
    axis = inputs[0].value
    if axis is not None and all(s.value is not None for s in shapes):
        rank = len(shapes[0].value)
        a = int(axis) % rank
        offsets, total = [], 0
        for s in shapes:
            value = np.zeros(rank, dtype=s.value.dtype)
            value[a] = total
            total += int(s.value[a])
            offsets.append(value)
        return tuple(_typed(Interval(float(v.min()), float(v.max())), shapes[i].dtype, node.output_shape(i), v)
                     for i, v in enumerate(offsets))
    hi = sum(max(s.interval.hi, 0.0) for s in shapes[:-1])
    return tuple(_typed(Interval(0.0, hi), shapes[i].dtype, node.output_shape(i)) for i in range(len(shapes)))


@transformer("InvertPermutation")
def invert_permutation(node, inputs, ctx):
    """A permutation of 0..n-1 has the same elements as its inverse (exact for known values)."""
    x = inputs[0]
    if x.value is not None:
        value = np.empty_like(x.value)
        try:
            value[x.value] = np.arange(x.value.size, dtype=x.value.dtype)
            return out(node, x.interval, value=value)
        except IndexError:
            pass
    return out(node, x.interval)


@transformer("Where")
def where(node, inputs, ctx):
    """Coordinates of the true elements (int64): each in [0, largest dimension - 1]."""
    x = inputs[0]
    shape = node.output_shape()
    if x.shape is not None and x.shape and all(d is not None for d in x.shape):
        return _typed(Interval(0.0, float(max(max(x.shape) - 1, 0))), INT64, shape)
    return _typed(Interval(0.0, INT64.max), INT64, shape)


@transformer("Unique", "UniqueV2")
def unique(node, inputs, ctx):
    """The distinct elements, and for each element its index among them (< the input's size)."""
    x = inputs[0]
    idx_type = _attr_dtype(node, "out_idx", INT32)
    n = x.num_elements()
    idx = Interval(0.0, float(max(n - 1, 0)) if n is not None else idx_type.max)
    return (AbstractTensor(x.interval, x.dtype if x.dtype.is_numeric else node.output_dtype(), node.output_shape(0)),
            _typed(idx, idx_type, node.output_shape(1)))


# set operation -> (the values its result can hold, the largest result set) from the two sets' hulls and
# last-axis sizes; an unknown operation gets the union's bounds
SET_OPERATIONS = {
    "a-b": (lambda a, b: a, lambda n, m: n),
    "b-a": (lambda a, b: b, lambda n, m: m),
    "intersection": (lambda a, b: a.meet(b) or a, lambda n, m: min(n, m)),
    "union": (lambda a, b: a.join(b), lambda n, m: n + m),
}


@transformer("DenseToDenseSetOperation")
def dense_set_operation(node, inputs, ctx):
    """The sparse result (indices, values, dense shape) of a set operation along the last axis: the values
    come from the sets it draws from, and the batch dimensions with the largest result set bound the
    indices and the dense shape."""
    operation = node.attr("set_operation")
    if isinstance(operation, bytes):
        operation = operation.decode("ascii", "replace")
    values_of, size_of = SET_OPERATIONS.get(operation, SET_OPERATIONS["union"])
    first, second = inputs[0], inputs[1]
    largest = INT64.max
    if all(x.shape and all(d is not None for d in x.shape) for x in (first, second)):
        largest = float(max([*first.shape[:-1], size_of(first.shape[-1], second.shape[-1])]))
    return (_typed(Interval(0.0, max(largest - 1, 0.0)), INT64, node.output_shape(0)),
            AbstractTensor(values_of(first.interval, second.interval), node.output_dtype(1), node.output_shape(1)),
            _typed(Interval(0.0, largest), INT64, node.output_shape(2)))


@transformer("TopKV2")
def top_k(node, inputs, ctx):
    """The k largest elements of the last axis, and their indices in it."""
    x = inputs[0]
    index_type = _attr_dtype(node, "index_type", INT32)
    n = x.shape[-1] if x.shape else None
    idx = Interval(0.0, float(max(n - 1, 0)) if n is not None else index_type.max)
    return out(node, x.interval, index=0), _typed(idx, index_type, node.output_shape(1))


# -- reductions ---------------------------------------------------------------------------------------------

@transformer("ArgMax", "ArgMin")
def arg_max(node, inputs, ctx):
    """An index along the reduced axis: [0, dimension - 1] when the dimension is known."""
    x, axis = inputs[0], inputs[1].value
    dtype = node.output_dtype()
    if x.shape is not None and axis is not None and x.shape:
        dim = x.shape[int(axis) % len(x.shape)]
        if dim is not None:
            return out(node, Interval(0.0, float(max(dim - 1, 0))))
    return out(node, Interval(0.0, dtype.max))


@transformer("All", "Any")
def all_any(node, inputs, ctx):
    """A boolean: the input's value when it is constant, the identity (true for All, false for Any)
    over no elements."""
    shape = node.output_shape()
    if reduced_count(node, inputs) == 0:
        return AbstractTensor(Interval.point(1.0 if node.op == "All" else 0.0), BOOL, shape)
    x = inputs[0].interval
    return AbstractTensor(Interval(max(x.lo, 0.0), min(x.hi, 1.0)), BOOL, shape)


@transformer("EuclideanNorm")
def euclidean_norm(node, inputs, ctx):
    """sqrt(sum of squares) over the reduced elements."""
    x = inputs[0].interval
    dtype = node.output_dtype()
    square = Interval(0.0 if x.contains(0.0) else min(x.lo * x.lo, x.hi * x.hi), max(x.lo * x.lo, x.hi * x.hi))
    total = sum_of_terms(widen(square, dtype, 1), reduced_count(node, inputs), dtype)
    root = Interval(math.sqrt(max(total.lo, 0.0)), math.sqrt(total.hi) if total.hi < INF else INF)
    return out(node, widen(root, dtype, 2))


@transformer("Cumsum")
def cumsum(node, inputs, ctx):
    """Each output sums up to n of the input elements along the axis (0 for an exclusive first)."""
    x, axis = inputs[0], inputs[1].value
    n = None
    if x.shape is not None and axis is not None and x.shape:
        n = x.shape[int(axis) % len(x.shape)]
    return out(node, sum_of_terms(x.interval.join(ZERO), n, node.output_dtype()))


@transformer("Cumprod")
def cumprod(node, inputs, ctx):
    """Each output multiplies between 1 and n input elements (an exclusive first is 1)."""
    x, axis = inputs[0].interval, inputs[1].value
    shape = inputs[0].shape
    dtype = node.output_dtype()
    n = None
    if shape is not None and axis is not None and shape:
        n = shape[int(axis) % len(shape)]
    if n is None:
        return out(node, Interval(-INF, INF) if x.lo < 0 else Interval(0.0 if x.lo < 1 else 1.0, INF))
    if n == 0:
        return out(node, Interval(1.0, 1.0))
    magnitude = max(abs(x.lo), abs(x.hi), 1.0)
    try:
        big = magnitude ** n
    except OverflowError:
        big = INF
    if x.lo >= 0:
        small = 0.0 if x.lo < 1 else x.lo
        result = Interval(small, max(big, 1.0) if x.hi >= 1 else max(x.hi, 1.0))
    else:
        result = Interval(-big, big)
    return out(node, widen(result.join(Interval(1.0, 1.0)), dtype, n + 1))


@transformer("StridedSliceGrad")
def strided_slice_grad(node, inputs, ctx):
    """The gradient's elements placed in a tensor of zeros."""
    return out(node, inputs[4].interval.join(ZERO))
