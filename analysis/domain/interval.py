"""Sound real intervals over the extended reals, and rounding of bounds to a tensor's element type.

An `Interval(lo, hi)` claims that every element value v satisfies lo <= v <= hi; NaN is never a bound.
Bound arithmetic is done in float64 and then widened outward (`to_dtype`) by the rounding error that the
element type's own arithmetic may add, so a result is sound for the float32 (or float16, ...) computation
TensorFlow performs, not only for exact real arithmetic. Products use the convention 0 * inf = 0 for
bounds, which is right because the elements themselves are finite.
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from fractions import Fraction

from nanscope.analysis.domain.dtypes import DType

INF = math.inf
_MAX = sys.float_info.max
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

    def widen(self, newer: Interval, to_infinity: bool = False) -> Interval:
        """Widening: a bound that moved jumps to the next power of two (or 0) beyond it, or with
        `to_infinity` straight to infinity. Thresholds let rounding noise that grows a bound by an ulp per
        iteration settle instead of escaping to infinity; callers switch to `to_infinity` after a few
        rounds, so every loop stabilises."""
        if to_infinity:
            return Interval(self.lo if newer.lo >= self.lo else -INF, self.hi if newer.hi <= self.hi else INF)
        lo = self.lo if newer.lo >= self.lo else _threshold_below(newer.lo)
        hi = self.hi if newer.hi <= self.hi else -_threshold_below(-newer.hi)
        return Interval(lo, hi)

    # -- exact-real arithmetic on bounds (callers round the result with to_dtype) -----------------
    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo)

    def __add__(self, other: Interval) -> Interval:
        return Interval(_add(self.lo, other.lo, -INF), _add(self.hi, other.hi, INF))

    def __sub__(self, other: Interval) -> Interval:
        return self + (-other)

    def __mul__(self, other: Interval) -> Interval:
        lo = min(_mul(a, b, up=False) for a in (self.lo, self.hi) for b in (other.lo, other.hi))
        hi = max(_mul(a, b, up=True) for a in (self.lo, self.hi) for b in (other.lo, other.hi))
        return Interval(lo, hi)

    def scale(self, count_lo: float, count_hi: float) -> Interval:
        """Sum of between count_lo and count_hi (>= 0) elements, each inside this interval."""
        lo = min(_mul(self.lo, count_lo, up=False), _mul(self.lo, count_hi, up=False))
        hi = max(_mul(self.hi, count_lo, up=True), _mul(self.hi, count_hi, up=True))
        return Interval(lo, hi)

    def reciprocal(self) -> Interval:
        """1 / x for a divisor interval; unbounded when it contains 0 (the check reports that case).

        Soundness fix: a divisor that only touches 0 ([0, hi] or [lo, 0]) is unbounded on both sides too,
        because IEEE division by the zero of the other sign gives the other infinity (1 / -0.0 = -inf), and
        an interval cannot tell -0.0 from 0.0 (nor a subnormal flushed to a signed zero from either)."""
        if self.lo > 0 or self.hi < 0:
            return Interval(_inverse(self.hi, up=False), _inverse(self.lo, up=True))
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


# Bound arithmetic rounds outward (soundness fix): float64 round-to-nearest could put a bound up to half an
# ulp inside the exact real result (0.1 + 0.2, integers beyond 2**53, 1/3), and overflow of finite operands
# made a lower bound +inf. Each helper returns the exact result when float64 represents it, else the
# neighbouring float on the outer side (`up` for upper bounds), and the largest finite float instead of an
# infinity that finite operands cannot reach.

def _outward(value: float, error_sign: float, up: bool) -> float:
    """`value` moved one float outward when the exact result lies beyond it (error_sign: exact - value;
    NaN when unknown)."""
    if math.isnan(error_sign) or (error_sign > 0 if up else error_sign < 0):
        return math.nextafter(value, INF if up else -INF)
    return value


def _sign(exact: Fraction, value: float) -> int:
    """The sign of exact - value (exact comparison; a float difference could underflow to 0)."""
    return (exact > value) - (exact < value)


def _overflowed(value: float, up: bool) -> float:
    """A bound that overflowed to +-inf from finite operands: keep the infinity on the outer side only."""
    return value if (value > 0) == up else math.copysign(_MAX, value)


def _threshold_below(value: float) -> float:
    """The largest rung of the ladder {-inf, -2^k, 0, 2^k, inf} (k from -64 to 1023) at or below value."""
    if value == -INF or value < -2.0 ** 1023:
        return -INF
    if value >= 0:
        if value < 2.0 ** -64:
            return 0.0
        return 2.0 ** math.floor(math.log2(value))
    return -(2.0 ** math.ceil(math.log2(-value)))


def _add(a: float, b: float, inf_conflict: float) -> float:
    """a + b for bounds, rounded toward `inf_conflict` (-inf for lower bounds, +inf for upper bounds);
    inf + -inf cannot occur between two lower (or upper) bounds of finite sets, but if it does the sound
    answer is the unbounded side given by `inf_conflict`."""
    up = inf_conflict > 0
    total = a + b
    if math.isnan(total):
        return inf_conflict
    if math.isinf(total):
        return total if math.isinf(a) or math.isinf(b) else _overflowed(total, up)
    b_virtual = total - a                                   # TwoSum: the exact error of the rounded sum
    return _outward(total, (a - (total - b_virtual)) + (b - b_virtual), up)


def _mul(a: float, b: float, up: bool) -> float:
    """a * b for bounds with 0 * inf = 0 (elements are finite), rounded up or down."""
    a, b = float(a), float(b)   # counts arrive as ints
    if a == 0 or b == 0:
        return 0.0
    product = a * b
    if math.isinf(product):
        return product if math.isinf(a) or math.isinf(b) else _overflowed(product, up)
    if a.is_integer() and b.is_integer() and abs(product) < 2.0 ** 53:
        return product                                      # exact: an integer float64 holds
    return _outward(product, _sign(Fraction(a) * Fraction(b), product), up)


def _inverse(x: float, up: bool) -> float:
    """1 / x for a nonzero (possibly infinite) bound, rounded up or down."""
    if math.isinf(x):
        return 0.0
    result = 1.0 / x
    if math.isinf(result):
        return _overflowed(result, up)
    if math.frexp(x)[0] in (0.5, -0.5) and result != 0 and abs(result) >= sys.float_info.min:
        return result                                       # exact: the inverse of a power of two
    return _outward(result, _sign(1 / Fraction(x), result), up)


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
