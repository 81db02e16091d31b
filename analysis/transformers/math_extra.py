"""More elementwise math: rounding, sign, activations, trigonometric and hyperbolic functions, special
functions, predicates on floats, and the binary ops with a safe convention (DivNoNan, Xlogy, ...).

Each image is computed on exact-real bounds and then widened: library implementations of transcendental
functions are not correctly rounded, so results get a relative budget in ulps of the output dtype and,
where the function has zeros or the argument is reduced (sin, cos, tan, lgamma, digamma), an absolute
budget too. Non-monotone functions are evaluated at their critical points inside the input range.
"""
from __future__ import annotations

import math
from typing import Callable

from nanscope.analysis.domain.dtypes import BY_NAME, DType
from nanscope.analysis.domain.interval import INF, Interval, safe_log
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.transformers.blockwise import map_blocks, zip_blocks
from nanscope.analysis.transformers.elementwise import TRANSCENDENTAL_ULPS
from nanscope.analysis.transformers.registry import out, transformer

BOOL = BY_NAME["bool"]
SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717
LGAMMA_MIN_AT = 1.4616321449683623   # lgamma (and digamma's zero) on (0, inf): its minimum
LGAMMA_MIN = -0.12148629053584961


def widen(x: Interval, dtype: DType, ulps: float, absolute_ulps: float = 0.0) -> Interval:
    """x rounded for a result computed with `ulps` relative and `absolute_ulps` * eps absolute error."""
    if not dtype.is_float:
        return x.to_dtype(dtype, 0)
    x = x.to_dtype(dtype, ulps)
    if absolute_ulps:
        slack = absolute_ulps * dtype.eps
        x = Interval(x.lo - slack, x.hi + slack).to_dtype(dtype, 0)
    return x


def clamp(x: Interval, lo: float, hi: float) -> Interval:
    return x.meet(Interval(lo, hi)) or Interval(lo, hi)


def elementwise(*op_types: str, ulps: float = 0.0, absolute_ulps: float = 0.0,
                limits: tuple[float, float] | None = None, exact_limits: bool = True) -> Callable:
    """Register `image` (exact-real image of an interval, given the dtype) blockwise for op_types. The
    image is clamped to `limits` before rounding, and after rounding too when the limits are values every
    float type holds and the kernel never leaves (`exact_limits`: +-1, 0, 2)."""
    def register(image: Callable[[Interval, DType], Interval]):
        def apply(node, inputs, ctx):
            dtype = node.output_dtype()

            def block(b):
                y = image(b.interval, dtype)
                if limits:
                    y = clamp(y, *limits)
                y = widen(y, dtype, ulps, absolute_ulps)
                return (clamp(y, *limits) if limits and exact_limits else y), None
            return map_blocks(node, inputs[0], block, ulps=0)
        apply.__doc__ = image.__doc__
        apply.__qualname__ = f"elementwise[{image.__name__}]"
        transformer(*op_types)(apply)
        return image
    return register


def _f(fn: Callable[[float], float]) -> Callable[[float], float]:
    """fn made total on the extended reals (overflow -> inf, outside the domain -> raises ValueError)."""
    def total(v: float) -> float:
        try:
            return fn(v)
        except OverflowError:
            return math.copysign(INF, v) if v else INF
    return total


# -- rounding and sign ------------------------------------------------------------------------------------

@elementwise("Sign")
def sign(x: Interval, dtype: DType) -> Interval:
    """Monotone and exact; a subnormal may be read as 0 (denormals-are-zero), so the side nearest 0 may be 0."""
    tiny = dtype.tiny if dtype.is_float else 1.0

    def s(v: float, low: bool) -> float:
        if v == 0:
            return 0.0
        if abs(v) < tiny and (v > 0) == low:
            return 0.0
        return math.copysign(1.0, v)
    return Interval(s(x.lo, True), s(x.hi, False))


def _rounding(fn: Callable[[float], float]) -> Callable[[Interval, DType], Interval]:
    def image(x: Interval, dtype: DType) -> Interval:
        return Interval(*(float(fn(v)) if math.isfinite(v) else v for v in (x.lo, x.hi)))
    return image


elementwise("Floor")(_rounding(math.floor))
elementwise("Ceil")(_rounding(math.ceil))
elementwise("Round", "Rint")(_rounding(round))   # half to even, like TensorFlow; monotone, exact


