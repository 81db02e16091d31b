"""Block-by-block application of transformers, and the alignment of two operands' partitions.

Elementwise ops keep their operand's partition: each block is mapped on its own. Binary ops first align
the operands: both are broadcast to the output shape and cut at the union of their split points, so each
output block meets exactly one block of each operand. An operand that is broadcast along an axis sees its
elements at new positions, so its affine atoms are marked as moved (no false cancellation). Beyond the
block limit both operands are smashed first.
"""
from __future__ import annotations

import math
from bisect import bisect_right
from typing import Callable, Sequence

from nanscope.analysis.domain.affine import AffineForm
from nanscope.analysis.domain.dtypes import DType
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor, Block, Partition
from nanscope.analysis.graph.ir import Node


def tighten(interval: Interval, form: AffineForm | None, dtype: DType) -> Interval:
    """The interval met with what the affine relation proves (rounded to the dtype)."""
    if form is None:
        return interval
    proven = form.bounds().to_dtype(dtype, ulps=0)
    return interval.meet(proven) or interval


def rounding_error(interval: Interval, dtype: DType, ulps: float = 1.0) -> float:
    """Absolute error bound of rounding a value inside `interval` to `dtype` (for affine forms)."""
    if not dtype.is_float:
        return 0.0
    magnitude = max(abs(interval.lo), abs(interval.hi))
    return ulps * dtype.eps * magnitude + dtype.tiny


def _bounded_error(form: AffineForm) -> AffineForm | None:
    """Fix: a relation whose rounding error is unbounded (the result may overflow) proves nothing, and
    concretising it computed -inf + inf (a transformer failure); it is dropped."""
    return form if math.isfinite(form.err) else None


def map_blocks(node: Node, x: AbstractTensor, fn: Callable[[Block], tuple[Interval, AffineForm | None]],
               ulps: float, index: int = 0) -> AbstractTensor:
    """Apply `fn` (block -> exact-real interval and optional form) to every block, keeping the partition."""
    dtype = node.output_dtype(index)
    shape = node.output_shape(index)
    partition = x.partition if x.partition is not None and _same_rank(shape, x.shape) else None
    source = x if partition is not None or x.partition is None else x.smashed()
    blocks = []
    for block in source.blocks:
        interval, form = fn(block)
        rounded = interval.to_dtype(dtype, ulps)
        if form is not None:
            form = form.with_error(rounding_error(rounded, dtype, ulps)) if ulps else form
            form = _bounded_error(form)
            rounded = tighten(rounded, form, dtype)
        blocks.append(Block(rounded, form))
    return AbstractTensor(dtype=dtype, shape=shape if shape is not None else x.shape, partition=partition,
                          blocks=blocks)


def _same_rank(a, b) -> bool:
    return a is not None and b is not None and len(a) == len(b)


def broadcast_shape(a, b):
    """The static broadcast of two shapes (None entries unknown); None when a rank is unknown."""
    if a is None or b is None:
        return None
    rank = max(len(a), len(b))
    a = (1,) * (rank - len(a)) + tuple(a)
    b = (1,) * (rank - len(b)) + tuple(b)
    result = []
    for x, y in zip(a, b):
        if x == 1:
            result.append(y)
        elif y == 1 or x == y:
            result.append(x)
        else:
            result.append(None if x is None or y is None else max(x, y))
    return tuple(result)


def align(node: Node, operands: Sequence[AbstractTensor], block_limit: int
          ) -> tuple[tuple | None, Partition | None, list[tuple[Block, ...]]]:
    """Broadcast and cut operands to a common partition: (output shape, partition, blocks per output block)."""
    out_shape = node.output_shape()
    if out_shape is None:
        out_shape = operands[0].shape
        for x in operands[1:]:
            out_shape = broadcast_shape(out_shape, x.shape)
    prepared = [_prepare(node, i, x, out_shape) for i, x in enumerate(operands)]
    if out_shape is None or all(p[1] is None for p in prepared):
        return out_shape, None, [tuple(p[0].blocks[0] for p in prepared)]
    rank = len(out_shape)
    splits = []
    for axis in range(rank):
        points: set[int] = set()
        for _, operand_splits in prepared:
            if operand_splits is not None:
                points.update(operand_splits[axis])
        splits.append(tuple(sorted(points)))
    partition = Partition(tuple(splits))
    if partition.count > block_limit:
        smashed = [_prepare(node, i, x.smashed(), out_shape)[0] for i, x in enumerate(operands)]
        return out_shape, None, [tuple(x.blocks[0] for x in smashed)]
    pairs = []
    for coords in partition.grid():
        row = []
        for tensor, operand_splits in prepared:
            if operand_splits is None:
                row.append(tensor.blocks[0])
                continue
            operand_coords = []
            for axis, c in enumerate(coords):
                start = 0 if c == 0 else splits[axis][c - 1]
                operand_coords.append(bisect_right(operand_splits[axis], start))
            row.append(tensor.blocks[_operand_index(operand_splits, operand_coords)])
        pairs.append(tuple(row))
    return out_shape, partition, pairs


def _operand_index(operand_splits, coords) -> int:
    index = 0
    for axis, c in enumerate(coords):
        index = index * (len(operand_splits[axis]) + 1) + c
    return index


def _prepare(node: Node, position: int, x: AbstractTensor, out_shape):
    """(tensor with moved atoms if broadcast, its splits padded to the output rank or None if one block)."""
    moved = out_shape is None or x.shape is None or len(x.shape) > len(out_shape)
    padded = None
    if not moved:
        padded = (1,) * (len(out_shape) - len(x.shape)) + tuple(x.shape)
        moved = any(d == 1 and o != 1 for d, o in zip(padded, out_shape)) or \
            any(d is None and o is not None for d, o in zip(padded, out_shape))
    if moved:
        via = f"{node.name}/broadcast:{position}"
        x = x.with_blocks([Block(b.interval, b.form.moved(via) if b.form else None) for b in x.blocks])
    if x.partition is None or padded is None:
        return (x if x.partition is None else x.smashed()), None
    offset = len(out_shape) - len(x.shape)
    splits = [()] * offset + [s if padded[offset + i] == out_shape[offset + i] else ()
                              for i, s in enumerate(x.partition.splits)]
    if any(len(s) and padded[offset + i] != out_shape[offset + i] for i, s in enumerate(x.partition.splits)):
        return x.smashed(), None
    return x, tuple(splits)


def zip_blocks(node: Node, operands: Sequence[AbstractTensor], block_limit: int,
               fn: Callable[..., tuple[Interval, AffineForm | None]], ulps: float) -> AbstractTensor:
    """Apply `fn(*blocks)` to aligned blocks of the operands; rounds and tightens like map_blocks."""
    out_shape, partition, rows = align(node, operands, block_limit)
    dtype = node.output_dtype()
    blocks = []
    for row in rows:
        interval, form = fn(*row)
        rounded = interval.to_dtype(dtype, ulps)
        if form is not None:
            form = form.with_error(rounding_error(rounded, dtype, ulps)) if ulps else form
            form = _bounded_error(form)
            rounded = tighten(rounded, form, dtype)
        blocks.append(Block(rounded, form))
    return AbstractTensor(dtype=dtype, shape=out_shape, partition=partition, blocks=blocks)
