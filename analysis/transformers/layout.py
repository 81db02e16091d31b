"""Ops that move elements without computing new values: reshape, transpose, concat, pack, slices, splits,
pads, gathers. They keep (and create) tensor partitions.

Ops such as concat, pack and pad give split points for free: each part becomes its own block; one-hot cuts
its output where known indices make on_value and off_value elements meet. Slices pick the blocks they cover. Ops that change which position an element sits at mark the elements' affine atoms
as moved by this node, so relations stay sound (reshape-like ops keep the row-major order and need not).
Whenever shapes or indices are not statically known the result falls back to the smashed hull.
"""
from __future__ import annotations

import math
from bisect import bisect_right

import numpy as np

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import MAX_CONCRETE_ELEMENTS, AbstractTensor, Block, Partition
from nanscope.analysis.transformers.registry import out, transformer

# -- helpers ---------------------------------------------------------------------------------------------


def _known(shape) -> bool:
    return shape is not None and all(d is not None for d in shape)


def _segments(x: AbstractTensor) -> list[list[tuple[int, int | None]]]:
    """Per axis, the (start, end) of every segment of x's partition."""
    splits = x.partition.splits if x.partition is not None else ((),) * len(x.shape)
    return [list(zip((0,) + s, s + (d,))) for s, d in zip(splits, x.shape)]


def _moved(block: Block, via: str) -> Block:
    return Block(block.interval, block.form.moved(via) if block.form is not None else None)


def _hull(node, inputs, index: int = 0, via: str | None = None, value=None) -> AbstractTensor:
    """The smashed result: one block holding every input element (forms kept only when shared)."""
    hull = inputs[0].interval
    for x in inputs[1:]:
        hull = hull.join(x.interval)
    form = None
    if len(inputs) == 1 and len(inputs[0].blocks) == 1 and inputs[0].blocks[0].form is not None:
        form = inputs[0].blocks[0].form
        if via is not None:
            form = form.moved(via)
    shape = node.output_shape(index)
    return AbstractTensor(dtype=node.output_dtype(index), shape=shape, value=value,
                          blocks=(Block(hull.to_dtype(node.output_dtype(index), 0), form),))


def _build(node, index: int, shape, axis_segments, block_at, max_blocks: int, via: str | None,
           value=None) -> AbstractTensor:
    """A tensor of `shape` whose axis k is cut into `axis_segments[k]` (list of lengths);
    `block_at(coords)` gives each block. Beyond the block limit, the hull."""
    splits = tuple(tuple(np.cumsum(lengths[:-1]).tolist()) if len(lengths) > 1 else () for lengths in axis_segments)
    partition = Partition(splits)
    dtype = node.output_dtype(index)
    blocks = [block_at(coords) for coords in partition.grid()]
    if via is not None:
        blocks = [_moved(b, via) for b in blocks]
    result = AbstractTensor(dtype=dtype, shape=shape, value=value, partition=partition, blocks=blocks)
    if partition.count > max_blocks:
        return result.smashed()
    return result


def _small(value) -> np.ndarray | None:
    if value is None:
        return None
    value = np.asarray(value)
    return value if value.size <= MAX_CONCRETE_ELEMENTS else None


# -- reshape-like: row-major order is kept -------------------------------------------------------------------

def _unit_dim_map(in_shape, out_shape):
    """Input axis -> output axis when the reshape only inserts or removes size-1 axes; None otherwise."""
    if in_shape is None or out_shape is None:
        return None
    big_in = [(i, d) for i, d in enumerate(in_shape) if d != 1]
    big_out = [(i, d) for i, d in enumerate(out_shape) if d != 1]
    if len(big_in) != len(big_out) or any(a[1] != b[1] or a[1] is None for a, b in zip(big_in, big_out)):
        return None
    return {i: o for (i, _), (o, _) in zip(big_in, big_out)}


