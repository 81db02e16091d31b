"""Unary elementwise math: each output element depends on one input element, so every block of the
input's partition is mapped on its own.

Monotone functions map interval bounds to bounds; transcendental functions are not correctly rounded in
TensorFlow, so their results are widened by a few units in the last place of the output dtype. Negation
and identity carry affine forms; ReLU creates a relu atom (see domain/affine.py).
"""
from __future__ import annotations

import math
from typing import Callable

from nanscope.analysis.domain.affine import relu_form
from nanscope.analysis.domain.interval import INF, Interval, safe_exp, safe_log
from nanscope.analysis.transformers.blockwise import map_blocks
from nanscope.analysis.transformers.registry import transformer

# Error budget, in ulps of the output dtype, for library implementations of transcendental functions.
# Soundness fix (was 4): measured errors of TensorFlow 2.21's CPU kernels reach 4.2 eps*|v| for float32
# Sigmoid and 4.5 for float64 Tanh (4.1 for Softplus); 8 keeps a margin (tests/transformers).
TRANSCENDENTAL_ULPS = 8.0


def unary(*op_types: str, ulps: float) -> Callable:
    """Register `image` (exact-real image of an input interval) as the per-block transformer of op_types."""
    def register(image: Callable[[Interval], Interval]) -> Callable[[Interval], Interval]:
        def apply(node, inputs, ctx):
            return map_blocks(node, inputs[0], lambda block: (image(block.interval), None), ulps)
        apply.__doc__ = image.__doc__
        apply.__qualname__ = f"unary[{image.__name__}]"
        transformer(*op_types)(apply)
        return image
    return register


@transformer("Identity", "StopGradient", "Snapshot", "PreventGradient", "CheckNumerics", "EnsureShape")
def identity(node, inputs, ctx):
    """Exact: the value (partition, relations, known value) passes through unchanged."""
    return inputs[0]


@transformer("Neg")
def neg(node, inputs, ctx):
    """Exact: negation of both bounds, and of the affine form."""
    return map_blocks(node, inputs[0], lambda b: (-b.interval, -b.form if b.form else None), ulps=0)


@transformer("Relu")
def relu(node, inputs, ctx):
    """Exact: max(x, 0) of both bounds; the form is a relu atom over the input's form."""
    def block(b):
        interval = Interval(max(b.interval.lo, 0.0), max(b.interval.hi, 0.0))
        return interval, relu_form(b.form, b.interval) if b.form is not None else None
    return map_blocks(node, inputs[0], block, ulps=0)


@unary("Abs", ulps=0)
def abs_(x: Interval) -> Interval:
    """Exact: |x| is monotone on each side of 0."""
    if x.lo >= 0:
        return x
    if x.hi <= 0:
        return -x
    return Interval(0.0, max(-x.lo, x.hi))


@unary("Square", ulps=1)
def square(x: Interval) -> Interval:
    """x*x is correctly rounded; its minimum is 0 when the input crosses 0."""
    lo2, hi2 = x.lo * x.lo, x.hi * x.hi
    if x.lo >= 0:
        return Interval(lo2, hi2)
    if x.hi <= 0:
        return Interval(hi2, lo2)
    return Interval(0.0, max(lo2, hi2))


@unary("Sqrt", ulps=1)
def sqrt(x: Interval) -> Interval:
    """Monotone on [0, inf); negative inputs give NaN, which the Sqrt check reports."""
    return Interval(math.sqrt(max(x.lo, 0.0)), math.sqrt(max(x.hi, 0.0)))


@unary("Rsqrt", ulps=TRANSCENDENTAL_ULPS)
def rsqrt(x: Interval) -> Interval:
    """Decreasing on (0, inf); an input reaching 0 gives inf, which the Rsqrt check reports."""
    if x.lo <= 0:
        # soundness fix: rsqrt(-0.0) = -inf (and a flushed negative subnormal is -0.0), so an input that
        # may be 0 leaves both sides unbounded
        return Interval.top()
    return Interval(1.0 / math.sqrt(x.hi), 1.0 / math.sqrt(x.lo))


