"""Variables and resources beyond reads: initialisation queries, in-place updates, shapes, destruction.

Updates of resource variables have no outputs; the variable's value is its assumed range whenever it is
read (see sources.py), which is the assumption every read rests on. Ref-variable updates output the
updated variable: the sum or difference of its value and the delta.
"""
from __future__ import annotations

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.transformers.registry import out, transformer


@transformer("VarIsInitializedOp", "IsVariableInitialized")
def is_initialized(node, inputs, ctx):
    """A boolean."""
    return out(node, Interval(0.0, 1.0))


@transformer("AssignAddVariableOp", "AssignSubVariableOp", "DestroyResourceOp", "ResourceScatterAdd",
             "ResourceScatterSub", "ResourceScatterUpdate", "ResourceScatterMax", "ResourceScatterMin",
             "ResourceScatterMul", "ResourceScatterDiv", "ResourceScatterNdUpdate", "ResourceScatterNdAdd",
             "ResourceScatterNdSub")
def no_outputs(node, inputs, ctx):
    """No outputs: the update changes the variable, whose reads use its assumed range."""
    return ()


@transformer("AssignAdd", "AssignSub")
def assign_add(node, inputs, ctx):
    """The ref variable after the update: its value plus (minus) the delta, rounded once."""
    delta = inputs[1].interval if node.op == "AssignAdd" else -inputs[1].interval
    return out(node, inputs[0].interval + delta, ulps=1)


@transformer("DestroyTemporaryVariable", "TemporaryVariable")
def temporary_variable(node, inputs, ctx):
    """A temporary variable's value: anything of its type (destroying returns the final value)."""
    return out(node, Interval.of_dtype(node.output_dtype())) if node.output_dtype().is_integer \
        else out(node, Interval.top())
