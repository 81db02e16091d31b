"""Property tests of the interval domain (no TensorFlow).

Soundness of every interval operation: for intervals drawn at random (infinite bounds, bounds touching 0,
points, huge and tiny magnitudes) and points drawn inside them (always including the corners and 0), the
exact real result of the point operation, computed with `fractions.Fraction`, lies inside the abstract
result. `to_dtype` must hold what a cast (or a correctly rounded operation) in the element type produces,
including overflow to infinity, flush-to-zero of subnormals and integer wrap-around.
"""
from __future__ import annotations

import math
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nanscope.analysis.domain.dtypes import BY_NAME, FLOAT32
from nanscope.analysis.domain.interval import INF, Interval

FLOATS = [BY_NAME[n] for n in ("float16", "float32", "float64")]
INTS = [BY_NAME[n] for n in ("int8", "uint8", "int16", "int32", "int64")]
NUMPY = {"float16": np.float16, "float32": np.float32, "float64": np.float64}

SETTINGS = settings(max_examples=200, deadline=None)

# -- strategies ---------------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
bound = st.one_of(
    finite,                                                   # anything, incl. subnormals and +-max
    st.floats(-1e6, 1e6),                                     # ordinary magnitudes
    st.integers(-100, 100).map(float),                        # exact small values, often equal
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 1e-300, -1e-300, 5e-324, 1.7976931348623157e308]),
    st.sampled_from([-INF, INF]),
)


@st.composite
def intervals(draw, allow_infinite: bool = True) -> Interval:
    """An interval with at least one finite element."""
    kind = draw(st.sampled_from(["pair", "pair", "pair", "point", "from_zero", "to_zero", "half", "top"]))
    b = bound if allow_infinite else bound.filter(math.isfinite)
    x = draw(b.filter(math.isfinite))
    if kind == "point":
        return Interval(x, x)
    if kind == "from_zero":
        return Interval(0.0, abs(x))
    if kind == "to_zero":
        return Interval(-abs(x), 0.0)
    if kind == "half" and allow_infinite:
        return Interval(x, INF) if draw(st.booleans()) else Interval(-INF, x)
    if kind == "top" and allow_infinite:
        return Interval.top()
    y = draw(b)
    lo, hi = min(x, y), max(x, y)
    return Interval(lo, hi)


@st.composite
def nonzero_intervals(draw) -> Interval:
    """An interval that excludes 0 (may touch infinity)."""
    x = draw(intervals())
    if not x.contains(0.0):
        return x
    positive_hi = x.hi if x.hi > 0 else draw(st.floats(min_value=5e-324, max_value=1e300))
    lo = draw(st.floats(min_value=5e-324, max_value=min(positive_hi, 1e300)))
    positive = Interval(lo, positive_hi)
    return positive if draw(st.booleans()) else -positive


def members(draw, x: Interval) -> list[float]:
    """Finite points of x: its finite corners, 0 when inside, and one drawn at random."""
    points = [v for v in (x.lo, x.hi) if math.isfinite(v)]
    if x.contains(0.0):
        points.append(0.0)
    lo = x.lo if math.isfinite(x.lo) else None
    hi = x.hi if math.isfinite(x.hi) else None
    points.append(draw(st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)))
    return points


def holds(x: Interval, value) -> bool:
    """value (a Fraction, float or +-inf) lies inside x; Fraction comparisons with floats are exact."""
    return x.lo <= value <= x.hi


def q(v: float) -> Fraction:
    return Fraction(v)


def is_subset(inner: Interval, outer: Interval) -> bool:
    return outer.lo <= inner.lo and inner.hi <= outer.hi


# -- validity -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lo, hi", [(1.0, 0.0), (math.nan, 1.0), (0.0, math.nan), (math.nan, math.nan),
                                    (INF, -INF), (1e-300, -1e-300)])
def test_invalid_intervals_raise(lo, hi):
    with pytest.raises(ValueError):
        Interval(lo, hi)


@given(intervals())
def test_valid_intervals_contain_their_corners(x):
    assert x.lo <= x.hi
    assert all(x.contains(v) for v in (x.lo, x.hi))


# -- arithmetic -------------------------------------------------------------------------------------------

