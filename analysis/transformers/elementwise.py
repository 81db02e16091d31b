"""Unary elementwise math: each output element depends on one input element.

Monotone functions map interval bounds to bounds; transcendental functions are not correctly rounded in
TensorFlow, so their results are widened by a few units in the last place of the output dtype.
"""
from __future__ import annotations

import math

from nanscope.analysis.domain.interval import INF, Interval, safe_exp, safe_log
from nanscope.analysis.transformers.registry import out, transformer

# Error budget, in ulps of the output dtype, for library implementations of transcendental functions.
TRANSCENDENTAL_ULPS = 4.0


@transformer("Identity", "StopGradient", "Snapshot", "PreventGradient", "CheckNumerics", "EnsureShape")
def identity(node, inputs, ctx):
    """Exact: the value passes through unchanged."""
    x = inputs[0]
    return out(node, x.interval, value=x.value)


@transformer("Neg")
def neg(node, inputs, ctx):
    """Exact: negation of both bounds."""
    return out(node, -inputs[0].interval)


@transformer("Abs")
def abs_(node, inputs, ctx):
    """Exact: |x| is monotone on each side of 0."""
    x = inputs[0].interval
    if x.lo >= 0:
        return out(node, x)
    if x.hi <= 0:
        return out(node, -x)
    return out(node, Interval(0.0, max(-x.lo, x.hi)))


@transformer("Square")
def square(node, inputs, ctx):
    """x*x is correctly rounded; its minimum is 0 when the input crosses 0."""
    x = inputs[0].interval
    return out(node, _square(x), ulps=1)


def _square(x: Interval) -> Interval:
    lo2, hi2 = x.lo * x.lo, x.hi * x.hi
    if x.lo >= 0:
        return Interval(lo2, hi2)
    if x.hi <= 0:
        return Interval(hi2, lo2)
    return Interval(0.0, max(lo2, hi2))


@transformer("Sqrt")
def sqrt(node, inputs, ctx):
    """Monotone on [0, inf); negative inputs give NaN, which the Sqrt check reports."""
    x = inputs[0].interval
    return out(node, Interval(math.sqrt(max(x.lo, 0.0)), math.sqrt(max(x.hi, 0.0))), ulps=1)


@transformer("Rsqrt")
def rsqrt(node, inputs, ctx):
    """Decreasing on (0, inf); an input reaching 0 gives inf, which the Rsqrt check reports."""
    x = inputs[0].interval
    lo = 1.0 / math.sqrt(x.hi) if x.hi > 0 else INF
    hi = 1.0 / math.sqrt(x.lo) if x.lo > 0 else INF
    return out(node, Interval(min(lo, hi), hi), ulps=TRANSCENDENTAL_ULPS)


@transformer("Exp")
def exp(node, inputs, ctx):
    """Increasing; overflow beyond the dtype's max becomes inf when rounded."""
    return out(node, inputs[0].interval.monotone(safe_exp), ulps=TRANSCENDENTAL_ULPS)


@transformer("Expm1")
def expm1(node, inputs, ctx):
    """Increasing; bounded below by -1."""
    x = inputs[0].interval
    lo = -1.0 if x.lo == -INF else (math.expm1(x.lo) if x.lo < 700 else INF)
    hi = math.expm1(x.hi) if x.hi < 700 else INF
    return out(node, Interval(lo, hi), ulps=TRANSCENDENTAL_ULPS)


@transformer("Log")
def log(node, inputs, ctx):
    """Increasing on (0, inf); inputs at or below 0 contribute -inf (NaN is the Log check's business)."""
    x = inputs[0].interval
    return out(node, Interval(safe_log(max(x.lo, 0.0)), safe_log(max(x.hi, 0.0))), ulps=TRANSCENDENTAL_ULPS)


@transformer("Log1p")
def log1p(node, inputs, ctx):
    """Increasing on (-1, inf); inputs at or below -1 contribute -inf."""
    x = inputs[0].interval

    def f(v: float) -> float:
        if v <= -1:
            return -INF
        return INF if v == INF else math.log1p(v)
    return out(node, Interval(f(x.lo), f(x.hi)), ulps=TRANSCENDENTAL_ULPS)


@transformer("Reciprocal", "Inv")
def reciprocal(node, inputs, ctx):
    """1/x is correctly rounded; unbounded when x may be 0 (the Reciprocal check reports that)."""
    return out(node, inputs[0].interval.reciprocal(), ulps=1)


@transformer("Sigmoid")
def sigmoid(node, inputs, ctx):
    """Increasing, inside [0, 1]."""
    def f(v: float) -> float:
        if v >= 0:
            return 1.0 / (1.0 + safe_exp(-v))
        e = safe_exp(v)
        return e / (1.0 + e)
    result = inputs[0].interval.monotone(f).to_dtype(node.output_dtype(), TRANSCENDENTAL_ULPS)
    return out(node, result.meet(Interval(0.0, 1.0)) or Interval(0.0, 1.0))


@transformer("Tanh")
def tanh(node, inputs, ctx):
    """Increasing, inside [-1, 1]."""
    result = inputs[0].interval.monotone(math.tanh).to_dtype(node.output_dtype(), TRANSCENDENTAL_ULPS)
    return out(node, result.meet(Interval(-1.0, 1.0)) or Interval(-1.0, 1.0))


@transformer("Relu")
def relu(node, inputs, ctx):
    """Exact: max(x, 0) of both bounds."""
    x = inputs[0].interval
    return out(node, Interval(max(x.lo, 0.0), max(x.hi, 0.0)))


@transformer("Relu6")
def relu6(node, inputs, ctx):
    """Exact: min(max(x, 0), 6) of both bounds."""
    x = inputs[0].interval
    return out(node, Interval(min(max(x.lo, 0.0), 6.0), min(max(x.hi, 0.0), 6.0)))


@transformer("Softplus")
def softplus(node, inputs, ctx):
    """log(1 + exp(x)): increasing and positive."""
    def f(v: float) -> float:
        if v > 0:  # v + log1p(exp(-v)) avoids overflow and is exact in reals
            return v + math.log1p(safe_exp(-v))
        return math.log1p(safe_exp(v))
    return out(node, inputs[0].interval.monotone(f), ulps=TRANSCENDENTAL_ULPS)
