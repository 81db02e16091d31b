"""Binary (and n-ary) elementwise arithmetic with broadcasting.

Operands are aligned to a common partition (blockwise.align) and combined block by block. Add, Sub,
Mul, Div are correctly rounded in IEEE arithmetic (one rounding, 1 ulp budget); min/max/clip select one
of their inputs and are exact. Affine forms flow through addition, subtraction and multiplication or
division by a constant (division only by powers of two, which is exact).
"""
from __future__ import annotations

import math

import numpy as np

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.transformers.blockwise import zip_blocks
from nanscope.analysis.transformers.registry import out, transformer


def _concrete(node, inputs, fn) -> AbstractTensor | None:
    """The exact result when every input value is a known integer tensor (shape arithmetic)."""
    if not all(x.value is not None for x in inputs):
        return None
    try:
        with np.errstate(all="ignore"):
            value = np.asarray(fn(*[x.value for x in inputs]))
    except (ValueError, TypeError, ArithmeticError):
        return None
    if value.dtype.kind not in "iub":
        return None
    interval = Interval(float(value.min()), float(value.max())) if value.size else Interval(0.0, 0.0)
    return out(node, interval, value=value)


def _sum_forms(*forms):
    if any(f is None for f in forms):
        return None
    total = forms[0]
    for form in forms[1:]:
        total = total + form
        if total is None:
            return None
    return total


@transformer("Add", "AddV2", "BiasAdd")
def add(node, inputs, ctx):
    """Interval sum, rounded once; forms add."""
    exact = _concrete(node, inputs[:2], np.add)
    if exact is not None:
        return exact
    return zip_blocks(node, inputs[:2], ctx.max_blocks,
                      lambda a, b: (a.interval + b.interval, _sum_forms(a.form, b.form)), ulps=1)


@transformer("Sub")
def sub(node, inputs, ctx):
    """Interval difference, rounded once; forms subtract (x - x cancels)."""
    exact = _concrete(node, inputs[:2], np.subtract)
    if exact is not None:
        return exact
    return zip_blocks(node, inputs[:2], ctx.max_blocks,
                      lambda a, b: (a.interval - b.interval,
                                    _sum_forms(a.form, -b.form) if a.form and b.form else None), ulps=1)


@transformer("AddN")
def add_n(node, inputs, ctx):
    """Sum of n tensors: each of the n - 1 roundings is bounded by the magnitude of the partial sum."""
    dtype = node.output_dtype()

    def block(*blocks):
        total = blocks[0].interval
        for b in blocks[1:]:
            total = total + b.interval
        magnitude = sum(max(abs(b.interval.lo), abs(b.interval.hi)) for b in blocks)
        # soundness fix: + tiny per addition, as a partial sum below the smallest normal is flushed to 0
        err = len(blocks) * (dtype.eps * magnitude + dtype.tiny)
        form = _sum_forms(*(b.form for b in blocks))
        lo = max(total.lo - err, 0.0) if total.lo >= 0 else total.lo - err   # terms of one sign keep it
        hi = min(total.hi + err, 0.0) if total.hi <= 0 else total.hi + err
        return Interval(lo, hi), form.with_error(err) if form else None
    return zip_blocks(node, inputs, ctx.max_blocks, block, ulps=1)


def _point(interval: Interval) -> float | None:
    return interval.lo if interval.lo == interval.hi and math.isfinite(interval.lo) else None


@transformer("Mul")
def mul(node, inputs, ctx):
    """Interval product (min/max of the corner products), rounded once; x * x is a square; a product
    with a constant scales the other operand's form."""
    a, b = inputs[0], inputs[1]
    exact = _concrete(node, inputs[:2], np.multiply)
    if exact is not None:
        return exact
    same = node.inputs[0] == node.inputs[1]

    def block(x, y):
        if same:
            # x * x, not x ** 2: float ** raises OverflowError beyond 1e154 (the transformer then failed)
            lo2, hi2 = x.interval.lo * x.interval.lo, x.interval.hi * x.interval.hi
            if x.interval.contains(0.0):
                return Interval(0.0, max(lo2, hi2)), None
            return Interval(min(lo2, hi2), max(lo2, hi2)), None
        product = x.interval * y.interval
        if (c := _point(y.interval)) is not None and x.form is not None:
            return product, x.form.scale(c)
        if (c := _point(x.interval)) is not None and y.form is not None:
            return product, y.form.scale(c)
        return product, None
    return zip_blocks(node, [a, b], ctx.max_blocks, block, ulps=1)


