"""Tensor lists (TF2 loops: TensorList*), tensor arrays (v1 loops: TensorArray*V3) and stacks.

The abstract value of a list, array or its flow stands for every element stored in it: the join of the
elements written (a reserved, unwritten element reads as zeros, so reserving joins 0). Reads return that
hull. A tensor array's flow is a float scalar that is 0 at run time, so its interval also holds 0. Sizes
and indices are bounded by the type; stacks (v1 gradient bookkeeping) pop unbounded values.
"""
from __future__ import annotations

from nanscope.analysis.domain.dtypes import BY_NAME
from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.transformers.registry import transformer, unbounded

ZERO = Interval(0.0, 0.0)
INT32 = BY_NAME["int32"]
VARIANT = BY_NAME["variant"]


def _element_dtype(node):
    dtype = node.attr("element_dtype") or node.attr("dtype")
    return dtype if dtype is not None and hasattr(dtype, "is_float") else node.output_dtype()


def _list(node, interval: Interval, index: int = 0) -> AbstractTensor:
    return AbstractTensor(interval, VARIANT, node.output_shape(index))


def _element(node, interval: Interval, index: int = 0) -> AbstractTensor:
    dtype = _element_dtype(node)
    if not dtype.is_numeric:
        return AbstractTensor(Interval.top(), dtype, node.output_shape(index))
    return AbstractTensor(interval.to_dtype(dtype, 0), dtype, node.output_shape(index))


@transformer("EmptyTensorList", "TensorListReserve")
def new_list(node, inputs, ctx):
    """No element written yet; unwritten reserved elements read as zeros."""
    return _list(node, ZERO)


@transformer("TensorListFromTensor")
def list_from_tensor(node, inputs, ctx):
    """The elements are the tensor's slices."""
    return _list(node, inputs[0].interval)


@transformer("TensorListSetItem", "TensorListPushBack")
def set_item(node, inputs, ctx):
    """The list's elements and the new one."""
    return _list(node, inputs[0].interval.join(inputs[-1].interval if node.op == "TensorListPushBack"
                                              else inputs[2].interval))


@transformer("TensorListGetItem", "TensorListStack", "TensorListGather", "TensorListConcatV2")
def get_items(node, inputs, ctx):
    """Elements of the list (a concatenation also returns the lengths: unbounded integers)."""
    if node.op == "TensorListConcatV2":
        return _element(node, inputs[0].interval), unbounded(node, 1)
    return _element(node, inputs[0].interval)


@transformer("TensorListPopBack")
def pop_back(node, inputs, ctx):
    """The remaining list and its last element."""
    return _list(node, inputs[0].interval), _element(node, inputs[0].interval, 1)


@transformer("TensorListLength", "TensorListElementShape", "TensorArraySizeV3", "StackV2", "TensorArrayV3")
def list_metadata(node, inputs, ctx):
    """Lengths and element shapes: any value of their type (a new array's flow is 0)."""
    if node.op == "TensorArrayV3":
        return unbounded(node, 0), AbstractTensor(ZERO, BY_NAME["float32"], node.output_shape(1))
    return unbounded(node)


@transformer("TensorListScatterIntoExistingList", "TensorListScatterV2", "TensorListScatter")
def scatter_list(node, inputs, ctx):
    """The list's elements and the scattered tensor's slices."""
    if node.op == "TensorListScatterIntoExistingList":
        return _list(node, inputs[0].interval.join(inputs[1].interval))
    return _list(node, inputs[0].interval.join(ZERO))


@transformer("TensorArrayWriteV3", "TensorArrayScatterV3", "TensorArraySplitV3")
def array_write(node, inputs, ctx):
    """The flow after writing: the written values joined with the incoming flow (which holds 0)."""
    value = inputs[1 if node.op == "TensorArraySplitV3" else 2].interval   # split: (handle, value, lengths, flow)
    return AbstractTensor(inputs[-1].interval.join(value).join(ZERO), BY_NAME["float32"], node.output_shape())


@transformer("TensorArrayReadV3", "TensorArrayGatherV3", "TensorArrayConcatV3")
def array_read(node, inputs, ctx):
    """Elements written to the array (its flow's hull, which holds 0 for unwritten elements)."""
    element = _element(node, inputs[-1].interval)
    if node.op == "TensorArrayConcatV3":
        return element, unbounded(node, 1)
    return element


@transformer("TensorArrayGradV3")
def array_grad(node, inputs, ctx):
    """A new gradient array (handle) and its flow, which is 0 and holds no written value yet."""
    return unbounded(node, 0), AbstractTensor(inputs[1].interval.join(ZERO), BY_NAME["float32"],
                                              node.output_shape(1))


@transformer("TensorArrayCloseV3", "StackCloseV2")
def close(node, inputs, ctx):
    """No outputs."""
    return ()


@transformer("StackPushV2")
def stack_push(node, inputs, ctx):
    """Exact: returns the pushed element."""
    return inputs[1]


@transformer("StackPopV2")
def stack_pop(node, inputs, ctx):
    """An element pushed earlier: unbounded (the stack's contents are not tracked)."""
    dtype = node.attr("elem_type")
    if dtype is not None and hasattr(dtype, "is_float"):
        return AbstractTensor.unbounded(dtype, node.output_shape())
    return unbounded(node)
