"""Input pipelines: datasets, iterators and queues.

Dataset and iterator handles are variants or resources with no numeric meaning (unbounded). Elements
that leave a pipeline (IteratorGetNext, QueueDequeue*) are graph inputs like placeholders: any value of
their dtype unless a range is configured for the output by name, `NODE:INDEX` (`NODE` for output 0).
"""
from __future__ import annotations

from nanscope.analysis.domain.interval import Interval
from nanscope.analysis.domain.tensor import AbstractTensor
from nanscope.analysis.transformers.registry import transformer, unbounded

DATASETS = ("TensorSliceDataset", "BatchDatasetV2", "RepeatDataset", "PrefetchDataset", "OptionsDataset",
            "RangeDataset", "IteratorToStringHandle", "IteratorV2", "AnonymousIteratorV3", "OneShotIterator", "FIFOQueueV2", "QueueSizeV2")


@transformer(*DATASETS)
def handle(node, inputs, ctx):
    """Unbounded: a handle (or a count of elements) with no bound the graph states."""
    count = max(len(node.output_shapes), 1)
    return unbounded(node) if count == 1 else tuple(unbounded(node, i) for i in range(count))


@transformer("MakeIterator", "QueueEnqueueV2", "QueueEnqueueManyV2", "QueueCloseV2")
def effects(node, inputs, ctx):
    """No outputs."""
    return ()


def _component_types(node) -> tuple:
    types = node.attr("output_types") or node.attr("component_types") or ()
    return tuple(types) if isinstance(types, (tuple, list)) else (types,)


@transformer("IteratorGetNext", "IteratorGetNextSync", "QueueDequeueV2", "QueueDequeueManyV2",
             "QueueDequeueUpToV2")
def next_element(node, inputs, ctx):
    """Sound by assumption: each component lies in its configured range (`NODE:INDEX`), else anywhere
    in its dtype."""
    types = _component_types(node)
    outputs = []
    for index in range(max(len(types), len(node.output_shapes), 1)):
        dtype = types[index] if index < len(types) and hasattr(types[index], "is_float") else node.output_dtype(index)
        name = f"{node.name}:{index}"
        if index == 0 and name not in ctx.assumptions.ranges and node.name in ctx.assumptions.ranges:
            name = node.name
        interval, _ = ctx.assumptions.for_input(name, dtype)
        if not dtype.is_numeric:
            interval = Interval.top()
        outputs.append(AbstractTensor(interval.to_dtype(dtype, 0) if dtype.is_numeric else interval, dtype,
                                      node.output_shape(index)))
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