@SETTINGS
@given(st.data(), intervals(), intervals())
def test_add_sub_mul_hold_exact_results(data, a, b):
    total, difference, prod = a + b, a - b, a * b
    for x, y in product(members(data.draw, a), members(data.draw, b)):
        assert holds(total, q(x) + q(y)), (a, b, x, y, total)
        assert holds(difference, q(x) - q(y)), (a, b, x, y, difference)
        assert holds(prod, q(x) * q(y)), (a, b, x, y, prod)


@SETTINGS
@given(st.data(), intervals(), nonzero_intervals())
def test_division_and_reciprocal_hold_exact_results(data, a, b):
    quotient, inverse = a / b, b.reciprocal()
    for y in members(data.draw, b):
        assert holds(inverse, 1 / q(y)), (b, y, inverse)
        for x in members(data.draw, a):
            assert holds(quotient, q(x) / q(y)), (a, b, x, y, quotient)


@SETTINGS
@given(st.data(), intervals(), intervals())
def test_division_by_an_interval_containing_zero_holds_every_nonzero_divisor(data, a, b):
    quotient, inverse = a / b, b.reciprocal()
    for y in members(data.draw, b):
        if y == 0:
            continue
        assert holds(inverse, 1 / q(y))
        for x in members(data.draw, a):
            assert holds(quotient, q(x) / q(y)), (a, b, x, y, quotient)


def test_reciprocal_of_an_interval_holding_zero_is_unbounded():
    """Even when 0 is only a bound: 1 / -0.0 = -inf and 1 / 0.0 = inf, and [0, 2] holds both zeros."""
    assert Interval(-1.0, 1.0).reciprocal() == Interval.top()
    assert Interval(0.0, 2.0).reciprocal() == Interval.top()
    assert Interval(-4.0, 0.0).reciprocal() == Interval.top()
    assert Interval(0.5, 2.0).reciprocal() == Interval(0.5, 2.0)


@SETTINGS
@given(st.data(), intervals())
def test_neg_holds(data, a):
    negated = -a
    for x in members(data.draw, a):
        assert holds(negated, -q(x))


