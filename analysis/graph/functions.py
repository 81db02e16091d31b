"""Function bodies of a GraphDef's library (tf.function, functional While/If, PartitionedCall) as graphs
of our IR.

Inside a FunctionDef, a node input names either a function argument (`x`) or an output of another node
as `node:output_arg:index`. We turn arguments into `_Arg` nodes named like the argument and resolve
`output_arg:index` to a flat output index; ops with several output arguments are listed in
`OUTPUT_ARGS` (an op not listed is assumed to have one output argument, which holds for almost all).
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from nanscope.analysis.graph.ir import Graph, Node, TensorRef

# Output argument names, in order, of ops that have more than one output argument.
OUTPUT_ARGS: dict[str, tuple[str, ...]] = {
    "FusedBatchNorm": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV2": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV3": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2",
                         "reserve_space_3"),
    "Switch": ("output_false", "output_true"),
    "RefSwitch": ("output_false", "output_true"),
    "Merge": ("output", "value_index"),
    "BroadcastGradientArgs": ("r0", "r1"),
    "SoftmaxCrossEntropyWithLogits": ("loss", "backprop"),
    "SparseSoftmaxCrossEntropyWithLogits": ("loss", "backprop"),
    "Unique": ("y", "idx"),
    "UniqueV2": ("y", "idx"),
    "TopKV2": ("values", "indices"),
    "MaxPoolWithArgmax": ("output", "argmax"),
    "Qr": ("q", "r"),
    "Svd": ("s", "u", "v"),
    "SelfAdjointEigV2": ("e", "v"),
    "LSTMBlockCell": ("i", "cs", "f", "o", "ci", "co", "h"),
    "GRUBlockCell": ("r", "u", "c", "h"),
    "FusedBatchNormGrad": ("x_backprop", "scale_backprop", "offset_backprop", "reserve_space_3", "reserve_space_4"),
    "FusedBatchNormGradV2": ("x_backprop", "scale_backprop", "offset_backprop", "reserve_space_3",
                             "reserve_space_4"),
    "FusedBatchNormGradV3": ("x_backprop", "scale_backprop", "offset_backprop", "reserve_space_4",
                             "reserve_space_5"),
    "TensorListPopBack": ("output_handle", "tensor"),
    "TensorArrayV3": ("handle", "flow"),
    "TensorArrayGradV3": ("grad_handle", "flow_out"),
    "TensorArrayConcatV3": ("value", "lengths"),
    "StatelessRandomGetKeyCounter": ("key", "counter"),
    "StatelessRandomGetKeyCounterAlg": ("key", "counter", "alg"),
}


@dataclass(frozen=True)
class FunctionGraph:
    name: str
    graph: Graph
    args: tuple[str, ...]             # names of the `_Arg` nodes, in signature order
    returns: tuple[TensorRef, ...]    # the tensors returned, in signature order


def function_graph(function_def: Any) -> FunctionGraph:
    signature = function_def.signature
    args = tuple(arg.name for arg in signature.input_arg)
    body_ops = {node_def.name: node_def.op for node_def in function_def.node_def}
    nodes = [Node(name=name, op="_Arg", attrs=MappingProxyType({"index": i})) for i, name in enumerate(args)]
    from nanscope.analysis.graph.loader import attr_value  # the loader imports this module's users lazily

    for node_def in function_def.node_def:
        inputs, control = [], []
        for text in node_def.input:
            if text.startswith("^"):
                control.append(text[1:])
            else:
                inputs.append(_resolve(text, body_ops))
        attrs = {key: attr_value(value) for key, value in node_def.attr.items()}
        nodes.append(Node(name=node_def.name, op=node_def.op, inputs=tuple(inputs), control_inputs=tuple(control),
                          attrs=MappingProxyType(attrs), device=node_def.device))
    returns = tuple(_resolve(function_def.ret[arg.name], body_ops) for arg in signature.output_arg)
    return FunctionGraph(signature.name, Graph(nodes), args, returns)


def _resolve(text: str, body_ops: dict[str, str]) -> TensorRef:
    """'x' -> argument x; 'node:out_arg:i' -> flat output index of node."""
    parts = text.split(":")
    if len(parts) == 1:
        return TensorRef(parts[0], 0)
    if len(parts) == 2:
        return TensorRef(parts[0], int(parts[1]) if parts[1].isdigit() else 0)
    node, out_arg, index = parts[0], parts[1], int(parts[2]) if parts[2].isdigit() else 0
    names = OUTPUT_ARGS.get(body_ops.get(node, ""), ())
    offset = names.index(out_arg) if out_arg in names else 0
    return TensorRef(node, offset + index)
