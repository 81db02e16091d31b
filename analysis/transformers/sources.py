"""Where values enter the graph: placeholders, constants and variables.

Their ranges are assumptions (see `Assumptions`): a placeholder holds any value of its type unless a range
is given; a float variable holds a trained weight, unbounded unless a range is given. In `expand` mode
(the paper's full-expansion ablation) every element of a small, statically shaped source is its own block.
"""
from __future__ import annotations

import math

import numpy as np

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor, Block, Partition
from nanscope.analysis.transformers.registry import out, transformer, unbounded


def expanded(tensor: AbstractTensor, ctx, values: np.ndarray | None = None) -> AbstractTensor:
    """In expand mode, one block per element (each element of a constant gets its own point interval)."""
    shape = tensor.shape
    if ctx.options.tensor != "expand" or shape is None or any(d is None for d in shape) or not shape:
        return tensor
    count = math.prod(shape)
    if count <= 1 or count > ctx.options.expand_limit:
        return tensor
    partition = Partition(tuple(tuple(range(1, d)) for d in shape))
    if values is not None and values.size == count:
        flat = values.reshape(-1).astype(np.float64)
        blocks = [Block(Interval(float(v), float(v))) for v in flat] if not np.isnan(flat).any() else None
    else:
        blocks = None
    if blocks is None:
        blocks = [Block(tensor.interval)] * count
    return AbstractTensor(dtype=tensor.dtype, shape=shape, value=tensor.value, partition=partition, blocks=blocks)


@transformer("Placeholder")
def placeholder(node, inputs, ctx):
    """Sound by assumption: the fed value lies in the user's range, else anywhere in its dtype."""
    interval, _ = ctx.assumptions.for_input(node.name, node.output_dtype())
    return expanded(out(node, interval), ctx)


@transformer("PlaceholderWithDefault")
def placeholder_with_default(node, inputs, ctx):
    """Either the default (input 0) or a fed value: the join of both."""
    fed, _ = ctx.assumptions.for_input(node.name, node.output_dtype())
    if node.name in ctx.assumptions.ranges:
        return out(node, fed.join(inputs[0].interval))
    return out(node, fed)


@transformer("Const", "HostConst")
def const(node, inputs, ctx):
    """Exact: the interval is [min, max] of the stored value; an undecodable value is unbounded."""
    value = node.attr("value")
    if value is None:
        return unbounded(node)
    tensor = AbstractTensor.from_value(value, node.output_dtype())
    tensor = AbstractTensor(tensor.interval, tensor.dtype, node.output_shape() or tensor.shape, tensor.value)
    return expanded(tensor, ctx, np.asarray(value)) if tensor.dtype.is_float else tensor


@transformer("VariableV2", "Variable", "VarHandleOp")
def variable(node, inputs, ctx):
    """Sound by assumption: a weight's range (VarHandleOp's value stands for the variable it points to)."""
    dtype = node.attr("dtype") or node.output_dtype()
    interval, _ = ctx.assumptions.for_variable(node.name, dtype)
    shape = node.attr("shape") if node.op == "VarHandleOp" else node.output_shape()
    return expanded(AbstractTensor(interval, dtype, shape), ctx)


@transformer("ReadVariableOp")
def read_variable(node, inputs, ctx):
    """Reads the variable the handle points to: its assumed range."""
    return AbstractTensor(inputs[0].interval, node.output_dtype(), node.output_shape() or inputs[0].shape)


@transformer("RandomUniform")
def random_uniform(node, inputs, ctx):
    """Samples [0, 1) in the output dtype."""
    return out(node, Interval(0.0, 1.0))


@transformer("TruncatedNormal")
def truncated_normal(node, inputs, ctx):
    """Standard normal truncated at two standard deviations."""
    return out(node, Interval(-2.0, 2.0))