@transformer("Reshape", "Squeeze", "ExpandDims")
def reshape(node, inputs, ctx):
    """Exact: same elements in the same row-major order; a partition survives when only unit axes are
    inserted or removed."""
    x = inputs[0]
    out_shape = node.output_shape()
    value = None
    if x.value is not None and _known(out_shape):
        try:
            value = x.value.reshape(out_shape)
        except ValueError:
            value = None
    if x.partition is None:
        block = x.blocks[0]
        return AbstractTensor(dtype=node.output_dtype(), shape=out_shape, value=value,
                              blocks=(Block(block.interval, block.form),))
    mapping = _unit_dim_map(x.shape, out_shape)
    if mapping is None:
        return _hull(node, [x], value=value)
    splits = [()] * len(out_shape)
    for axis, s in enumerate(x.partition.splits):
        if s:
            splits[mapping[axis]] = s
    partition = Partition(tuple(splits))
    return AbstractTensor(dtype=node.output_dtype(), shape=out_shape, value=value, partition=partition,
                          blocks=x.blocks)


@transformer("Transpose")
def transpose(node, inputs, ctx):
    """Exact: the partition's axes are permuted; elements change position, so atoms are moved."""
    x, perm = inputs[0], inputs[1].value
    if perm is None or x.shape is None:
        return _hull(node, [x], via=node.name)
    perm = [int(p) % len(x.shape) for p in perm.reshape(-1)]
    value = np.transpose(x.value, perm) if x.value is not None else None
    if x.partition is None:
        return _hull(node, [x], via=node.name if perm != sorted(perm) else None, value=value)
    splits = tuple(x.partition.splits[p] for p in perm)
    partition = Partition(splits)
    blocks = []
    for coords in partition.grid():
        source = [0] * len(perm)
        for out_axis, in_axis in enumerate(perm):
            source[in_axis] = coords[out_axis]
        blocks.append(_moved(x.blocks[x.partition.index(source)], node.name))
    return AbstractTensor(dtype=node.output_dtype(), shape=node.output_shape(), value=value,
                          partition=partition, blocks=blocks)


@transformer("Tile", "BroadcastTo", "ReverseV2", "MirrorPad")
def rearrange(node, inputs, ctx):
    """Exact: the elements are the input's elements, moved or repeated (smashed)."""
    return _hull(node, [inputs[0]], via=node.name)


# -- ops that create split points -------------------------------------------------------------------------

@transformer("ConcatV2", "Concat")
def concat(node, inputs, ctx):
    """Exact: each part keeps its blocks; the part boundaries become split points along the axis."""
    if node.op == "Concat":
        axis_value, parts = inputs[0].value, inputs[1:]
    else:
        axis_value, parts = inputs[-1].value, inputs[:-1]
    out_shape = node.output_shape()
    value = None
    if axis_value is not None and all(p.value is not None for p in parts):
        try:
            value = _small(np.concatenate([p.value for p in parts], axis=int(axis_value)))
        except ValueError:
            value = None
    if axis_value is None or out_shape is None or any(p.shape is None for p in parts):
        return _hull(node, parts, value=value)
    axis = int(axis_value) % len(out_shape)
    if any(p.shape[axis] is None for p in parts):
        return _hull(node, parts, value=value)
    return _stack_parts(node, parts, axis, [p.shape[axis] for p in parts], out_shape, ctx, value, new_axis=False)


@transformer("Pack")
def pack(node, inputs, ctx):
    """Exact: each stacked tensor becomes one slab of the new axis."""
    out_shape = node.output_shape()
    value = None
    axis = int(node.attr("axis") or 0)
    if all(p.value is not None for p in inputs):
        try:
            value = _small(np.stack([p.value for p in inputs], axis=axis))
        except ValueError:
            value = None
    if out_shape is None or any(p.shape is None for p in inputs):
        return _hull(node, inputs, value=value)
    axis %= len(out_shape)
    return _stack_parts(node, inputs, axis, [1] * len(inputs), out_shape, ctx, value, new_axis=True)


