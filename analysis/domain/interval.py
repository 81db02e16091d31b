"""Sound real intervals over the extended reals, and rounding of bounds to a tensor's element type.

An `Interval(lo, hi)` claims that every element value v satisfies lo <= v <= hi; NaN is never a bound.
Bound arithmetic is done in float64 and then widened outward (`to_dtype`) by the rounding error that the
element type's own arithmetic may add, so a result is sound for the float32 (or float16, ...) computation
TensorFlow performs, not only for exact real arithmetic. Products use the convention 0 * inf = 0 for
bounds, which is right because the elements themselves are finite.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from nanscope.analysis.domain.dtypes import DType

INF = math.inf
# Relative error of our own float64 bound arithmetic, accounted for whenever a result is rounded.
_F64_EPS = 2.0 ** -52


@dataclass(frozen=True, slots=True)
class Interval:
    lo: float
    hi: float

    def __post_init__(self) -> None:
        if math.isnan(self.lo) or math.isnan(self.hi) or self.lo > self.hi:
            raise ValueError(f"invalid interval [{self.lo}, {self.hi}]")

    # -- construction -------------------------------------------------------------------------
    @staticmethod
    def point(value: float) -> Interval:
        return Interval(float(value), float(value))

    @staticmethod
    def top() -> Interval:
        return Interval(-INF, INF)

    @staticmethod
    def of_dtype(dtype: DType) -> Interval:
        """Every finite value of the element type (floats) or every integer it holds."""
        if dtype.is_numeric:
            return Interval(dtype.lowest, dtype.max)
        return Interval.top()

    # -- queries --------------------------------------------------------------------------------
    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi

    @property
    def is_bounded(self) -> bool:
        return math.isfinite(self.lo) and math.isfinite(self.hi)

    def __str__(self) -> str:
        return f"[{format_bound(self.lo)}, {format_bound(self.hi)}]"

    # -- lattice ----------------------------------------------------------------------------------
    def join(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def meet(self, other: Interval) -> Interval | None:
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        return Interval(lo, hi) if lo <= hi else None

    def widen(self, newer: Interval) -> Interval:
        """Standard interval widening: a bound that moved jumps to infinity, so loops terminate."""
        return Interval(self.lo if newer.lo >= self.lo else -INF, self.hi if newer.hi <= self.hi else INF)

    # -- exact-real arithmetic on bounds (callers round the result with to_dtype) -----------------
    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __add__(self, other: Interval) -> Interval:
        return Interval(_add(self.lo, other.lo, -INF), _add(self.hi, other.hi, INF))

    def __sub__(self, other: Interval) -> Interval:
        return self + (-other)

    def __mul__(self, other: Interval) -> Interval:
        products = [_mul(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(products), max(products))

    def scale(self, count_lo: float, count_hi: float) -> Interval:
        """Sum of between count_lo and count_hi (>= 0) elements, each inside this interval."""
        lo = min(_mul(self.lo, count_lo), _mul(self.lo, count_hi))
        hi = max(_mul(self.hi, count_lo), _mul(self.hi, count_hi))
        return Interval(lo, hi)

    def reciprocal(self) -> Interval:
        """1 / x for a divisor interval; unbounded when it contains 0 (the check reports that case)."""
        if self.lo > 0 or self.hi < 0:
            return Interval(1.0 / self.hi if self.hi != 0 else -INF, 1.0 / self.lo if self.lo != 0 else INF)
        if self.lo == 0 and self.hi > 0:
            return Interval(1.0 / self.hi, INF)
        if self.hi == 0 and self.lo < 0:
            return Interval(-INF, 1.0 / self.lo)
        return Interval.top()

    def __truediv__(self, other: Interval) -> Interval:
        return self * other.reciprocal()

    def monotone(self, fn, increasing: bool = True) -> Interval:
        """Image under a monotone function defined on the whole interval."""
        a, b = fn(self.lo), fn(self.hi)
        return Interval(a, b) if increasing else Interval(b, a)

    # -- rounding to the element type ---------------------------------------------------------------
    def to_dtype(self, dtype: DType, ulps: float = 1.0) -> Interval:
        """Widen outward for results computed in `dtype` with an error of at most `ulps` units in the last place.

        ulps=0 is for exact ops (max, clip, reshape, ...). Rounding never changes a bound's sign, values
        below the smallest normal may be flushed to zero (TensorFlow enables flush-to-zero on CPU), and
        values beyond the largest finite value overflow to infinity.
        """
        lo, hi = self.lo, self.hi
        if dtype.is_integer:
            lo, hi = math.floor(lo) if math.isfinite(lo) else lo, math.ceil(hi) if math.isfinite(hi) else hi
            if lo < dtype.lowest or hi > dtype.max:  # integer overflow wraps around
                return Interval(dtype.lowest, dtype.max)
            return Interval(lo, hi)
        if not dtype.is_float:
            return self
        if ulps > 0:
            rel = ulps * dtype.eps + 2 * _F64_EPS
            absolute = ulps * dtype.eps * dtype.tiny
            if math.isfinite(lo):
                widened = math.nextafter(lo - abs(lo) * rel - absolute, -INF)
                lo = max(widened, 0.0) if lo >= 0 else widened
            if math.isfinite(hi):
                widened = math.nextafter(hi + abs(hi) * rel + absolute, INF)
                hi = min(widened, 0.0) if hi <= 0 else widened
        if 0 < lo < dtype.tiny:
            lo = 0.0
        if -dtype.tiny < hi < 0:
            hi = 0.0
        if hi > dtype.max:
            hi = INF
        if lo < -dtype.max:
            lo = -INF
        lo = min(lo, dtype.max)
        hi = max(hi, -dtype.max)
        return Interval(lo, hi)


def _add(a: float, b: float, inf_conflict: float) -> float:
    """a + b for bounds; inf + -inf cannot occur between two lower (or upper) bounds of finite sets,
    but if it does the sound answer is the unbounded side given by `inf_conflict`."""
    total = a + b
    return inf_conflict if math.isnan(total) else total


def _mul(a: float, b: float) -> float:
    if a == 0 or b == 0:
        return 0.0
    return a * b


def format_bound(value: float) -> str:
    if value == INF:
        return "inf"
    if value == -INF:
        return "-inf"
    return f"{value:.6g}"


def safe_exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def safe_log(x: float) -> float:
    """Natural log for bounds: log(0) = -inf; callers only pass x >= 0."""
    if x <= 0:
        return -INF
    return math.log(x)