@SETTINGS
@given(st.data(), intervals(), st.integers(0, 50), st.integers(0, 10 ** 6))
def test_scale_holds_sums_of_count_elements(data, a, count_lo, extra):
    count_hi = count_lo + data.draw(st.sampled_from([0, 1, extra]))
    scaled = a.scale(count_lo, count_hi)
    points = members(data.draw, a)
    for k in {count_lo, count_hi, (count_lo + count_hi) // 2}:
        for x, y in product(points, points):
            m = data.draw(st.integers(0, k))
            # m elements equal to x and k - m equal to y: a sum of k elements of a
            assert holds(scaled, m * q(x) + (k - m) * q(y)), (a, count_lo, count_hi, k, m, x, y, scaled)


def test_scale_of_zero_elements_is_zero():
    assert Interval(3.0, 5.0).scale(0, 0) == Interval(0.0, 0.0)
    assert Interval(-INF, INF).scale(0, 0) == Interval(0.0, 0.0)


def test_exact_arithmetic_stays_exact():
    """Outward rounding must not loosen results that float64 computes exactly."""
    assert Interval(2.0, 3.0) + Interval(1.0, 1.0) == Interval(3.0, 4.0)
    assert Interval(-2.0, 3.0) * Interval(4.0, 5.0) == Interval(-10.0, 15.0)
    assert Interval(1.0, 4.0).reciprocal() == Interval(0.25, 1.0)
    assert Interval(6.0, 8.0) / Interval(2.0, 2.0) == Interval(3.0, 4.0)
    assert Interval(0.0, 1.0).scale(3, 3) == Interval(0.0, 3.0)


def test_inexact_arithmetic_rounds_outward():
    total = Interval.point(0.1) + Interval.point(0.2)
    assert total.lo < total.hi and holds(total, q(0.1) + q(0.2))
    third = Interval.point(1.0) / Interval.point(3.0)
    assert third.lo < third.hi and holds(third, Fraction(1, 3))


def test_overflowing_bounds_stay_sound():
    big = Interval(1e308, 1e308)
    assert holds(big + big, 2 * q(1e308))
    assert holds(big * big, q(1e308) ** 2)
    assert (big + big).lo <= 1.7976931348623157e308
    tiny = Interval(5e-324, 5e-324)
    assert holds(tiny.reciprocal(), 1 / q(5e-324))
    assert holds(tiny * tiny, q(5e-324) ** 2)


# -- lattice ------------------------------------------------------------------------------------------------

@SETTINGS
@given(st.data(), intervals(), intervals())
def test_join_meet_widen(data, a, b):
    joined, met, widened = a.join(b), a.meet(b), a.widen(b)
    assert is_subset(a, joined) and is_subset(b, joined)
    assert is_subset(a, widened) and is_subset(b, widened)
    for x in members(data.draw, a) + members(data.draw, b):
        in_both = a.contains(x) and b.contains(x)
        if in_both:
            assert met is not None and met.contains(x)
        if met is not None and met.contains(x):
            assert in_both
    if met is None:
        assert a.hi < b.lo or b.hi < a.lo


@given(intervals(), intervals())
def test_widen_keeps_stable_bounds_and_can_jump_to_infinity(a, b):
    widened = a.widen(b)
    assert is_subset(a, widened) and is_subset(b, widened)
    if b.lo >= a.lo:
        assert widened.lo == a.lo
    if b.hi <= a.hi:
        assert widened.hi == a.hi
    final = a.widen(b, to_infinity=True)
    assert final.lo == (a.lo if b.lo >= a.lo else -INF)
    assert final.hi == (a.hi if b.hi <= a.hi else INF)


def test_widening_chains_stabilise():
    """An upper bound growing by rounding noise or doubling reaches a fixpoint in finitely many steps."""
    for step in (lambda x: math.nextafter(x, INF), lambda x: 2 * x + 1):
        current = Interval(0.0, 1.0)
        for _ in range(5000):
            grown = Interval(current.lo, step(current.hi))
            widened = current.widen(grown)
            if widened == current:
                break
            current = widened
        else:
            pytest.fail("widening did not stabilise")


# -- rounding to an element type -----------------------------------------------------------------------------

def cast(value: float, dtype) -> float:
    with np.errstate(over="ignore"):
        return float(np.asarray(value, dtype=np.float64).astype(NUMPY[dtype.name]))


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("ulps", [0, 1, 4])
@SETTINGS
@given(data=st.data(), x=intervals())
def test_to_dtype_is_a_widening_that_keeps_signs(dtype, ulps, data, x):
    rounded = x.to_dtype(dtype, ulps)
    assert is_subset(x, rounded), (x, rounded)
    if x.lo >= 0:
        assert rounded.lo >= 0
    if x.hi <= 0:
        assert rounded.hi <= 0
    if ulps:
        assert is_subset(x.to_dtype(dtype, 0), rounded)
    for v in members(data.draw, x):
        represented = cast(v, dtype)
        if represented == v:       # already a value of the type: even ulps=0 holds it
            assert rounded.contains(v)


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: d.name)
@pytest.mark.parametrize("ulps", [1, 4])
@SETTINGS
@given(data=st.data(), x=intervals())
def test_to_dtype_holds_the_cast_of_every_member(dtype, ulps, data, x):
    rounded = x.to_dtype(dtype, ulps)
    for v in members(data.draw, x):
        represented = cast(v, dtype)
        assert rounded.contains(represented), (x, v, represented, rounded)
        if abs(v) > dtype.max * (1 + dtype.eps / 2):       # overflow: the cast is inf
            assert math.isinf(rounded.hi if v > 0 else rounded.lo)
        if represented != 0 and abs(represented) < dtype.tiny:
            # flush-to-zero may produce 0 instead of a subnormal: 0 must be inside too
            assert rounded.contains(0.0), (x, v, rounded)