# -- activations ------------------------------------------------------------------------------------------

@elementwise("Softsign", ulps=2, limits=(-1.0, 1.0))
def softsign(x: Interval, dtype: DType) -> Interval:
    """x / (1 + |x|): increasing, inside [-1, 1]; two roundings."""
    def f(v: float) -> float:
        return math.copysign(1.0, v) if math.isinf(v) else v / (1.0 + abs(v))
    return x.monotone(f)


def _elu(v: float) -> float:
    return v if v > 0 else (-1.0 if v == -INF else math.expm1(v))


@elementwise("Elu", ulps=TRANSCENDENTAL_ULPS, absolute_ulps=4)
def elu(x: Interval, dtype: DType) -> Interval:
    """x for x > 0, exp(x) - 1 otherwise: increasing, at least -1 (TensorFlow computes exp(x) - 1, whose
    cancellation near 0 costs an absolute error of a few eps)."""
    y = x.monotone(_elu)
    return Interval(max(y.lo, -1.0), y.hi)


@elementwise("Selu", ulps=TRANSCENDENTAL_ULPS + 1, absolute_ulps=8)
def selu(x: Interval, dtype: DType) -> Interval:
    """scale * elu with alpha: increasing, at least -scale * alpha."""
    def f(v: float) -> float:
        return SELU_SCALE * v if v > 0 else SELU_SCALE * SELU_ALPHA * _elu(v)
    y = x.monotone(f)
    return Interval(max(y.lo, -SELU_SCALE * SELU_ALPHA), y.hi)


@transformer("LeakyRelu")
def leaky_relu(node, inputs, ctx):
    """x where x > 0, alpha * x elsewhere: the join of the images of both pieces (one rounding)."""
    alpha = float(node.attr("alpha", 0.2))
    dtype = node.output_dtype()

    def block(b):
        x = b.interval
        parts = []
        if x.hi > 0:
            parts.append(Interval(max(x.lo, 0.0), x.hi))
        if x.lo <= 0:
            parts.append(Interval(x.lo, min(x.hi, 0.0)) * Interval.point(alpha))
        y = parts[0]
        for p in parts[1:]:
            y = y.join(p)
        return widen(y, dtype, 1), None
    return map_blocks(node, inputs[0], block, ulps=0)


# -- error function, trigonometry, hyperbolic functions ---------------------------------------------------

@elementwise("Erf", ulps=TRANSCENDENTAL_ULPS, limits=(-1.0, 1.0))
def erf(x: Interval, dtype: DType) -> Interval:
    """Increasing, inside [-1, 1]."""
    return x.monotone(math.erf)


@elementwise("Erfc", ulps=4 * TRANSCENDENTAL_ULPS, limits=(0.0, 2.0))
def erfc(x: Interval, dtype: DType) -> Interval:
    """Decreasing, inside [0, 2] (a wider budget: TensorFlow's erfc loses accuracy in the tail)."""
    return x.monotone(math.erfc, increasing=False)


def _periodic(x: Interval, dtype: DType, fn, critical: float) -> Interval:
    """Image of sin or cos: endpoints and the extrema (at critical + k*pi) inside the range; the argument
    is widened first by the error of TensorFlow's argument reduction (a few ulps of |x|)."""
    if not x.is_bounded:
        return Interval(-1.0, 1.0)
    slack = 4 * dtype.eps * max(1.0, abs(x.lo), abs(x.hi)) if dtype.is_float else 0.0
    lo, hi = x.lo - slack, x.hi + slack
    if hi - lo >= 2 * math.pi or max(abs(lo), abs(hi)) > 2.0 ** 24:
        return Interval(-1.0, 1.0)
    values = [fn(lo), fn(hi)]
    k = math.ceil((lo - critical) / math.pi)
    while critical + k * math.pi <= hi:
        values.append(fn(critical + k * math.pi))
        k += 1
    return Interval(min(values), max(values))


@elementwise("Sin", ulps=TRANSCENDENTAL_ULPS, absolute_ulps=2, limits=(-1.0, 1.0))
def sin(x: Interval, dtype: DType) -> Interval:
    """Extrema at pi/2 + k*pi."""
    return _periodic(x, dtype, math.sin, math.pi / 2)


