"""Fallbacks for the ops the interpreter evaluates itself: Merge (joins, loops) and the function-library
ops (calls, functional While and If). They are registered so the list of supported ops is complete; the
interpreter handles these op types before consulting the registry, so the fallbacks only run when a
caller applies the registry directly: then every output is unbounded, which is always sound.
"""
from __future__ import annotations

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.transformers.registry import out, transformer, unbounded


@transformer("Merge", "RefMerge")
def merge(node, inputs, ctx):
    """The join of the inputs that arrived, and which one it was (an index below their count)."""
    hull = inputs[0].interval
    for x in inputs[1:]:
        hull = hull.join(x.interval)
    return (AbstractTensor(hull, node.output_dtype(), node.output_shape()),
            out(node, Interval(0.0, float(max(len(inputs) - 1, 0))), index=1))


@transformer("While", "StatelessWhile", "If", "StatelessIf", "PartitionedCall", "StatefulPartitionedCall")
def function_op(node, inputs, ctx):
    """Unbounded outputs (the interpreter analyses the bodies instead)."""
    types = node.attr("Tout") or node.attr("T") or ()
    count = len(types) if isinstance(types, (tuple, list)) else 1
    return tuple(unbounded(node, i) for i in range(count))
