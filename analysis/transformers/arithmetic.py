"""Binary elementwise arithmetic with broadcasting.

At the interval level broadcasting does not change the element ranges, so each op combines the two input
intervals. Add/Sub/Mul/Div are correctly rounded in IEEE arithmetic (one rounding, 1 ulp budget);
min/max/clip select one of their inputs and are exact.
"""
from __future__ import annotations

import numpy as np

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.transformers.registry import out, transformer


def _concrete(node, inputs, fn):
    """The exact result when every input value is known (shape arithmetic), else None."""
    if all(x.value is not None for x in inputs):
        try:
            with np.errstate(all="ignore"):
                value = fn(*[x.value for x in inputs])
            if np.asarray(value).dtype.kind in "iub":
                return np.asarray(value)
        except (ValueError, TypeError, ArithmeticError):
            return None
    return None


@transformer("Add", "AddV2", "BiasAdd")
def add(node, inputs, ctx):
    """Interval sum, rounded once."""
    a, b = inputs[0], inputs[1]
    return out(node, a.interval + b.interval, ulps=1, value=_concrete(node, inputs, lambda x, y: x + y))


@transformer("AddN")
def add_n(node, inputs, ctx):
    """Sum of n tensors: n - 1 roundings, each bounded relative to the partial sum's magnitude."""
    total = inputs[0].interval
    for x in inputs[1:]:
        total = total + x.interval
    magnitude = sum(max(abs(x.interval.lo), abs(x.interval.hi)) for x in inputs)
    err = len(inputs) * node.output_dtype().eps * magnitude
    return out(node, Interval(total.lo - err, total.hi + err), ulps=1)


@transformer("Sub")
def sub(node, inputs, ctx):
    """Interval difference, rounded once."""
    a, b = inputs[0], inputs[1]
    return out(node, a.interval - b.interval, ulps=1, value=_concrete(node, inputs, lambda x, y: x - y))


@transformer("Mul")
def mul(node, inputs, ctx):
    """Interval product (min/max of the four corner products), rounded once; x * x is squared exactly."""
    a, b = inputs[0], inputs[1]
    if node.inputs[0] == node.inputs[1]:
        lo2, hi2 = a.interval.lo ** 2, a.interval.hi ** 2
        sq = Interval(0.0, max(lo2, hi2)) if a.interval.contains(0.0) else Interval(min(lo2, hi2), max(lo2, hi2))
        return out(node, sq, ulps=1)
    return out(node, a.interval * b.interval, ulps=1, value=_concrete(node, inputs, lambda x, y: x * y))


@transformer("RealDiv", "Div", "TruncateDiv", "FloorDiv")
def div(node, inputs, ctx):
    """a * (1/b); unbounded when b may be 0 (the division check reports it). Integer division rounds the
    real quotient toward zero or down, which stays inside [floor(lo), ceil(hi)]."""
    a, b = inputs[0].interval, inputs[1].interval
    return out(node, a / b, ulps=1)


@transformer("SquaredDifference")
def squared_difference(node, inputs, ctx):
    """(a - b)^2: the square of the difference interval."""
    d = inputs[0].interval - inputs[1].interval
    if d.lo >= 0:
        sq = Interval(d.lo * d.lo, d.hi * d.hi)
    elif d.hi <= 0:
        sq = Interval(d.hi * d.hi, d.lo * d.lo)
    else:
        sq = Interval(0.0, max(d.lo * d.lo, d.hi * d.hi))
    return out(node, sq, ulps=2)


@transformer("Maximum")
def maximum(node, inputs, ctx):
    """Exact: elementwise max of both bounds."""
    a, b = inputs[0].interval, inputs[1].interval
    return out(node, Interval(max(a.lo, b.lo), max(a.hi, b.hi)),
               value=_concrete(node, inputs, lambda x, y: np.maximum(x, y)))


@transformer("Minimum")
def minimum(node, inputs, ctx):
    """Exact: elementwise min of both bounds."""
    a, b = inputs[0].interval, inputs[1].interval
    return out(node, Interval(min(a.lo, b.lo), min(a.hi, b.hi)),
               value=_concrete(node, inputs, lambda x, y: np.minimum(x, y)))


@transformer("ClipByValue")
def clip_by_value(node, inputs, ctx):
    """Exact: min(max(t, lo), hi) applied to the bounds."""
    t, lo, hi = (x.interval for x in inputs[:3])
    return out(node, Interval(min(max(t.lo, lo.lo), hi.lo), min(max(t.hi, lo.hi), hi.hi)))


@transformer("FloorMod", "Mod", "TruncateMod")
def modulo(node, inputs, ctx):
    """|x mod y| < |y|; FloorMod takes the divisor's sign, Mod/TruncateMod the dividend's (exact for known
    integer operands). A divisor that may be 0 leaves the result unbounded."""
    x, y = inputs[0].interval, inputs[1].interval
    if all(v.value is not None for v in inputs[:2]) and inputs[0].value.dtype.kind in "iu" \
            and not (inputs[1].value == 0).any():
        value = np.mod(inputs[0].value, inputs[1].value) if node.op == "FloorMod" \
            else np.fmod(inputs[0].value, inputs[1].value)
        return out(node, Interval(float(value.min()), float(value.max())) if value.size else Interval(0.0, 0.0),
                   value=value)
    if y.contains(0.0):
        return out(node, Interval.top())
    bound = max(abs(y.lo), abs(y.hi))
    sign_source = y if node.op == "FloorMod" else x
    lo = 0.0 if sign_source.lo >= 0 else -bound
    hi = 0.0 if sign_source.hi <= 0 else bound
    return out(node, Interval(lo, hi), ulps=1)