@elementwise("Cos", ulps=TRANSCENDENTAL_ULPS, absolute_ulps=2, limits=(-1.0, 1.0))
def cos(x: Interval, dtype: DType) -> Interval:
    """Extrema at k*pi."""
    return _periodic(x, dtype, math.cos, 0.0)


@elementwise("Tan", ulps=TRANSCENDENTAL_ULPS, absolute_ulps=2)
def tan(x: Interval, dtype: DType) -> Interval:
    """Increasing between poles (pi/2 + k*pi); a range that may reach a pole (after widening the argument
    by its reduction error) is unbounded."""
    if not x.is_bounded:
        return Interval.top()
    slack = 4 * dtype.eps * max(1.0, abs(x.lo), abs(x.hi)) if dtype.is_float else 0.0
    lo, hi = x.lo - slack, x.hi + slack
    if max(abs(lo), abs(hi)) > 2.0 ** 20:
        return Interval.top()
    if math.floor((lo - math.pi / 2) / math.pi) != math.floor((hi - math.pi / 2) / math.pi) or \
            max(abs(lo), abs(hi)) > 2.0 ** 20:
        return Interval.top()
    return Interval(math.tan(lo), math.tan(hi))


@elementwise("Atan", ulps=TRANSCENDENTAL_ULPS, limits=(-math.pi / 2, math.pi / 2), exact_limits=False)
def atan(x: Interval, dtype: DType) -> Interval:
    """Increasing, inside [-pi/2, pi/2]."""
    return x.monotone(math.atan)


def _clip_unit(x: Interval) -> Interval:
    return Interval(min(max(x.lo, -1.0), 1.0), min(max(x.hi, -1.0), 1.0))


@elementwise("Acos", ulps=TRANSCENDENTAL_ULPS)
def acos(x: Interval, dtype: DType) -> Interval:
    """Decreasing on [-1, 1]; inputs outside give NaN (the Acos check reports them)."""
    return _clip_unit(x).monotone(math.acos, increasing=False)


@elementwise("Asin", ulps=TRANSCENDENTAL_ULPS)
def asin(x: Interval, dtype: DType) -> Interval:
    """Increasing on [-1, 1]; inputs outside give NaN (the Asin check reports them)."""
    return _clip_unit(x).monotone(math.asin)


@elementwise("Atanh", ulps=TRANSCENDENTAL_ULPS)
def atanh(x: Interval, dtype: DType) -> Interval:
    """Increasing on (-1, 1), infinite at +-1; outside is NaN (the Atanh check reports it)."""
    def f(v: float) -> float:
        return math.copysign(INF, v) if abs(v) >= 1 else math.atanh(v)
    return _clip_unit(x).monotone(f)


@elementwise("Asinh", ulps=TRANSCENDENTAL_ULPS)
def asinh(x: Interval, dtype: DType) -> Interval:
    """Increasing on the reals."""
    return x.monotone(math.asinh)


@elementwise("Acosh", ulps=TRANSCENDENTAL_ULPS)
def acosh(x: Interval, dtype: DType) -> Interval:
    """Increasing on [1, inf); below 1 is NaN (the Acosh check reports it)."""
    return Interval(max(x.lo, 1.0), max(x.hi, 1.0)).monotone(math.acosh)


@elementwise("Sinh", ulps=TRANSCENDENTAL_ULPS)
def sinh(x: Interval, dtype: DType) -> Interval:
    """Increasing; overflow gives +-inf."""
    return x.monotone(_f(math.sinh))


@elementwise("Cosh", ulps=TRANSCENDENTAL_ULPS)
def cosh(x: Interval, dtype: DType) -> Interval:
    """Even, increasing in |x|, at least 1."""
    def f(v: float) -> float:
        return _f(math.cosh)(abs(v))
    if x.lo >= 0:
        return Interval(max(f(x.lo), 1.0), f(x.hi))
    if x.hi <= 0:
        return Interval(max(f(x.hi), 1.0), f(x.lo))
    return Interval(1.0, max(f(x.lo), f(x.hi)))


# -- special functions ------------------------------------------------------------------------------------

