"""The abstract value of one tensor: a partition into blocks, each with an interval and an affine form.

A tensor's static shape is cut along each axis at split points (`Partition`); every block of the grid
gets one `Block`: an interval holding all its elements and, when relations are on, an affine form relating
them to other tensors' blocks (see affine.py). A tensor with no partition is one block (smashed). The
element type travels with the value, and a small exact value is kept when known (constants, shape
arithmetic) because shape-consuming ops need it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import product
from typing import Sequence

import numpy as np

from nanscope.analysis.domain.affine import AffineForm
from nanscope.analysis.domain.dtypes import UNKNOWN, DType
from nanscope.analysis.domain.interval import Interval

Shape = tuple  # tuple[int | None, ...] or None for unknown rank

# Concrete values are kept only for tensors this small (they are for shapes and axes, not data).
MAX_CONCRETE_ELEMENTS = 4096


@dataclass(frozen=True, slots=True)
class Block:
    interval: Interval
    form: AffineForm | None = None


@dataclass(frozen=True, slots=True)
class Partition:
    """Interior split points per axis of a static shape; blocks are enumerated in row-major order."""
    splits: tuple[tuple[int, ...], ...]

    @property
    def rank(self) -> int:
        return len(self.splits)

    @property
    def count(self) -> int:
        return math.prod(len(s) + 1 for s in self.splits)

    def segments(self, axis: int, dim: int | None) -> list[tuple[int, int | None]]:
        points = (0,) + self.splits[axis] + (dim,)
        return list(zip(points[:-1], points[1:]))

    def grid(self) -> list[tuple[int, ...]]:
        """The coordinates (segment index per axis) of every block, in block order."""
        return list(product(*(range(len(s) + 1) for s in self.splits)))

    def index(self, coords: Sequence[int]) -> int:
        index = 0
        for axis, c in enumerate(coords):
            index = index * (len(self.splits[axis]) + 1) + c
        return index


class AbstractTensor:
    """What the analysis knows about one tensor. Immutable by convention."""

    __slots__ = ("dtype", "shape", "value", "partition", "blocks", "_hull")

    def __init__(self, interval: Interval | None = None, dtype: DType = UNKNOWN, shape: Shape | None = None,
                 value: np.ndarray | None = None, *, partition: Partition | None = None,
                 blocks: Sequence[Block] | None = None):
        if blocks is None:
            blocks = (Block(interval if interval is not None else Interval.top()),)
        if partition is not None and partition.count == 1:
            partition = None
        if (partition.count if partition else 1) != len(blocks):
            raise ValueError(f"{len(blocks)} blocks for a partition of {partition.count if partition else 1}")
        self.dtype = dtype
        self.shape = shape
        self.value = value
        self.partition = partition
        self.blocks = tuple(blocks)
        self._hull = interval if interval is not None and len(self.blocks) == 1 else None

    @property
    def interval(self) -> Interval:
        """The hull: an interval holding every element."""
        if self._hull is None:
            lo = min(b.interval.lo for b in self.blocks)
            hi = max(b.interval.hi for b in self.blocks)
            self._hull = Interval(lo, hi)
        return self._hull

    def __repr__(self) -> str:
        parts = f", {len(self.blocks)} blocks" if self.partition else ""
        return f"AbstractTensor({self.interval}, {self.dtype.name}, shape={self.shape}{parts})"

    @staticmethod
    def unbounded(dtype: DType = UNKNOWN, shape: Shape | None = None) -> AbstractTensor:
        """What we know of a value no transformer describes: anything its type can hold."""
        interval = Interval.of_dtype(dtype) if dtype.is_integer or dtype.kind == "bool" else Interval.top()
        return AbstractTensor(interval, dtype, shape)

    @staticmethod
    def from_value(value: np.ndarray, dtype: DType) -> AbstractTensor:
        array = np.asarray(value)
        if array.size == 0:
            interval = Interval.of_dtype(dtype) if dtype.is_numeric else Interval.top()
        elif array.dtype.kind in "fiub":
            as_float = array.astype(np.float64)
            if np.isnan(as_float).any():
                interval = Interval.top()   # a NaN constant: no interval holds it; stay unbounded
            else:
                interval = Interval(float(as_float.min()), float(as_float.max()))
        else:
            interval = Interval.top()
        keep = array if array.size <= MAX_CONCRETE_ELEMENTS and array.dtype.kind in "fiub" else None
        return AbstractTensor(interval, dtype, tuple(array.shape), keep)

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    def num_elements(self) -> int | None:
        if self.shape is None or any(d is None for d in self.shape):
            return None
        return int(np.prod(self.shape, dtype=np.int64))

    def smashed(self) -> AbstractTensor:
        """The same tensor as one block: the hull, keeping a form only when every block shares it."""
        if self.partition is None:
            return self
        forms = {b.form.key if b.form is not None else None for b in self.blocks}
        form = self.blocks[0].form if len(forms) == 1 else None
        return AbstractTensor(dtype=self.dtype, shape=self.shape, value=self.value,
                              blocks=(Block(self.interval, form),))

    def with_blocks(self, blocks: Sequence[Block]) -> AbstractTensor:
        return AbstractTensor(dtype=self.dtype, shape=self.shape, value=self.value, partition=self.partition,
                              blocks=blocks)
