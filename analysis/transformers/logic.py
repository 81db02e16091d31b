"""Comparisons, boolean logic and selection.

Comparisons produce booleans, represented by the interval [0, 1] (or a single value when the operand
ranges decide the comparison). Select picks elements from one of two tensors: the join of both.
"""
from __future__ import annotations

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.transformers.registry import out, transformer

_DECIDE = {
    "Less": lambda a, b: (a.hi < b.lo, a.lo >= b.hi),
    "LessEqual": lambda a, b: (a.hi <= b.lo, a.lo > b.hi),
    "Greater": lambda a, b: (a.lo > b.hi, a.hi <= b.lo),
    "GreaterEqual": lambda a, b: (a.lo >= b.hi, a.hi < b.lo),
    "Equal": lambda a, b: (a.lo == a.hi == b.lo == b.hi, a.hi < b.lo or b.hi < a.lo),
    "NotEqual": lambda a, b: (a.hi < b.lo or b.hi < a.lo, a.lo == a.hi == b.lo == b.hi),
}


@transformer(*_DECIDE)
def compare(node, inputs, ctx):
    """True (1) or false (0); a single value when the operand intervals decide the comparison."""
    always, never = _DECIDE[node.op](inputs[0].interval, inputs[1].interval)
    if always:
        return out(node, Interval(1.0, 1.0))
    if never:
        return out(node, Interval(0.0, 0.0))
    return out(node, Interval(0.0, 1.0))


@transformer("LogicalAnd", "LogicalOr")
def logical_binary(node, inputs, ctx):
    a, b = inputs[0].interval, inputs[1].interval
    if node.op == "LogicalAnd":
        return out(node, Interval(min(a.lo, b.lo), min(a.hi, b.hi)))
    return out(node, Interval(max(a.lo, b.lo), max(a.hi, b.hi)))


@transformer("LogicalNot")
def logical_not(node, inputs, ctx):
    a = inputs[0].interval
    return out(node, Interval(1.0 - a.hi, 1.0 - a.lo))


@transformer("Select", "SelectV2")
def select(node, inputs, ctx):
    """Elements of the second or the third input, as the condition decides."""
    cond, a, b = inputs[0].interval, inputs[1].interval, inputs[2].interval
    if cond.lo >= 1:
        return out(node, a)
    if cond.hi <= 0:
        return out(node, b)
    return out(node, a.join(b))