@elementwise("Lgamma", ulps=TRANSCENDENTAL_ULPS, absolute_ulps=16)
def lgamma(x: Interval, dtype: DType) -> Interval:
    """On (0, inf): decreasing to its minimum at 1.4616, then increasing; +inf at 0. For inputs that may
    be <= 0 (poles at the non-positive integers, unbounded below between them) it is unbounded."""
    if x.lo <= 0:
        return Interval.top()
    f = _f(math.lgamma)
    values = [f(x.lo), f(x.hi) if math.isfinite(x.hi) else INF]
    lo = LGAMMA_MIN if x.lo <= LGAMMA_MIN_AT <= x.hi else min(values)
    return Interval(lo, max(values))


def digamma_value(v: float) -> float:
    """psi(v) for v > 0: recurrence to v >= 10, then the asymptotic series (float64 accurate)."""
    if v == INF:
        return INF
    shift = 0.0
    while v < 10.0:
        shift -= 1.0 / v
        v += 1.0
    inv2 = 1.0 / (v * v)
    series = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))))
    return shift + math.log(v) - 0.5 / v - series


@elementwise("Digamma", ulps=TRANSCENDENTAL_ULPS, absolute_ulps=16)
def digamma(x: Interval, dtype: DType) -> Interval:
    """Increasing on (0, inf), -inf at 0; unbounded for inputs that may be <= 0 (poles)."""
    if x.lo <= 0:
        return Interval.top()
    lo, hi = digamma_value(x.lo), digamma_value(x.hi)
    # our series is accurate to ~1e-15 relative; widen by a float64 ulp budget on top of the dtype's
    return Interval(lo - 1e-13 * max(1.0, abs(lo)), hi + 1e-13 * max(1.0, abs(hi)))


# -- predicates -------------------------------------------------------------------------------------------

def _boolean(node, interval: Interval, shape=None) -> AbstractTensor:
    return AbstractTensor(interval, BOOL, shape if shape is not None else node.output_shape())


@transformer("IsNan", "IsFinite")
def is_nan_or_finite(node, inputs, ctx):
    """True or false: NaN is not tracked by intervals (an unsafe op upstream may have produced one)."""
    return _boolean(node, Interval(0.0, 1.0))


@transformer("IsInf")
def is_inf(node, inputs, ctx):
    """False when the input range is bounded (an infinite element always lies inside its interval)."""
    return _boolean(node, Interval(0.0, 0.0) if inputs[0].interval.is_bounded else Interval(0.0, 1.0))


@transformer("ApproximateEqual")
def approximate_equal(node, inputs, ctx):
    """|x - y| < tolerance: false when the ranges are further apart than the tolerance (with margin)."""
    x, y = inputs[0].interval, inputs[1].interval
    tolerance = float(node.attr("tolerance", 1e-5))
    gap = max(x.lo - y.hi, y.lo - x.hi)
    if gap > 2 * tolerance + 1e-30:
        return _boolean(node, Interval(0.0, 0.0))
    return _boolean(node, Interval(0.0, 1.0))


# -- binary ops -------------------------------------------------------------------------------------------

def _point(x: Interval) -> float | None:
    return x.lo if x.lo == x.hi and math.isfinite(x.lo) else None


def _power(base: float, exponent: float, up: bool) -> float:
    try:
        value = math.pow(base, exponent)
    except OverflowError:
        return INF if up or base > 0 else -INF
    except ValueError:
        return INF if up else -INF
    return value


def pow_image(x: Interval, y: Interval, dtype: DType) -> Interval:
    """x ** y on exact reals for the ranges of base and exponent."""
    if dtype.is_integer:
        if y.lo < 0:
            return Interval(dtype.lowest, dtype.max)
        top = max(abs(x.lo), abs(x.hi), 1.0)
        bound = _power(top, y.hi, True)
        return Interval(0.0 if x.lo >= 0 else -bound, bound)
    tiny = dtype.tiny if dtype.is_float else 0.0   # a subnormal base is read as 0 (denormals-are-zero)
    if x.lo >= tiny and x.lo > 0:
        # exp(y * ln x): y * ln x is bilinear in (y, ln x), so its extremes (and x ** y's) are at corners
        corners = [_power(a, b, False) for a in (x.lo, x.hi) for b in (y.lo, y.hi)
                   if not (math.isinf(a) and b == 0) and not (a == 1 and math.isinf(b))]
        corners += [1.0] if len(corners) < 4 else []
        return Interval(min(corners), max(corners))
    n = _point(y)
    if n is None or n != int(n):
        return Interval.top()
    n = int(n)
    if n == 0:
        return Interval(1.0, 1.0)
    if n < 0 and x.lo < tiny and x.hi > -tiny:
        return Interval.top()          # 0 ** negative = inf, of either sign
    ends = [_power(x.lo, n, False), _power(x.hi, n, True)]
    if n > 0 and n % 2 == 0 and x.contains(0.0):
        return Interval(0.0, max(ends))
    return Interval(min(ends), max(ends))   # monotone on a range of one sign (or odd n > 0)


