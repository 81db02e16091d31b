"""The abstract value of one tensor.

At the interval level a tensor is smashed into one interval that holds every element. The static shape and
element type travel with it, and a small concrete value is kept when it is known exactly (constants and
shape arithmetic), because shape-consuming ops (Reshape, Sum's axes, ...) need it.
Tensor partitioning and affine relations (issue 3) extend this class rather than replace it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from nanscope.analysis.domain.dtypes import UNKNOWN, DType
from nanscope.analysis.domain.interval import Interval

Shape = tuple  # tuple[int | None, ...] or None for unknown rank

# Concrete values are kept only for tensors this small (they are for shapes and axes, not data).
MAX_CONCRETE_ELEMENTS = 4096


@dataclass(frozen=True, eq=False)
class AbstractTensor:
    interval: Interval
    dtype: DType = UNKNOWN
    shape: Shape | None = None
    value: np.ndarray | None = None   # the exact value, when known and small

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
