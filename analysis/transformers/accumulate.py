"""Bounds for sums of many products or terms, shared by matmul, convolution and reductions.

A float sum of n terms may differ from the exact sum by up to about n * eps * (sum of |terms|) whatever the
order TensorFlow adds them in; `sum_of_terms` adds that absolute error to the exact-real bounds.
"""
from __future__ import annotations

from nanscope.analysis.domain.dtypes import DType
from nanscope.analysis.domain.interval import INF, Interval


def sum_of_terms(term: Interval, count: int | None, dtype: DType) -> Interval:
    """Sum of `count` terms each in `term` (count None: unknown, at least 1), rounded to `dtype`."""
    if count is None:
        lo = -INF if term.lo < 0 else term.lo
        hi = INF if term.hi > 0 else term.hi
        return Interval(lo, hi).to_dtype(dtype, ulps=1)
    if count == 0:
        return Interval(0.0, 0.0)
    exact = term.scale(count, count)
    if not dtype.is_float:
        return exact.to_dtype(dtype, ulps=0)
    magnitude = count * max(abs(term.lo), abs(term.hi))
    # soundness fix: flush-to-zero turns every product or partial sum below the smallest normal into 0, an
    # absolute error of up to `tiny` each (4 products of 1e-38 * 0.5 sum to 0.0, not 2e-38)
    err = count * dtype.eps * magnitude + count * dtype.tiny
    # rounding and flushing never change the sign of a sum of terms of one sign
    lo = max(exact.lo - err, 0.0) if term.lo >= 0 else exact.lo - err
    hi = min(exact.hi + err, 0.0) if term.hi <= 0 else exact.hi + err
    return Interval(lo, hi).to_dtype(dtype, ulps=1)


def dims_product(shape, axes) -> int | None:
    """Product of the given dimensions of a static shape; None when any of them is unknown."""
    if shape is None:
        return None
    total = 1
    for axis in axes:
        dim = shape[axis]
        if dim is None:
            return None
        total *= dim
    return total