@transformer("Pow")
def pow_(node, inputs, ctx):
    """x ** y: corners of exp(y * ln x) for positive bases, exact integer powers for a constant integer
    exponent, else unbounded (the Pow check reports bases <= 0 with negative or fractional exponents)."""
    dtype = node.output_dtype()

    def block(a, b):
        return widen(pow_image(a.interval, b.interval, dtype), dtype, TRANSCENDENTAL_ULPS), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=0)


def _log_image(y: Interval) -> Interval:
    return Interval(safe_log(max(y.lo, 0.0)), safe_log(max(y.hi, 0.0)))


@transformer("Xlogy")
def xlogy(node, inputs, ctx):
    """x * log(y), and 0 where x == 0: the product of x's range and log's image (joined with 0)."""
    dtype = node.output_dtype()

    def block(a, b):
        x, y = a.interval, b.interval
        if y.lo < 0:
            return Interval.top(), None
        result = x * widen(_log_image(y), dtype, TRANSCENDENTAL_ULPS)
        if x.contains(0.0):
            result = result.join(Interval(0.0, 0.0))
        return widen(result, dtype, 1), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=0)


@transformer("Xlog1py")
def xlog1py(node, inputs, ctx):
    """x * log1p(y), and 0 where x == 0."""
    dtype = node.output_dtype()

    def block(a, b):
        x, y = a.interval, b.interval
        if y.lo < -1:
            return Interval.top(), None
        image = Interval(-INF if y.lo <= -1 else math.log1p(y.lo), math.log1p(y.hi) if y.hi < INF else INF)
        result = x * widen(image, dtype, TRANSCENDENTAL_ULPS)
        if x.contains(0.0):
            result = result.join(Interval(0.0, 0.0))
        return widen(result, dtype, 1), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=0)


@transformer("Xdivy", "DivNoNan")
def safe_divide(node, inputs, ctx):
    """x / y with 0 where x == 0 (Xdivy) or y == 0 (DivNoNan): the quotient's range joined with 0;
    unbounded when y may be 0 (subnormals count as 0) but is not always 0."""
    dtype = node.output_dtype()
    tiny = dtype.tiny if dtype.is_float else 1.0

    def block(a, b):
        x, y = a.interval, b.interval
        if node.op == "DivNoNan" and y.lo == y.hi == 0:
            return Interval(0.0, 0.0), None
        if node.op == "Xdivy" and x.lo == x.hi == 0:
            return Interval(0.0, 0.0), None
        if y.lo < tiny and y.hi > -tiny:
            return Interval.top(), None
        result = (x * y.reciprocal()).join(Interval(0.0, 0.0)) if x.contains(0.0) or node.op == "DivNoNan" \
            else x * y.reciprocal()
        return widen(result, dtype, 2), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=0)


@transformer("MulNoNan")
def mul_no_nan(node, inputs, ctx):
    """x * y with 0 where y == 0: the interval product (which holds 0 whenever y may be 0)."""
    dtype = node.output_dtype()
    return zip_blocks(node, inputs[:2], ctx.max_blocks,
                      lambda a, b: (widen(a.interval * b.interval, dtype, 1), None), ulps=0)


@transformer("Atan2")
def atan2(node, inputs, ctx):
    """Inside [-pi, pi]; inside [-pi/2, pi/2] when x > 0."""
    dtype = node.output_dtype()
    half = math.nextafter(math.pi / 2, INF)
    whole = math.nextafter(math.pi, INF)

    def block(a, b):
        x = b.interval
        bound = half if x.lo >= dtype.tiny else whole
        return widen(Interval(-bound, bound), dtype, TRANSCENDENTAL_ULPS), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=0)


@transformer("BitwiseAnd", "BitwiseOr", "BitwiseXor", "LeftShift", "RightShift", "Invert")
def bitwise(node, inputs, ctx):
    """Any value of the integer type (bit patterns are not tracked)."""
    return out(node, Interval.of_dtype(node.output_dtype()))