def _stack_parts(node, parts, axis, sizes, out_shape, ctx, value, new_axis: bool):
    rank = len(out_shape)
    part_axes = [a for a in range(rank) if not (new_axis and a == axis)]  # output axis -> part axis order
    # split points on the other axes: the union over the parts
    other_splits: list[set[int]] = [set() for _ in range(rank)]
    part_segments = []
    for part in parts:
        segs = _segments(part) if part.shape is not None else None
        part_segments.append(segs)
        for part_axis, out_axis in enumerate(part_axes):
            if out_axis != axis:
                for start, _ in segs[part_axis][1:]:
                    other_splits[out_axis].add(start)
    axis_lengths, axis_owner = [], []   # per segment along the axis: length, (part index, part segment index)
    for k in range(len(parts)):
        if new_axis:
            axis_lengths.append(1)
            axis_owner.append((k, 0))
            continue
        for j, (start, end) in enumerate(part_segments[k][axis]):
            axis_lengths.append((end if end is not None else sizes[k]) - start)
            axis_owner.append((k, j))
    lengths = []
    for a in range(rank):
        if a == axis:
            lengths.append(axis_lengths)
        else:
            points = [0] + sorted(other_splits[a]) + [out_shape[a]]
            if out_shape[a] is None and len(points) > 2:
                return _hull(node, parts, value=value)
            lengths.append([e - s for s, e in zip(points[:-1], points[1:])] if out_shape[a] is not None else [None])
    starts = [np.concatenate([[0], np.cumsum(seg[:-1])]).tolist() if seg[0] is not None else [0] for seg in lengths]

    def block_at(coords):
        k, j = axis_owner[coords[axis]]
        part = parts[k]
        part_coords = []
        for part_axis, out_axis in enumerate(part_axes):
            if out_axis == axis:
                part_coords.append(j)
            else:
                part_splits = part.partition.splits[part_axis] if part.partition is not None else ()
                part_coords.append(bisect_right(part_splits, starts[out_axis][coords[out_axis]]))
        block = part.blocks[part.partition.index(part_coords)] if part.partition is not None else part.blocks[0]
        return _moved(block, f"{node.name}:{k}")

    if len(axis_lengths) * max(1, np.prod([len(seg) for a, seg in enumerate(lengths) if a != axis])) > \
            ctx.max_blocks:
        return _hull(node, parts, value=value)
    return _build(node, 0, out_shape, lengths, block_at, ctx.max_blocks, None, value)


# -- slices ----------------------------------------------------------------------------------------------

def _select(node, index: int, x: AbstractTensor, ranges, drop_axes, ctx, value) -> AbstractTensor:
    """The sub-tensor x[ranges] (one (start, stop) per axis, stride 1), with `drop_axes` removed."""
    segments = _segments(x)
    picked = []   # per input axis: list of (input segment index, length)
    for axis, (start, stop) in enumerate(ranges):
        chosen = []
        for j, (s, e) in enumerate(segments[axis]):
            lo = max(s, start)
            hi = stop if e is None else min(e, stop)
            if hi is None or lo < hi:
                chosen.append((j, None if hi is None else hi - lo))
        if not chosen:
            return _hull(node, [x], index=index, via=f"{node.name}:{index}", value=value)
        picked.append(chosen)
    keep = [a for a in range(len(ranges)) if a not in drop_axes]
    lengths = [[length for _, length in picked[a]] for a in keep]

    def block_at(coords):
        source = [picked[a][0][0] for a in range(len(ranges))]
        for out_axis, in_axis in enumerate(keep):
            source[in_axis] = picked[in_axis][coords[out_axis]][0]
        return x.blocks[x.partition.index(source)] if x.partition is not None else x.blocks[0]

    if any(None in seg and len(seg) > 1 for seg in lengths):
        return _hull(node, [x], index=index, via=f"{node.name}:{index}", value=value)
    shape = node.output_shape(index)
    if shape is None or len(shape) != len(keep):
        return _hull(node, [x], index=index, via=f"{node.name}:{index}", value=value)
    return _build(node, index, shape, [seg if seg[0] is not None else [None] for seg in lengths], block_at,
                  ctx.max_blocks, f"{node.name}:{index}", value)


def _strided_index(node, begin, end, strides, rank):
    """TensorFlow's strided-slice spec as a numpy index tuple (masks included)."""
    begin_mask, end_mask = node.attr("begin_mask") or 0, node.attr("end_mask") or 0
    ellipsis_mask, new_axis_mask = node.attr("ellipsis_mask") or 0, node.attr("new_axis_mask") or 0
    shrink_mask = node.attr("shrink_axis_mask") or 0
    index = []
    for i in range(len(begin)):
        bit = 1 << i
        if ellipsis_mask & bit:
            index.append(Ellipsis)
        elif new_axis_mask & bit:
            index.append(np.newaxis)
        elif shrink_mask & bit:
            index.append(int(begin[i]))
        else:
            index.append(slice(None if begin_mask & bit else int(begin[i]),
                               None if end_mask & bit else int(end[i]), int(strides[i])))
    return tuple(index)


