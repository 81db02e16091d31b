"""Comparisons, boolean logic and selection.

Comparisons produce booleans, represented by the interval [0, 1] (or a single value when the operand
ranges decide the comparison). Select picks elements from one of two tensors: the join of both.
"""
from __future__ import annotations

import math

from nanscope.analysis.domain.interval import INF, Interval
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
    """Elements of the second or the third input, as the condition decides. When the condition compares a
    tensor t with a constant and a branch is t or -t, that branch is taken only where the comparison holds
    (or fails), so its elements are restricted accordingly (e.g. where(x >= 0, -x, x) <= 0)."""
    cond, a, b = inputs[0].interval, inputs[1].interval, inputs[2].interval
    if cond.lo >= 1:
        return out(node, a)
    if cond.hi <= 0:
        return out(node, b)
    restriction = _comparison_with_constant(node, inputs, ctx)
    if restriction is not None:
        subject, when_true, when_false = restriction
        a = _restricted(node.inputs[1], a, subject, when_true, ctx)
        b = _restricted(node.inputs[2], b, subject, when_false, ctx)
    return out(node, a.join(b))


# For `t OP k`: the range t lies in when the comparison holds, and when it fails (as intervals; bounds
# that are strict in reals are kept closed, which is sound).
_RESTRICT = {
    "GreaterEqual": lambda k: (Interval(k, INF), Interval(-INF, k)),
    "Greater": lambda k: (Interval(k, INF), Interval(-INF, k)),
    "LessEqual": lambda k: (Interval(-INF, k), Interval(k, INF)),
    "Less": lambda k: (Interval(-INF, k), Interval(k, INF)),
}


def _comparison_with_constant(node, inputs, ctx):
    graph = ctx.graph
    if graph is None:
        return None
    condition = graph.get(node.inputs[0].node)
    if condition is None or condition.op not in _RESTRICT or len(condition.inputs) != 2:
        return None
    k = _constant_scalar(graph.get(condition.inputs[1].node))
    if k is None:
        return None
    when_true, when_false = _RESTRICT[condition.op](k)
    return condition.inputs[0], when_true, when_false


def _constant_scalar(node) -> float | None:
    """The single value every element of `node`'s output has, for constants and zeros/ones_like."""
    if node is None:
        return None
    if node.op in ("ZerosLike", "OnesLike"):
        return 0.0 if node.op == "ZerosLike" else 1.0
    value = node.attr("value") if node.op == "Const" else None
    if value is None or value.size == 0:
        return None
    flat = value.reshape(-1).astype(float)
    if not (flat == flat[0]).all() or not math.isfinite(flat[0]):
        return None
    return float(flat[0])


def _restricted(branch_ref, branch: Interval, subject, allowed: Interval, ctx) -> Interval:
    """The branch's range where it is selected: restricted when the branch is the subject or its negation."""
    if branch_ref == subject:
        return branch.meet(allowed) or branch
    producer = ctx.graph.get(branch_ref.node)
    if producer is not None and producer.op == "Neg" and producer.inputs and producer.inputs[0] == subject:
        return branch.meet(-allowed) or branch
    return branch
