"""Variables and resources beyond reads: initialisation queries, in-place updates, shapes, destruction.

Updates of resource variables have no outputs; the variable's value is its assumed range whenever it is
read (see sources.py), which is the assumption every read rests on. Ref-variable updates output the
updated variable: the sum or difference of its value and the delta. A Saver's checkpoint writes have no
outputs and the tensors it restores are anything of their types (nothing is known of the file).
"""
from __future__ import annotations

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.transformers.registry import out, transformer, unbounded


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


@transformer("SaveV2", "MergeV2Checkpoints")
def checkpoint_write(node, inputs, ctx):
    """No outputs: writing a checkpoint (which never happens while tracing) changes no tensor."""
    return ()


@transformer("RestoreV2")
def checkpoint_read(node, inputs, ctx):
    """Tensors read from a checkpoint file: anything of their types, since nothing is known of the file."""
    return tuple(unbounded(node, index) for index in range(len(node.attr("dtypes") or ())))


@transformer("StaticRegexFullMatch")
def regex_full_match(node, inputs, ctx):
    """A boolean per string (a sharded Saver asks whether its path is remote)."""
    return out(node, Interval(0.0, 1.0))