@transformer("StridedSlice")
def strided_slice(node, inputs, ctx):
    """Exact: the blocks the slice covers (stride 1 on partitioned axes), else the hull."""
    x = inputs[0]
    begin, end, strides = (inputs[i].value for i in (1, 2, 3))
    if begin is None or end is None or strides is None:
        return _hull(node, [x], via=node.name)
    begin, end, strides = (np.asarray(v).reshape(-1) for v in (begin, end, strides))
    index = _strided_index(node, begin, end, strides, x.rank)
    value = None
    if x.value is not None:
        try:
            value = _small(np.asarray(x.value[index]))
        except (IndexError, TypeError, ValueError):
            value = None
    if value is not None:
        return AbstractTensor.from_value(value, node.output_dtype())
    if x.partition is None or x.shape is None or any(i is Ellipsis or i is None for i in index):
        return _hull(node, [x], via=node.name)
    ranges, drops = [], set()
    for axis, dim in enumerate(x.shape):
        item = index[axis] if axis < len(index) else slice(None)
        if isinstance(item, int):
            if dim is None and item < 0:
                return _hull(node, [x], via=node.name)
            start = item % dim if dim is not None else item
            ranges.append((start, start + 1))
            drops.add(axis)
            continue
        if item.step not in (None, 1):
            return _hull(node, [x], via=node.name)
        if dim is None:
            if item.start not in (None, 0) or item.stop is not None:
                return _hull(node, [x], via=node.name)
            ranges.append((0, None))
            continue
        start, stop, _ = item.indices(dim)
        ranges.append((start, stop))
    return _select(node, 0, x, ranges, drops, ctx, None)


@transformer("Slice")
def slice_(node, inputs, ctx):
    """Exact: the blocks covered by x[begin : begin + size]."""
    x, begin, size = inputs[0], inputs[1].value, inputs[2].value
    if begin is None or size is None or x.shape is None:
        return _hull(node, [x], via=node.name)
    begin, size = begin.reshape(-1).tolist(), size.reshape(-1).tolist()
    ranges = []
    for axis, dim in enumerate(x.shape):
        stop = (dim if size[axis] == -1 else begin[axis] + size[axis])
        if stop is None:
            return _hull(node, [x], via=node.name)
        ranges.append((begin[axis], stop))
    return _select(node, 0, x, ranges, set(), ctx, None)


@transformer("Unpack")
def unpack(node, inputs, ctx):
    """Output k is the slab at index k of the axis (its blocks)."""
    x = inputs[0]
    count = int(node.attr("num") or 0)
    if x.shape is None or count == 0:
        return tuple(_hull(node, [x], index=k, via=f"{node.name}:{k}") for k in range(max(count, 1)))
    axis = int(node.attr("axis") or 0) % len(x.shape)
    outputs = []
    for k in range(count):
        ranges = [(k, k + 1) if a == axis else (0, d) for a, d in enumerate(x.shape)]
        outputs.append(_select(node, k, x, ranges, {axis}, ctx, None))
    return tuple(outputs)