@pytest.mark.parametrize("dtype", [BY_NAME["float16"], FLOAT32], ids=lambda d: d.name)
@SETTINGS
@given(data=st.data(), a=intervals(), b=intervals(), op=st.sampled_from(["add", "sub", "mul", "div"]))
def test_rounded_interval_arithmetic_holds_the_dtype_computation(dtype, data, a, b, op):
    """A correctly rounded op in the element type stays inside the exact-real interval result rounded
    with ulps=1: the contract every binary transformer relies on."""
    a, b = Interval(cast(a.lo, dtype), cast(a.hi, dtype)), Interval(cast(b.lo, dtype), cast(b.hi, dtype))
    assume(a.lo < INF and a.hi > -INF and b.lo < INF and b.hi > -INF)
    if op == "div":
        assume(not b.contains(0.0))
    fn = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide}[op]
    abstract = {"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op].to_dtype(dtype, ulps=1)
    np_type = NUMPY[dtype.name]
    with np.errstate(all="ignore"):
        for x, y in product(members(data.draw, a), members(data.draw, b)):
            x, y = np_type(min(max(cast(x, dtype), a.lo), a.hi)), np_type(min(max(cast(y, dtype), b.lo), b.hi))
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            result = float(fn(x, y))
            assert not math.isnan(result)
            assert abstract.contains(result), (op, a, b, x, y, result, abstract)
            if result != 0 and abs(result) < dtype.tiny:
                assert abstract.contains(0.0)


def test_to_dtype_examples():
    assert Interval(0.5, 1e39).to_dtype(FLOAT32, 0).hi == INF
    assert Interval(-1e39, 0.0).to_dtype(FLOAT32, 0).lo == -INF
    assert Interval(1e-40, 1.0).to_dtype(FLOAT32, 0).lo == 0.0
    assert Interval(-1.0, -1e-40).to_dtype(FLOAT32, 0).hi == 0.0
    assert Interval(1.0, 2.0).to_dtype(FLOAT32, 0) == Interval(1.0, 2.0)
    widened = Interval(1.0, 2.0).to_dtype(FLOAT32, 1)
    assert widened.lo < 1.0 and widened.hi > 2.0 and widened.lo > 0.99999 and widened.hi < 2.00001
    # a lower bound above the largest finite value (its elements round to inf) stays a valid interval
    assert Interval(1e39, 1e40).to_dtype(FLOAT32, 1).hi == INF


# -- integer element types ------------------------------------------------------------------------------------

def wrap(value: int, dtype) -> int:
    lowest, span = int(dtype.lowest), int(dtype.max - dtype.lowest + 1)  # exact: a power of two
    return (value - lowest) % span + lowest


int_bounds = st.one_of(st.integers(-300, 300), st.integers(-(2 ** 65), 2 ** 65)).map(float)


@st.composite
def int_intervals(draw) -> Interval:
    x, y = draw(int_bounds), draw(int_bounds)
    lo, hi = min(x, y), max(x, y)
    kind = draw(st.sampled_from(["pair", "pair", "lo_inf", "hi_inf", "fraction"]))
    if kind == "lo_inf":
        lo = -INF
    elif kind == "hi_inf":
        hi = INF
    elif kind == "fraction":  # non-integer bounds: what float bound arithmetic produces for integer ops
        lo, hi = lo - 0.25, hi + 0.5
    return Interval(lo, hi)


@pytest.mark.parametrize("dtype", INTS, ids=lambda d: d.name)
@SETTINGS
@given(data=st.data(), x=int_intervals())
def test_integer_to_dtype_rounds_to_integers_and_wraps_to_the_full_range(dtype, data, x):
    for ulps in (0, 1):
        rounded = x.to_dtype(dtype, ulps)
        in_range = dtype.lowest <= x.lo and x.hi <= dtype.max
        if in_range:
            assert rounded == Interval(math.floor(x.lo), math.ceil(x.hi))
        else:
            assert rounded == Interval(dtype.lowest, dtype.max)
        lo = math.ceil(x.lo) if math.isfinite(x.lo) else int(dtype.lowest) - 5
        hi = math.floor(x.hi) if math.isfinite(x.hi) else int(dtype.max) + 5
        if lo > hi:
            continue
        for v in {lo, hi, data.draw(st.integers(lo, hi))}:
            assert rounded.contains(wrap(v, dtype)), (x, v, wrap(v, dtype), rounded)


def test_of_dtype_and_top():
    assert Interval.of_dtype(FLOAT32) == Interval(-FLOAT32.max, FLOAT32.max)
    assert Interval.of_dtype(BY_NAME["uint8"]) == Interval(0.0, 255.0)
    assert Interval.of_dtype(BY_NAME["string"]) == Interval.top()
    assert not Interval.top().is_bounded and Interval(0.0, 1.0).is_bounded