@transformer("RealDiv", "Div", "TruncateDiv", "FloorDiv")
def div(node, inputs, ctx):
    """a * (1/b); unbounded when b may be 0 (the division check reports it). Integer division rounds the
    real quotient toward zero or down, which stays inside [floor(lo), ceil(hi)]. Dividing by a power of
    two scales the dividend's form exactly."""
    divisor = inputs[1].value
    exact = _concrete(node, inputs[:2], np.floor_divide) \
        if node.op == "FloorDiv" and divisor is not None and not (divisor == 0).any() else None
    if exact is not None:
        return exact
    dtype = node.output_dtype()
    is_float = dtype.is_float
    to_integer = {"FloorDiv": math.floor, "TruncateDiv": math.trunc}.get(node.op) if is_float else None

    def block(x, y):
        quotient = x.interval / y.interval
        if to_integer is not None:
            # soundness fix: float FloorDiv/TruncateDiv round the computed quotient to an integer
            # (floor(1 / 3) = 0), which lies outside the quotient's bounds; both roundings are monotone
            q = quotient.to_dtype(dtype, ulps=1)
            return Interval(*(float(to_integer(v)) if math.isfinite(v) else v for v in (q.lo, q.hi))), None
        c = _point(y.interval)
        if is_float and c and x.form is not None and math.frexp(abs(c))[0] == 0.5:
            return quotient, x.form.scale(1.0 / c)
        return quotient, None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=1)


@transformer("SquaredDifference")
def squared_difference(node, inputs, ctx):
    """(a - b)^2: the square of the difference, itself tightened by the forms' relation."""
    def block(a, b):
        d = a.interval - b.interval
        if a.form is not None and b.form is not None and (diff := a.form - b.form) is not None:
            d = d.meet(diff.bounds()) or d
        if d.lo >= 0:
            return Interval(d.lo * d.lo, d.hi * d.hi), None
        if d.hi <= 0:
            return Interval(d.hi * d.hi, d.lo * d.lo), None
        return Interval(0.0, max(d.lo * d.lo, d.hi * d.hi)), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=2)


# Maximum and Minimum select one of their operands: (numpy function for known integers, bound selector).
_EXTREMES = {"Maximum": (np.maximum, max), "Minimum": (np.minimum, min)}


@transformer(*_EXTREMES)
def extreme(node, inputs, ctx):
    """Exact: the elementwise max (Maximum) or min (Minimum) of both bounds."""
    on_values, pick = _EXTREMES[node.op]
    exact = _concrete(node, inputs[:2], on_values)
    if exact is not None:
        return exact
    return zip_blocks(node, inputs[:2], ctx.max_blocks, lambda a, b: (
        Interval(pick(a.interval.lo, b.interval.lo), pick(a.interval.hi, b.interval.hi)), None), ulps=0)


@transformer("ClipByValue")
def clip_by_value(node, inputs, ctx):
    """Exact: min(max(t, lo), hi) applied to the bounds. When a minimum may exceed a maximum the result
    depends on the kernel's order (TensorFlow's CPU kernels compute max(min(t, hi), lo)): the join of both
    orders, which equals either when the ranges of lo and hi are ordered (soundness fix)."""
    def block(t, lo, hi):
        t, lo, hi = t.interval, lo.interval, hi.interval
        min_of_max = Interval(min(max(t.lo, lo.lo), hi.lo), min(max(t.hi, lo.hi), hi.hi))
        max_of_min = Interval(max(min(t.lo, hi.lo), lo.lo), max(min(t.hi, hi.hi), lo.hi))
        return min_of_max.join(max_of_min), None
    return zip_blocks(node, inputs[:3], ctx.max_blocks, block, ulps=0)


@transformer("FloorMod", "Mod", "TruncateMod")
def modulo(node, inputs, ctx):
    """|x mod y| < |y|; FloorMod takes the divisor's sign, Mod/TruncateMod the dividend's (exact for known
    integer operands). A divisor that may be 0 leaves the result unbounded."""
    if all(v.value is not None for v in inputs[:2]) and not (inputs[1].value == 0).any():
        exact = _concrete(node, inputs[:2], np.mod if node.op == "FloorMod" else np.fmod)
        if exact is not None:
            return exact

    def block(xb, yb):
        x, y = xb.interval, yb.interval
        if y.contains(0.0):
            return Interval.top(), None
        bound = max(abs(y.lo), abs(y.hi))
        sign_source = y if node.op == "FloorMod" else x
        return Interval(0.0 if sign_source.lo >= 0 else -bound, 0.0 if sign_source.hi <= 0 else bound), None
    return zip_blocks(node, inputs[:2], ctx.max_blocks, block, ulps=1)