@transformer("Split", "SplitV")
def split(node, inputs, ctx):
    """Output k is the k-th piece along the axis (its blocks)."""
    if node.op == "Split":
        axis_value, x = inputs[0].value, inputs[1]
        count = int(node.attr("num_split") or 1)
    else:
        x, sizes, axis_value = inputs[0], inputs[1].value, inputs[2].value
        count = int(node.attr("num_split") or 1)
    if axis_value is None or x.shape is None:
        return tuple(_hull(node, [x], index=k, via=f"{node.name}:{k}") for k in range(count))
    axis = int(axis_value) % len(x.shape)
    dim = x.shape[axis]
    if node.op == "Split":
        piece_sizes = [dim // count] * count if dim is not None else None
    else:
        piece_sizes = sizes.reshape(-1).tolist() if sizes is not None else None
        if piece_sizes is not None and -1 in piece_sizes and dim is not None:
            piece_sizes[piece_sizes.index(-1)] = dim - (sum(piece_sizes) + 1)
    if piece_sizes is None or any(s is None or s < 0 for s in piece_sizes):
        return tuple(_hull(node, [x], index=k, via=f"{node.name}:{k}") for k in range(count))
    outputs, start = [], 0
    for k, size in enumerate(piece_sizes):
        ranges = [(start, start + size) if a == axis else (0, d) for a, d in enumerate(x.shape)]
        outputs.append(_select(node, k, x, ranges, set(), ctx, None))
        start += size
    return tuple(outputs)


@transformer("Pad", "PadV2")
def pad(node, inputs, ctx):
    """The padded border is its own blocks holding the constant (0 for Pad); the interior keeps x's blocks."""
    x, paddings = inputs[0], inputs[1].value
    constant = inputs[2].interval if node.op == "PadV2" else Interval(0.0, 0.0)
    out_shape = node.output_shape()
    if paddings is None or x.shape is None or out_shape is None or None in x.shape:
        return AbstractTensor(x.interval.join(constant), node.output_dtype(), out_shape)
    paddings = paddings.reshape(-1, 2).tolist()
    segments = _segments(x)
    lengths, owner = [], []   # per axis: segment lengths and the input segment (None: padding)
    for axis, (before, after) in enumerate(paddings):
        axis_lengths, axis_owner = [], []
        if before:
            axis_lengths.append(before)
            axis_owner.append(None)
        for j, (s, e) in enumerate(segments[axis]):
            axis_lengths.append(e - s)
            axis_owner.append(j)
        if after:
            axis_lengths.append(after)
            axis_owner.append(None)
        lengths.append(axis_lengths)
        owner.append(axis_owner)
    padding_block = Block(constant)

    def block_at(coords):
        source = [owner[a][c] for a, c in enumerate(coords)]
        if any(s is None for s in source):
            return padding_block
        return x.blocks[x.partition.index(source)] if x.partition is not None else x.blocks[0]
    return _build(node, 0, out_shape, lengths, block_at, ctx.max_blocks, node.name)


@transformer("GatherV2", "Gather", "ResourceGather")
def gather(node, inputs, ctx):
    """Exact: every output element is an element of params; constant indices along a partitioned axis
    select its blocks."""
    params, indices = inputs[0], inputs[1]
    axis_value = inputs[2].value if node.op == "GatherV2" else np.asarray(0)
    value = None
    if params.value is not None and indices.value is not None and axis_value is not None \
            and not node.attr("batch_dims"):
        try:
            value = _small(np.take(params.value, indices.value, axis=int(axis_value)))
        except (IndexError, ValueError):
            value = None
    if value is not None:
        return AbstractTensor.from_value(value, node.output_dtype())
    if params.partition is None or indices.value is None or axis_value is None or params.shape is None \
            or node.attr("batch_dims"):
        return _hull(node, [params], via=node.name)
    axis = int(axis_value) % len(params.shape)
    dim = params.shape[axis]
    idx = indices.value
    if idx.ndim > 1 or dim is None:
        return _hull(node, [params], via=node.name)
    if idx.ndim == 0:
        position = int(idx) % dim
        ranges = [(position, position + 1) if a == axis else (0, d) for a, d in enumerate(params.shape)]
        return _select(node, 0, params, ranges, {axis}, ctx, None)
    # a vector of indices: contiguous increasing runs inside one block keep that block
    splits = params.partition.splits[axis]
    runs: list[tuple[int, int]] = []   # (block segment along axis, run length)
    for position in (int(i) % dim for i in idx):
        segment = bisect_right(splits, position)
        if runs and runs[-1][0] == segment:
            runs[-1] = (segment, runs[-1][1] + 1)
        else:
            runs.append((segment, 1))
    other = _segments(params)
    out_shape = node.output_shape()
    if out_shape is None:
        return _hull(node, [params], via=node.name)
    lengths = [[(e - s) if e is not None else None for s, e in other[a]] if a != axis else [n for _, n in runs]
               for a in range(len(params.shape))]
    if any(None in seg and len(seg) > 1 for seg in lengths):
        return _hull(node, [params], via=node.name)

    def block_at(coords):
        source = list(coords)
        source[axis] = runs[coords[axis]][0]
        return params.blocks[params.partition.index(source)]
    return _build(node, 0, out_shape, [seg if seg[0] is not None else [None] for seg in lengths], block_at,
                  ctx.max_blocks, node.name)


# OneHot labels every output element: off_value for sure, on_value for sure, or either (index unknown).
_OFF, _ON, _EITHER = 0, 1, 2
# Labels are computed per block of the indices times the depth; beyond this many, the hull.
MAX_ONE_HOT_LABELS = 1 << 20


@transformer("OneHot")
def one_hot(node, inputs, ctx):
    """Each element is on_value or off_value; known indices (a constant, or blocks whose interval is one
    value) give split points: out[..., j, ...] is on_value exactly where the index equals j, and an index
    block in [lo, hi] can only be on at depths lo..hi (an index outside [0, depth) is off everywhere).
    The output is cut wherever these labels change along an axis, so every block holds one label."""
    indices, depth_value = inputs[0], inputs[1].value
    dtype = node.output_dtype()
    values = {_OFF: inputs[3].interval, _ON: inputs[2].interval}
    values[_EITHER] = values[_OFF].join(values[_ON])
    fallback = out(node, values[_EITHER])
    if depth_value is None or np.asarray(depth_value).size != 1 or indices.shape is None:
        return fallback
    depth = int(np.asarray(depth_value).reshape(()))
    rank = len(indices.shape) + 1
    axis = int(node.attr("axis", -1))
    axis = rank - 1 if axis == -1 else axis
    if depth < 1 or not 0 <= axis < rank:
        return fallback
    # the grid of the indices: one cell per element when the indices are known, else one per block
    if indices.value is not None and indices.value.shape == tuple(indices.shape):
        cell_lengths = [[1] * d for d in indices.shape]
        lo = hi = np.asarray(indices.value, dtype=np.float64)
    else:
        cell_lengths = [[(e - s) if e is not None else None for s, e in axis_segments]
                        for axis_segments in _segments(indices)]
        grid_shape = tuple(len(lengths) for lengths in cell_lengths)
        lo = np.array([b.interval.lo for b in indices.blocks], dtype=np.float64).reshape(grid_shape)
        hi = np.array([b.interval.hi for b in indices.blocks], dtype=np.float64).reshape(grid_shape)
    if lo.size == 0 or lo.size * depth > MAX_ONE_HOT_LABELS:
        return fallback
    labels = _one_hot_labels(np.ceil(lo), np.floor(hi), depth)
    labels = np.moveaxis(labels, -1, axis)
    lengths = cell_lengths[:axis] + [[1] * depth] + cell_lengths[axis:]
    # merge runs of equal slices along every axis: the labels are constant inside each merged block
    runs = [_equal_runs(labels, a) for a in range(rank)]
    count = math.prod(len(r) for r in runs)
    shape = node.output_shape()
    if shape is None:
        shape = tuple(indices.shape[:axis]) + (depth,) + tuple(indices.shape[axis:])
    if count > ctx.max_blocks or len(shape) != rank:
        present = np.unique(labels)
        hull = values[int(present[0])]
        for label in present[1:]:
            hull = hull.join(values[int(label)])
        return out(node, hull)
    run_lengths = []
    for a, axis_runs in enumerate(runs):
        merged = []
        for first, last in axis_runs:
            part = lengths[a][first:last]
            merged.append(None if None in part else sum(part))
        run_lengths.append(merged)
    grid = labels[np.ix_(*[[first for first, _ in axis_runs] for axis_runs in runs])]

    def block_at(coords):
        return Block(values[int(grid[coords])].to_dtype(dtype, 0))
    return _build(node, 0, shape, run_lengths, block_at, ctx.max_blocks, None)


def _one_hot_labels(lo: np.ndarray, hi: np.ndarray, depth: int) -> np.ndarray:
    """Per cell (lo, hi: integer bounds of its indices) and depth j: _ON if every index is j, _OFF if none
    can be, else _EITHER. Shape: lo.shape + (depth,)."""
    j = np.arange(depth, dtype=np.float64)
    lo, hi = lo[..., None], hi[..., None]
    possible = (lo <= j) & (j <= hi)
    return np.where(possible & (lo == hi), _ON, np.where(possible, _EITHER, _OFF)).astype(np.int8)


def _equal_runs(labels: np.ndarray, axis: int) -> list[tuple[int, int]]:
    """(first, end) of the runs of positions along `axis` whose slices of `labels` are equal."""
    n = labels.shape[axis]
    if n <= 1:
        return [(0, n)]
    changed = np.diff(labels, axis=axis) != 0
    other = tuple(a for a in range(labels.ndim) if a != axis)
    cuts = (np.flatnonzero(changed.any(axis=other)) + 1).tolist()
    points = [0] + cuts + [n]
    return list(zip(points[:-1], points[1:]))