@transformer("Exp")
def exp(node, inputs, ctx):
    """Increasing; overflow beyond the dtype's max becomes inf when rounded. TensorFlow's exp keeps its fixed
    point (exp(x) <= 1 for x <= 0, >= 1 for x >= 0: checked on every float16 value, every 97th float32 bit
    pattern and 8e6 float64 values), so the rounding allowance is clamped at 1: exp([-inf, 0]) is [0, 1]."""
    dtype = node.output_dtype()

    def block(b):
        x = b.interval
        widened = x.monotone(safe_exp).to_dtype(dtype, TRANSCENDENTAL_ULPS)
        lo = max(widened.lo, 1.0) if x.lo >= 0 else widened.lo
        hi = min(widened.hi, 1.0) if x.hi <= 0 else widened.hi
        return Interval(lo, hi), None
    return map_blocks(node, inputs[0], block, ulps=0)


@unary("Expm1", ulps=TRANSCENDENTAL_ULPS)
def expm1(x: Interval) -> Interval:
    """Increasing; bounded below by -1."""
    lo = -1.0 if x.lo == -INF else (math.expm1(x.lo) if x.lo < 700 else INF)
    hi = math.expm1(x.hi) if x.hi < 700 else INF
    return Interval(lo, hi)


@unary("Log", ulps=TRANSCENDENTAL_ULPS)
def log(x: Interval) -> Interval:
    """Increasing on (0, inf); inputs at or below 0 contribute -inf (NaN is the Log check's business)."""
    return Interval(safe_log(max(x.lo, 0.0)), safe_log(max(x.hi, 0.0)))


@unary("Log1p", ulps=TRANSCENDENTAL_ULPS)
def log1p(x: Interval) -> Interval:
    """Increasing on (-1, inf); inputs at or below -1 contribute -inf."""
    def f(v: float) -> float:
        if v <= -1:
            return -INF
        return INF if v == INF else math.log1p(v)
    return Interval(f(x.lo), f(x.hi))


@transformer("Reciprocal", "Inv")
def reciprocal(node, inputs, ctx):
    """1/x; unbounded when x may be 0 (the Reciprocal check reports that).

    Soundness fix: TensorFlow's float32 reciprocal is a refined hardware approximation, not correctly
    rounded (measured: up to 1.5 eps*|v|, and up to 2.5e3 eps for |x| >= 2**103, where the refinement
    loses accuracy). Two ulps, and a relative 2**-11 for magnitudes from 2**100 in types narrower than
    float64 (whose reciprocal is a correctly rounded division)."""
    dtype = node.output_dtype()
    wide = dtype.is_float and dtype.eps > 2.0 ** -52

    def block(b):
        x = b.interval
        ulps = 2.0
        if wide and max(abs(x.lo), abs(x.hi)) >= 2.0 ** 100:
            ulps = max(ulps, 2.0 ** -11 / dtype.eps)
        return x.reciprocal().to_dtype(dtype, ulps), None
    return map_blocks(node, inputs[0], block, ulps=0)


def _sigmoid(v: float) -> float:
    if v >= 0:
        return 1.0 / (1.0 + safe_exp(-v))
    e = safe_exp(v)
    return e / (1.0 + e)


@transformer("Sigmoid")
def sigmoid(node, inputs, ctx):
    """Increasing, inside [0, 1] (the clamp is exact: TensorFlow's result never leaves [0, 1])."""
    dtype = node.output_dtype()

    def block(b):
        widened = b.interval.monotone(_sigmoid).to_dtype(dtype, TRANSCENDENTAL_ULPS)
        return widened.meet(Interval(0.0, 1.0)) or Interval(0.0, 1.0), None
    return map_blocks(node, inputs[0], block, ulps=0)


@transformer("Tanh")
def tanh(node, inputs, ctx):
    """Increasing, inside [-1, 1]."""
    dtype = node.output_dtype()

    def block(b):
        widened = b.interval.monotone(math.tanh).to_dtype(dtype, TRANSCENDENTAL_ULPS)
        return widened.meet(Interval(-1.0, 1.0)) or Interval(-1.0, 1.0), None
    return map_blocks(node, inputs[0], block, ulps=0)


@unary("Relu6", ulps=0)
def relu6(x: Interval) -> Interval:
    """Exact: min(max(x, 0), 6) of both bounds."""
    return Interval(min(max(x.lo, 0.0), 6.0), min(max(x.hi, 0.0), 6.0))


@unary("Softplus", ulps=TRANSCENDENTAL_ULPS)
def softplus(x: Interval) -> Interval:
    """log(1 + exp(x)): increasing and positive."""
    def f(v: float) -> float:
        if v > 0:  # v + log1p(exp(-v)) avoids overflow and is exact in reals
            return v + math.log1p(safe_exp(-v))
        return math.log1p(safe_exp(v))
    return x.monotone(f)
